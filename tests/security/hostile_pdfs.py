"""PDFs built to break an upload check (R23): active content, files inside, too many pages, and the two that cost
a parser time and memory (a page tree naming one page a million times, a stream that inflates a thousandfold)."""

from __future__ import annotations

import io
import zlib

import pikepdf


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def plain(pages: int = 1) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    return _save(pdf)


def with_open_action(action: dict[str, object]) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(action))
    return _save(pdf)


def javascript() -> bytes:
    return with_open_action({"/S": pikepdf.Name.JavaScript, "/JS": pikepdf.String("app.alert(1)")})


def launch() -> bytes:
    return with_open_action({"/S": pikepdf.Name.Launch, "/F": pikepdf.String("cmd.exe")})


def obfuscated_javascript() -> bytes:
    """/J#61vaScript is /JavaScript to every reader; written by hand, since a library writes names plainly."""
    return javascript().replace(b"/JavaScript", b"/J#61vaScript")


def link_javascript() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("this.exportDataObject()"))
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 100], A=action)
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))
    return _save(pdf)


def embedded_file() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.attachments["evil.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ" + b"\0" * 64, filename="evil.exe")
    return _save(pdf)


def declared_pages(count: int) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    data = _save(pdf)
    return data.replace(b"/Count 1", b"/Count " + str(count).encode(), 1)


def page_tree_bomb(kids: int = 1_000_000) -> bytes:
    """One page named `kids` times in the page tree, with an honest-looking /Count 1 (about 6 MB)."""
    refs = b" ".join([b"3 0 R"] * kids)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Count 1 /Kids [" + refs + b"] >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    return _assemble(objects)


def inflation_bomb(megabytes: int = 1024) -> bytes:
    """A content stream of about 1 MB that inflates to `megabytes` MB."""
    packed = zlib.compressobj(9)
    body = b"".join(packed.compress(b"\0" * (1024 * 1024)) for _ in range(megabytes)) + packed.flush()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
               b"<< /Length " + str(len(body)).encode() + b" /Filter /FlateDecode >>\nstream\n" + body
               + b"\nendstream"]
    return _assemble(objects)


def _assemble(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
