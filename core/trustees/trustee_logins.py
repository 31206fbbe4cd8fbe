"""R10, R13, R14: a member's administrator opens, lists and revokes trustees' access to their member.

A person who already has a login at that trustee company gets the new mandate on that login, never a second
login; anyone else gets a pending trustee login and the usual invitation. The administrator's grant is the
member's own (way (a), R14): the trustee acts within its rights from registration until it is revoked or its end
date, whatever power of attorney the fund has on record. Whether the fund may give the trustee information is
shown beside it (core.trustees.poa_uploads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from core import audit, clock, mail
from core.domain import logins as login_rules
from core.domain import mandates as mandate_rules
from core.domain.states import InvitationStatus, LoginStatus, MandateStatus
from core.logins import invitations, logins
from core.models import Invitation, Login, Mandate, Member, PowerOfAttorney, Trustee
from core.translatable import N_
from core.trustees import mandates, poa_uploads, trustees

NO_RIGHTS = N_("Choose at least one right for the trustee.")
UNKNOWN_COMPANY = N_("Choose a company from the list, or enter a new one.")
LOGIN_ENDED = N_("{name} had a login at this company that has been deactivated. Ask the company to contact us, or "
                 "enter another e-mail address.")


@dataclass(frozen=True)
class Company:
    """The trustee company as the administrator chose it: an id from the list, or a new one."""

    trustee_id: int | None = None
    new: trustees.Company | None = None


@dataclass(frozen=True)
class Opened:
    login_id: int
    mandate_id: int
    invited: bool  # False: the person's existing login got the mandate
    power_on_record: bool  # a current power of attorney covers the mandate now


def known_companies(session: Session, member_id: int) -> list[Trustee]:
    """Companies already linked to this member, by a power of attorney or a mandate: the ones it picks from."""
    with_power = select(PowerOfAttorney.trustee_id).where(PowerOfAttorney.member_id == member_id)
    with_mandate = (select(Login.trustee_id).join(Mandate, Mandate.login_id == Login.id)
                    .where(Mandate.member_id == member_id))
    return list(session.scalars(select(Trustee).where(or_(Trustee.id.in_(with_power), Trustee.id.in_(with_mandate)))
                                .order_by(Trustee.name, Trustee.id)))


def _company(session: Session, member_id: int, company: Company, actor: str, now: datetime) -> Trustee:
    if company.trustee_id is not None:
        known = {t.id: t for t in known_companies(session, member_id)}
        if company.trustee_id not in known:
            raise logins.Refused(UNKNOWN_COMPANY, "company")
        return known[company.trustee_id]
    try:
        if company.new is None:
            raise logins.Refused(UNKNOWN_COMPANY, "company")
        return trustees.find_or_create(session, company.new, now=now, actor=actor)
    except trustees.InvalidTrustee as exc:
        raise logins.Refused(exc.message, "uid" if exc.field == "uid" else "postcode", **exc.values) from exc


def _login_at(session: Session, trustee_id: int, email: str) -> Login | None:
    return session.scalar(select(Login).where(Login.trustee_id == trustee_id, func.lower(Login.email) == email)
                          .order_by(Login.id.desc()).limit(1))


def _checked_end(until: date | None, now: datetime) -> date | None:
    problem = mandate_rules.access_end_problem(until, clock.today_in_zurich(now))
    if problem:
        raise logins.Refused(problem, "valid_until")
    return until


def open_access(session: Session, editor_id: int, company: Company, person: logins.Details, now: datetime,
                until: date | None = None) -> Opened:
    """One transaction: the company (found or entered), the person's login (found or invited) and the mandate,
    which works until revoked or to the end of `until` (R13)."""
    editor = logins.administrator(session, editor_id, now)
    member_id = editor.member_id
    assert member_id is not None  # administrators are member logins
    if person.language not in logins.LANGUAGES:
        raise logins.Refused(logins.UNKNOWN_LANGUAGE, "language")
    _checked_end(until, now)
    _granted(editor, [], person.rights)  # refused before anything is looked up or entered
    actor = logins.account(editor)
    trustee = _company(session, member_id, company, actor, now)
    email = person.email.strip().lower()
    login = _login_at(session, trustee.id, email)
    if login is not None and login.status == LoginStatus.DEACTIVATED:
        raise logins.Refused(LOGIN_ENDED, "email", name=person.name.strip())
    # R10: a right the administrator lacks, given earlier by another administrator, is neither added nor removed.
    existing = mandates.active_mandate(session, login.id, member_id) if login is not None else None
    granted = _granted(editor, list(existing.rights) if existing else [], person.rights)
    # A person still invited elsewhere gets a fresh link naming this member: the earlier one may have lapsed.
    invited = login is None or login.status == LoginStatus.PENDING
    if login is None:
        login = Login(trustee_id=trustee.id, member_id=None, name=person.name.strip(), email=email,
                      mobile=person.mobile, language=person.language, rights=[], status=LoginStatus.PENDING,
                      created_at=now, session_version=1, totp_last_step=0, password_hash="", totp_secret="")
        session.add(login)
        session.flush()
        audit.record(session, audit.Entry(actor, "login.created", member_id, logins.account(login),
                                          {"trustee_id": trustee.id, "via": "invitation"}), now)
    if invited:
        invitations.invite(session, login, actor, now, member_id=member_id)
    mandate_id = mandates.grant(session, login.id, member_id, granted, actor, now, valid_until=until)
    on_record = bool(mandates.current_powers(session, member_id, trustee.id, now))
    return Opened(login.id, mandate_id, invited, on_record)


def _granted(editor: Login, before: list[str], wanted: tuple[str, ...]) -> list[str]:
    try:
        granted = login_rules.granted_rights(editor.rights, before, wanted)
    except login_rules.GrantRefused as exc:
        raise logins.Refused(str(exc), "rights") from exc
    if not granted:
        raise logins.Refused(NO_RIGHTS, "rights")
    return granted


def _release_invitation(session: Session, login: Login, member_id: int, actor: str, now: datetime) -> None:
    """A person still invited loses this member's link with the mandate. The login closes unless another member's
    mandate waits for it; then a fresh link names that member, since only one link per login works."""
    cancelled = session.scalars(update(Invitation)
                                .where(Invitation.login_id == login.id, Invitation.member_id == member_id,
                                       Invitation.status == InvitationStatus.PENDING)
                                .values(status=InvitationStatus.CANCELLED, ended_at=now).returning(Invitation.id)).all()
    if not cancelled:
        return
    audit.record(session, audit.Entry(actor, "invitation.cancelled", member_id, logins.account(login),
                                      {"invitation": cancelled[0], "reason": "mandate_revoked"}), now)
    other = session.scalar(select(Mandate.member_id).where(Mandate.login_id == login.id,
                                                           Mandate.status == MandateStatus.ACTIVE)
                           .order_by(Mandate.id.desc()).limit(1))
    if other is None:
        login.status, login.deactivated_at = LoginStatus.DEACTIVATED, now
    else:
        invitations.invite(session, login, invitations.SYSTEM, now, member_id=other)  # not this member's doing


def revoke(session: Session, editor_id: int, mandate_id: int, now: datetime) -> str:
    """The administrator ends a trustee's mandate at once (R13, R18); the trustee is told by e-mail. Returns the
    person's name for the confirmation."""
    editor = logins.administrator(session, editor_id, now)
    assert editor.member_id is not None
    mandate = mandates.revoke(session, mandate_id, editor.member_id, logins.account(editor), now)
    if mandate is None:
        raise logins.NotFound
    login = session.get_one(Login, mandate.login_id)
    if login.status == LoginStatus.PENDING:
        _release_invitation(session, login, editor.member_id, logins.account(editor), now)
    member = session.get_one(Member, editor.member_id)
    mail.queue(session, to=login.email, name="mandate_revoked", lang=login.language,
               context={"name": login.name, "company_name": member.name, "member_number": member.member_number,
                        "revoked_by": editor.name},
               key=f"mandate_revoked:{mandate.id}", now=now)
    return login.name


def accesses(session: Session, editor_id: int, now: datetime) -> list[mandates.Access]:
    editor = logins.administrator(session, editor_id, now)
    assert editor.member_id is not None
    return mandates.accesses(session, editor.member_id, now)


@dataclass(frozen=True)
class Shown:
    """One trustee's page: the access (R13) and, separately, whether the fund may inform it (R14)."""

    access: mandates.Access
    information: poa_uploads.Information


def shown_all(session: Session, editor_id: int, now: datetime) -> list[Shown]:
    editor = logins.administrator(session, editor_id, now)
    assert editor.member_id is not None
    return [Shown(a, poa_uploads.information(session, editor.member_id, a.trustee_id, now))
            for a in mandates.accesses(session, editor.member_id, now)]


def shown_one(session: Session, editor_id: int, mandate_id: int, now: datetime) -> Shown:
    found = next((s for s in shown_all(session, editor_id, now) if s.access.mandate_id == mandate_id), None)
    if found is None:
        raise logins.NotFound
    return found


def set_end(session: Session, editor_id: int, mandate_id: int, until: date | None, now: datetime) -> None:
    """R13: the administrator sets, changes or removes the last day the trustee's access works."""
    editor = logins.administrator(session, editor_id, now)
    assert editor.member_id is not None
    _checked_end(until, now)
    if mandates.set_end(session, mandate_id, editor.member_id, until, logins.account(editor), now) is None:
        raise logins.NotFound


def confirm(session: Session, editor_id: int, mandate_id: int, now: datetime) -> None:
    """R14: an access that came from a fund code (way (b)) becomes the member's own grant (way (a))."""
    editor = logins.administrator(session, editor_id, now)
    assert editor.member_id is not None
    if mandates.confirm(session, mandate_id, editor.member_id, logins.account(editor), now) is None:
        raise logins.NotFound


@dataclass(frozen=True)
class PrintedInvitation:
    """What the printable page for the trustee shows: never a link or code, only how to get started."""

    person: str
    email: str
    trustee_name: str
    trustee_uid: str
    member_name: str
    member_number: str
    rights: list[str]
    invited: bool
    power_on_record: bool
    language: str  # the trustee's own: the page is printed for them


def printable(session: Session, editor_id: int, mandate_id: int, now: datetime) -> PrintedInvitation:
    editor = logins.administrator(session, editor_id, now)
    mandate = session.get(Mandate, mandate_id)
    if mandate is None or mandate.member_id != editor.member_id or mandate.status != MandateStatus.ACTIVE:
        raise logins.NotFound
    login = session.get_one(Login, mandate.login_id)
    trustee = session.get_one(Trustee, login.trustee_id)
    member = session.get_one(Member, mandate.member_id)
    on_record = bool(mandates.current_powers(session, member.id, trustee.id, now))
    return PrintedInvitation(login.name, login.email, trustee.name, trustee.uid, member.name, member.member_number,
                             list(mandate.rights), login.status == LoginStatus.PENDING, on_record, login.language)
