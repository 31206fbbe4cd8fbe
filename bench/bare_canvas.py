"""The letters benchmark's baseline, kept with the benchmarks: the same strings as a letter, drawn by a plain canvas
loop with no templates, geometry, database or files. It embeds the letters' own fonts: a baseline with the
built-in Helvetica would make the letters look slow for embedding what any archivable letter must embed. It draws
with ReportLab's standard Canvas.drawString; the letters write their text through letters.render._text, which is
part of what the benchmark measures."""

from __future__ import annotations

from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from letters.geometry import MM, PAGE_H
from letters.render import BOLD, FOOTER_BASELINE, REGULAR, TEXT_WIDTH
from letters.spec import LetterSpec


def from_top(mm: float) -> float:
    """ReportLab measures from the bottom of the page, in points."""
    return (PAGE_H - mm) * MM


def bare_canvas_letter(spec: LetterSpec) -> bytes:
    """What any ReportLab script printing this letter would at least have to do."""
    buffer = BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=REGULAR)
    c.setFont(BOLD, 13)
    c.drawString(25 * MM, from_top(20), spec.sender[0])
    c.setFont(REGULAR, 8.5)
    for i, line in enumerate(spec.sender[1:]):
        c.drawString(25 * MM, from_top(25 + i * 3.8), line)
    c.setFont(REGULAR, 6.5)
    c.drawString(25 * MM, from_top(55), spec.return_line)
    c.setFont(REGULAR, 10)
    for i, line in enumerate(spec.recipient):
        c.drawString(25 * MM, from_top(61 + i * 4.2), line)
    for i, line in enumerate((spec.reference, spec.member_number, f"{spec.place}, {spec.date}")):
        c.drawString(125 * MM, from_top(60 + i * 6), line)
    c.setFont(BOLD, 11)
    c.drawString(25 * MM, from_top(110), spec.subject)
    c.setFont(REGULAR, 10)
    y = 116.0
    for block in spec.blocks:
        for line in block.lines:
            for text in simpleSplit(line.replace("|", "  "), REGULAR, 10, TEXT_WIDTH * MM):
                y += 4.6
                c.drawString(25 * MM, from_top(y), text)
        y += 2.0
    c.setFont(REGULAR, 7.5)
    c.drawString(25 * MM, from_top(FOOTER_BASELINE), spec.footer)
    c.showPage()
    c.save()
    return buffer.getvalue()
