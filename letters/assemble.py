"""A print batch written straight from the letters' own PDFs, without opening each as a document.

The letters are ReportLab's files (letters.render): a classic cross-reference table, one page tree, every object a
plain dictionary or a stream with its length written out. So a batch can be put together by copying, for every
page, the page and what it uses (content, fonts and their programs) under new object numbers, and the stream data
as it is, byte for byte: a fifth of the time that opening each letter with qpdf and copying its pages takes, which
is most of a go-live mailing's print run. A font that an earlier page brought is used again instead of copied
(the same subset carries the same tag and text mapping, letters.fonts).

A file that is not laid out like that raises NotOurs, and letters.batches merges that batch with pikepdf instead:
an object stream or cross-reference stream, a length given by reference, a nested page tree or one that holds
attributes its pages inherit, a string in a copied object, a reference to a later generation.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from letters import pdfa

_REF = re.compile(rb"(\d+)\s+0\s+R")
_R = re.compile(rb"\sR\b")  # the reference operator, in a dictionary that holds no strings
_OBJ = re.compile(rb"(\d+)\s+0\s+obj\b")
_XREF = re.compile(rb"xref\s+0\s+(\d+)\s*?\r?\n")
_ROOT = re.compile(rb"/Root\s+(\d+)\s+0\s+R")
_PAGES = re.compile(rb"/Pages\s+(\d+)\s+0\s+R")
_KIDS = re.compile(rb"/Kids\s*\[([^\]]*)\]")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+0\s+R)\b")
_PARENT = re.compile(rb"/Parent\s+(\d+)\s+0\s+R")
_BASE_FONT = re.compile(rb"/BaseFont\s*/([^\s/<>\[\]()]+)")
_TO_UNICODE = re.compile(rb"/ToUnicode\s+(\d+)\s+0\s+R")
_DESCRIPTOR = re.compile(rb"/FontDescriptor\s+(\d+)\s+0\s+R")
_FONT_FILE = re.compile(rb"/FontFile[23]?\s+(\d+)\s+0\s+R")
_TYPE_PAGES = re.compile(rb"/Type\s*/Pages\b")
_TYPE_FONT = re.compile(rb"/Type\s*/Font\b")
# What a page may take from its page tree instead of holding it itself (ISO 32000-1, 7.7.3.4).
_INHERITED = re.compile(rb"/(Resources|MediaBox|CropBox|Rotate)\b")
_STRING = re.compile(rb"\(|<(?!<)")  # a literal or hex string; "<<" opens a dictionary
_STREAM = re.compile(rb">>\s*stream(\r\n|\n)")
DICTIONARY_AT_MOST = 4096  # bytes of a stream's dictionary; the letters' are under a hundred
HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"  # the comment's high bytes mark the file as binary (PDF/A asks for it)


class NotOurs(ValueError):
    """The file is not laid out as the letters' renderer writes them."""


@dataclass(frozen=True)
class _Object:
    head: bytes  # the object's text up to its stream data: a dictionary, an array, a number
    data: bytes | None = None  # stream data, copied as it is


class _Source:
    """One letter's objects, read on demand from its cross-reference table."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        at = raw.rfind(b"startxref")
        if at < 0:
            raise NotOurs("no startxref")
        offset = int(raw[at + 9:].split(None, 1)[0])
        table = _XREF.match(raw, offset)
        if table is None:
            raise NotOurs("no classic cross-reference table")
        self.offsets: dict[int, int] = {}
        position = table.end()
        for number in range(int(table.group(1))):
            entry = raw[position:position + 20]
            if len(entry) < 18:
                raise NotOurs("short cross-reference table")
            if entry[17:18] == b"n":
                self.offsets[number] = int(entry[:10])
            position += 20
        trailer = raw.find(b"trailer", position)
        root = _ROOT.search(raw, trailer) if trailer >= 0 else None
        if root is None:
            raise NotOurs("no document catalog")
        self.root = int(root.group(1))
        self._cache: dict[int, _Object] = {}

    def _start(self, number: int) -> int:
        """Where the object's text begins, after its `N 0 obj`."""
        if number not in self.offsets:
            raise NotOurs(f"object {number} is not in the table")
        found = _OBJ.match(self.raw, self.offsets[number])
        if found is None or int(found.group(1)) != number:
            raise NotOurs(f"object {number} is not where the table says")
        return found.end()

    def get(self, number: int) -> _Object:
        if number in self._cache:
            return self._cache[number]
        start = self._start(number)
        # A stream's dictionary is short: look for "stream" near the start rather than for "endobj" past data that
        # may run to tens of kilobytes (a font program).
        stream = _STREAM.search(self.raw, start, start + DICTIONARY_AT_MOST)
        if stream is not None and self.raw.find(b"endobj", start, stream.start()) >= 0:
            stream = None  # that was the next object's stream
        if stream is None:
            end = self.raw.find(b"endobj", start)
            if end < 0:
                raise NotOurs(f"object {number} does not end")
            made = _Object(self.raw[start:end].strip())
        else:
            head = self.raw[start:stream.start() + 2].strip()
            length = _LENGTH.search(head)
            if length is None:
                raise NotOurs(f"object {number}: a stream without a written length")
            begin = stream.end()
            data = self.raw[begin:begin + int(length.group(1))]
            if not self.raw[begin + len(data):begin + len(data) + 12].lstrip().startswith(b"endstream"):
                raise NotOurs(f"object {number}: the stream's length does not match")
            made = _Object(head, data)
        if _STRING.search(made.head.replace(b"<<", b"").replace(b">>", b"")):
            # Strings may hold anything, "endobj" or "1 0 R" among it: the letters' page objects, fonts and
            # streams hold none, so a file whose objects do is not copied as text.
            raise NotOurs(f"object {number} holds a string")
        self._cache[number] = made
        return made

    def get_raw_head(self, number: int) -> bytes:
        """A page tree node's text: it may hold strings (ReportLab's does not), and only its kids and inheritable
        attributes are read."""
        start = self._start(number)
        end = self.raw.find(b"endobj", start)
        return self.raw[start:end if end >= 0 else None]

    def pages(self) -> list[int]:
        catalog = self.get_raw_head(self.root)
        tree = _PAGES.search(catalog)
        if tree is None:
            raise NotOurs("the catalog names no page tree")
        pages_number = int(tree.group(1))
        tree_head = self.get_raw_head(pages_number)
        if _INHERITED.search(tree_head):
            raise NotOurs("the page tree holds attributes its pages inherit")
        kids = _KIDS.search(tree_head)
        if kids is None:
            raise NotOurs("the page tree lists no pages")
        numbers = [int(n) for n in _REF.findall(kids.group(1))]
        for number in numbers:
            head = self.get(number).head
            if b"/Pages" in head.replace(b"/Parent", b""):
                raise NotOurs("a nested page tree")
        return numbers


@dataclass
class _Writer:
    out: BinaryIO
    offsets: list[int] = field(default_factory=list)  # by object number - 1

    def reserve(self) -> int:
        self.offsets.append(-1)
        return len(self.offsets)

    def write(self, number: int, head: bytes, data: bytes | None = None) -> None:
        self.offsets[number - 1] = self.out.tell()
        self.out.write(b"%d 0 obj\n" % number)
        self.out.write(head)
        if data is not None:
            self.out.write(b"\nstream\n")
            self.out.write(data)
            self.out.write(b"\nendstream")
        self.out.write(b"\nendobj\n")


def _font_key(source: _Source, head: bytes) -> tuple[bytes, bytes, int, int] | None:
    """What makes two embedded fonts the same (letters.batches._fingerprint): the font they are cut from with its
    subset tag, the characters they hold, which the text mapping lists in order, and the font program itself (two
    builds of one font, before and after an upgrade, have the same name and characters)."""
    name, mapping = _BASE_FONT.search(head), _TO_UNICODE.search(head)
    descriptor = _DESCRIPTOR.search(head)
    if name is None or mapping is None or descriptor is None:
        return None
    program = _FONT_FILE.search(source.get(int(descriptor.group(1))).head)
    if program is None:
        return None
    data = source.get(int(program.group(1))).data or b""
    return name.group(1), source.get(int(mapping.group(1))).data or b"", len(data), zlib.crc32(data)


@dataclass
class _Batch:
    writer: _Writer
    pages_number: int
    fonts: dict[tuple[bytes, bytes, int, int], int] = field(default_factory=dict)  # font → its number in the batch
    kids: list[int] = field(default_factory=list)

    def add(self, source: _Source) -> int:
        """Copy the source's pages and what they use; returns how many pages it had."""
        pages = source.pages()
        numbers: dict[int, int] = {}  # the source's object number → the batch's
        heads: dict[int, bytes] = {}  # what is copied, in the order met; a page without its parent
        todo = list(pages)
        while todo:
            number = todo.pop()
            if number in numbers:
                continue
            made = source.get(number)
            if _TYPE_PAGES.search(made.head):
                raise NotOurs("a page refers to a page tree other than its parent")
            key = _font_key(source, made.head) if _TYPE_FONT.search(made.head) else None
            if key is not None and key in self.fonts:
                numbers[number] = self.fonts[key]
                continue
            numbers[number] = self.writer.reserve()
            if key is not None:
                self.fonts[key] = numbers[number]
            head = heads[number] = _PARENT.sub(b"", made.head) if number in pages else made.head
            references = _REF.findall(head)
            if len(references) != len(_R.findall(head)):
                raise NotOurs(f"object {number} refers to an object of a later generation")
            todo.extend(int(n) for n in references)
        for number, head in heads.items():
            head = _REF.sub(lambda m: b"%d 0 R" % numbers[int(m.group(1))], head)
            if number in pages:  # under the batch's page tree instead of the letter's
                head = head.replace(b"<<", b"<< /Parent %d 0 R" % self.pages_number, 1)
            self.writer.write(numbers[number], head, source.get(number).data)
        self.kids.extend(numbers[page] for page in pages)
        return len(pages)


def _text(value: str) -> bytes:
    """A PDF string: ASCII as it is (dates must be), anything else in UTF-16 with its byte order mark, as hex."""
    if value.isascii() and value.isprintable():
        return b"(" + value.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<" + ("\ufeff" + value).encode("utf-16-be").hex().upper().encode() + b">"


def _finish(batch: _Batch, about: pdfa.Described, made: datetime, identity: bytes) -> None:
    writer = batch.writer
    producer = pdfa.CREATOR_TOOL
    writer.write(batch.pages_number, b"<< /Type /Pages /Count %d /Kids [ %s ] >>" % (
        len(batch.kids), b" ".join(b"%d 0 R" % kid for kid in batch.kids)))
    metadata = writer.reserve()
    xmp = pdfa.xmp_packet(about, producer, made)
    writer.write(metadata, b"<< /Type /Metadata /Subtype /XML /Length %d >>" % len(xmp), xmp)
    profile = writer.reserve()
    icc = pdfa.srgb_profile()
    writer.write(profile, b"<< /N 3 /Length %d >>" % len(icc), icc)
    catalog = writer.reserve()
    condition = _text(pdfa.OUTPUT_CONDITION)
    writer.write(catalog, b"<< /Type /Catalog /Pages %d 0 R /Metadata %d 0 R /OutputIntents [ << /Type /OutputIntent "
                 b"/S /GTS_PDFA1 /OutputConditionIdentifier %s /Info %s /DestOutputProfile %d 0 R >> ] >>" % (
                     batch.pages_number, metadata, condition, condition, profile))
    info = writer.reserve()
    entries = b" ".join(b"/%s %s" % (key.encode(), _text(value))
                        for key, value in pdfa.info_entries(about, producer, made).items())
    writer.write(info, b"<< %s /Trapped /False >>" % entries)
    out = writer.out
    table = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(writer.offsets) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in writer.offsets))
    ident = identity.hex().upper().encode()
    out.write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [ <%s> <%s> ] >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(writer.offsets) + 1, catalog, info, ident, ident, table))


def assemble(sources: Sequence[Path], target: Path, about: pdfa.Described, made: datetime) -> list[int]:
    """Write the batch to `target` (a temporary name: the caller renames it); returns each source's page count.
    Raises NotOurs, having written nothing worth keeping, when a source is not laid out as the letters are."""
    counts = []
    identity = hashlib.md5(usedforsecurity=False)
    with target.open("wb") as out:
        out.write(HEADER)
        writer = _Writer(out)
        batch = _Batch(writer, writer.reserve())
        for source in sources:
            raw = source.read_bytes()
            identity.update(raw[-64:])  # each letter's own trailer: the ID differs for every batch
            try:
                counts.append(batch.add(_Source(raw)))
            except (ValueError, IndexError, KeyError) as exc:  # a number where there was none, a missing object
                raise NotOurs(str(exc)) from exc
        if not batch.kids:
            raise NotOurs("no pages")
        _finish(batch, about, made, identity.digest())
    return counts

