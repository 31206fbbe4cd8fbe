"""Support requests ("Altra situazione", Situation 4): a member's question about logins, two-step login or the
fund's business processes. Stored as a request and a case of kind `support` in one transaction with the
acknowledgement e-mail; staff answer by e-mail from the case (kept in its history) and close it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import config, mail, refs
from core.desk import cases
from core.desk.case_kind import CaseKind
from core.desk.casework import note_on_case
from core.domain.states import RequestStatus
from core.models import History, Member, Request
from core.refusal import Refused
from core.translatable import N_

KIND = "support"
TOPICS = ("adding_users", "two_step_login", "business_process", "other")
TOPIC_TEXTS = {"adding_users": N_("adding or changing users"), "two_step_login": N_("two-step login"),
               "business_process": N_("a business process"), "other": N_("something else")}
LANGUAGES = ("de", "fr", "it", "en")
MAX_MESSAGE = 5000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SupportError(Refused):
    """A support request or answer that cannot be taken; the message names the field."""


@dataclass(frozen=True)
class SupportRequest:
    topic: str
    message: str
    name: str
    email: str
    language: str
    member_number: str = ""
    company: str = ""
    phone: str = ""


def problem(form: SupportRequest) -> str | None:
    """What is wrong with the request, or None."""
    if form.topic not in TOPICS:
        return N_("choose what your question is about")
    if not form.message.strip():
        return N_("describe your question")
    if len(form.message) > MAX_MESSAGE:
        return f"the message can have at most {MAX_MESSAGE} characters"
    if not form.name.strip() or len(form.name) > 200:
        return N_("enter your name (at most 200 characters)")
    if not _EMAIL.match(form.email.strip()) or len(form.email) > 254:
        return "enter an e-mail address like name@example.ch"
    if len(form.member_number.strip()) > 20 or len(form.company) > 200 or len(form.phone) > 30:
        return N_("the member number, company or phone number is too long")
    return None


def submit(session: Session, form: SupportRequest, now: datetime, login_id: int | None = None,
           member_id: int | None = None) -> str:
    """The request, its case and the acknowledgement e-mail, in the caller's transaction. For a logged-in login
    the member is the one it acts for (given by the portal), never a number typed in the form."""
    found = problem(form)
    if found:
        raise SupportError(found)
    member = session.get(Member, member_id) if member_id is not None else None
    language = form.language if form.language in LANGUAGES else "de"
    request = Request(
        reference=refs.new("S"), kind=KIND, status=RequestStatus.IN_REVIEW, outcome="staff_case",
        member_number=member.member_number if member else form.member_number.strip(), uid=member.uid if member else "",
        company_name=member.name if member else form.company.strip(), requester_name=form.name.strip(),
        requester_role="", requester_email=form.email.strip(), requester_phone=form.phone.strip(),
        reason=form.message.strip(), administrators_cannot_help=False, language=language,
        member_id=member.id if member else None, received_at=now,
        details={"topic": form.topic, **({"login_id": login_id} if login_id else {})})
    session.add(request)
    session.flush()
    session.add(History(request_id=request.id, at=now, actor=_actor(login_id), event="request.received",
                        detail=f"support request about {TOPIC_TEXTS[form.topic]}"))
    cases.open_case(session, kind=KIND, why=f"support request about {TOPIC_TEXTS[form.topic]}", now=now,
                    request_id=request.id, member_id=request.member_id)
    mail.queue(session, to=request.requester_email, name="support_received", lang=language,
               context={"reference": request.reference, "name": request.requester_name,
                        "support_email": config.get().support_email},
               key=f"support-received:{request.id}", now=now)
    return request.reference


def _actor(login_id: int | None) -> str:
    return f"login:{login_id}" if login_id else "public"


def answer(session: Session, case_id: int, staff_id: int, message: str, now: datetime) -> None:
    """E-mail an answer to the contact address of the request; the text stays in the case history."""
    message = message.strip()
    if not message:
        raise SupportError(N_("enter the answer"))
    if len(message) > MAX_MESSAGE:
        raise SupportError(f"the answer can have at most {MAX_MESSAGE} characters")
    case = note_on_case(session, case_id, staff_id, "support.answered", message, {"kind": KIND}, now)
    request = session.get(Request, case.request_id) if case.request_id else None
    if case.kind != KIND or request is None:
        raise SupportError(N_("only a support request can be answered from here"))
    session.flush()
    sent = session.scalar(select(func.count()).where(History.case_id == case.id,
                                                     History.event == "support.answered")) or 0
    mail.queue(session, to=request.requester_email, name="support_answer", lang=request.language,
               context={"reference": request.reference, "name": request.requester_name, "answer": message,
                        "support_email": config.get().support_email},
               key=f"support-answer:{case.id}:{sent}", now=now)


# Answered by e-mail from the case (as often as needed), then closed.
CASE = CaseKind(KIND, may_approve=False, may_reject=False, may_close=True, own_approval_form=True)
