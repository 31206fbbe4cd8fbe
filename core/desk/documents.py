"""Signed papers the fund keeps (powers of attorney, official letters): checked to be a PDF by their content,
never by their name, stored once under VAR_DIR/documents by their hash, written to a temporary file and renamed
so that a crash never leaves half a document."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from core import config, pdf_inspect
from core.models import Document
from core.translatable import N_

MAX_BYTES = 10 * 1024 * 1024
TOO_LARGE = N_("the file is larger than 10 MB")  # says MAX_BYTES in words: the same number
INSPECT_SECONDS = 20  # wall clock; the child's CPU is limited to pdf_inspect.CPU_SECONDS
KINDS = ("power_of_attorney", "official_letter", "returned_letter")


class DocumentRejected(ValueError):
    """The file cannot be kept; the message says why and is shown to the person who sent it."""


def check_pdf(data: bytes) -> None:
    """A PDF is what opens as one: the header alone can be forged, a parser that reads the whole file cannot. The
    parser runs in a child process with limits on memory, CPU and time (R23, core.pdf_inspect)."""
    if not data:
        raise DocumentRejected(N_("the file is empty"))
    if len(data) > MAX_BYTES:
        raise DocumentRejected(TOO_LARGE)
    if not data.lstrip()[:5] == b"%PDF-":
        raise DocumentRejected(N_("the file is not a PDF"))
    reason = _inspected(data)
    if reason:
        raise DocumentRejected(reason)


def _inspected(data: bytes) -> str | None:
    try:
        done = subprocess.run([sys.executable, "-m", "core.pdf_inspect"], input=data, capture_output=True,
                              timeout=INSPECT_SECONDS, preexec_fn=pdf_inspect.limit_resources,
                              cwd=config.ROOT, check=False)
    except subprocess.TimeoutExpired:
        return "the PDF takes too long to check"
    try:
        answer = json.loads(done.stdout.decode() or "null")
    except ValueError:
        answer = None
    if done.returncode != 0 or not isinstance(answer, dict):
        # Killed by its limits (memory, CPU): the file asks for more than any letter or power of attorney needs.
        return "the PDF is too complex to be checked"
    refused = answer.get("refused")
    return str(refused) if refused else None


def documents_dir() -> Path:
    return Path(config.get().var_dir) / "documents"


def _clean_name(filename: str) -> str:
    name = Path(filename or "document.pdf").name.strip() or "document.pdf"
    return "".join(ch for ch in name if ch.isprintable())[:200]


def store(session: Session, data: bytes, filename: str, kind: str, actor: str, now: datetime) -> Document:
    """Check and keep a PDF; returns its row (flushed, so it has an id). Raises DocumentRejected."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    check_pdf(data)
    digest = hashlib.sha256(data).hexdigest()
    path = documents_dir() / digest[:2] / f"{digest}.pdf"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
    document = Document(kind=kind, filename=_clean_name(filename), sha256=digest, size=len(data), path=str(path),
                        uploaded_at=now, uploaded_by=actor)
    session.add(document)
    session.flush()
    return document


def read(document: Document) -> bytes:
    return Path(document.path).read_bytes()
