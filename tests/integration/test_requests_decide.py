"""R5 on real PostgreSQL: the worker's decision on a request for a new code, and what each outcome writes."""

from __future__ import annotations

from datetime import timedelta

from requests_support import add_login, add_member, count, decide, outbox, submit
from sqlalchemy import event, select

from core import clock, db
from core.codes import codes
from core.desk import requests
from core.domain.requests import Outcome
from core.domain.states import CaseStatus, CodeStatus, LetterStatus, LoginStatus, RequestStatus
from core.models import AuditEvent, Case, History, Letter, RegistrationCode, Request


def load(request_id: int) -> Request:
    with db.unit_of_work() as session:
        found = session.get(Request, request_id)
        assert found is not None
        return found


def test_r5_r2_no_administrator_and_match_issue_a_code_letter_and_void_the_older_code(pg):
    with db.unit_of_work() as session:
        member = add_member(session)
        member_id = member.id
        # R21: the invitation went out more than a week ago; a code in the post for less is not voided this way
        codes.issue_letter(session, member, kind="invitation", now=clock.now() - timedelta(days=8))
    request_id, reference = submit()

    assert decide(request_id) is Outcome.ISSUE_CODE

    done = load(request_id)
    assert (done.status, done.outcome, done.member_id) == (RequestStatus.COMPLETED, "code_issued", member_id)
    assert done.decided_at is not None
    with db.unit_of_work() as session:
        by_status = {c.status: c for c in session.scalars(select(RegistrationCode))}
        # R2: the invitation code is void, the new one stands
        assert set(by_status) == {CodeStatus.VOIDED, CodeStatus.ISSUED}
        assert by_status[CodeStatus.ISSUED].request_id == request_id
        letters = session.scalars(select(Letter).order_by(Letter.id)).all()
        assert [(letter.kind, letter.status) for letter in letters] == [("invitation", LetterStatus.CANCELLED),
                                                                        ("new_code", LetterStatus.PENDING)]
        # R1: the address on file, never one from the request
        assert letters[1].address[-1] == "3000 Bern" and letters[1].code_id == by_status[CodeStatus.ISSUED].id
        events = [h.event for h in session.scalars(select(History).where(History.request_id == request_id))]
        decided = session.scalars(select(AuditEvent).where(AuditEvent.action == "request.decided")).one()
    assert events == ["request.received", "request.decided"]
    assert decided.subject == f"request:{reference}" and decided.detail["outcome"] == "code_issued"
    rendered = outbox("letters.render")
    assert any(letters[1].id in row.args["letter_ids"] for row in rendered)
    assert count(Case) == 0


def test_r5_active_administrator_is_mailed_and_no_code_is_issued(pg):
    yesterday = clock.today_in_zurich(clock.now()) - timedelta(days=1)
    with db.unit_of_work() as session:
        member = add_member(session)
        add_login(session, member, "admin@muster.ch", language="fr")
        add_login(session, member, "second.admin@muster.ch", rights=["administration", "invoices"])
        add_login(session, member, "clerk@muster.ch", rights=["salary_declarations"])  # no administration right
        add_login(session, member, "left@muster.ch", status=LoginStatus.DEACTIVATED)
        add_login(session, member, "gone@muster.ch", last_day=yesterday)  # R11: refused since midnight
        add_login(session, member, "pending@muster.ch", status=LoginStatus.PENDING)
    request_id, reference = submit()

    assert decide(request_id) is Outcome.TELL_ADMINISTRATORS

    done = load(request_id)
    assert (done.status, done.outcome) == (RequestStatus.COMPLETED, "administrators_told")
    assert count(RegistrationCode) == 0 and count(Letter) == 0 and count(Case) == 0
    mails = {row.args["to"]: row.args for row in outbox("mail.send")}
    assert set(mails) == {"anna@example.ch", "admin@muster.ch", "second.admin@muster.ch"}
    to_admin = mails["admin@muster.ch"]
    assert "Muster AG" in to_admin["subject"] and reference in to_admin["body"]
    assert "Anna Muster" in to_admin["body"] and "Nouveau" in to_admin["body"]  # in the administrator's language


def test_r11_administrator_whose_last_day_has_passed_does_not_count(pg):
    yesterday = clock.today_in_zurich(clock.now()) - timedelta(days=1)
    with db.unit_of_work() as session:
        member = add_member(session)
        add_login(session, member, "gone@muster.ch", last_day=yesterday)
    request_id, _ = submit()
    assert decide(request_id) is Outcome.ISSUE_CODE


def test_r11_administrator_on_their_last_day_still_counts(pg):
    with db.unit_of_work() as session:
        member = add_member(session)
        add_login(session, member, "leaving@muster.ch", last_day=clock.today_in_zurich(clock.now()))
    request_id, _ = submit()
    assert decide(request_id) is Outcome.TELL_ADMINISTRATORS


def test_r5_uid_mismatch_opens_a_staff_case(pg):
    with db.unit_of_work() as session:
        add_member(session, uid="CHE-100.155.212")
    request_id, _ = submit(uid="CHE-116.281.710")

    assert decide(request_id) is Outcome.STAFF_CASE

    done = load(request_id)
    assert (done.status, done.outcome) == (RequestStatus.IN_REVIEW, "staff_case")
    with db.unit_of_work() as session:
        case = session.scalars(select(Case)).one()
        assert (case.status, case.kind, case.request_id) == (CaseStatus.OPEN, "new_code", request_id)
        assert "UID" in case.why
    assert count(RegistrationCode) == 0
    # staff hear of it in the batched notice (core.desk.staff_notices), not one e-mail per case
    assert not [row for row in outbox("mail.send") if row.key.startswith("mail:case-opened")]


def test_r5_unknown_member_opens_a_staff_case(pg):
    request_id, _ = submit(member_number="999999")
    assert decide(request_id) is Outcome.STAFF_CASE
    done = load(request_id)
    assert (done.status, done.member_id) == (RequestStatus.IN_REVIEW, None)
    with db.unit_of_work() as session:
        assert session.scalars(select(Case)).one().member_id is None


def test_r5_administrators_who_cannot_help_send_the_request_to_staff(pg):
    with db.unit_of_work() as session:
        member = add_member(session)
        add_login(session, member, "admin@muster.ch")
    request_id, _ = submit(administrators_cannot_help=True)
    assert decide(request_id) is Outcome.STAFF_CASE
    assert {row.args["to"] for row in outbox("mail.send")} == {"anna@example.ch"}


def test_r3_member_with_100_wrong_codes_goes_to_staff(pg):
    with db.unit_of_work() as session:
        add_member(session, code_failures=100)
    request_id, _ = submit()
    assert decide(request_id) is Outcome.STAFF_CASE
    assert count(RegistrationCode) == 0


def test_r19_uid_on_file_is_compared_in_its_normal_form(pg):
    with db.unit_of_work() as session:
        add_member(session, uid="CHE100155212")
    request_id, _ = submit(uid="che 100 155 212")
    assert decide(request_id) is Outcome.ISSUE_CODE


def test_deciding_twice_does_nothing_the_second_time(pg):
    with db.unit_of_work() as session:
        add_member(session)
    request_id, _ = submit()
    assert decide(request_id) is Outcome.ISSUE_CODE
    before = [count(model) for model in (RegistrationCode, Letter, History, AuditEvent, Case)], len(outbox())

    assert decide(request_id) is None

    after = [count(model) for model in (RegistrationCode, Letter, History, AuditEvent, Case)], len(outbox())
    assert after == before
    assert load(request_id).outcome == "code_issued"


def test_deciding_an_unknown_request_does_nothing(pg):
    assert decide(12345) is None


def test_the_worker_task_decides_in_its_own_transaction(pg):
    from worker.tasks.requests import decide as decide_task

    with db.unit_of_work() as session:
        add_member(session)
    request_id, _ = submit()
    decide_task.run(request_id)  # the task body, as the worker runs it (no eager mode, no mocks)
    assert load(request_id).status == RequestStatus.COMPLETED
    assert count(RegistrationCode) == 1


def test_submit_writes_the_request_and_its_decision_task_together_and_nothing_more(pg):
    request_id, reference = submit(language="it")
    done = load(request_id)
    assert (done.status, done.outcome, done.requester_phone, done.language) == (
        RequestStatus.RECEIVED, "", "+41311234567", "it")
    assert [(row.args, row.key) for row in outbox()] == [({"request_id": request_id}, f"decide:{request_id}")]
    assert count(History) == 0  # the history line and the acknowledgement come with the decision
    with db.unit_of_work() as session:
        shown = requests.public_status(session, reference.lower(), clock.now())
        assert shown is not None and (shown["reference"], shown["kind"], shown["status"]) == (
            reference, "new_code", "received")
        assert requests.public_status(session, "R-0000-0000", clock.now()) is None


def test_submit_is_one_sql_statement_on_postgresql(pg):
    """Intake speed: the request and its outbox row go to the database in one statement (no flush, no RETURNING
    round trip, no history or mail rows), inside the caller's transaction."""
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine(), "before_cursor_execute", note)
    try:
        submit()
    finally:
        event.remove(db.engine(), "before_cursor_execute", note)
    submitted = statements[0]  # the helper then reads the id back in a second transaction
    assert submitted.lstrip().upper().startswith("WITH") and "INSERT INTO outbox" in submitted
    assert len([s for s in statements if s.lstrip().upper().startswith(("INSERT", "WITH"))]) == 1


def test_the_decision_writes_the_received_line_and_the_acknowledgement_once(pg):
    request_id, reference = submit(language="it")
    received_at = load(request_id).received_at
    decide(request_id)
    decide(request_id)  # a repeated task adds nothing
    (ack,) = [row for row in outbox("mail.send") if row.key == f"mail:request-received:{request_id}"]
    assert ack.args["to"] == "anna@example.ch" and reference in ack.args["body"]
    assert "posta" in ack.args["body"]  # Italian, the page's language
    with db.unit_of_work() as session:
        lines = session.scalars(select(History).where(History.request_id == request_id).order_by(History.id)).all()
        assert [(h.event, h.actor) for h in lines][:1] == [("request.received", "requester")]
        assert lines[0].at == received_at  # dated when the request came in, not when it was decided
        assert [h.event for h in lines].count("request.received") == 1


def test_the_acknowledgement_reads_the_same_for_a_real_and_an_invented_member(pg):
    with db.unit_of_work() as session:
        add_member(session)
    real_id, real = submit()
    # another address: one address is acknowledged once a day (R21)
    invented_id, invented = submit(member_number="999999", uid="CHE-116.281.710", requester_email="bea@example.ch")
    decide(real_id)
    decide(invented_id)
    acks = {row.key: row for row in outbox("mail.send") if row.key.startswith("mail:request-received:")}
    first, second = acks[f"mail:request-received:{real_id}"], acks[f"mail:request-received:{invented_id}"]
    assert first.args["subject"].replace(real, "REF") == second.args["subject"].replace(invented, "REF")
    assert first.args["body"].replace(real, "REF") == second.args["body"].replace(invented, "REF")
