"""Mail room: the letter's reference is printed as a Code128 barcode in the envelope's window, above the return line,
and a scanner reads back exactly the reference (never the registration code). The page is rasterised by poppler's
pdftoppm and read by zbarimg, as a returned envelope is read by the mail room's scanner."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from letters import compose, geometry, render
from tests.unit.test_letters_pdfa import CODE, KINDS, REFERENCE, letter

# `make test` installs them (make scan-tools); only a bare `pytest` elsewhere may skip, never CI.
TOOLS = bool(shutil.which("pdftoppm") and shutil.which("zbarimg"))
pytestmark = pytest.mark.skipif(not TOOLS and os.environ.get("CI") != "true",
                                reason="needs Debian's poppler-utils and zbar-tools (make scan-tools)")
SIX = ["Muster Müller & Söhne AG", "Abteilung Personal", "c/o Treuhand Zürich GmbH", "Bahnhofstrasse 112",
       "Postfach", "3000 Bern 8"]


def scanned(pdf: bytes, tmp_path: Path, symbology: str = "code128", dpi: int = 300,
            top_mm: float | None = None) -> list[str]:
    """What a scanner set to one symbology reads off the first page printed at `dpi`, one entry per symbol found;
    with `top_mm`, off the top of the page down to there only. The mail room's scanner reads Code128; the QR code
    of the registration link (test_letters_qr) is for a phone."""
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    crop = ["-x", "0", "-y", "0", "-W", str(round(geometry.PAGE_W / 25.4 * dpi)),
            "-H", str(round(top_mm / 25.4 * dpi))] if top_mm is not None else []
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", "-f", "1", "-l", "1", *crop,
                    str(source), str(tmp_path / "page")], check=True)
    found = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", f"-S{symbology}.enable",
                            str(tmp_path / "page.png")], capture_output=True, text=True)
    return found.stdout.splitlines()


@pytest.mark.parametrize("language", compose.LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_barcode_reads_back_as_exactly_the_letters_reference(kind, language, tmp_path):
    _, pdf = letter(kind, language)
    read = scanned(pdf, tmp_path)
    assert read == [REFERENCE]
    assert not [text for text in read if CODE in text or CODE.replace("-", "") in text]


@pytest.mark.parametrize("name", sorted(geometry.MODELS))
def test_the_barcode_sits_in_the_window_above_the_return_line_even_with_six_address_lines(name):
    model = geometry.envelope(name)
    block = geometry.recipient_block(model, "Ausgleichskasse Exfour, Postfach, 3001 Bern", SIX, stringWidth,
                                     render.REGULAR, render.REGULAR, barcode=True)
    assert block.barcode_top is not None and block.barcode_top >= model.window.y
    top, bottom = geometry.block_bounds(block)
    assert block.barcode_top + geometry.BARCODE_BAND <= top and bottom <= model.window.bottom


def test_a_window_too_small_for_both_keeps_the_address_and_prints_the_barcode_under_the_date(tmp_path):
    model = geometry.envelope("C5_LEFT", "22, 48, 90, 34")
    block = geometry.recipient_block(model, "Ausgleichskasse Exfour", SIX[:5], stringWidth, render.REGULAR,
                                     render.REGULAR, barcode=True)
    assert block.barcode_top is None
    spec, _ = letter("new_code", "fr")
    assert scanned(render.render(spec, model), tmp_path) == [REFERENCE]
