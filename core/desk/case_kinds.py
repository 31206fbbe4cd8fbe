"""What approving each kind of case does, beyond the desk's own "new code to the address on file".

The modules are imported when a case of their kind is approved: they use the desk's helpers, so the desk must
not import them while it loads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import import_module

from sqlalchemy.orm import Session

from core.models import Case, Request, StaffUser

# (session, case, request, staff, note, now) -> the id of the letter it caused, if any. The case is already
# claimed (open → approved) in the same transaction; raising undoes the claim.
Approver = Callable[[Session, Case, Request | None, StaffUser, str, datetime], int | None]

APPROVERS = {
    "trustee_code": "core.trustees.trustee_codes",  # R15
    "exceptional_registration": "core.desk.exceptional",  # R16
    "stale_logins": "core.desk.stale_logins",  # R17
    "returned_mail": "core.codes.returned_mail",
    "power_of_attorney": "core.trustees.poa_uploads",  # R14: sent by an administrator in the portal
}


def approver_for(kind: str) -> Approver | None:
    module = APPROVERS.get(kind)
    return None if module is None else import_module(module).approve_case  # type: ignore[no-any-return]
