"""R15/R17 on real PostgreSQL: a letter without a code goes through render and batch; a trustee-code letter goes
to the trustee's address in its language, names the member, and voids the member's older codes (R2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core import clock, config, db
from core.codes import codes as code_service
from core.codes import letters
from core.domain import codes
from core.domain.states import CaseStatus, CodeStatus, LetterStatus
from core.models import Case, Letter, Member, RegistrationCode, Trustee

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")


@pytest.fixture
def letters_dir(pg, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LETTERS_DIR", str(tmp_path / "letters"))
    config.reset()
    yield tmp_path / "letters"
    monkeypatch.undo()
    config.reset()


def _member(number: str = "M-7001", language: str = "fr") -> int:
    now = clock.now()
    with db.unit_of_work() as s:
        member = Member(member_number=number, uid="CHE-100.155.212", name="Boulangerie Dupont SA",
                        street="Rue du Lac 4", postcode="1003", town="Lausanne", language=language, email="",
                        created_at=now, updated_at=now)
        s.add(member)
        s.flush()
        return member.id


def _trustee() -> int:
    with db.unit_of_work() as s:
        trustee = Trustee(uid="CHE-109.322.551", name="Treuhand Muster GmbH", po_box="Postfach", postcode="8001",
                          town="Zürich", language="de", email="office@muster.example", created_at=clock.now())
        s.add(trustee)
        s.flush()
        return trustee.id


def _text(path: str) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_r17_a_letter_without_a_code_is_rendered_and_batched(letters_dir):
    member_id = _member()
    with db.unit_of_work() as s:
        letter_id = code_service.issue_letter_without_code(s, s.get(Member, member_id), "logins_deactivated",
                                                           clock.now(), actor="staff:1")
    with db.unit_of_work() as s:
        outcome = letters.render_letters(s, [letter_id], clock.now())
    assert outcome.rendered == [letter_id] and not outcome.cancelled and not outcome.failed
    with db.unit_of_work() as s:
        letter = s.get(Letter, letter_id)
        assert letter.code_id is None and letter.status == LetterStatus.RENDERED and letter.language == "fr"
        text = _text(letter.pdf_path)
        assert not CODE.search(text) and "Rue du Lac 4" in text and "M-7001" in text
    with db.unit_of_work() as s:
        made = letters.make_print_batches(s, clock.now())
    assert len(made) == 1 and made[0].letters == 1
    with db.unit_of_work() as s:
        assert s.get(Letter, letter_id).status == LetterStatus.PRINTED


def test_r17_a_code_kind_cannot_be_queued_without_a_code(letters_dir):
    member_id = _member()
    with db.unit_of_work() as s, pytest.raises(ValueError, match="carries a code"):
        code_service.issue_letter_without_code(s, s.get(Member, member_id), "new_code", clock.now())


def test_r15_r2_trustee_letter_goes_to_the_trustee_names_the_member_and_voids_older_codes(letters_dir):
    member_id, trustee_id = _member(), _trustee()
    with db.unit_of_work() as s:
        older = code_service.issue_letter(s, s.get(Member, member_id), "new_code", clock.now())
    with db.unit_of_work() as s:
        letter_id = code_service.issue_trustee_letter(s, s.get(Member, member_id), s.get(Trustee, trustee_id),
                                                      clock.now(), actor="staff:1")
    with db.unit_of_work() as s:
        letters.render_letters(s, [older, letter_id], clock.now())
    with db.unit_of_work() as s:
        assert s.get(Letter, older).status == LetterStatus.CANCELLED
        letter = s.get(Letter, letter_id)
        code = s.get(RegistrationCode, letter.code_id)
        assert letter.status == LetterStatus.RENDERED and letter.trustee_id == trustee_id and letter.language == "de"
        assert letter.address == ["Treuhand Muster GmbH", "Postfach", "8001 Zürich"] and letter.postcode == "8001"
        assert code.trustee_id == trustee_id and code.member_id == member_id and code.status == CodeStatus.ISSUED
        text = _text(letter.pdf_path)
        printed = CODE.findall(text)
        assert len(printed) == 1 and "Boulangerie Dupont SA" in text and "M-7001" in text
        assert "Rue du Lac 4" not in text  # the member's own address is not the recipient
        secret = config.get().code_hmac_secret
        assert code.code_hash == codes.keyed_hash(secret, "M-7001", codes.read(printed[0]))
        voided = s.scalars(select(RegistrationCode.status).where(RegistrationCode.member_id == member_id,
                                                                 RegistrationCode.id != code.id)).all()
        assert voided == [CodeStatus.VOIDED]


def test_r17_the_confirmation_lists_the_logins_its_case_deactivated(letters_dir):
    member_id = _member(language="de")
    with db.unit_of_work() as s:
        letter_id = code_service.issue_letter_without_code(s, s.get(Member, member_id), "logins_deactivated",
                                                           clock.now(), actor="staff:1")
        s.add(Case(kind="stale_logins", status=CaseStatus.APPROVED, why="", member_id=member_id, created_at=clock.now(),
                   payload={"letter_id": letter_id, "deactivated": ["Hans Alt", "Łucja Weg"]}))
    with db.unit_of_work() as s:
        assert letters.render_letters(s, [letter_id], clock.now()).rendered == [letter_id]
    with db.unit_of_work() as s:
        text = _text(s.get(Letter, letter_id).pdf_path)
    assert "Hans Alt, Lucja Weg" in text and not CODE.search(text)
