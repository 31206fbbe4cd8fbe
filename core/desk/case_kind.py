"""What a kind of case is: a small object the desk asks what approving, rejecting and closing it does, and which
facts its page shows beside the desk's own. Each kind is defined in the module of its use cases and registered in
core.desk.kinds; the desk alone claims the case and checks roles and four eyes (core.desk.casework), then hands
over to the kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.models import Case, Member, Request, StaffUser

# (session, case, request, staff, note, details, now) -> the id of the letter it caused, if any. The case is
# already claimed (open → approved) in the same transaction; raising undoes the claim. `details` is what the
# clerk confirmed on the kind's own approval form (None when the kind has none).
Approver = Callable[[Session, Case, Request | None, StaffUser, str, Any, datetime], int | None]
# (session, case, now) -> what the kind's partial shows, loaded in the desk's transaction (templates query nothing).
FactsLoader = Callable[[Session, Case, datetime], Any]
# (session, case, member, actor, now) -> the reference of the letter that tells the member, if any.
Rejecter = Callable[[Session, Case, Member | None, str, datetime], str]
# (session, case, actor, now): what closing means for the kind beyond ending the case.
Closer = Callable[[Session, Case, str, datetime], None]


@dataclass(frozen=True)
class CaseKind:
    name: str
    # None: the desk's own approval, a letter with a new code to the member's address on file (R1).
    approve: Approver | None = None
    facts: FactsLoader | None = None
    # Called in the rejecting transaction, after the claim; None: nobody but the requester's e-mail is told.
    reject: Rejecter | None = None
    close: Closer | None = None
    may_approve: bool = True
    may_reject: bool = True
    may_close: bool = False  # answered, or nothing more to send
    # Recorded by one staff member, approved by another (R16, R17): the message when nobody recorded it yet.
    # Whoever recorded a case never approves it, whatever the kind.
    needs_recorder: str = ""
    own_approval_form: bool = False  # its partial (templates/web/staff/case_kinds/<name>.html) holds the form

    def facts_of(self, session: Session, case: Case, now: datetime) -> Any:
        return None if self.facts is None else self.facts(session, case, now)
