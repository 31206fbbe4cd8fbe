"""Requests for a new code (Situation 2) or for a code sent to the member's trustee (Situation 3 (b), R15):
accepted at once, decided by the worker per R5 / R15. The trustee-code intake is in core.trustees.trustee_codes.

Nothing a requester sees depends on whether the member exists: the acknowledgement, the reference and the
public status read the same for a real member and an invented one.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Insert, String, Table, bindparam, cast, func, insert, literal, select
from sqlalchemy.orm import Session

from core import attempt_locks, audit, clock, db, mail, outbox, refs
from core.codes import codes
from core.desk import cases, stale_logins
from core.domain import codes as code_rules
from core.domain import request_status
from core.domain import stale_login_requests as stale_rules
from core.domain.deactivation import may_use
from core.domain.identifiers import InvalidIdentifier, normalise_uid
from core.domain.requests import (
    LETTER_IN_POST,
    LETTER_PAUSE_DAYS,
    Decision,
    Facts,
    NewCodeRequest,
    Outcome,
    PublicStatus,
    decide_new_code,
    decide_trustee_code,
)
from core.domain.stale_login_requests import StaleLoginsRequest
from core.domain.states import CaseStatus, LetterStatus, LoginStatus
from core.models import Case, Document, History, Letter, Login, Member, Request

NEW_CODE = "new_code"
TRUSTEE_CODE = "trustee_code"
SAME_REQUEST_DAYS = 7  # how long the same request sent again joins the open case of the first
ADMINISTRATION = "administration"
DECIDE_TASK = "requests.decide"


def submit_new_code(session: Session, command: NewCodeRequest, now: datetime) -> str:
    """Store the request and queue its decision; returns the reference.

    Intake writes only what must be durable before the 202: the request and its decision task. The history line
    and the requester's acknowledgement are written by the decision (`decide`), which runs after this commit.
    """
    reference = refs.new("R")
    values = _request_values(command, reference, now)
    if db.is_postgres(session):
        # One statement and one round trip: the outbox row takes the new id inside the statement.
        session.connection().execute(_SUBMIT_POSTGRES, values)
        outbox.written(session)
    else:
        request = Request(**values)
        session.add(request)
        session.flush()
        outbox.add(session, DECIDE_TASK, {"request_id": request.id}, key=f"decide:{request.id}", now=now)
    return reference


def submit_new_code_alone(command: NewCodeRequest, now: datetime) -> str:
    """Intake's whole write in a transaction of its own; returns the reference. On PostgreSQL the one statement of
    `submit_new_code` runs in autocommit: one round trip to the database instead of three (BEGIN, INSERT,
    COMMIT), which is most of what a public request costs the web process."""
    if db.engine().dialect.name != "postgresql":
        with db.unit_of_work() as session:
            return submit_new_code(session, command, now)
    reference = refs.new("R")
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(_SUBMIT_POSTGRES, _request_values(command, reference, now))
    outbox.committed()
    return reference


def submit_stale_logins(session: Session, command: StaleLoginsRequest, now: datetime) -> str:
    """R17: the member's own request to deactivate logins, stored with the logins as listed; decided like any."""
    reference = refs.new("R")
    values = {**_request_values(command.member, reference, now), "kind": stale_logins.KIND,
              "details": {"logins": [row.as_details() for row in command.logins]}}
    request = Request(**values)
    session.add(request)
    session.flush()
    outbox.add(session, DECIDE_TASK, {"request_id": request.id}, key=f"decide:{request.id}", now=now)
    return reference


def _request_values(command: NewCodeRequest, reference: str, now: datetime) -> dict[str, Any]:
    return {
        "reference": reference, "kind": NEW_CODE, "status": PublicStatus.RECEIVED.value, "outcome": "",
        "member_number": command.member_number, "uid": command.uid, "company_name": command.company_name,
        "requester_name": command.requester_name, "requester_role": command.requester_role,
        "requester_email": command.requester_email, "requester_phone": command.requester_phone,
        "reason": command.reason, "administrators_cannot_help": command.administrators_cannot_help,
        "language": command.language, "received_at": now,
    }


def _table(model: type[Any]) -> Table:
    table = model.__table__  # declarative models are typed with a FromClause; ours are plain tables
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def _submit_statement() -> Insert:
    """INSERT request … RETURNING id, fed into INSERT outbox: both rows in one statement (PostgreSQL)."""
    columns = ("reference", "kind", "status", "outcome", "member_number", "uid", "company_name", "requester_name",
               "requester_role", "requester_email", "requester_phone", "reason", "administrators_cannot_help",
               "language", "received_at")
    table = _table(Request)
    stored = (insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in columns})
              .returning(table.c.id).cte("stored"))
    return outbox.insert_from(select(
        literal(DECIDE_TASK, String), func.json_build_object("request_id", stored.c.id),
        literal("decide:", String) + cast(stored.c.id, String),
        bindparam("received_at", type_=table.c.received_at.type),
    ))


_SUBMIT_POSTGRES = _submit_statement()


def decide(session: Session, request_id: int, now: datetime) -> Outcome | None:
    """R5, once: a request already decided (or unknown) is left alone, so a repeated task does nothing."""
    request = session.get(Request, request_id, with_for_update=True)
    if request is None or request.status != PublicStatus.RECEIVED:
        return None
    # R21: decisions about one member, or answering one address, take turns, so that the letter a week and the
    # e-mails a day are counted exactly however many requests arrive together.
    for key in sorted({f"decide-member:{request.member_number}", f"decide-address:{request.requester_email}"}):
        attempt_locks.take_turns(session, key)
    member = session.scalar(select(Member).where(Member.member_number == request.member_number))
    administrators = active_administrators(session, member.id, now) if member else []
    facts = Facts(
        member_known=member is not None,
        uid_matches=member is not None and same_uid(member.uid, request.uid),
        active_administrators=len(administrators),
        exhausted=member is not None and code_rules.exhausted(member.code_failures),
        administrators_cannot_help=request.administrators_cannot_help,
        letter_in_post=member is not None and _letter_in_post(session, member.id, now),
    )
    decision = _decide_kind(request.kind, facts)
    _acknowledge(session, request, now)
    request.member_id = member.id if member else None
    request.decided_at = now
    if decision.outcome is Outcome.ISSUE_CODE:
        assert member is not None
        _issue_code(session, request, member, now)
    elif decision.outcome is Outcome.TELL_ADMINISTRATORS:
        assert member is not None
        _tell_administrators(session, request, member, administrators, now)
    elif decision.outcome is Outcome.WAY_A:
        assert member is not None
        _answer_way_a(session, request, member, administrators, now)
    else:
        _to_staff(session, request, decision, now)
    _history(session, request, now, "request.decided", detail=f"{request.outcome}: {decision.why}")
    audit.record(session, audit.Entry("system", "request.decided", request.member_id, f"request:{request.reference}",
                                      {"outcome": request.outcome, "why": decision.why}), now)
    return decision.outcome


def _decide_kind(kind: str, facts: Facts) -> Decision:
    if kind == TRUSTEE_CODE:
        return decide_trustee_code(facts)
    if kind == stale_logins.KIND:
        return stale_rules.decide(facts)
    return decide_new_code(facts)


def _letter_in_post(session: Session, member_id: int, now: datetime) -> bool:
    since = now - timedelta(days=LETTER_PAUSE_DAYS)
    return session.scalar(select(Letter.id).where(
        Letter.member_id == member_id, Letter.kind.in_((NEW_CODE, "invitation")), Letter.created_at >= since,
        Letter.status != LetterStatus.CANCELLED).limit(1)) is not None


def _already_today(session: Session, request: Request, now: datetime, *conditions: Any) -> bool:
    """R21: whether another request decided today (Zurich) already led to the e-mail these conditions describe."""
    midnight = datetime.combine(clock.today_in_zurich(now), time.min, clock.ZURICH)
    return session.scalar(select(Request.id).where(
        Request.id != request.id, Request.decided_at >= midnight, *conditions).limit(1)) is not None


def _acknowledge(session: Session, request: Request, now: datetime) -> None:
    """The history's first line (dated when the request came in) and the requester's acknowledgement, which reads
    the same whatever the decision: it is queued before the outcome is known. An address typed by anyone gets at
    most one acknowledgement a day (R21)."""
    _history(session, request, request.received_at, "request.received", actor="requester")
    if _already_today(session, request, now, func.lower(Request.requester_email) == request.requester_email.lower()):
        return
    name = {TRUSTEE_CODE: "trustee_code_request_received",
            stale_logins.KIND: "stale_logins_request_received"}.get(request.kind, "new_code_request_received")
    mail.queue(session, to=request.requester_email, name=name, lang=request.language,
               context={"reference": request.reference, "requester_name": request.requester_name},
               key=f"request-received:{request.id}", now=now)


def public_status(session: Session, reference: str, now: datetime) -> dict[str, str] | None:
    """What anyone holding the reference may see (R21): the kind and a calendar that depends only on the day the
    request came in, never on its status, outcome or member."""
    found = session.execute(select(Request.reference, Request.kind, Request.received_at)
                            .where(Request.reference == reference.strip().upper())).first()
    if found is None:
        return None
    dates = request_status.timeline(clock.today_in_zurich(found.received_at))
    return {"reference": found.reference, "kind": found.kind,
            "status": dates.state(clock.today_in_zurich(now)).value,
            "received_on": dates.received_on.isoformat(), "processed_by": dates.processed_by.isoformat(),
            "answer_by": dates.answer_by.isoformat()}


def active_administrators(session: Session, member_id: int, now: datetime) -> list[Login]:
    """Logins that can still create logins today: active, holding the administration right, not past their last
    day (R11). Rights are a JSON list, so the right is checked here rather than in SQL."""
    logins = session.scalars(
        select(Login).where(Login.member_id == member_id, Login.status == LoginStatus.ACTIVE).order_by(Login.id)
    ).all()
    return [login for login in logins
            if ADMINISTRATION in (login.rights or []) and may_use(login.status, login.last_day, now)]


def same_uid(on_file: str, given: str) -> bool:
    return _uid_key(on_file) == _uid_key(given)


def _uid_key(text: str) -> str:
    try:
        return normalise_uid(text)
    except InvalidIdentifier:  # a register value that fails the check still compares by its characters
        return "".join(ch for ch in text.upper() if ch.isalnum())


def _issue_code(session: Session, request: Request, member: Member, now: datetime) -> None:
    # R1: the letter goes to the address on file; nothing the request says about addresses is used.
    codes.issue_letter(session, member, kind=NEW_CODE, now=now, actor=f"request:{request.reference}",
                       request_id=request.id)
    request.status, request.outcome = PublicStatus.COMPLETED.value, "code_issued"


def _tell_administrators(session: Session, request: Request, member: Member, administrators: list[Login],
                         now: datetime) -> None:
    request.status, request.outcome = PublicStatus.COMPLETED.value, "administrators_told"
    if _administrators_told_today(session, request, member, now):
        return
    for login in administrators:
        mail.queue(session, to=login.email, name="new_code_request_admins", lang=login.language,
                   context=_admin_mail_context(request, member, login), key=f"request-admins:{request.id}:{login.id}",
                   now=now)


def _administrators_told_today(session: Session, request: Request, member: Member, now: datetime) -> bool:
    """R21: a member's administrators hear at most once a day of requests others made."""
    return _already_today(session, request, now, Request.member_id == member.id,
                          Request.outcome.in_(("administrators_told", "administrator_can_help")))


def _admin_mail_context(request: Request, member: Member, login: Login) -> dict[str, Any]:
    return {"administrator_name": login.name, "company_name": member.name, "member_number": member.member_number,
            "reference": request.reference, "requester_name": request.requester_name,
            "requester_role": request.requester_role,
            "received_on": clock.today_in_zurich(request.received_at).strftime("%d.%m.%Y")}


def _answer_way_a(session: Session, request: Request, member: Member, administrators: list[Login],
                  now: datetime) -> None:
    """Situation 3 (a): the member's own administrators open the trustee's access; no code is sent. They, not the
    requester, are told: an answer to the typed address would say that the details matched (R21)."""
    trustee_name = str((request.details or {}).get("trustee_name", ""))
    request.status, request.outcome = PublicStatus.COMPLETED.value, "administrator_can_help"
    if _administrators_told_today(session, request, member, now):
        return
    for login in administrators:
        mail.queue(session, to=login.email, name="trustee_code_request_admins", lang=login.language,
                   context={**_admin_mail_context(request, member, login), "trustee_name": trustee_name},
                   key=f"request-admins:{request.id}:{login.id}", now=now)


def _to_staff(session: Session, request: Request, decision: Decision, now: datetime) -> None:
    kind = request.kind if request.kind in (TRUSTEE_CODE, stale_logins.KIND) else NEW_CODE
    request.status, request.outcome = PublicStatus.IN_REVIEW.value, "staff_case"
    if decision.why == LETTER_IN_POST and _joined_open_case(session, request, now):
        return
    if _joined_same_request(session, request, kind, now):
        return
    case = cases.open_case(session, kind=kind, why=decision.why, now=now, request_id=request.id,
                           member_id=request.member_id)
    case.document_id = request.document_id
    if kind == stale_logins.KIND:
        stale_logins.prepare_case(session, case, request)


def _joined_open_case(session: Session, request: Request, now: datetime) -> bool:
    """R21: while a letter is in the post, further requests for the member go to staff as one case."""
    case = session.scalar(select(Case).where(Case.member_id == request.member_id, Case.kind == NEW_CODE,
                                             Case.status == CaseStatus.OPEN, Case.why == LETTER_IN_POST).limit(1))
    if case is None:
        return False
    session.add(History(case_id=case.id, request_id=request.id, at=now, actor="system",
                        event="case.request_joined", detail=request.reference))
    return True


def _joined_same_request(session: Session, request: Request, kind: str, now: datetime) -> bool:
    """R21: the same request sent again (replayed, or sent twice at once: decide() takes turns per member and per
    address) while its case is open joins that case, so one person at the fund looks at it once."""
    since = now - timedelta(days=SAME_REQUEST_DAYS)
    earlier = session.execute(select(Case, Request).join(Request, Case.request_id == Request.id).where(
        Case.kind == kind, Case.status == CaseStatus.OPEN, Request.id != request.id,
        Request.member_number == request.member_number, Request.uid == request.uid,
        func.lower(Request.requester_email) == request.requester_email.lower(), Request.received_at >= since))
    for case, first in earlier:
        if _same(session, first, request):
            session.add(History(case_id=case.id, request_id=request.id, at=now, actor="system",
                                event="case.request_joined", detail=request.reference))
            return True
    return False


def _same(session: Session, first: Request, again: Request) -> bool:
    fields = ("company_name", "requester_name", "requester_role", "requester_phone", "reason",
              "administrators_cannot_help", "details")
    if any(getattr(first, name) != getattr(again, name) for name in fields):
        return False
    return _document_hash(session, first) == _document_hash(session, again)


def _document_hash(session: Session, request: Request) -> str | None:
    document = session.get(Document, request.document_id) if request.document_id else None
    return document.sha256 if document else None


def _history(session: Session, request: Request, now: datetime, event: str, actor: str = "system",
             detail: str = "") -> None:
    session.add(History(request_id=request.id, at=now, actor=actor, event=event, detail=detail))
