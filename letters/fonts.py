"""The letters' typefaces, embedded in every PDF so that an archived letter prints the same in twenty years (PDF/A).

Liberation Sans has Helvetica's metrics and Liberation Mono Courier's: the layout measured for the built-in fonts
does not move. Debian's fonts-liberation installs them (SIL Open Font License 1.1); LETTER_FONT_DIR points
elsewhere on a machine that keeps them in another folder.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, makeToUnicodeCMap

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
        pdfmetrics.registerFont(EmbeddedFont(name, str(path)))


@dataclass(frozen=True)
class _Subset:
    """What a document embeds for one subset of a font, made once per process: ReportLab cuts, measures, maps and
    compresses every subset anew for every document, which was most of a letter's drawing time; letters use the
    same few characters, so the same subsets come back again and again."""

    base_font: str  # tag+PostScript name
    widths: bytes  # the /Widths array, already written out
    to_unicode: bytes  # the ToUnicode CMap, compressed
    program: bytes  # the font program, compressed
    program_length: int


def subset_tag(face_name: str, characters: tuple[int, ...]) -> str:
    """Six capital letters derived from the subset itself. PDF asks different subsets in one file to carry
    different tags; ReportLab numbers them per document (AAAAAA, AAAAAB, …), so a print batch merging a thousand
    letters would hold a thousand different subsets all tagged AAAAAA. The same subset gets the same tag in every
    letter, which is also what lets a batch keep it once."""
    digest = hashlib.sha256(f"{face_name}:{characters}".encode()).digest()
    return "".join(chr(ord("A") + byte % 26) for byte in digest[:6])


@lru_cache(maxsize=512)
def _subset(face: Any, characters: tuple[int, ...]) -> _Subset:
    name = face.name.decode("latin-1") + face.subfontNameX.decode("latin-1")
    base_font = f"{subset_tag(name, characters)}+{name}"
    widths = b"[" + b" ".join(str(face.getCharWidth(c)).encode() for c in characters) + b"]"
    program = face.makeSubset(list(characters))
    return _Subset(base_font, widths, zlib.compress(makeToUnicodeCMap(base_font, list(characters)).encode("latin-1")),
                   zlib.compress(program), len(program))


def _compressed(content: bytes, **entries: Any) -> pdfdoc.PDFStream:
    """A stream written as it is: with Filter already set, ReportLab does not compress it again."""
    return pdfdoc.PDFStream(pdfdoc.PDFDictionary({**entries, "Filter": pdfdoc.PDFName("FlateDecode")}), content)


class EmbeddedFont(TTFont):
    """ReportLab's TTFont, with each subset's objects (letters.fonts._Subset) made once per process and tagged by
    their content."""

    def addObjects(self, doc: Any) -> None:
        state = self.state.get(doc) or self.state.setdefault(doc, TTFont.State(self._asciiReadable))
        state.frozen = 1
        fonts = doc.idToObject["BasicFonts"].dict
        for n, characters in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            made = _subset(self.face, tuple(characters))
            font = pdfdoc.PDFTrueTypeFont()
            font.Name, font.BaseFont = internal_name, made.base_font
            font.FirstChar, font.LastChar = 0, len(characters) - 1
            font.Widths = made.widths  # bytes are written as they are
            font.ToUnicode = doc.Reference(_compressed(made.to_unicode), f"toUnicodeCMap:{made.base_font}")
            font.FontDescriptor = self._descriptor(doc, made)
            doc.Reference(font, internal_name)
            fonts[internal_name] = font
        del self.state[doc]

    def _descriptor(self, doc: Any, made: _Subset) -> Any:
        face = self.face
        program = doc.Reference(_compressed(made.program, Length1=made.program_length),
                                f"fontFile:{face.filename}({made.base_font})")
        # Symbolic, as ReportLab declares its subsets: their codes are positions in the subset, not a standard
        # encoding.
        descriptor = pdfdoc.PDFDictionary({
            "Type": "/FontDescriptor", "Ascent": face.ascent, "CapHeight": face.capHeight, "Descent": face.descent,
            "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC, "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(made.base_font), "ItalicAngle": face.italicAngle, "StemV": face.stemV,
            "FontFile2": program, "MissingWidth": face.defaultWidth,
        })
        return doc.Reference(descriptor, f"fontDescriptor:{made.base_font}")
