"""The letters' typefaces, embedded in every PDF so that an archived letter prints the same in twenty years (PDF/A).

Liberation Sans has Helvetica's metrics and Liberation Mono Courier's: the layout measured for the built-in fonts
does not move. Debian's fonts-liberation installs them (SIL Open Font License 1.1); LETTER_FONT_DIR points
elsewhere on a machine that keeps them in another folder.
"""

from __future__ import annotations

import os
import zlib
from functools import cache, lru_cache
from pathlib import Path
from types import MethodType
from typing import Any

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont

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
        font = TTFont(name, str(path))
        font.face.addSubsetObjects = MethodType(_add_subset_objects, font.face)
        pdfmetrics.registerFont(font)


@lru_cache(maxsize=512)
def _subset_program(face: Any, characters: tuple[int, ...]) -> tuple[bytes, int]:
    """A font subset, compressed, and its uncompressed length. ReportLab cuts and compresses the subset anew for
    every document, which made that most of a letter's drawing time; letters use the same few characters, so the
    same subsets come back again and again."""
    program = face.makeSubset(list(characters))
    return zlib.compress(program), len(program)


def _add_subset_objects(face: Any, doc: Any, fontname: str, subset: list[int]) -> Any:
    """ReportLab's TTFontFace.addSubsetObjects with the font program from _subset_program."""
    compressed, length = _subset_program(face, tuple(subset))
    # With Filter already set, ReportLab writes the stream as it is instead of compressing it again.
    program = pdfdoc.PDFStream(pdfdoc.PDFDictionary({"Length1": length, "Filter": pdfdoc.PDFName("FlateDecode")}),
                               compressed)
    program_ref = doc.Reference(program, f"fontFile:{face.filename}({fontname})")
    descriptor = pdfdoc.PDFDictionary({
        "Type": "/FontDescriptor", "Ascent": face.ascent, "CapHeight": face.capHeight, "Descent": face.descent,
        "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC, "FontBBox": pdfdoc.PDFArray(face.bbox),
        "FontName": pdfdoc.PDFName(fontname), "ItalicAngle": face.italicAngle, "StemV": face.stemV,
        "FontFile2": program_ref, "MissingWidth": face.defaultWidth,
    })
    return doc.Reference(descriptor, "fontDescriptor:" + fontname)
