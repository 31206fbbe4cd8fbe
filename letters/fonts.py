"""The letters' typefaces, embedded in every PDF so that an archived letter prints the same in twenty years (PDF/A).

Liberation Sans has Helvetica's metrics and Liberation Mono Courier's: the layout measured for the built-in fonts
does not move. Debian's fonts-liberation installs them (SIL Open Font License 1.1); LETTER_FONT_DIR points
elsewhere on a machine that keeps them in another folder.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEFAULT_FONT_DIR = Path("/usr/share/fonts/truetype/liberation")
REGULAR, BOLD, MONO = "LiberationSans", "LiberationSans-Bold", "LiberationMono-Bold"
FILES = {REGULAR: "LiberationSans-Regular.ttf", BOLD: "LiberationSans-Bold.ttf", MONO: "LiberationMono-Bold.ttf"}


class MissingFont(RuntimeError):
    pass


def font_dir() -> Path:
    return Path(os.environ.get("LETTER_FONT_DIR") or DEFAULT_FONT_DIR)


@cache
def register() -> None:
    """Make the fonts known to ReportLab, once per process: parsing a font file takes milliseconds, a mailing
    draws tens of thousands of letters."""
    folder = font_dir()
    for name, filename in FILES.items():
        path = folder / filename
        if not path.is_file():
            raise MissingFont(f"{path} is missing: install Debian's fonts-liberation (make fonts) or set "
                              "LETTER_FONT_DIR to the folder holding the Liberation fonts")
        pdfmetrics.registerFont(TTFont(name, str(path)))
