"""Every table in one import: migrations and the tests see the whole schema here; each area keeps its own tables
in core/<area>/models.py."""

from core.codes.models import CodeAttempt, Letter, PrintBatch, RegistrationCode
from core.desk.models import Case, Document, History, Request, StaffNotice, StaffUser
from core.logins.models import AuthFailure, Invitation, Login, RecoveryCode, SmsCode
from core.members.models import Member, Signatory
from core.operations.models import AuditCheckpoint, AuditEvent, Counter, Heartbeat, OutboxMessage, ParkedTask
from core.orm import Base, BigId, UTCDateTime
from core.trustees.models import Mandate, PowerOfAttorney, Trustee

__all__ = [
    "AuditCheckpoint",
    "AuditEvent",
    "AuthFailure",
    "Base",
    "BigId",
    "Case",
    "CodeAttempt",
    "Counter",
    "Document",
    "Heartbeat",
    "History",
    "Invitation",
    "Letter",
    "Login",
    "Mandate",
    "Member",
    "OutboxMessage",
    "ParkedTask",
    "PowerOfAttorney",
    "PrintBatch",
    "RecoveryCode",
    "RegistrationCode",
    "Request",
    "Signatory",
    "SmsCode",
    "StaffNotice",
    "StaffUser",
    "Trustee",
    "UTCDateTime",
]
