"""Every kind of staff case, in one plain mapping. A new kind is a use-case module that defines its CaseKind, one
line here, a view module (web/staff/) and a template partial (templates/web/staff/case_kinds/<name>.html)."""

from __future__ import annotations

from core.codes import returned_mail
from core.desk import exceptional, stale_logins, support
from core.desk.case_kind import CaseKind
from core.trustees import poa_uploads, trustee_codes

# The desk's own kinds: approving sends a letter with a new code to the address on file (R1).
NEW_CODE = CaseKind("new_code")  # Situation 2, a request the register could not confirm (R5)
CODE_EXHAUSTED = CaseKind("code_exhausted")  # R3: too many wrong codes; approving also lifts the block

KINDS: dict[str, CaseKind] = {kind.name: kind for kind in (
    NEW_CODE,
    CODE_EXHAUSTED,
    trustee_codes.CASE,  # R15
    exceptional.CASE,  # R16
    stale_logins.CASE,  # R17
    returned_mail.CASE,
    support.CASE,  # Situation 4
    poa_uploads.CASE,  # R14, sent by an administrator in the portal
)}


def of(name: str) -> CaseKind:
    """The kind of a stored case; an unknown name (never written by this code) is decided as the desk's own."""
    return KINDS.get(name, CaseKind(name))
