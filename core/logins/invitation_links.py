"""Sending an invitation link to a pending login: the one step that creating or editing a login (core.logins.logins)
and granting a trustee access (core.trustees.trustee_logins) share with the invitation pages
(core.logins.invitations), kept apart so that none of them imports another in a circle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from core import audit, outbox
from core.domain import logins as rules
from core.domain.states import InvitationStatus
from core.logins import member_auth
from core.models import Invitation, Login

TASK = "logins.send_invitation"
SMS_PURPOSE = "invitation"


def invite(session: Session, login: Login, actor: str, now: datetime, member_id: int | None = None) -> int:
    """A new link for a pending login; any earlier link of this login stops working at once. A trustee login has
    no member of its own: `member_id` names the member whose administrator invites it (R13)."""
    member_id = member_id or login.member_id
    session.execute(update(Invitation).where(Invitation.login_id == login.id,
                                             Invitation.status == InvitationStatus.PENDING)
                    .values(status=InvitationStatus.REPLACED, ended_at=now))
    invitation = Invitation(login_id=login.id, member_id=member_id, status=InvitationStatus.PENDING, created_by=actor,
                            created_at=now, expires_at=now + rules.INVITATION_VALID_FOR)
    session.add(invitation)
    session.flush()
    outbox.add(session, TASK, {"invitation_id": invitation.id}, key=f"invitation:{invitation.id}", now=now)
    audit.record(session, audit.Entry(actor, "invitation.sent", member_id, member_auth.account_key(login.id),
                                      {"invitation": invitation.id, "expires_at": invitation.expires_at.isoformat()}),
                 now)
    return invitation.id
