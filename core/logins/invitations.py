"""Invitations for logins an administrator created (R7, R8, R10).

The e-mailed link is random and kept only as its hash; it is drawn by the mail task just before sending, so it
never waits in the outbox or anywhere else in the database. It works for 72 hours and once: a resend replaces it.
The invitee confirms a code sent by SMS to the mobile number the administrator entered, sets a password and sets
up the authenticator app (the registration's enrolment); the login then becomes active with the rights the
administrator gave it. The link itself grants nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit, config, mail, outbox, secrets_box
from core.clock import ZURICH
from core.domain import logins as rules
from core.domain import passwords, totp
from core.domain.states import InvitationStatus, LoginStatus, MandateStatus
from core.logins import logins, member_auth, registration
from core.logins.invitation_links import SMS_PURPOSE, TASK, invite
from core.logins.member_auth import Check
from core.models import Invitation, Login, Mandate, Member, Trustee
from core.translatable import N_
from core.trustees import mandates

NOT_PENDING = N_("This invitation has been used, replaced or cancelled already.")
SYSTEM = "system"


def mail_for(session: Session, invitation_id: int, now: datetime) -> EmailMessage | None:
    """The invitation e-mail with a new link, or None when the invitation is no longer open.

    Called by the mail task: a retried task draws a new link and the earlier one stops working, so whatever
    happened to an earlier attempt, the newest e-mail holds the one link that works."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or not rules.invitation_open(invitation.status, invitation.expires_at, now) \
            or invitation.login.status != LoginStatus.PENDING:
        return None
    token = rules.new_invitation_token()
    invitation.token_hash, invitation.mailed_at = rules.invitation_token_hash(token), now
    login, member = invitation.login, _member(session, invitation)
    subject, body = mail.render("login_invitation", login.language, {
        "name": login.name, "company_name": member.name, "member_number": member.member_number,
        "link": f"{config.get().public_base_url}/invitation/{token}",
        "valid_until": invitation.expires_at.astimezone(ZURICH).strftime("%d.%m.%Y %H:%M"),
        "email": login.email,
        # R14: a trustee invited by the member's administrator acts as soon as it is registered (way (a)).
        "trustee_name": _trustee_name(session, login),
    })
    return mail.build(login.email, subject, body)


def _trustee_name(session: Session, login: Login) -> str:
    trustee = session.get(Trustee, login.trustee_id) if login.trustee_id is not None else None
    return trustee.name if trustee is not None else ""


MAIL_GRACE = timedelta(minutes=2)
REQUEUE_BUCKET = timedelta(minutes=10)  # at most one new attempt per invitation in this time


def requeue_unmailed(session: Session, now: datetime) -> int:
    """The broker may lose a queued e-mail: open invitations not mailed after a while are queued again."""
    bucket = int(now.timestamp() // REQUEUE_BUCKET.total_seconds())
    lost = session.scalars(select(Invitation.id).where(
        Invitation.status == InvitationStatus.PENDING, Invitation.mailed_at.is_(None),
        Invitation.created_at < now - MAIL_GRACE, Invitation.expires_at > now)).all()
    for invitation_id in lost:
        outbox.add(session, TASK, {"invitation_id": invitation_id}, key=f"invitation:{invitation_id}:again:{bucket}",
                   now=now)
    return len(lost)


def _editable(session: Session, editor_id: int, invitation_id: int, now: datetime) -> tuple[Login, Invitation]:
    editor = logins.administrator(session, editor_id, now)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.member_id != editor.member_id:
        raise logins.NotFound
    if invitation.status != InvitationStatus.PENDING or invitation.login.status != LoginStatus.PENDING:
        raise logins.Refused(NOT_PENDING)
    return editor, invitation


def resend(session: Session, editor_id: int, invitation_id: int, now: datetime) -> int:
    editor, invitation = _editable(session, editor_id, invitation_id, now)
    return invite(session, invitation.login, logins.account(editor), now, member_id=invitation.member_id)


def cancel(session: Session, editor_id: int, invitation_id: int, now: datetime) -> None:
    """The link stops working and the login that was waiting for it is closed."""
    editor, invitation = _editable(session, editor_id, invitation_id, now)
    invitation.status, invitation.ended_at = InvitationStatus.CANCELLED, now
    login = invitation.login
    if login.trustee_id is None or not _keeps_other_mandates(session, login, invitation.member_id, editor, now):
        login.status, login.deactivated_at = LoginStatus.DEACTIVATED, now
    audit.record(session, audit.Entry(logins.account(editor), "invitation.cancelled", editor.member_id,
                                      logins.account(login), {"invitation": invitation.id}), now)


def _keeps_other_mandates(session: Session, login: Login, member_id: int, editor: Login, now: datetime) -> bool:
    """A trustee login (R13) invited by this member loses this member's mandate; it stays open while another
    member's mandate waits for it, with a fresh link naming that member (only one link per login works)."""
    mandate = mandates.active_mandate(session, login.id, member_id)
    if mandate is not None:
        mandates.revoke(session, mandate.id, member_id, logins.account(editor), now)
    other = session.scalar(select(Mandate.member_id).where(Mandate.login_id == login.id,
                                                           Mandate.status == MandateStatus.ACTIVE)
                           .order_by(Mandate.id.desc()).limit(1))
    if other is None:
        return False
    invite(session, login, SYSTEM, now, member_id=other)  # the other member's history: done by connect itself
    return True


# The invitee's side. The web session holds only the invitation id and whether the SMS code was confirmed.


@dataclass(frozen=True)
class Invitee:
    invitation_id: int
    login_id: int
    name: str
    email: str
    mobile_masked: str
    company_name: str
    member_number: str
    language: str
    password_set: bool


def open_link(session: Session, token: str, now: datetime) -> int | None:
    """The invitation this link belongs to, while it is open."""
    if not token or len(token) > 100:
        return None
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == rules.invitation_token_hash(token)))
    if invitation is None or _open(invitation, now) is None:
        return None
    return invitation.id


def _open(invitation: Invitation | None, now: datetime) -> Login | None:
    if invitation is None or not rules.invitation_open(invitation.status, invitation.expires_at, now):
        return None
    login = invitation.login
    return login if login.status == LoginStatus.PENDING else None


def _login(session: Session, invitation_id: int, now: datetime) -> Login | None:
    return _open(session.get(Invitation, invitation_id), now)


def _member(session: Session, invitation: Invitation) -> Member:
    """The member the invitation is for: a trustee login (R13) has no member of its own."""
    member = session.get(Member, invitation.member_id)
    assert member is not None  # a foreign key
    return member


def invitee(session: Session, invitation_id: int, now: datetime) -> Invitee | None:
    login = _login(session, invitation_id, now)
    if login is None:
        return None
    member = _member(session, session.get_one(Invitation, invitation_id))
    return Invitee(invitation_id, login.id, login.name, login.email, rules.masked_mobile(login.mobile),
                   member.name, member.member_number, login.language, bool(login.password_hash))


def send_code(session: Session, invitation_id: int, now: datetime) -> Check:
    """R7: a code by SMS to the number the administrator entered. OK, LIMIT (5 an hour) or NOT_ACTIVE."""
    login = _login(session, invitation_id, now)
    if login is None:
        return Check.NOT_ACTIVE
    return member_auth.send_sms(session, login, SMS_PURPOSE, now)


def confirm_code(session: Session, invitation_id: int, code: str, ip: str, now: datetime) -> Check:
    """The SMS code proves the mobile number; throttled and audited like every second factor (R9, R18)."""
    login = _login(session, invitation_id, now)
    if login is None:
        return Check.NOT_ACTIVE
    return member_auth.verify_second_factor(session, login, member_auth.SMS, code, ip, now, sms_purpose=SMS_PURPOSE)


def set_password(session: Session, invitation_id: int, password: str, now: datetime) -> str | None:
    """The password (argon2) and a new authenticator secret; returns why the password is refused, if it is."""
    login = _login(session, invitation_id, now)
    if login is None:
        return NOT_PENDING
    problem = passwords.problem(password, _member(session, session.get_one(Invitation, invitation_id)).member_number)
    if problem:
        return problem
    login.password_hash = secrets_box.hash_password(password)
    if not login.totp_secret:  # coming back to change the password keeps an app already set up
        login.totp_secret = secrets_box.encrypt(totp.new_secret())
    return None


def enrolment(session: Session, invitation_id: int, now: datetime) -> registration.Enrolment | None:
    login = _login(session, invitation_id, now)
    if login is None or not login.password_hash or not login.totp_secret:
        return None
    return registration.enrolment_of(login, _member(session, session.get_one(Invitation, invitation_id)))


def activate(session: Session, invitation_id: int, otp: str, ip: str, now: datetime) -> Check:
    """The first valid code from the app makes the login active and uses the link up, in one transaction.
    The page then shows the recovery codes once (recovery_codes.first_set), as after a registration."""
    login = _login(session, invitation_id, now)
    if login is None or not login.password_hash or not login.totp_secret:
        return Check.NOT_ACTIVE
    result = member_auth.verify_second_factor(session, login, member_auth.TOTP, otp, ip, now)
    if result != Check.OK:
        return result
    # Single use: only one of two tabs finishing at once finds the invitation still pending.
    used = session.scalar(update(Invitation).where(Invitation.id == invitation_id,
                                                   Invitation.status == InvitationStatus.PENDING)
                          .values(status=InvitationStatus.USED, ended_at=now).returning(Invitation.id))
    if used is None:
        return Check.NOT_ACTIVE
    login.status, login.activated_at = LoginStatus.ACTIVE, now
    account = logins.account(login)
    # A trustee login (R13) has no member: the event belongs to the member that invited it, whose history shows it.
    member_id = login.member_id or session.get_one(Invitation, invitation_id).member_id
    audit.record(session, audit.Entry(account, "login.activated", member_id, account,
                                      {"rights": list(login.rights), "via": "invitation"}), now)
    return Check.OK


def invitee_email(session: Session, editor_id: int, invitation_id: int) -> str:
    """For the administrator's confirmation message; the same checks as every other use of an invitation id."""
    editor = session.get(Login, editor_id)
    invitation = session.get(Invitation, invitation_id)
    if editor is None or invitation is None or invitation.member_id != editor.member_id:
        raise logins.NotFound
    return invitation.login.email
