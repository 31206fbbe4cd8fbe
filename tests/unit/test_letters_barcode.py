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


def scanned(pdf: bytes, tmp_path: Path) -> list[str]:
    """What a scanner reads off the first page printed at 300 dpi, one entry per barcode found."""
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", "-f", "1", "-l", "1", str(source),
                    str(tmp_path / "page")], check=True)
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")], capture_output=True,
                           text=True)
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
