"""R23: what an uploaded PDF holds, looked at in a child process with limits on memory and CPU, so that a crafted
file (a page tree naming one page a million times, a stream that inflates to gigabytes) costs the web process
nothing but a short wait. Run as `python -m core.pdf_inspect` with the file on stdin; it prints one JSON line:
{"refused": reason or null}. Nothing here imports the application."""

from __future__ import annotations

import io
import json
import resource
import sys
import zlib
from collections.abc import Iterator

import pikepdf

from core.translatable import N_

MAX_PAGES = 50
MAX_UNPACKED = 200 * 1024 * 1024  # all generally-encoded streams together; scanned images stay packed (DCT, JBIG2)
MEMORY_LIMIT = 768 * 1024 * 1024
CPU_SECONDS = 10
# Actions a reader runs by itself, and files a PDF can carry inside it.
ACTIVE = {"/JavaScript": "JavaScript", "/Launch": "a launch action", "/ImportData": "an import action",
          "/SubmitForm": "a form that sends data", "/Rendition": "a media action"}
EMBEDDED = {"/EmbeddedFile", "/EmbeddedFiles", "/FileAttachment", "/RichMedia"}


def limit_resources() -> None:
    """Called in the child before it runs (subprocess preexec_fn): beyond these, the child dies, not the caller."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _dictionaries(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary | pikepdf.Stream]:
    """Every dictionary of the file: the numbered objects and the dictionaries written inside them (a link's
    action is often one of those)."""
    for obj in pdf.objects:
        yield from _within(obj)


def _within(obj: object) -> Iterator[pikepdf.Dictionary | pikepdf.Stream]:
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        yield obj
        children = obj.values()
    elif isinstance(obj, pikepdf.Array):
        children = list(obj)
    else:
        return
    for child in children:
        # A numbered object is visited on its own; following references here could go round in circles.
        if isinstance(child, pikepdf.Object) and not child.is_indirect:
            yield from _within(child)


def _declared_pages(pdf: pikepdf.Pdf) -> int:
    count = pdf.Root.get("/Pages", pikepdf.Dictionary()).get("/Count", 0)
    return int(count) if isinstance(count, int | pikepdf.Object) and str(count).lstrip("-").isdigit() else 0


def _unpacked_size(stream: pikepdf.Stream, room: int) -> int:
    """How much the stream inflates to, reading at most `room` + 1 bytes of it: a bomb is measured, not unpacked."""
    if str(stream.get("/Filter", "")) == "/FlateDecode":
        inflate = zlib.decompressobj()
        try:
            return len(inflate.decompress(stream.read_raw_bytes(), room + 1))
        except zlib.error:
            return 0  # damaged data: a reader shows nothing for it, and it costs nothing to keep
    return len(stream.read_bytes(pikepdf.StreamDecodeLevel.generalized))


def refusal(data: bytes) -> str | None:
    """Why the file cannot be kept, or None. Names are read as the parser decodes them (/J#61vaScript is
    /JavaScript), anywhere in the file, not only where a reader would look first."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if _declared_pages(pdf) > MAX_PAGES:
                return f"the PDF has more than {MAX_PAGES} pages"
            pages = len(pdf.pages)
            if pages == 0:
                return N_("the PDF has no pages")
            if pages > MAX_PAGES:
                return f"the PDF has more than {MAX_PAGES} pages"
            unpacked = 0
            for obj in _dictionaries(pdf):
                kind = obj.get("/S")
                if "/JS" in obj or (kind is not None and str(kind) in ACTIVE):
                    return f"the PDF contains {ACTIVE.get(str(kind), 'JavaScript')}, which we do not accept"
                if str(obj.get("/Type", "")) in EMBEDDED or str(obj.get("/Subtype", "")) in EMBEDDED \
                        or "/EmbeddedFiles" in obj:
                    return "the PDF carries other files inside it, which we do not accept"
                if isinstance(obj, pikepdf.Stream):
                    unpacked += _unpacked_size(obj, MAX_UNPACKED - unpacked)
                    if unpacked > MAX_UNPACKED:
                        return "the PDF unpacks to far more than its size: it cannot be checked"
    except pikepdf.PasswordError:
        return N_("the PDF is protected by a password")
    except MemoryError:
        return "the PDF is too complex to be checked"
    except (pikepdf.PdfError, ValueError, RecursionError):
        return N_("the file is not a readable PDF")
    return None


def main() -> None:
    data = sys.stdin.buffer.read()
    print(json.dumps({"refused": refusal(data)}))


if __name__ == "__main__":
    main()
