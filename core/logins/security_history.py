"""R18 for members: the security history in plain words. Administrators see their member's events; every login
sees its own. Only events carrying the member's id are shown, so nothing of another member or of the fund's
inner workings appears. Texts are English source strings with placeholders, translated by the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, union
from sqlalchemy.orm import Session

from core.domain import rights
from core.logins import logins
from core.models import AuditEvent, Login, Mandate
from core.translatable import N_

PAGE_SIZE = 50

# What happened, by audit action. {actor} did it, {subject} is the login it concerns.
WHAT: dict[str, str] = {
    "login.created": N_("{actor} created the login of {subject}."),
    "login.registered": N_("{subject} registered as the first administrator with the code from the letter."),
    "invitation.sent": N_("{actor} sent an invitation to {subject}."),
    "invitation.cancelled": N_("{actor} cancelled the invitation of {subject}."),
    "login.activated": N_("{subject} finished the registration; the login is active."),
    "login.changed": N_("{actor} changed the details of {subject}: {fields}."),
    "login.rights_changed": N_("{actor} changed the rights of {subject}. Rights now: {rights}."),
    "login.deactivation_scheduled": N_("{actor} set {day} as the last working day of {subject}."),
    "login.deactivation_cancelled": N_("{actor} removed the last working day of {subject}."),
    "login.deactivated": N_("{actor} deactivated the login of {subject}."),
    "login.left": N_("{subject} deactivated their own login."),
    "login.leaving": N_("{subject} set {day} as their last working day."),
    "login.staying": N_("{subject} removed their own last working day ({day})."),
    "login.ended": N_("The login of {subject} was deactivated after the last working day ({day})."),
    "login.reactivated": N_("{actor} reactivated the login of {subject}."),
    "login.signed_in": N_("{subject} logged in."),
    "login.second_factor_failed": N_("A wrong code was entered at the second step for {subject}."),
    "login.password_changed": N_("{subject} changed the password."),
    "login.authenticator_changed": N_("{subject} set up a new authenticator app."),
    "login.recovery_codes_issued": N_("New recovery codes were made for {subject}."),
    "login.recovery_code_used": N_("{subject} used a recovery code."),
    "code.used": N_("The registration code from the letter was used."),
    "code.issued": N_("A registration code was sent by post to the address on file."),
    "code.entry_failed": N_("A wrong registration code was entered."),
    "request.decided": N_("The fund decided a request for a new registration code."),
    # What the fund's staff did to the member (their decisions, corrections and letters), so that the member's
    # administrators see every hand that touched their access.
    "case.opened": N_("A request or matter about your company was passed to the fund's staff."),
    "case.approved": N_("{actor} approved a request or matter about your company."),
    "case.rejected": N_("{actor} rejected a request about your company."),
    "case.closed": N_("{actor} closed a matter about your company."),
    "code.voided": N_("{actor} made an unused registration code invalid."),
    "letter.returned": N_("A letter to your company came back undelivered; its registration code no longer works."),
    "letter.queued": N_("{actor} sent a letter by post to the address on file."),
    "member.address_corrected": N_("{actor} corrected your company's postal address: {fields}."),
    "member.address_recorded": N_("{actor} recorded a new postal address for your company ({fields}); it is used once "
                                  "a second staff member has approved it."),
    "member.updated": N_("The fund updated your company's details in its register."),
    "support.answered": N_("{actor} answered a support request by e-mail."),
    "power_of_attorney.recorded": N_("{actor} recorded a power of attorney for a trustee."),
    "power_of_attorney.revoked": N_("{actor} recorded the end of a power of attorney for a trustee."),
    "exceptional_registration.recorded": N_("{actor} recorded an official letter asking the fund to register a login."),
    "stale_logins.recorded": N_("{actor} recorded a request to deactivate old logins."),
    # The register of signatories decides who may ask the fund to register a login (R16).
    "signatory.added": N_("{actor} recorded an authorised signatory of your company from the commercial register."),
    "signatory.updated": N_("{actor} updated an authorised signatory of your company from the commercial register."),
    "signatory.ended": N_("{actor} recorded the end of a signing authority in your company's register of signatories "
                          "(last day {day})."),
    "letter.rendered": N_("A letter to your company was prepared for posting."),
    # Trustees (R13, R14): who was given access to the company, with which rights, and when it ended.
    "mandate_granted": N_("{actor} gave {subject} access to your company as a trustee. Rights: {rights}."),
    "mandate_changed": N_("{actor} changed the access of {subject} as a trustee. Rights now: {rights}."),
    "mandate_revoked": N_("{actor} revoked the access of {subject} as a trustee."),
    "power_of_attorney.reminded": N_("A reminder was sent that a power of attorney for a trustee ends in 30 days."),
}
MANDATE_ACTIONS = ("mandate_granted", "mandate_changed", "mandate_revoked")
OTHER = N_("Security event: {action}.")
FIELDS = {"name": N_("name"), "email": N_("e-mail address"), "mobile": N_("mobile number"),
          "language": N_("language"), "care_of": N_("c/o"), "street": N_("street"), "po_box": N_("PO box"),
          "postcode": N_("postcode"), "town": N_("town")}
NOBODY = N_("nobody")
SYSTEM = N_("connect (automatically)")
STAFF = N_("Compensation fund staff")  # one label for every staff member: members never learn staff names
SOMEONE = N_("someone who was not logged in")
# The fund's own jobs, run by its operators (imports) or by the scheduler.
FUND_ACTORS = {"register-import": STAFF, "signatories-import": STAFF, "poa-reminders": SYSTEM}


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    who: str  # an English source string, or a person's name (placeholders: none)
    who_is_name: bool
    what: str  # English source string
    values: dict[str, Any] = field(default_factory=dict)  # names, dates; the page translates the parts marked


@dataclass(frozen=True)
class Page:
    events: list[Event]
    older: int | None  # the `before` of the next page, when there is one


def of_member(session: Session, editor_id: int, now: datetime, before: int | None = None) -> Page:
    editor = logins.administrator(session, editor_id, now)
    return _page(session, logins.member_of(editor), None, before, PAGE_SIZE)


def of_login(session: Session, editor_id: int, login_id: int, now: datetime, limit: int = PAGE_SIZE) -> list[Event]:
    """An administrator looking at one login of the member."""
    editor = logins.administrator(session, editor_id, now)
    target = logins.of_member(session, editor.member_id, login_id)
    return _page(session, logins.member_of(editor), logins.account(target), None, limit).events


def own(session: Session, login_id: int, now: datetime, before: int | None = None) -> Page:
    me = logins.acting(session, login_id, now)
    if me.member_id is None:
        return _trustee_own(session, me, before)
    return _page(session, me.member_id, logins.account(me), before, PAGE_SIZE)


def _trustee_own(session: Session, me: Login, before: int | None) -> Page:
    """A trustee login (R13) has no member of its own: its history is what happened to the login itself (sign-ins,
    password, authenticator); what it was given by each member stays in that member's history."""
    account = logins.account(me)
    query = select(AuditEvent).where(AuditEvent.member_id.is_(None),
                                     or_(AuditEvent.subject == account, AuditEvent.actor == account))
    if before is not None:
        query = query.where(AuditEvent.id < before)
    found = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)))
    names = {account: me.name}
    events = [describe(event, names) for event in found[:PAGE_SIZE]]
    return Page(events, found[PAGE_SIZE - 1].id if len(found) > PAGE_SIZE else None)


def _page(session: Session, member_id: int, account: str | None, before: int | None, size: int) -> Page:
    query = select(AuditEvent).where(AuditEvent.member_id == member_id)
    if account is not None:
        query = query.where(or_(AuditEvent.subject == account, AuditEvent.actor == account))
    if before is not None:
        query = query.where(AuditEvent.id < before)
    found = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(size + 1)))
    names = _names(session, member_id)
    events = [describe(event, names) for event in found[:size]]
    return Page(events, found[size - 1].id if len(found) > size else None)


def _names(session: Session, member_id: int) -> dict[str, str]:
    """The member's own logins and the trustee logins it gave a mandate (R13), so their events name them."""
    # Two indexed reads in one statement: an OR of the two made PostgreSQL read every login.
    own = select(Login.id, Login.name).where(Login.member_id == member_id)
    trustees = select(Login.id, Login.name).join(Mandate, Mandate.login_id == Login.id).where(
        Mandate.member_id == member_id)
    return {f"login:{login_id}": name for login_id, name in session.execute(union(own, trustees))}


def _who(actor: str, names: dict[str, str]) -> tuple[str, bool]:
    if actor in names:
        return names[actor], True
    if actor == "system":
        return SYSTEM, False
    if actor.startswith("staff:"):
        return STAFF, False
    if actor in FUND_ACTORS:
        return FUND_ACTORS[actor], False
    return SOMEONE, False


# The same actions done by a login to itself, told in the first person's own terms.
SELF_ACTIONS = {"login.deactivated": "login.left", "login.deactivation_scheduled": "login.leaving",
                "login.deactivation_cancelled": "login.staying"}


def describe(event: AuditEvent, names: dict[str, str]) -> Event:
    detail = event.detail or {}
    action = event.action
    if action == "login.created" and detail.get("via") == "registration_code":
        action = "login.registered"
    if action == "login.deactivated" and detail.get("reason") == "last_day_passed":
        action = "login.ended"
    elif event.actor == event.subject and action in SELF_ACTIONS:
        action = SELF_ACTIONS[action]
    who, is_name = _who(event.actor, names)
    subject, granted = event.subject, detail.get("after", [])
    if action in MANDATE_ACTIONS:  # a mandate's event names the trustee login it concerns
        subject, granted = f"login:{detail.get('login_id')}", detail.get("rights", [])
    values: dict[str, Any] = {
        "subject": names.get(subject, ""),
        "fields": [FIELDS.get(name, name) for name in detail.get("fields", [])],
        "rights": [rights.label(right) for right in granted],
        "day": _day(detail.get("last_day")),
        "action": event.action,
    }
    return Event(event.id, event.at, who, is_name, WHAT.get(action, OTHER), values)


def _day(iso: str | None) -> str:
    if not iso:
        return ""
    return date.fromisoformat(iso).strftime("%d.%m.%Y")
