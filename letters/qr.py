"""The registration link as a QR code, for a phone, in the letter's box beside the link's row. It holds the link and
nothing else: the code is typed by hand, so a photo of the letter's QR code opens the page but gives no access."""

from __future__ import annotations

from functools import lru_cache

from reportlab.graphics.barcode import qrencoder
from reportlab.pdfgen.canvas import Canvas

from letters.geometry import MM
from letters.spec import LetterSpec

QR_SIZE = 24.0  # mm, the symbol without its margin: about 0.8 mm a module, which a phone reads at arm's length
QR_QUIET = 2  # white modules around the symbol; the box's light fill and a gap to its border make up the rest
QR_GAP = 1.5  # mm between the white square and the box's border
QR_CAPTION_SIZE = 7.0  # pt


@lru_cache(maxsize=64)
def qr_runs(link: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The QR code of `link` (error correction M) as its size in modules and its dark runs (row, first column,
    length). Cached: a mass mailing prints the same link on every letter, and encoding it costs more than
    drawing it."""
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(link)
    qr.make()
    runs = []
    for r, row in enumerate(qr.modules):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return qr.getModuleCount(), tuple(runs)


def shows_qr_code(spec: LetterSpec) -> bool:
    """A letter prints the QR code when its box gives the registration link, and never when the code could be in
    it."""
    if not spec.link or (spec.code and (spec.code in spec.link or spec.code.replace("-", "") in spec.link)):
        return False
    return any(block.kind == "box" and any(row.split("|", 1)[1] == spec.link for row in block.lines)
               for block in spec.blocks)


def square(link: str) -> float:
    """The side of the white square (symbol and its margin), in mm."""
    modules, _ = qr_runs(link)
    return QR_SIZE * (modules + 2 * QR_QUIET) / modules


@lru_cache(maxsize=64)
def _qr_operators(link: str) -> str:
    """The white square and the dark runs as PDF operators, in modules from the square's bottom-left corner: the
    same text on every letter with this link, placed and scaled by a `cm` in front of it."""
    modules, runs = qr_runs(link)
    side = modules + 2 * QR_QUIET
    dark = " ".join(f"{QR_QUIET + column} {side - QR_QUIET - row - 1} {length} 1 re" for row, column, length in runs)
    return f"1 g 0 0 {side} {side} re f 0 g {dark} f"


def draw(c: Canvas, link: str, x: float, bottom: float) -> None:
    """The white square with the link's QR code, its left edge at `x` (mm) and its bottom at `bottom` (points from
    the page's foot). Written as one cached piece of page content inside q … Q, so the canvas's own colour and
    position stay as they were."""
    modules, _ = qr_runs(link)
    scale = square(link) * MM / (modules + 2 * QR_QUIET)
    c.addLiteral(f"q {scale:.5f} 0 0 {scale:.5f} {x * MM:.3f} {bottom:.3f} cm {_qr_operators(link)} Q")
