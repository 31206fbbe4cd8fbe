"""R5: how a member's request for a new code is decided."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    ISSUE_CODE = "issue_code"  # no active administrator, identity matches: a code by post
    TELL_ADMINISTRATORS = "tell_administrators"  # an administrator can help: they are e-mailed
    STAFF_CASE = "staff_case"  # anything doubtful goes to a person at the fund


class PublicStatus(StrEnum):
    """What anyone holding the reference may see: never whether the member exists or a letter went out."""

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Facts:
    member_known: bool
    uid_matches: bool
    active_administrators: int
    exhausted: bool = False  # R3: the member's code entry was blocked after too many wrong codes
    administrators_cannot_help: bool = False  # the request says why its administrators cannot act


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    why: str


def decide_new_code(facts: Facts) -> Decision:
    if not facts.member_known:
        return Decision(Outcome.STAFF_CASE, "no member with this member number")
    if not facts.uid_matches:
        return Decision(Outcome.STAFF_CASE, "the UID does not match the member register")
    if facts.exhausted:
        return Decision(Outcome.STAFF_CASE, "too many wrong codes were entered for this member")
    if facts.active_administrators > 0 and facts.administrators_cannot_help:
        return Decision(Outcome.STAFF_CASE, "an administrator is active, but the request says why they cannot help")
    if facts.active_administrators > 0:
        return Decision(Outcome.TELL_ADMINISTRATORS, "the member has an active administrator")
    return Decision(Outcome.ISSUE_CODE, "no active administrator; member number and UID match")
