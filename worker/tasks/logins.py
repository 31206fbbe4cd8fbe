"""Tasks: logins. Invitation e-mails and the sweep of logins past their last working day (R11)."""

from __future__ import annotations

import structlog

from core import clock, db, mail
from core.logins import deactivation_sweep, invitations
from worker.app import BackofficeTask, app

log = structlog.get_logger()


@app.task(name="logins.send_invitation", base=BackofficeTask)
def send_invitation(invitation_id: int) -> None:
    """Draw the link and send it; an invitation that was used, replaced, cancelled or has expired gets nothing."""
    with db.unit_of_work() as session:
        message = invitations.mail_for(session, invitation_id, clock.now())
    if message is None:
        log.info("invitation.not_sent", invitation_id=invitation_id)
        return
    mail.deliver(message, key=f"invitation-{invitation_id}")
    log.info("invitation.sent", invitation_id=invitation_id)


@app.task(name="logins.sweep_deactivations", base=BackofficeTask)
def sweep_deactivations() -> None:
    with db.unit_of_work() as session:
        ended = deactivation_sweep.sweep(session, clock.now())
    if ended:
        log.info("logins.deactivated", count=len(ended), first_id=ended[0])


@app.task(name="logins.mail_lost_invitations", base=BackofficeTask)
def mail_lost_invitations() -> None:
    """Redis may lose a queued invitation e-mail; the database knows which were never sent."""
    with db.unit_of_work() as session:
        queued = invitations.requeue_unmailed(session, clock.now())
    if queued:
        log.info("invitations.requeued", count=queued)
