"""Archive: every letter kind in every language, and a print batch of them, is PDF/A-2b: fonts embedded, an sRGB
output intent, XMP metadata with the PDF/A identification, title, language and reference, matching the info."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from letters import assemble, batches, compose, geometry, pdfa, render

FUND = compose.Fund("Ausgleichskasse Exfour", ("Ausgleichskasse Exfour", "Postfach", "3001 Bern"),
                    "connect@exfour.ch", "+41 31 000 00 00", "https://connect.exfour.ch/")
ADDRESS = ["Müller & Rüegg SA", "Rue de l'Hôpital 3", "2000 Neuchâtel"]
CODE = "7K3M-9QRT-V2XZ-A4B8"
# Each kind the fund sends: the invitation, a new code, a trustee's code, a code from the fund's own registration,
# a confirmation without a code, and a refusal.
KINDS = ("invitation", "new_code", "trustee_code", "exceptional_login", "logins_deactivated", "request_rejected")
REFERENCE = "L-ABCD-EFGH"


def letter(kind: str, language: str, reference: str = REFERENCE) -> tuple[compose.LetterSpec, bytes]:
    codeless = kind in compose.CODELESS_KINDS
    spec = compose.build_spec(FUND, compose.LetterData(
        kind, language, ADDRESS, date(2026, 11, 26), None if codeless else date(2026, 12, 17), reference,
        "M-100234", "" if codeless else CODE, "Bäckerei Łoś AG", "anna.muster", "stale_logins", "Anna Muster",
        "Die Logins werden noch gebraucht."))
    return spec, render.render(spec, geometry.envelope("C5_LEFT"))


def fonts_of(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    found = []
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            found.extend(font.DescendantFonts if font.Subtype == "/Type0" else [font])
    return found


def assert_pdfa_2b(pdf: pikepdf.Pdf, title: str, languages: set[str], reference: str) -> None:
    fonts = fonts_of(pdf)
    assert fonts
    for font in fonts:
        descriptor = font.get("/FontDescriptor")
        assert descriptor is not None, f"{font.BaseFont} has no font descriptor: a built-in, unembedded font"
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
        assert "Liberation" in str(font.BaseFont)
    intent = pdf.Root.OutputIntents[0]
    assert intent.S == "/GTS_PDFA1"
    profile = intent.DestOutputProfile.read_bytes()
    assert profile[36:40] == b"acsp" and profile[16:20] == b"RGB " and intent.DestOutputProfile.N == 3
    assert "/Filter" not in pdf.Root.Metadata  # readable without decoding
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        assert xmp["pdfaid:part"] == "2" and xmp["pdfaid:conformance"] == "B"
        assert xmp["dc:title"] == title and set(xmp["dc:language"]) == languages
        assert xmp["dc:identifier"] == reference and xmp["pdf:Keywords"] == reference
        info = pdf.docinfo
        assert str(info.Title) == title and str(info.Producer) == xmp["pdf:Producer"]
        assert str(info.Creator) == xmp["xmp:CreatorTool"] and [str(info.Author)] == xmp["dc:creator"]
        assert str(info.Subject) == xmp["dc:description"] and str(info.Keywords) == reference
        assert _same_moment(str(info.CreationDate), xmp["xmp:CreateDate"])
        assert _same_moment(str(info.ModDate), xmp["xmp:ModifyDate"])


def _same_moment(pdf_date: str, xmp_date: str) -> bool:
    parsed = datetime.strptime(pdf_date[2:16] + pdf_date[16:].replace("'", ""), "%Y%m%d%H%M%S%z")
    return parsed == datetime.fromisoformat(xmp_date)


@pytest.mark.parametrize("language", compose.LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_letter_kind_in_every_language_is_pdfa_2b(kind, language):
    spec, data = letter(kind, language)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert_pdfa_2b(pdf, spec.subject, {language}, REFERENCE)
        assert str(pdf.Root.Lang) == language
    assert REFERENCE in PdfReader(io.BytesIO(data)).pages[0].extract_text()  # the text still reads back


def test_a_print_batch_is_pdfa_2b_with_its_letters_fonts(tmp_path: Path):
    sources = []
    for i, language in enumerate(compose.LANGUAGES):
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(letter("invitation", language, f"L-ABCD-EFG{i}")[1])
        sources.append(path)
    target = tmp_path / "batch-20261126-000001.pdf"
    counts = batches.merge(sources, target, list(compose.LANGUAGES), datetime(2026, 11, 26, 9, tzinfo=UTC))
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) == sum(counts) == 4
        assert_pdfa_2b(pdf, target.stem, set(compose.LANGUAGES), target.stem)


def test_different_subsets_in_a_print_batch_carry_different_tags_and_the_same_subset_one(tmp_path: Path):
    """PDF asks each subset in a file for its own six-letter tag. Letters in four languages use different characters
    of the same font, so a batch of them holds several subsets of it: each must be told apart by its name, and a
    subset that two letters share is kept once under one name."""
    sources = []
    for i, language in enumerate([*compose.LANGUAGES, "de"]):
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(letter("invitation", language, f"L-ABCD-EFG{i}")[1])
        sources.append(path)
    target = tmp_path / "batch-20261126-000002.pdf"
    batches.merge(sources, target, list(compose.LANGUAGES), datetime(2026, 11, 26, 9, tzinfo=UTC))
    with pikepdf.open(target) as pdf:
        by_name: dict[str, set[bytes]] = {}
        for font in fonts_of(pdf):
            by_name.setdefault(str(font.BaseFont).lstrip("/"), set()).add(font.ToUnicode.read_bytes())
        regular = [name for name in by_name if name.endswith("+LiberationSans")]
        assert len(regular) >= 3, by_name.keys()  # German, French and Italian use different accented letters
        assert all(len(mappings) == 1 for mappings in by_name.values()), "one tag names two different subsets"
        assert all(len(name.split("+")[0]) == 6 and name.split("+")[0].isupper() for name in by_name)
        # The two German letters share their subsets: the batch holds each once.
        assert len({font.objgen for font in fonts_of(pdf) if str(font.BaseFont).lstrip("/") in regular}) == len(regular)


def _pixels(pdf: Path, out: Path) -> list[bytes]:
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(out)], check=True)
    return [page.read_bytes() for page in sorted(out.parent.glob(f"{out.name}-*.png"))]


def test_a_batch_assembled_from_the_letters_files_prints_what_qpdf_would(tmp_path: Path):
    """letters.assemble copies the letters' objects itself instead of opening each with qpdf: every kind in every
    language, a two-page refusal among them, comes out with the same pages, the same text and the same pixels as
    the pikepdf merge, and the batch is PDF/A-2b with each font subset kept once."""
    sources = []
    long_reason = "Die aufgeführten Logins werden für die Lohnmeldungen (AHV) noch gebraucht. " * 60
    for i, (kind, language) in enumerate((k, lang) for k in KINDS for lang in compose.LANGUAGES):
        codeless = kind in compose.CODELESS_KINDS
        spec = compose.build_spec(FUND, compose.LetterData(
            kind, language, ADDRESS, date(2026, 11, 26), None if codeless else date(2026, 12, 17),
            f"L-ABCD-{i:04d}", "M-100234", "" if codeless else CODE, "Bäckerei Łoś AG", "anna.muster",
            "stale_logins", "Anna Muster", long_reason if i == 21 else "Die Logins werden noch gebraucht."))
        path = tmp_path / f"{i:02d}.pdf"
        path.write_bytes(render.render(spec, geometry.envelope("C5_LEFT")))
        sources.append(path)
    about = pdfa.Described("batch-20261126-000003", batches.CREATOR, "batch-20261126-000003", compose.LANGUAGES)
    moment = datetime(2026, 11, 26, 9, tzinfo=UTC)
    ours, theirs = tmp_path / "assembled.pdf", tmp_path / "qpdf.pdf"
    counts = assemble.assemble(sources, ours, about, moment)
    assert counts == batches.merge_with_pikepdf(sources, theirs, about, moment)
    assert counts[21] == 2 and sum(counts) == len(sources) + 1
    with pikepdf.open(ours) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert len(pdf.pages) == sum(counts)
        # Every page names the batch's page tree as written, not only after qpdf repairs the tree on reading.
        assert ours.read_bytes().count(b"/Parent %d 0 R" % pdf.Root.Pages.objgen[0]) == sum(counts)
        assert all(page.obj.Parent.objgen == pdf.Root.Pages.objgen for page in pdf.pages)
        assert_pdfa_2b(pdf, about.title, set(compose.LANGUAGES), about.reference)
        subsets = {(str(font.BaseFont), font.objgen) for font in fonts_of(pdf)}
        assert len({name for name, _ in subsets}) == len(subsets)  # one object per subset
    text = [subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
            for pdf in (ours, theirs)]
    assert text[0] == text[1] and CODE in text[0]
    (tmp_path / "a").mkdir()
    (tmp_path / "q").mkdir()
    assert _pixels(ours, tmp_path / "a" / "page") == _pixels(theirs, tmp_path / "q" / "page")


def test_a_file_not_laid_out_as_the_letters_goes_through_qpdf(tmp_path: Path):
    """A letter rewritten by another program (object streams, a cross-reference stream) is not copied blindly:
    the batch is merged with pikepdf instead, and still holds every page."""
    sources = []
    for i, language in enumerate(("de", "fr")):
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(letter("invitation", language, f"L-ABCD-EFG{i}")[1])
        sources.append(path)
    with pikepdf.open(sources[1], allow_overwriting_input=True) as pdf:
        pdf.save(sources[1], object_stream_mode=pikepdf.ObjectStreamMode.generate)
    about = pdfa.Described("b", batches.CREATOR, "b", ("de",))
    with pytest.raises(assemble.NotOurs):
        assemble.assemble(sources, tmp_path / "direct.pdf", about, datetime(2026, 11, 26, 9, tzinfo=UTC))
    target = tmp_path / "batch-20261126-000004.pdf"
    assert batches.merge(sources, target, ["de", "fr"], datetime(2026, 11, 26, 9, tzinfo=UTC)) == [1, 1]
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) == 2
        assert_pdfa_2b(pdf, target.stem, {"de", "fr"}, target.stem)


def _classic(path: Path, change) -> None:
    """Rewrite a letter with pikepdf, changed by `change`, keeping the classic layout the fast path reads."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        change(pdf)
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.disable)


def _move_mediabox_to_tree(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Pages.MediaBox = pdf.pages[0].obj.MediaBox
    del pdf.pages[0].obj["/MediaBox"]


def _note_with_endobj(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.Note = pikepdf.String("see endobj and 3 0 R")


@pytest.mark.parametrize("change", [_move_mediabox_to_tree, _note_with_endobj])
def test_a_page_the_fast_path_cannot_copy_faithfully_goes_through_qpdf(tmp_path: Path, change):
    """A page that takes its size from the page tree, or holds a string (which may say 'endobj' or '3 0 R'), is
    not copied by text: the batch goes through pikepdf and its page keeps the letter's size and text."""
    sources = []
    for i, language in enumerate(("de", "fr")):
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(letter("invitation", language, f"L-ABCD-EFG{i}")[1])
        sources.append(path)
    _classic(sources[1], change)
    about = pdfa.Described("b", batches.CREATOR, "b", ("de",))
    with pytest.raises(assemble.NotOurs):
        assemble.assemble(sources, tmp_path / "direct.pdf", about, datetime(2026, 11, 26, 9, tzinfo=UTC))
    target = tmp_path / "batch-20261126-000005.pdf"
    batches.merge(sources, target, ["de", "fr"], datetime(2026, 11, 26, 9, tzinfo=UTC))
    with pikepdf.open(target) as pdf:
        assert [float(v) for v in pdf.pages[1].mediabox] == [0, 0, 595.2756, 841.8898]
    assert "L-ABCD-EFG1" in PdfReader(target).pages[1].extract_text()


def test_a_letter_cut_short_stops_its_batch_instead_of_printing_a_blank_page(tmp_path: Path):
    """qpdf repairs a damaged file as it reads it; a letter cut inside its page would be printed blank. The batch
    fails, naming the letter, and leaves neither a batch nor a temporary file behind."""
    good, cut = tmp_path / "good.pdf", tmp_path / "cut.pdf"
    data = letter("invitation", "de")[1]
    good.write_bytes(data)
    cut.write_bytes(data[: len(data) - 3000])
    target = tmp_path / "batch-20261126-000006.pdf"
    with pytest.raises((batches.DamagedLetter, pikepdf.PdfError), match="cut.pdf|damaged|trailer"):
        batches.merge([good, cut], target, ["de"], datetime(2026, 11, 26, 9, tzinfo=UTC))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.pdf", "good.pdf"]


def test_two_builds_of_a_font_are_both_kept_in_a_batch(tmp_path: Path):
    """Letters drawn before and after an upgrade of the font have subsets with the same name and characters but
    different programs: the batch keeps each, so every page prints with the font it was drawn with."""
    from letters import fonts

    assert fonts.subset_tag("LiberationSans", (65, 66), b"one") != fonts.subset_tag("LiberationSans", (65, 66), b"two")
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    first.write_bytes(letter("invitation", "de", "L-ABCD-EFG1")[1])
    second.write_bytes(letter("invitation", "de", "L-ABCD-EFG2")[1])

    def other_build(pdf: pikepdf.Pdf) -> None:
        program = pdf.pages[0].Resources.Font["/F2+0"].FontDescriptor.FontFile2
        program.write(program.read_bytes() + b"\0\0\0\0")  # a different program under the same name

    _classic(second, other_build)
    target = tmp_path / "batch-20261126-000007.pdf"
    batches.merge([first, second], target, ["de"], datetime(2026, 11, 26, 9, tzinfo=UTC))
    with pikepdf.open(target) as pdf:
        regular = {font.objgen for font in fonts_of(pdf) if str(font.BaseFont).endswith("+LiberationSans")}
        assert len(regular) == 2
