"""Letters write their text into the page themselves (letters.render._text) instead of through ReportLab's
drawString: the same strings must come out of the PDF, at the same place, in the same font, for every character a
letter can hold (R6: the letter reads as it was written; a code printed wrong locks the member out)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from letters import render
from letters.fonts import BOLD, MONO, REGULAR

HOSTILE = [
    "Sehr geehrte Damen und Herren",
    "Bäckerei Łoś AG (Zweigniederlassung) \\ Büro",
    "Rue de l'Hôpital 3, 2000 Neuchâtel – «Genève» € 1\u00a0000",
    "KTQD-8744-SDQ5-P8MC",
    "Ζ Ω ç ß Œ ø ñ ğ ű",
    "",
]


def _page(draw) -> tuple[str, list[tuple[str, float, float]]]:
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, initialFontName=REGULAR)
    for i, text in enumerate(HOSTILE):
        c.setFont((REGULAR, BOLD, MONO)[i % 3], 10 + i)
        draw(c, 40.0, 800.0 - 40 * i, text)
    c.showPage()
    c.save()
    seen: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            seen.append((text.strip(), round(tm[4], 2), round(tm[5], 2)))

    page = PdfReader(io.BytesIO(buffer.getvalue())).pages[0]
    return page.extract_text(visitor_text=visit), seen


@pytest.mark.parametrize("kind", ["left", "right", "centred"])
def test_r6_the_letters_own_text_path_writes_what_drawstring_writes(kind):
    ours = {"left": render._text, "right": render._text_right, "centred": render._text_centred}[kind]
    theirs = {"left": Canvas.drawString, "right": Canvas.drawRightString,
              "centred": Canvas.drawCentredString}[kind]
    text_ours, placed_ours = _page(ours)
    text_theirs, placed_theirs = _page(lambda c, x, y, s: theirs(c, x, y, s))
    assert text_ours == text_theirs
    for line in HOSTILE[:-1]:
        assert line.replace("\u00a0", " ") in text_ours.replace("\u00a0", " ")
    assert placed_ours == placed_theirs



def _letter(kind: str, name: str, address: list[str], reason: str = "") -> bytes:
    from datetime import date

    from letters import compose, geometry

    fund = compose.Fund("Ausgleichskasse Exfour", ("Ausgleichskasse Exfour", "Postfach", "3001 Bern"),
                        "connect@exfour.ch", "+41 31 000 00 00", "https://connect.exfour.ch/")
    codeless = kind in compose.CODELESS_KINDS
    spec = compose.build_spec(fund, compose.LetterData(
        kind, "de", address, date(2026, 11, 26), None if codeless else date(2026, 12, 17), "L-ABCD-EFGH",
        "M-100234", "" if codeless else "7K3M-9QRT-V2XZ-A4B8", name, "anna.muster", "stale_logins", "Anna Muster",
        reason))
    return render.render(spec, geometry.envelope("C5_LEFT"))


def test_r6_control_characters_in_a_name_or_address_are_not_printed_and_keep_the_metadata_readable():
    """A register line may carry a tab or a stray control character: it prints as a space (a soft hyphen or a
    zero-width space as nothing), never as the font's empty box, and the title in the XMP stays well-formed XML."""
    import xml.etree.ElementTree as ElementTree

    import pikepdf

    data = _letter("trustee_code", "Bell\x07Form\x0cfeed\u00adAG", ["Firma\tMüller\x7f", "Weg\u200b 1", "3000 Bern"])
    with pikepdf.open(io.BytesIO(data)) as pdf:
        ElementTree.fromstring(pdf.Root.Metadata.read_bytes().decode().split("?>", 1)[1].rsplit("<?", 1)[0])
        assert "\x07" not in str(pdf.docinfo.Title) and "\x0c" not in str(pdf.docinfo.Title)
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Bell Form feedAG" in text and "Firma Müller" in text and "Weg 1" in text
    assert not any(ch in text for ch in "\x07\x0c\x7f\t\u00ad\u200b")


def test_r6_a_word_longer_than_the_line_is_cut_to_fit_instead_of_running_off_the_page():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    link = "https://example.ch/" + "a1b2c3d4" * 30
    data = _letter("request_rejected", "Muster AG", ["Muster AG", "Weg 1", "3000 Bern"], f"Siehe {link} bitte.")
    right = (render.geometry.PAGE_W - render.geometry.MARGIN_RIGHT) * render.MM
    widest = []

    def visit(text, cm, tm, font, size):
        if "a1b2" in text:  # the pieces of the long link, in the body's font and size
            widest.append(tm[4] * cm[0] + cm[4] + stringWidth(text.strip(), render.REGULAR, render.BODY_SIZE))

    page = PdfReader(io.BytesIO(data)).pages[0]
    text = page.extract_text(visitor_text=visit)
    assert len(widest) >= 2 and max(widest) <= right + 1
    assert link in text.replace("\n", "")
