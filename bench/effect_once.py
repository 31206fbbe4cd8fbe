"""The effect-once check of a mailing, shared by the fault tests (tests/resilience) and the mailing benchmark:
every member exactly one letter, one code per letter, one PDF per letter, and the code printed in a letter is the
one whose HMAC is stored (read back from the PDF's text, on a sample of the letters)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain import codes
from core.models import Letter, Member, RegistrationCode

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")


@dataclass
class EffectOnce:
    expected: int
    letters: int
    lost: int
    duplicated: int
    pdfs: int
    sampled: int = 0
    mismatched: list[str] = field(default_factory=list)  # references whose printed code is not the stored one

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.pdfs == self.expected and not self.mismatched


def check(session: Session, letters_dir: Path, expected: int, samples: int = 30) -> EffectOnce:
    """`expected` letters, one per member, each with its own code and PDF; `samples` of them read back."""
    letters = session.execute(select(Letter, Member.member_number, RegistrationCode)
                              .join(Member, Member.id == Letter.member_id)
                              .join(RegistrationCode, RegistrationCode.id == Letter.code_id)
                              .order_by(Letter.id)).all()
    all_codes = session.scalars(select(RegistrationCode.id)).all()
    # codes without a letter, plus members with more than one letter
    duplicated = len(all_codes) - len(letters) + len(letters) - len({letter.member_id for letter, _, _ in letters})
    result = EffectOnce(expected, len(letters), expected - len(letters), duplicated,
                        sum(1 for _ in letters_dir.rglob("L-*.pdf")))
    from core import config

    secret = config.get().code_hmac_secret
    for letter, member_number, code in letters[:: max(1, len(letters) // max(1, samples))]:
        found = CODE.search(PdfReader(letter.pdf_path).pages[0].extract_text())
        result.sampled += 1
        if found is None or codes.keyed_hash(secret, member_number, codes.read(found.group(1))) != code.code_hash:
            result.mismatched.append(letter.reference)
    return result
