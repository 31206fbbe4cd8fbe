"""R6: letter text per language, dates written out, every kind and language fits and renders (no database)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from bench import bare_canvas
from letters import compose, geometry, render
from letters.dates import long_date, place_name

FUND = compose.Fund("Ausgleichskasse Exfour", ("Ausgleichskasse Exfour", "Postfach", "3001 Bern"),
                    "connect@exfour.ch", "+41 31 000 00 00", "https://connect.exfour.ch/")
CODE = "7K3M-9QRT-V2XZ-A4B8"
WORDS = {"de": ("Sehr geehrte Damen und Herren", "Zugangscode", "Freundliche Grüsse"),
         "fr": ("Madame, Monsieur,", "code d'accès", "salutations distinguées"),
         "it": ("Gentili Signore, Egregi Signori", "codice di accesso", "Cordiali saluti"),
         "en": ("Dear Sir or Madam", "registration code", "Yours faithfully")}


@pytest.mark.parametrize(("language", "expected"), [
    ("de", "26. November 2026"), ("fr", "26 novembre 2026"), ("it", "26 novembre 2026"), ("en", "26 November 2026"),
])
def test_r6_letter_date_in_the_letters_language(language, expected):
    assert long_date(date(2026, 11, 26), language) == expected


def test_r6_first_of_the_month_and_accents():
    first = date(2026, 12, 1)
    assert [long_date(first, lang) for lang in ("de", "fr", "it", "en")] == [
        "1. Dezember 2026", "1er décembre 2026", "1° dicembre 2026", "1 December 2026"]
    assert long_date(date(2027, 2, 3), "fr") == "3 février 2027"
    assert long_date(date(2027, 3, 3), "de") == "3. März 2027"
    assert long_date(date(2027, 8, 15), "fr") == "15 août 2027"


def _spec(kind: str, language: str) -> compose.LetterSpec:
    return compose.build_spec(FUND, compose.LetterData(
        kind, language, ["Müller & Rüegg SA", "Rue de l'Hôpital 3", "2000 Neuchâtel"], date(2026, 11, 26),
        date(2026, 12, 17), "L-ABCD-EFGH", "M-100234", CODE))


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
@pytest.mark.parametrize("kind", ["invitation", "new_code"])
def test_r6_every_kind_and_language_fits_one_a4_page_in_its_language(kind, language):
    pdf, pages = render.draw(_spec(kind, language), geometry.envelope("C5_LEFT"))
    reader = PdfReader(io.BytesIO(pdf))
    assert pages == 1 and len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = reader.pages[0].extract_text()
    for word in WORDS[language]:
        assert word in text
    for other, words in WORDS.items():
        if other != language:
            assert words[0] not in text
    assert CODE in text and "https://connect.exfour.ch/register" in text and "L-ABCD-EFGH" in text
    assert "M-100234" in text and long_date(date(2026, 12, 17), language) in text
    assert "Müller & Rüegg SA" in text and "Rue de l'Hôpital 3" in text and "2000 Neuchâtel" in text


DATELINES = {"de": "Bern, 26. November 2026", "fr": "Berne, le 26 novembre 2026",
             "it": "Berna, 26 novembre 2026", "en": "Bern, 26 November 2026"}


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
@pytest.mark.parametrize("kind", compose.KINDS)
def test_r6_the_date_lines_town_is_written_in_the_letters_language(kind, language):
    spec = _spec(kind, language)
    assert spec.labels["dateline"] == DATELINES[language] and spec.place == DATELINES[language].split(",")[0]
    pdf, _ = render.draw(spec, geometry.envelope("C5_LEFT"))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert DATELINES[language] in text
    wrong = {DATELINES[other].split(",")[0] + "," for other in DATELINES} - {DATELINES[language].split(",")[0] + ","}
    assert not [town for town in wrong if town in text]


def test_a_town_without_a_name_of_its_own_keeps_its_postal_name():
    assert [place_name("Zürich", lang) for lang in ("de", "fr", "it")] == ["Zürich", "Zurich", "Zurigo"]
    assert place_name("Aarau", "fr") == "Aarau" and place_name("Bern", "rm") == "Bern"


def test_template_blocks_fields_and_code_box():
    fields, blocks = compose.parse("@subject Hello\n@label.page Page\n\nDear Sir\n\n[box]\nA | 1\n*Code | X\n\n"
                                   "# Steps\n1. one\n2. two\n")
    assert fields == {"subject": "Hello", "label.page": "Page"}
    assert [b.kind for b in blocks] == ["p", "box", "h", "p"]
    assert blocks[1].lines == ("A|1", "Code|X") and blocks[1].strong == (False, True)
    assert blocks[3].lines == ("1. one", "2. two")


def test_unknown_kind_is_refused_and_unknown_language_falls_back_to_german():
    with pytest.raises(ValueError):
        compose.template("reminder", "de")
    assert compose.template("invitation", "rm") is compose.template("invitation", "de")


def test_bare_canvas_baseline_draws_the_same_content():
    spec = _spec("invitation", "fr")
    text = PdfReader(io.BytesIO(bare_canvas.bare_canvas_letter(spec))).pages[0].extract_text()
    assert CODE in text and spec.subject in text and "2000 Neuchâtel" in text


def test_lines_wrap_inside_the_text_width_and_never_inside_a_phone_number():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    line = "Any questions? We are glad to help by e-mail at connect@exfour.ch or by telephone on +41 31 000 00 00."
    pieces = render._wrap(line)
    assert len(pieces) == 2 and pieces[1][0] == "+41 31 000 00 00."
    assert " ".join(text for text, _ in pieces) == line
    numbered = render._wrap("2. " + "Indiquez le nom et l'adresse e-mail de la personne qui reçoit le login. " * 2)
    assert numbered[0][1] == 0 and all(indent > 0 for _, indent in numbered[1:])  # wrapped under the text
    for text, indent in pieces + numbered:
        assert indent + stringWidth(text, render.REGULAR, render.BODY_SIZE) <= render.TEXT_WIDTH * geometry.MM


def test_r6_names_outside_the_pdf_fonts_are_spelled_plainly_not_printed_as_boxes():
    assert compose.printable("Müller & Fils, Neuchâtel") == "Müller & Fils, Neuchâtel"  # untouched
    assert compose.printable("Łódź Dvořák Ørsted s.r.o.") == "Lódz Dvorák Ørsted s.r.o."
    spec = compose.build_spec(FUND, compose.LetterData(
        "new_code", "de", ["Dvořák Łukasz GmbH", "Hauptstrasse 1", "8001 Zürich"], date(2026, 11, 26),
        date(2026, 12, 17), "L-ABCD-EFGH", "M-1", CODE))
    text = PdfReader(io.BytesIO(render.render(spec, geometry.envelope("C5_LEFT")))).pages[0].extract_text()
    assert "Dvorák Lukasz GmbH" in text and "■" not in text


def test_a_letter_longer_than_a_page_continues_on_a_second_page_with_its_footer():
    from dataclasses import replace

    from letters.spec import Block

    spec = _spec("invitation", "de")
    long_spec = replace(spec, blocks=spec.blocks + tuple(Block("p", (f"Absatz {i}: " + "Text " * 30,))
                                                         for i in range(12)))
    pdf, pages = render.draw(long_spec, geometry.envelope("C5_LEFT"))
    reader = PdfReader(io.BytesIO(pdf))
    assert pages == len(reader.pages) == 2
    second = reader.pages[1].extract_text()
    assert "Absatz 11" in second and "Seite 2" in second and "L-ABCD-EFGH" in second
