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
