"""R15/R17 letter text: the trustee-code letter names the member it is for; a confirmation carries no code."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from letters import compose, geometry, render
from letters.dates import long_date

FUND = compose.Fund("Ausgleichskasse Exfour", ("Ausgleichskasse Exfour", "Postfach", "3001 Bern"),
                    "connect@exfour.ch", "+41 31 000 00 00", "https://connect.exfour.ch/")
CODE = "7K3M-9QRT-V2XZ-A4B8"
CODE_SHAPE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
TRUSTEE = ["Treuhand Muster GmbH", "Postfach", "8001 Zürich"]
GREETING = {"de": "Sehr geehrte Damen und Herren", "fr": "Madame, Monsieur,", "it": "Gentili Signore, Egregi Signori",
            "en": "Dear Sir or Madam"}


def _text(spec: compose.LetterSpec) -> tuple[str, int]:
    pdf, pages = render.draw(spec, geometry.envelope("C5_LEFT"))
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages), pages


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_r15_trustee_code_letter_names_the_member_in_the_trustees_language(language):
    spec = compose.build_spec(FUND, compose.LetterData(
        "trustee_code", language, TRUSTEE, date(2026, 11, 26), date(2026, 12, 17), "L-ABCD-EFGH", "M-100234", CODE,
        "Bäckerei Łoś AG"))
    text, pages = _text(spec)
    assert pages == 1
    assert GREETING[language] in text and CODE in text and "M-100234" in text
    assert "Bäckerei Los AG" in text  # named, and spelled plainly where the PDF fonts lack a letter
    assert "Bäckerei Los AG" in spec.subject
    assert long_date(date(2026, 12, 17), language) in text
    assert all(line in text for line in TRUSTEE)


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_r17_a_letter_without_a_code_renders_without_code_or_expiry(language):
    spec = compose.build_spec(FUND, compose.LetterData(
        "logins_deactivated", language, ["Muster AG", "Bahnhofstrasse 1", "3000 Bern"], date(2026, 11, 26), None,
        "L-ABCD-EFGH", "M-100234"))
    text, pages = _text(spec)
    assert pages == 1 and GREETING[language] in text and "M-100234" in text and "L-ABCD-EFGH" in text
    assert not CODE_SHAPE.search(text) and spec.code == "" and spec.expires == ""


def test_r17_logins_deactivated_carries_no_code_and_the_code_kinds_do():
    assert set(compose.KINDS) >= compose.CODELESS_KINDS
    assert "trustee_code" in compose.KINDS and "trustee_code" not in compose.CODELESS_KINDS
    assert "logins_deactivated" in compose.CODELESS_KINDS
