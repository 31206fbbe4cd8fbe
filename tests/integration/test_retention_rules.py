"""Retention (Swiss FADP) on dated fixtures: what goes, what stays, and that the audit chain still verifies."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import delete, func, select

from core import audit, clock, db, outbox
from core.cli import main
from core.domain.states import CaseStatus, CodeStatus, LetterStatus, RequestStatus
from core.models import (
    AuditEvent,
    AuthFailure,
    Case,
    History,
    Letter,
    OutboxMessage,
    PrintBatch,
    RegistrationCode,
    Request,
)
from core.operations import operations, retention
from tests.integration.ops_support import at
from tests.integration.staff_support import make_member, make_request


def _request(number: str, status: str, decided_days_ago: float | None, member_id: int) -> int:
    request_id = make_request(number, member_id=member_id, received_at=at((decided_days_ago or 0) + 1))
    with db.unit_of_work() as s:
        request = s.get(Request, request_id)
        request.status = status
        request.decided_at = at(decided_days_ago) if decided_days_ago is not None else None
        s.add(History(request_id=request_id, at=request.received_at, actor="requester", event="request.received"))
    return request_id


def _case(request_id: int | None, member_id: int, status: str, decided_days_ago: float | None) -> int:
    with db.unit_of_work() as s:
        case = Case(kind="new_code", status=status, why="test", request_id=request_id, member_id=member_id,
                    created_at=at((decided_days_ago or 0) + 1),
                    decided_at=at(decided_days_ago) if decided_days_ago is not None else None)
        s.add(case)
        s.flush()
        s.add(History(case_id=case.id, request_id=request_id, at=case.created_at, actor="system", event="case.opened"))
        return case.id


def _code(member_id: int, status: str, *, used_days_ago: float | None = None, voided_days_ago: float | None = None,
          expired_days_ago: float | None = None, request_id: int | None = None) -> int:
    today = clock.today_in_zurich(clock.now())
    with db.unit_of_work() as s:
        code = RegistrationCode(
            member_id=member_id, purpose="new_code", code_hash=f"{status}-{used_days_ago}-{voided_days_ago}-"
            f"{expired_days_ago}".ljust(64, "0")[:64], status=status, issued_at=at(800),
            expires_on=today - timedelta(days=expired_days_ago) if expired_days_ago is not None
            else today + timedelta(days=10),
            used_at=at(used_days_ago) if used_days_ago is not None else None,
            voided_at=at(voided_days_ago) if voided_days_ago is not None else None, request_id=request_id)
        s.add(code)
        s.flush()
        return code.id


def _letter(member_id: int, reference: str, printed_days_ago: float, pdf: Path) -> int:
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.4 a letter with a code")
    with db.unit_of_work() as s:
        letter = Letter(reference=reference, member_id=member_id, kind="new_code", language="de",
                        address=["Muster AG", "3000 Bern"], postcode="3000", letter_date=at(printed_days_ago).date(),
                        status=LetterStatus.PRINTED, pdf_path=str(pdf), created_at=at(printed_days_ago + 2),
                        rendered_at=at(printed_days_ago + 1), printed_at=at(printed_days_ago))
        s.add(letter)
        s.flush()
        return letter.id


def _run(dry_run: bool = False, **periods: int | None) -> dict[str, int]:
    with db.unit_of_work() as s:
        outcomes = retention.run(s, retention.Periods(**periods), clock.now(), dry_run=dry_run)
        if dry_run:
            s.rollback()
    return {outcome.label: outcome.count for outcome in outcomes}


def _exists(model: type, id_: int) -> bool:
    with db.unit_of_work() as s:
        return s.get(model, id_) is not None


def test_requests_and_cases_go_2_years_after_closing_and_open_ones_stay(pg):
    member_id = make_member("500100")
    old_done = _request("500100", RequestStatus.COMPLETED, 731, member_id)
    recent_done = _request("500100", RequestStatus.COMPLETED, 700, member_id)
    old_open = _request("500100", RequestStatus.IN_REVIEW, None, member_id)
    open_case = _case(old_open, member_id, CaseStatus.OPEN, None)
    old_decided = _request("500100", RequestStatus.COMPLETED, 800, member_id)
    old_case = _case(old_decided, member_id, CaseStatus.REJECTED, 800)
    code = _code(member_id, CodeStatus.ISSUED, request_id=old_done)

    counted = _run(dry_run=True)
    assert counted["closed requests"] == 2 and counted["closed staff cases"] == 1
    assert _exists(Request, old_done)  # a dry run changes nothing

    removed = _run()
    assert removed["closed requests"] == 2 and removed["closed staff cases"] == 1
    assert not _exists(Request, old_done) and not _exists(Request, old_decided) and not _exists(Case, old_case)
    assert _exists(Request, recent_done) and _exists(Request, old_open) and _exists(Case, open_case)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).where(History.request_id.in_([old_done, old_decided]))) == 0
        assert s.get(RegistrationCode, code).request_id is None  # the code row stays, unlinked
    assert _run()["closed requests"] == 0  # a second run finds nothing


def test_code_hashes_go_1_year_after_use_void_or_expiry(pg):
    member_id = make_member("500200")
    gone = [_code(member_id, CodeStatus.USED, used_days_ago=366),
            _code(member_id, CodeStatus.VOIDED, voided_days_ago=400),
            _code(member_id, CodeStatus.ISSUED, expired_days_ago=370)]
    kept = [_code(member_id, CodeStatus.USED, used_days_ago=300),
            _code(member_id, CodeStatus.ISSUED, expired_days_ago=10),
            _code(member_id, CodeStatus.ISSUED)]
    assert _run()["hashes of used, voided or expired codes"] == 3
    with db.unit_of_work() as s:
        assert [s.get(RegistrationCode, id_).code_hash for id_ in gone] == [None, None, None]
        assert all(s.get(RegistrationCode, id_).code_hash for id_ in kept)
        assert s.scalar(select(func.count()).select_from(RegistrationCode)) == 6  # rows stay for the counts


def test_printed_letter_pdfs_go_1_year_after_printing_and_the_letter_row_stays(pg, tmp_path):
    member_id = make_member("500300")
    old_pdf, new_pdf = tmp_path / "2024" / "L-OLD.pdf", tmp_path / "2025" / "L-NEW.pdf"
    old = _letter(member_id, "L-OLD-0001", 400, old_pdf)
    new = _letter(member_id, "L-NEW-0001", 100, new_pdf)
    batch_pdf, manifest = tmp_path / "batch-1.pdf", tmp_path / "batch-1.csv"
    batch_pdf.write_bytes(b"%PDF"), manifest.write_text("address lines")
    with db.unit_of_work() as s:
        s.add(PrintBatch(created_at=at(400), letters=1, pdf_path=str(batch_pdf), manifest_path=str(manifest)))

    assert _run(dry_run=True)["PDFs of printed letters"] == 1 and old_pdf.exists()
    removed = _run()
    assert removed["PDFs of printed letters"] == 1 and removed["print batch files"] == 1
    assert not old_pdf.exists() and new_pdf.exists() and not batch_pdf.exists() and not manifest.exists()
    with db.unit_of_work() as s:
        assert s.get(Letter, old).pdf_path == "" and s.get(Letter, old).status == LetterStatus.PRINTED
        assert s.get(Letter, new).pdf_path == str(new_pdf)


def _events(*days_ago: float) -> None:
    for days in days_ago:
        with db.unit_of_work() as s:
            audit.record(s, audit.Entry("test", "code.issued", None, "member:1", {"n": days}), at(days))


def _verify() -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify"])
    return result.exit_code, result.output


def test_r18_audit_events_stay_unless_a_period_is_set(pg):
    _events(900, 800, 10)
    assert _run()["audit events"] == 0
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 3


def test_r18_audit_events_never_go_before_1_year_even_if_configured_shorter(pg):
    _events(200, 10)
    assert retention.Periods(audit=100).problems()
    assert _run(audit=100)["audit events"] == 0


def test_r18_audit_chain_still_verifies_after_the_oldest_events_go(pg):
    _events(900, 800, 500, 10, 1)
    assert _run(audit=400)["audit events"] == 3
    with db.unit_of_work() as s:
        remaining = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        assert [event.detail.get("n") for event in remaining][:2] == [10, 1]
        assert list(audit.verify(remaining)) != []  # from GENESIS the chain no longer starts...
        first_id, start = retention.audit_start(s)
        assert first_id == remaining[0].id and list(audit.verify(remaining, start)) == []  # ...from the checkpoint
    code, output = _verify()
    assert code == 0, output
    with db.unit_of_work() as s:  # removing one more event by hand is still caught
        s.execute(delete(AuditEvent).where(AuditEvent.id == remaining[0].id))
    assert _verify()[0] == 1


def test_r18_the_newest_audit_event_is_never_removed(pg):
    _events(900, 800)
    assert _run(audit=400)["audit events"] == 1
    with db.unit_of_work() as s:
        audit.record(s, audit.Entry("test", "code.issued", None, "member:1", {}), clock.now())
    assert _verify()[0] == 0


def test_operations_rows_and_attempts_go_but_a_parked_tasks_outbox_row_stays(pg):
    now = clock.now()
    with db.unit_of_work() as s:
        for key, sent in (("mail:old", at(40)), ("mail:parked", at(40)), ("mail:recent", at(5)), ("mail:unsent", None)):
            outbox.add(s, "mail.send", {"to": "x@example.ch"}, key=key, now=at(45))
            if sent:
                s.execute(OutboxMessage.__table__.update().where(OutboxMessage.key == key).values(sent_at=sent))
        operations.park(s, operations.Failure("mail:parked", "mail.send", [], {}, "OSError", ""), now)
        s.add_all([AuthFailure(account="login:1", ip="192.0.2.1", factor="password", at=at(100)),
                   AuthFailure(account="login:1", ip="192.0.2.1", factor="password", at=at(10))])
    removed = _run()
    assert removed["published outbox rows"] == 1 and removed["failed logins"] == 1
    with db.unit_of_work() as s:
        assert set(s.scalars(select(OutboxMessage.key))) == {"mail:parked", "mail:recent", "mail:unsent"}


def test_the_command_says_what_it_would_remove(pg):
    member_id = make_member("500400")
    _code(member_id, CodeStatus.USED, used_days_ago=500)
    result = CliRunner().invoke(main, ["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "hashes of used, voided or expired codes: would remove 1 (older than 365 days)" in result.output
    assert "audit events: kept (no period configured)" in result.output
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).where(RegistrationCode.code_hash.is_(None))) == 0
    applied = CliRunner().invoke(main, ["retention"])
    assert "hashes of used, voided or expired codes: removed 1" in applied.output


def test_the_daily_job_applies_retention_and_records_it(pg):
    from worker.tasks import operations as operations_tasks

    member_id = make_member("500500")
    _code(member_id, CodeStatus.VOIDED, voided_days_ago=400)
    assert operations_tasks.apply_retention.apply().state == "SUCCESS"
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).where(RegistrationCode.code_hash.is_(None))) == 1
        applied = s.scalar(select(AuditEvent).where(AuditEvent.action == "retention.applied"))
        assert applied.detail == {"hashes of used, voided or expired codes": 1}
