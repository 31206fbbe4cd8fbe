"""R6: A4 page geometry and window envelopes (SN 010130: the address on the left or on the right).

Positions are in millimetres on the unfolded A4 sheet, measured from its top-left corner, because that is how
envelope makers and the norm state them. The renderer converts to PDF points (origin bottom-left) at the edge.
The window positions below are the common Swiss C5 and C6/5 stock; measure the envelopes the fund actually buys
and set ENVELOPE_MODEL (or LETTER_WINDOW="x,y,w,h" in mm for a model not listed here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MM = 72 / 25.4  # PDF points per millimetre
PAGE_W, PAGE_H = 210.0, 297.0  # A4
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_BOTTOM = 25.0, 20.0, 22.0
MIN_LINES, MAX_LINES = 3, 6

# The recipient block: a return line in small type at the top of the window, the address below it.
RETURN_SIZE = 6.5  # pt
ADDRESS_SIZE = 10.0  # pt
ADDRESS_MIN_SIZE = 7.5  # pt: below this a sorting machine reads badly; longer lines are cut
LEADING = 1.2  # line height as a multiple of the font size
PAD_X, PAD_TOP = 5.0, 3.0  # mm kept clear inside the window: the sheet moves a little in the envelope
# The letter's reference as a Code128 barcode at the top of the window, above the return line: a returned
# envelope is scanned in the mail room without being opened. Below it the reference in small type.
BARCODE_HEIGHT = 6.0  # mm: tall enough for a handheld scanner held at a slant
BARCODE_TEXT_SIZE = 7.0  # pt
BARCODE_BAND = BARCODE_HEIGHT + 1.0 + BARCODE_TEXT_SIZE / MM + 1.5  # mm: bars, gap, reference, gap to return line


class Measure(Protocol):
    def __call__(self, text: str, font: str, size: float) -> float: ...


@dataclass(frozen=True)
class Window:
    """The envelope's window as it falls on the sheet, in mm from the sheet's top-left corner."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class EnvelopeModel:
    name: str
    description: str
    window: Window
    fold_marks: tuple[float, ...]  # mm from the top where the sheet is folded

    @property
    def side(self) -> str:
        return "left" if self.window.x + self.window.w / 2 < PAGE_W / 2 else "right"


# C5 (229 × 162 mm): the A4 sheet folded once. C6/5 (229 × 114 mm): folded twice (in thirds).
MODELS: dict[str, EnvelopeModel] = {
    m.name: m
    for m in (
        EnvelopeModel("C5_LEFT", "C5, window on the left (100 × 45 mm)", Window(20.0, 50.0, 95.0, 45.0), (148.5,)),
        EnvelopeModel("C5_RIGHT", "C5, window on the right (100 × 45 mm)", Window(108.0, 50.0, 95.0, 45.0),
                      (148.5,)),
        EnvelopeModel("C65_LEFT", "C6/5, window on the left (100 × 45 mm)", Window(20.0, 45.0, 95.0, 45.0),
                      (99.0, 198.0)),
        EnvelopeModel("C65_RIGHT", "C6/5, window on the right (100 × 45 mm)", Window(108.0, 45.0, 95.0, 45.0),
                      (99.0, 198.0)),
    )
}


class UnknownEnvelope(ValueError):
    pass


def parse_window(text: str) -> Window:
    """LETTER_WINDOW="x,y,w,h" (mm): a window for envelope stock not in MODELS."""
    try:
        x, y, w, h = (float(part) for part in text.replace(" ", "").split(","))
    except ValueError as exc:
        raise UnknownEnvelope(f"LETTER_WINDOW must be four numbers in mm, x,y,w,h; got {text!r}") from exc
    window = Window(x, y, w, h)
    if w < 60 or h < 30 or x < 0 or y < 0 or window.right > PAGE_W or window.bottom > PAGE_H / 2:
        raise UnknownEnvelope(f"LETTER_WINDOW {text!r} does not fit an address block in the top half of an A4 sheet")
    return window


def envelope(name: str, custom_window: str | None = None) -> EnvelopeModel:
    """The configured model; a custom window, when given, wins (folded like C5)."""
    if custom_window:
        return EnvelopeModel("CUSTOM", f"custom window {custom_window}", parse_window(custom_window), (148.5,))
    try:
        return MODELS[name.strip().upper()]
    except KeyError:
        raise UnknownEnvelope(f"envelope model {name!r} is not one of {', '.join(MODELS)}") from None


@dataclass(frozen=True)
class TextLine:
    text: str
    x: float  # mm from the left
    baseline: float  # mm from the top
    size: float  # pt


@dataclass(frozen=True)
class RecipientBlock:
    return_line: TextLine
    lines: tuple[TextLine, ...]
    font_size: float
    barcode_top: float | None = None  # mm from the top where the barcode's bars start; None: not in the window


def _fit(text: str, font: str, size: float, width_pt: float, measure: Measure) -> str:
    """Cut a line that is still too wide at the smallest size, so nothing is printed outside the window."""
    if measure(text, font, size) <= width_pt:
        return text
    while text and measure(text + "…", font, size) > width_pt:
        text = text[:-1]
    return text.rstrip() + "…"


def recipient_block(model: EnvelopeModel, return_line: str, address: list[str] | tuple[str, ...],
                    measure: Measure, font: str = "Helvetica", return_font: str = "Helvetica",
                    barcode: bool = False) -> RecipientBlock:
    """R6: the return line and 3–6 address lines, no blank ones, placed inside the window with a safety pad. With
    `barcode`, a band at the top of the window is kept for it when the address still fits below; a window too
    small for both keeps the address whole and the barcode goes elsewhere (barcode_top None)."""
    if barcode:
        below = _placed(model, return_line, address, measure, font, return_font, BARCODE_BAND)
        if block_bounds(below)[1] <= model.window.bottom:
            return RecipientBlock(below.return_line, below.lines, below.font_size, model.window.y + PAD_TOP)
    return _placed(model, return_line, address, measure, font, return_font, 0.0)


def _placed(model: EnvelopeModel, return_line: str, address: list[str] | tuple[str, ...], measure: Measure,
            font: str, return_font: str, reserved: float) -> RecipientBlock:
    lines = [line.strip() for line in address if line and line.strip()]
    if not MIN_LINES <= len(lines) <= MAX_LINES:
        raise ValueError(f"an address has 3 to 6 lines, this one has {len(lines)}")
    win = model.window
    width_pt = (win.w - 2 * PAD_X) * MM
    size = ADDRESS_SIZE
    # Long names shrink the whole block a little before anything is cut.
    while size > ADDRESS_MIN_SIZE and max(measure(line, font, size) for line in lines) > width_pt:
        size = round(size - 0.5, 1)
    x = win.x + PAD_X
    top = win.y + PAD_TOP + reserved
    ret = TextLine(_fit(return_line, return_font, RETURN_SIZE, width_pt, measure), x, top + RETURN_SIZE / MM,
                   RETURN_SIZE)
    first = ret.baseline + 2.5 + size / MM  # a gap under the return line so it is not read as part of the address
    step = size * LEADING / MM
    placed = tuple(TextLine(_fit(line, font, size, width_pt, measure), x, first + i * step, size)
                   for i, line in enumerate(lines))
    return RecipientBlock(ret, placed, size)


def block_bounds(block: RecipientBlock) -> tuple[float, float]:
    """Top of the return line's capitals and bottom of the last line's descenders, in mm from the top."""
    top = block.return_line.baseline - block.return_line.size / MM
    last = block.lines[-1]
    return top, last.baseline + 0.25 * last.size / MM
