"""A LetterSpec to A4 PDF bytes with ReportLab's canvas (R6), as PDF/A-2b with the Liberation fonts embedded
(letters.fonts, letters.pdfa): the archive keeps the letter exactly as it was posted."""

from __future__ import annotations

import re
from functools import lru_cache
from io import BytesIO

from reportlab import rl_config
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from letters import fonts, geometry, pdfa, qr
from letters.fonts import BOLD, MONO, REGULAR
from letters.geometry import MM, PAGE_H, EnvelopeModel
from letters.spec import Block, LetterSpec

BODY_SIZE, BODY_LEADING, PARAGRAPH_GAP = 10.0, 13.0, 5.5  # pt
TEXT_LEFT = geometry.MARGIN_LEFT
TEXT_WIDTH = geometry.PAGE_W - geometry.MARGIN_LEFT - geometry.MARGIN_RIGHT  # mm
BODY_BOTTOM = geometry.PAGE_H - geometry.MARGIN_BOTTOM  # mm from the top: the text stops here
FOOTER_BASELINE = geometry.PAGE_H - 12.0
BOX_LABEL_W = 46.0  # mm
GREY = 0.35
_HANGING = re.compile(r"^(\d+\.|[-–•])\s")  # list lines wrap under their text, not under the number

# Page contents as plain Flate, without ReportLab's ASCII85 layer on top: a fifth smaller, less work to write,
# and the same in PDF/A (binary streams are allowed; the header's comment marks the file as binary).
rl_config.useA85 = 0
fonts.register()  # measuring a line (stringWidth) needs the fonts as much as drawing it


def _y(mm_from_top: float) -> float:
    return (PAGE_H - mm_from_top) * MM


def _text(c: Canvas, x: float, y: float, text: str) -> None:
    """Canvas.drawString for the letters' own fonts, written straight into the page. ReportLab's general path
    (shaping, bidirectional text, a text object for every string) was a third of a letter's drawing time, and a
    letter draws some fifty strings. Printable ASCII has the same codes in every subset (ReportLab's asciiReadable
    subsets), so it is written as it is; any other text is split into subsets by the font, as drawString does."""
    font = pdfmetrics.getFont(c._fontname)
    if not font._dynamicFont:  # a built-in font: not one the letters use, but drawString knows it
        c.drawString(x, y, text)
        return
    doc = c._doc
    runs = [(0, text.encode("ascii"))] if text.isascii() and text.isprintable() else font.splitString(text, doc)
    size = fp_str(c._fontsize)
    shown = " ".join(f"{font.getSubsetInternalName(subset, doc)} {size} Tf ({c._escape(chunk)}) Tj"
                     for subset, chunk in runs)
    c._code.append(f"BT 1 0 0 1 {fp_str(x, y)} Tm {shown} ET")


def _text_right(c: Canvas, x: float, y: float, text: str) -> None:
    _text(c, x - stringWidth(text, c._fontname, c._fontsize), y, text)


def _text_centred(c: Canvas, x: float, y: float, text: str) -> None:
    _text(c, x - stringWidth(text, c._fontname, c._fontsize) / 2, y, text)


class _Page:
    """A cursor down the page that starts a new page when the text reaches the bottom margin."""

    def __init__(self, canvas: Canvas, spec: LetterSpec, top: float, qr_code: bool = True) -> None:
        self.canvas, self.spec, self.top, self.number = canvas, spec, top, 1
        self.qr_code = qr_code and qr.shows_qr_code(spec)

    def need(self, height_mm: float) -> None:
        if self.top + height_mm > BODY_BOTTOM:
            _footer(self.canvas, self.spec, self.number)
            self.canvas.showPage()
            self.number += 1
            self.top = 25.0
            self.canvas.setFont(REGULAR, BODY_SIZE)  # a new page starts with the canvas defaults

    def finish(self) -> int:
        _footer(self.canvas, self.spec, self.number)
        self.canvas.showPage()
        return self.number


def _footer(c: Canvas, spec: LetterSpec, number: int) -> None:
    c.setFont(REGULAR, 7.5)
    c.setFillGray(GREY)
    _text(c, TEXT_LEFT * MM, _y(FOOTER_BASELINE), spec.footer)
    page = f"{spec.labels.get('reference', 'Reference')} {spec.reference} · {spec.labels.get('page', 'Page')} {number}"
    _text_right(c, (geometry.PAGE_W - geometry.MARGIN_RIGHT) * MM, _y(FOOTER_BASELINE), page)
    c.setFillGray(0)


def _letterhead(c: Canvas, spec: LetterSpec, model: EnvelopeModel) -> None:
    c.setFont(BOLD, 13)
    _text(c, TEXT_LEFT * MM, _y(20), spec.sender[0])
    c.setFont(REGULAR, 8.5)
    for i, line in enumerate(spec.sender[1:]):
        _text(c, TEXT_LEFT * MM, _y(25 + i * 3.8), line)
    for mark in model.fold_marks:  # fold and punch marks in the left margin
        c.setLineWidth(0.3)
        c.line(5 * MM, _y(mark), 9 * MM, _y(mark))


BAR_WIDTH, MIN_BAR_WIDTH = 0.3, 0.2  # mm per module: 0.3 reads from a slanted envelope, 0.2 still reads


def _code128(reference: str) -> tuple[int, str]:
    """The reference's Code128 symbol as its width in modules and its bars as PDF rectangles one module wide per
    unit, from the symbol's bottom-left corner. ReportLab's Code128 encodes it; drawing its bars one `rect` call
    at a time, through a flowable, cost a tenth of a letter's drawing time."""
    symbol = Code128(reference, quiet=False)
    symbol.validate()
    symbol.encode()
    symbol.decompose()
    at, bars = 0, []
    for element in symbol.decomposed:  # a letter per bar or space: upper case dark, lower case light; A/a = 1
        modules = ord(element.lower()) - ord("a") + 1
        if element.isupper():
            bars.append(f"{at} 0 {modules} 1 re")
        at += modules
    return at, " ".join(bars)


def _barcode(c: Canvas, reference: str, x: float, top: float, width: float) -> float:
    """The reference as Code128 with the reference in type under it, its bars starting `top` mm from the top of
    the page at `x` mm, at most `width` mm wide; returns where it ends. Only the reference: a code printed as a
    barcode could be read off the envelope through its window."""
    modules, bars = _code128(reference)
    module = BAR_WIDTH if modules * BAR_WIDTH <= width else max(MIN_BAR_WIDTH, width / modules)
    c.setFillGray(0)
    # One piece of page content inside q … Q, scaled to the module width and bar height, as the QR code is.
    c.addLiteral(f"q 0 g {module * MM:.5f} 0 0 {geometry.BARCODE_HEIGHT * MM:.5f} {x * MM:.3f} "
                 f"{_y(top + geometry.BARCODE_HEIGHT):.3f} cm {bars} f Q")
    baseline = top + geometry.BARCODE_HEIGHT + 1.0 + 0.75 * geometry.BARCODE_TEXT_SIZE / MM
    c.setFont(REGULAR, geometry.BARCODE_TEXT_SIZE)
    _text(c, x * MM, _y(baseline), reference)
    return baseline + 0.25 * geometry.BARCODE_TEXT_SIZE / MM


def _recipient(c: Canvas, spec: LetterSpec, model: EnvelopeModel) -> bool:
    """The return line and the address in the window, and the barcode above them when the window has room for it;
    returns whether it had."""
    block = geometry.recipient_block(model, spec.return_line, spec.recipient, stringWidth, REGULAR, REGULAR,
                                     barcode=True)
    window = model.window
    if block.barcode_top is not None:
        _barcode(c, spec.reference, window.x + geometry.PAD_X, block.barcode_top, window.w - 2 * geometry.PAD_X)
    ret = block.return_line
    c.setFont(REGULAR, ret.size)
    _text(c, ret.x * MM, _y(ret.baseline), ret.text)
    width = stringWidth(ret.text, REGULAR, ret.size)
    c.setLineWidth(0.3)
    c.line(ret.x * MM, _y(ret.baseline + 0.7), ret.x * MM + width, _y(ret.baseline + 0.7))
    c.setFont(REGULAR, block.font_size)
    for line in block.lines:
        _text(c, line.x * MM, _y(line.baseline), line.text)
    return block.barcode_top is not None


def _info_x(model: EnvelopeModel) -> float:
    return 125.0 if model.side == "left" else TEXT_LEFT


def _info(c: Canvas, spec: LetterSpec, model: EnvelopeModel) -> float:
    """Reference, member number and date opposite the window; returns where it ends (mm from the top)."""
    x = _info_x(model)
    top = model.window.y + 6.0
    rows = ((spec.labels.get("reference", "Reference"), spec.reference),
            (spec.labels.get("member", "Member number"), spec.member_number))
    for i, (label, value) in enumerate(rows):
        c.setFont(REGULAR, 8)
        c.setFillGray(GREY)
        _text(c, x * MM, _y(top + i * 8), label)
        c.setFillGray(0)
        c.setFont(REGULAR, 10)
        _text(c, x * MM, _y(top + i * 8 + 4), value)
    _text(c, x * MM, _y(top + 2 * 8 + 6), spec.labels.get("dateline", f"{spec.place}, {spec.date}"))
    return top + 2 * 8 + 6


# A phone number or a figure like "3 000" is one word: a line never breaks inside it.
_WORD = re.compile(r"\+?\d[\d ]*\d\S*|\S+")


def _fitted(word: str, room: float) -> list[str]:
    """A word wider than the line (a pasted link, a name without spaces) cut into pieces that fit, rather than
    running off the page."""
    if stringWidth(word, REGULAR, BODY_SIZE) <= room:
        return [word]
    pieces, current = [], ""
    for ch in word:
        if current and stringWidth(current + ch, REGULAR, BODY_SIZE) > room:
            pieces.append(current)
            current = ""
        current += ch
    return [*pieces, current]


@lru_cache(maxsize=4096)
def _wrap(line: str) -> tuple[tuple[str, float], ...]:
    """A body line broken to the text width, each piece with its indent in points. Cached: a mass mailing prints
    the same sentences thousands of times, and measuring words is a third of the drawing time."""
    marker = _HANGING.match(line)
    indent = stringWidth(marker.group(0), REGULAR, BODY_SIZE) if marker else 0.0
    space = stringWidth(" ", REGULAR, BODY_SIZE)
    pieces: list[tuple[str, float]] = []
    words: list[str] = []
    used = 0.0
    for word in (part for whole in _WORD.findall(line) for part in _fitted(whole, TEXT_WIDTH * MM - indent)):
        width = stringWidth(word, REGULAR, BODY_SIZE)
        shift = indent if pieces else 0.0
        if words and shift + used + space + width > TEXT_WIDTH * MM:
            pieces.append((" ".join(words), shift))
            words, used = [], 0.0
        used += (space if words else 0.0) + width
        words.append(word)
    pieces.append((" ".join(words), indent if pieces else 0.0))
    return tuple(pieces)


def _paragraph(page: _Page, block: Block) -> None:
    c = page.canvas
    step = BODY_LEADING / MM
    for line in block.lines:
        for text, shift in _wrap(line):
            page.need(step)
            page.top += step
            _text(c, TEXT_LEFT * MM + shift, _y(page.top), text)
    page.top += PARAGRAPH_GAP / MM


def _heading(page: _Page, block: Block) -> None:
    page.need(3 * BODY_LEADING / MM)  # keep a heading with the lines under it
    page.top += BODY_LEADING / MM
    page.canvas.setFont(BOLD, BODY_SIZE)
    _text(page.canvas, TEXT_LEFT * MM, _y(page.top), block.lines[0])
    page.canvas.setFont(REGULAR, BODY_SIZE)
    page.top += 1.0


def _qr_column(spec: LetterSpec) -> tuple[float, float, str]:
    """The QR code's column in the box: its width and height (mm) and its caption."""
    caption = spec.labels.get("qr", "")
    side = qr.square(spec.link)
    width = max(side, stringWidth(caption, REGULAR, qr.QR_CAPTION_SIZE) / MM)
    height = side + (1.0 + qr.QR_CAPTION_SIZE / MM if caption else 0.0)
    return width, height, caption


def _box(page: _Page, block: Block) -> None:
    """Label/value rows in a grey box; with the QR code, that in the box's top-right corner, and a row too wide to
    pass beside it (a long link) moved below it."""
    c = page.canvas
    heights = [(9.0 if strong else 6.0) for strong in block.strong]
    gaps = [0.0] * len(heights)  # mm of extra space above each row
    with_qr = page.qr_code and any(row.split("|", 1)[1] == page.spec.link for row in block.lines)
    total = sum(heights) + 5.0
    if with_qr:
        column_w, column_h, caption = _qr_column(page.spec)
        column_x, column_bottom = TEXT_LEFT + TEXT_WIDTH - qr.QR_GAP - column_w, qr.QR_GAP + column_h
        y = 2.5
        for i, (row, strong) in enumerate(zip(block.lines, block.strong, strict=True)):
            wide = stringWidth(row.split("|", 1)[1], MONO if strong else BOLD, 15 if strong else 10) / MM
            if y < column_bottom and TEXT_LEFT + BOX_LABEL_W + wide + 3.0 > column_x:
                gaps[i] = column_bottom + 0.5 - y
            y += gaps[i] + heights[i]
        total = max(y + 2.5, column_bottom + qr.QR_GAP + 0.5)
    page.need(total + PARAGRAPH_GAP / MM)
    top = page.top + 1.5
    c.setLineWidth(0.8)
    c.setFillGray(0.94)
    c.rect(TEXT_LEFT * MM, _y(top + total), TEXT_WIDTH * MM, total * MM, stroke=1, fill=1)
    c.setFillGray(0)
    y = top + 2.5
    for row, strong, height, gap in zip(block.lines, block.strong, heights, gaps, strict=True):
        label, value = row.split("|", 1)
        y += gap + height
        baseline = _y(y - (2.2 if strong else 1.6))
        c.setFont(REGULAR, 9)
        _text(c, (TEXT_LEFT + 4) * MM, baseline, label)
        c.setFont(MONO if strong else BOLD, 15 if strong else 10)
        _text(c, (TEXT_LEFT + BOX_LABEL_W) * MM, baseline, value)
    if with_qr:
        side = qr.square(page.spec.link)
        qr.draw(c, page.spec.link, column_x + (column_w - side) / 2, _y(top + qr.QR_GAP + side))
        if caption:
            c.setFont(REGULAR, qr.QR_CAPTION_SIZE)
            c.setFillGray(GREY)
            _text_centred(c, (column_x + column_w / 2) * MM, _y(top + column_bottom), caption)
            c.setFillGray(0)
    c.setFont(REGULAR, BODY_SIZE)
    page.top = top + total + PARAGRAPH_GAP / MM + 1.5


def draw(spec: LetterSpec, model: EnvelopeModel, qr_code: bool = True) -> tuple[bytes, int]:
    """The letter as PDF bytes and its number of pages; `qr_code` off (LETTER_QR_CODE) prints the registration
    link as text only."""
    buffer = BytesIO()
    # The canvas's own default font would otherwise be Helvetica, named on every page and never embedded.
    c = Canvas(buffer, pagesize=A4, pageCompression=1, lang=spec.language, initialFontName=REGULAR)
    pdfa.make_archival(c, pdfa.Described(spec.subject, spec.sender[0], spec.reference, (spec.language,)))
    _letterhead(c, spec, model)
    in_window = _recipient(c, spec, model)
    info_bottom = _info(c, spec, model)
    if not in_window:  # a custom window too small for both: the barcode under the date, read once opened
        info_bottom = _barcode(c, spec.reference, _info_x(model), info_bottom + 4.0, 60.0)
    page = _Page(c, spec, max(model.window.bottom, info_bottom) + 10.0, qr_code)
    c.setFont(BOLD, 11)
    page.top += 11 / MM
    _text(c, TEXT_LEFT * MM, _y(page.top), spec.subject)
    page.top += 4.0
    c.setFont(REGULAR, BODY_SIZE)
    for block in spec.blocks:
        {"p": _paragraph, "h": _heading, "box": _box}[block.kind](page, block)
    pages = page.finish()
    c.save()
    return buffer.getvalue(), pages


def render(spec: LetterSpec, model: EnvelopeModel, qr_code: bool = True) -> bytes:
    return draw(spec, model, qr_code)[0]
