"""Issue 15, item 3: a letter that gives the registration link also prints it as a QR code, for a phone, beside the
link in the box and never in the envelope's window. The QR code holds the link and nothing else: never the code,
which is typed by hand. A fund that does not want it sets LETTER_QR_CODE=off. The page is rasterised by poppler's
pdftoppm and read by zbarimg, as a phone's camera would read the printed letter."""

from __future__ import annotations

import dataclasses
import os
from datetime import date

import pytest

from core import config
from letters import compose, geometry, qr, render
from tests.unit.test_letters_barcode import TOOLS, scanned
from tests.unit.test_letters_pdfa import CODE, FUND, letter

LINK_KINDS = ("invitation", "new_code", "trustee_code", "exceptional_login")
needs_tools = pytest.mark.skipif(not TOOLS and os.environ.get("CI") != "true",
                                 reason="needs Debian's poppler-utils and zbar-tools (make scan-tools)")
QR_DPI = 150  # a module of the 24 mm code is about 5 pixels: as much as a phone's camera sees, and quick


@needs_tools
@pytest.mark.parametrize("language", compose.LANGUAGES)
@pytest.mark.parametrize("kind", LINK_KINDS)
def test_the_qr_code_reads_back_as_the_registration_link_and_never_the_code(kind, language, tmp_path):
    spec, pdf = letter(kind, language)
    read = scanned(pdf, tmp_path, "qrcode", QR_DPI)
    assert read == [FUND.registration_link] == [spec.link]
    assert not [text for text in read if CODE in text or CODE.replace("-", "") in text]


@needs_tools
@pytest.mark.parametrize("language", compose.LANGUAGES)
def test_the_qr_code_is_not_in_the_envelopes_window(language, tmp_path):
    _, pdf = letter("invitation", language)
    assert scanned(pdf, tmp_path, "qrcode", QR_DPI, top_mm=geometry.envelope("C5_LEFT").window.bottom + 5) == []


@needs_tools
@pytest.mark.parametrize("language", compose.LANGUAGES)
def test_with_the_setting_off_the_letter_has_no_qr_code_and_still_the_link(language, tmp_path):
    spec, _ = letter("invitation", language)
    pdf = render.render(spec, geometry.envelope("C5_LEFT"), qr_code=False)
    assert scanned(pdf, tmp_path, "qrcode", QR_DPI) == []
    assert scanned(pdf, tmp_path) == [spec.reference]  # the mail room's barcode is not affected


@needs_tools
@pytest.mark.parametrize("kind", sorted(compose.CODELESS_KINDS))
def test_a_letter_without_the_link_has_no_qr_code(kind, tmp_path):
    spec, pdf = letter(kind, "de")
    assert not qr.shows_qr_code(spec)
    assert scanned(pdf, tmp_path, "qrcode", QR_DPI) == []


def test_a_link_that_would_carry_the_code_is_never_printed_as_a_qr_code():
    spec, _ = letter("invitation", "de")
    for leaky in (f"{spec.link}?code={CODE}", f"{spec.link}/{CODE.replace('-', '')}"):
        box = [dataclasses.replace(block, lines=tuple(row.replace(spec.link, leaky) for row in block.lines))
               for block in spec.blocks]
        assert not qr.shows_qr_code(dataclasses.replace(spec, link=leaky, blocks=tuple(box)))
    assert qr.shows_qr_code(spec)


def test_the_setting_is_on_unless_the_fund_turns_it_off(monkeypatch):
    monkeypatch.delenv("LETTER_QR_CODE", raising=False)
    assert config.load().letter_qr_code is True
    for word, on in (("off", False), ("0", False), ("No", False), ("on", True), ("true", True)):
        monkeypatch.setenv("LETTER_QR_CODE", word)
        assert config.load().letter_qr_code is on
    monkeypatch.setenv("LETTER_QR_CODE", "sometimes")
    with pytest.raises(ValueError, match="LETTER_QR_CODE"):
        config.load()


@needs_tools
def test_a_link_too_long_to_pass_beside_the_qr_code_goes_below_it_and_the_letter_keeps_one_page(tmp_path):
    fund = dataclasses.replace(FUND, base_url="https://connect.ausgleichskasse-exfour-beispiel.ch/portal/")
    spec = compose.build_spec(fund, compose.LetterData(
        "invitation", "it", ("Müller & Rüegg SA", "Rue de l'Hôpital 3", "2000 Neuchâtel"), date(2026, 11, 26),
        date(2026, 12, 17), "L-ABCD-EFGH", "M-100234", CODE))
    pdf, pages = render.draw(spec, geometry.envelope("C5_LEFT"))
    assert pages == 1
    assert scanned(pdf, tmp_path, "qrcode", QR_DPI) == [fund.registration_link]
