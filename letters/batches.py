"""Print batches: many letter PDFs merged into one file for the print shop, with a CSV manifest. A batch is PDF/A-2b
like its letters (letters.pdfa): the pages keep their embedded fonts, the file gets its own metadata.

The letters' own files are copied object by object (letters.assemble), about 0.15 ms a letter; pikepdf (qpdf),
about 0.7 ms a letter, takes any other PDF. A go-live mailing merges 50,000 of them.
"""

from __future__ import annotations

import csv
import os
import zlib
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, fields
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pikepdf

from core.domain.csv_file import spreadsheet_safe
from letters import assemble, pdfa


@dataclass(frozen=True)
class ManifestLine:
    reference: str
    member_number: str
    kind: str
    language: str
    postcode: str
    town: str
    pages: int


class DamagedLetter(ValueError):
    """A letter's file that could only be read by repairing it."""


CREATOR = "connect back office"  # a batch is the back office's own document, not one fund letter's
MANIFEST_COLUMNS = tuple(f.name for f in fields(ManifestLine))


def town(address: Sequence[str], postcode: str) -> str:
    """The town from an address's last line, `NNNN Town`."""
    last = address[-1] if address else ""
    return last[len(postcode):].strip() if postcode and last.startswith(postcode) else last


_Fingerprint = tuple[str, bytes, int]


def _fingerprint(font: pikepdf.Object) -> _Fingerprint:
    """What makes two embedded fonts the same: the font they are cut from, the characters they hold, which the
    text mapping lists in order, and the font program itself (two builds of one font, before and after an upgrade,
    share a name and characters). Letters of one process embed the very same subsets (letters.fonts), so a batch
    needs each of them once, not once per letter."""
    to_unicode, descriptor = font.get("/ToUnicode"), font.get("/FontDescriptor")
    program = None if descriptor is None else next(
        (descriptor[key] for key in ("/FontFile2", "/FontFile", "/FontFile3") if key in descriptor), None)
    if to_unicode is None or program is None:  # not one of ours: kept apart, by everything it says
        return "", font.unparse(resolved=True), 0
    return str(font.BaseFont), to_unicode.read_raw_bytes(), zlib.crc32(program.read_raw_bytes())


def _append_sharing_fonts(merged: pikepdf.Pdf, page: pikepdf.Page, seen: dict[_Fingerprint, pikepdf.Object]) -> None:
    """Append a page whose fonts, when an earlier page brought the same, point to those instead of being copied:
    a batch of a thousand letters stays a few megabytes instead of seventy, and merges in a fraction of the time."""
    fonts = page.obj.get("/Resources", pikepdf.Dictionary()).get("/Font", pikepdf.Dictionary())
    keys = {name: _fingerprint(font) for name, font in fonts.items()}
    shared = {name: seen[key] for name, key in keys.items() if key in seen}
    if shared:
        # A fresh resource dictionary: the source's may be shared by its other pages, which need all their fonts.
        resources = pikepdf.Dictionary({key: value for key, value in page.obj.Resources.items()})
        resources.Font = pikepdf.Dictionary({name: font for name, font in fonts.items() if name not in shared})
        page.obj.Resources = resources
    merged.pages.append(page)
    copied = merged.pages[-1].obj.Resources.get("/Font", pikepdf.Dictionary())
    for name, font in shared.items():
        copied[name] = font
    for name, key in keys.items():
        seen.setdefault(key, copied[name])


def merge(sources: Sequence[Path], target: Path, languages: Sequence[str] = (), made: datetime | None = None,
          ) -> list[int]:
    """Append every source's pages to one PDF, in order; returns each source's page count. `languages` are the
    letters' languages, for the batch's metadata. The letters' own files are assembled directly (letters.assemble);
    a file laid out otherwise sends the batch through pikepdf. Written to a temporary name and renamed, so a
    half-written batch is never taken for a whole one."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    about = pdfa.Described(target.stem, CREATOR, target.stem, tuple(sorted(set(languages))))
    moment = made or datetime.now().astimezone()
    try:
        try:
            counts = assemble.assemble(sources, temporary, about, moment)
        except assemble.NotOurs:
            counts = merge_with_pikepdf(sources, temporary, about, moment)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, target)
    return counts


def merge_with_pikepdf(sources: Sequence[Path], target: Path, about: pdfa.Described, made: datetime) -> list[int]:
    """The same batch through qpdf, for any PDF: each source opened, its pages copied, fonts shared."""
    counts = []
    seen: dict[_Fingerprint, pikepdf.Object] = {}
    with ExitStack() as stack, pikepdf.new() as merged:
        for source in sources:
            # Read into memory: the sources must stay open until the merged file is saved, and a thousand open
            # files would run into a container's descriptor limit.
            pdf = stack.enter_context(pikepdf.open(BytesIO(source.read_bytes())))
            if problems := pdf.get_warnings():
                # qpdf repairs a damaged file as it reads it, and a letter cut short comes out as a blank page: a
                # print batch must not carry one. The batch fails, naming the file, and nothing is marked printed.
                raise DamagedLetter(f"{source.name} is damaged ({problems[0]}); it is not put in a print batch")
            counts.append(len(pdf.pages))
            for page in pdf.pages:
                _append_sharing_fonts(merged, page, seen)
        pdfa.make_archival_pikepdf(merged, about, made)
        merged.save(target)
    return counts


def write_manifest(target: Path, lines: Sequence[ManifestLine]) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MANIFEST_COLUMNS)
        # getattr rather than dataclasses.astuple, which deep-copies every field: a tenth of a batch's time
        writer.writerows([spreadsheet_safe(getattr(line, name)) for name in MANIFEST_COLUMNS] for line in lines)
    os.replace(temporary, target)
