"""The states a row goes through, defined once: models, use cases, templates and tests name them from here. Each is
a StrEnum, so a state is stored and compared as its plain word ("active"), which the database's checks list."""

from __future__ import annotations

from enum import StrEnum


class LoginStatus(StrEnum):
    PENDING = "pending"  # created, its person has not finished registering
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class InvitationStatus(StrEnum):
    PENDING = "pending"
    USED = "used"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


class CodeStatus(StrEnum):
    """A registration code sent by post (R1, R2)."""

    ISSUED = "issued"
    USED = "used"
    VOIDED = "voided"


class SmsCodeStatus(StrEnum):
    ACTIVE = "active"
    USED = "used"
    REPLACED = "replaced"
    VOID = "void"


class LetterStatus(StrEnum):
    PENDING = "pending"  # stored, its PDF not yet drawn
    RENDERED = "rendered"
    PRINTED = "printed"  # in a print batch
    RETURNED = "returned"  # came back undelivered
    CANCELLED = "cancelled"


class RequestStatus(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    COMPLETED = "completed"


class CaseStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"


class ParkedStatus(StrEnum):
    PARKED = "parked"
    RETRIED = "retried"
    DISCARDED = "discarded"


class MandateStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


def one_of(states: type[StrEnum], column: str = "status") -> str:
    """The database check that keeps a status column to these states."""
    return f"{column} IN ({','.join(repr(state.value) for state in states)})"
