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

from reportlab.lib.rl_accel import fp_str
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
    """What a document embeds for one subset of a font, made once per process: ReportLab cuts, measures, maps,
    compresses and writes out every subset anew for every document, which was most of a letter's drawing time;
    letters use the same few characters, so the same subsets come back again and again."""

    base_font: str  # tag+PostScript name
    font: bytes  # the font dictionary, written out, with %b for the descriptor, the text mapping and the name
    descriptor: bytes  # the font descriptor, written out, with %b for the font program
    to_unicode: bytes  # the ToUnicode CMap, compressed
    program: bytes  # the font program, compressed
    program_length: int


def subset_tag(face_name: str, characters: tuple[int, ...], program: bytes) -> str:
    """Six capital letters derived from the subset itself. PDF asks different subsets in one file to carry
    different tags; ReportLab numbers them per document (AAAAAA, AAAAAB, …), so a print batch merging a thousand
    letters would hold a thousand different subsets all tagged AAAAAA. The same subset gets the same tag in every
    letter, which is also what lets a batch keep it once; the program is part of it, so letters drawn before and
    after an upgrade of the font carry different tags."""
    digest = hashlib.sha256(f"{face_name}:{characters}:".encode() + program).digest()
    return "".join(chr(ord("A") + byte % 26) for byte in digest[:6])


def _number(value: float) -> bytes:
    return fp_str(value).encode()


@lru_cache(maxsize=512)
def _subset(face: Any, characters: tuple[int, ...]) -> _Subset:
    name = face.name.decode("latin-1") + face.subfontNameX.decode("latin-1")
    program = face.makeSubset(list(characters))
    base_font = f"{subset_tag(name, characters, program)}+{name}"
    tag = base_font.encode("latin-1").replace(b"%", b"%%")
    widths = b" ".join(_number(face.getCharWidth(c)) for c in characters)
    font = (b"<< /BaseFont /%s /FirstChar 0 /FontDescriptor %%b /LastChar %d /Name /%%b /Subtype /TrueType "
            b"/ToUnicode %%b /Type /Font /Widths [ %s ] >>") % (tag, len(characters) - 1, widths)
    # Symbolic, as ReportLab declares its subsets: their codes are positions in the subset, not a standard encoding.
    flags = (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
    descriptor = (b"<< /Ascent %s /CapHeight %s /Descent %s /Flags %d /FontBBox [ %s ] /FontFile2 %%b /FontName /%s "
                  b"/ItalicAngle %s /MissingWidth %s /StemV %s /Type /FontDescriptor >>") % (
        _number(face.ascent), _number(face.capHeight), _number(face.descent), flags,
        b" ".join(_number(v) for v in face.bbox), tag, _number(face.italicAngle), _number(face.defaultWidth),
        _number(face.stemV))
    return _Subset(base_font, font, descriptor,
                   zlib.compress(makeToUnicodeCMap(base_font, list(characters)).encode("latin-1")),
                   zlib.compress(program), len(program))


def _compressed(content: bytes, **entries: Any) -> pdfdoc.PDFStream:
    """A stream written as it is: with Filter already set, ReportLab does not compress it again."""
    return pdfdoc.PDFStream(pdfdoc.PDFDictionary({**entries, "Filter": pdfdoc.PDFName("FlateDecode")}), content)


class _Written(pdfdoc.PDFObject):
    """A dictionary written out once per subset; only what differs between documents (references to this
    document's objects, the font's name in it) is filled in when the document is saved."""

    __RefOnly__ = 1  # an indirect object of its own, as ReportLab's font objects are

    def __init__(self, template: bytes, *parts: Any) -> None:
        self.template, self.parts = template, parts

    def format(self, document: Any) -> bytes:
        return self.template % tuple(part if isinstance(part, bytes) else part.format(document) for part in self.parts)


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
            program = doc.Reference(_compressed(made.program, Length1=made.program_length),
                                    f"fontFile:{self.face.filename}({made.base_font})")
            descriptor = doc.Reference(_Written(made.descriptor, program), f"fontDescriptor:{made.base_font}")
            to_unicode = doc.Reference(_compressed(made.to_unicode), f"toUnicodeCMap:{made.base_font}")
            font = _Written(made.font, descriptor, internal_name.encode("latin-1"), to_unicode)
            doc.Reference(font, internal_name)
            fonts[internal_name] = font
        del self.state[doc]
