"""R8: one-time codes sent by SMS, for the login's second step and for confirming a mobile number.

A code exists in the clear only in the text message queued through the outbox ("sms.send"); the database keeps
its keyed hash. `subject` is an opaque string naming who the code is for ("login:17", "invitation:5") and
`purpose` what it is for ("login", "enrol", ...): a code only ever works for the same subject and purpose.
The caller commits; a commit that wrote outbox rows wakes the relay (core.outbox), so the message goes out at once.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from core import config, outbox
from core.domain import second_factor as rules
from core.domain.second_factor import SmsCheck, SmsCodeState
from core.domain.states import SmsCodeStatus
from core.models import SmsCode

TASK = "sms.send"
# The text of the message per language; the code is the only variable part, so nothing else personal is sent.
TEXTS = {
    "de": "{fund} connect: Ihr Code lautet {code}. Er gilt 5 Minuten. Geben Sie ihn niemandem weiter.",
    "fr": "{fund} connect : votre code est {code}. Il est valable 5 minutes. Ne le communiquez à personne.",
    "it": "{fund} connect: il suo codice è {code}. È valido 5 minuti. Non lo comunichi a nessuno.",
    "en": "{fund} connect: your code is {code}. It is valid for 5 minutes. Do not share it with anyone.",
}


def message(code: str, lang: str) -> str:
    template = TEXTS.get(lang, TEXTS["de"])
    return template.format(fund=config.get().fund_name, code=code)


def _hash(subject: str, purpose: str, code: str) -> str:
    return rules.keyed_hash(config.get().code_hmac_secret, "sms", subject, purpose, code)


def _serialise(session: Session, subject: str, purpose: str) -> None:
    """Two sends or checks for the same subject and purpose at once take turns (PostgreSQL; SQLite has one
    writer anyway), so the hourly limit and the failure count cannot be raced past."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"sms\x1f{subject}\x1f{purpose}"})


def sends_in_last_hour(session: Session, *, purpose: str, subject: str, now: datetime) -> int:
    return session.scalar(select(func.count()).where(
        SmsCode.subject == subject, SmsCode.purpose == purpose, SmsCode.sent_at > now - rules.SMS_SEND_WINDOW,
    )) or 0


def send_code(session: Session, *, purpose: str, subject: str, mobile: str, lang: str, now: datetime) -> bool:
    """Send a new code to `mobile` (E.164), replacing any earlier one. False when 5 were sent in the last hour."""
    _serialise(session, subject, purpose)
    if not rules.sends_left(sends_in_last_hour(session, purpose=purpose, subject=subject, now=now)):
        return False
    session.execute(update(SmsCode).where(SmsCode.subject == subject, SmsCode.purpose == purpose,
                                          SmsCode.status == SmsCodeStatus.ACTIVE).values(status=SmsCodeStatus.REPLACED))
    code = rules.new_sms_code()
    row = SmsCode(subject=subject, purpose=purpose, code_hash=_hash(subject, purpose, code),
                  status=SmsCodeStatus.ACTIVE,
                  failures=0, sent_at=now, expires_at=now + rules.SMS_VALID_FOR)
    session.add(row)
    session.flush()
    # The nonce keeps keys (and the file gateway's file names) unique even where ids start again, as in tests.
    outbox.add(session, TASK, {"to": mobile, "text": message(code, lang)}, key=f"sms:{row.id}:{secrets.token_hex(4)}",
               now=now)
    return True


def _latest(session: Session, subject: str, purpose: str) -> SmsCode | None:
    return session.scalar(select(SmsCode).where(SmsCode.subject == subject, SmsCode.purpose == purpose)
                          .order_by(SmsCode.id.desc()).limit(1))


def check(session: Session, *, purpose: str, subject: str, code: str, now: datetime) -> SmsCheck:
    """Enter a code: consumed when right, counted when wrong (the 5th wrong entry voids it). Why it was refused
    is told apart so the page can say what to do (send a new code, wait, type again)."""
    _serialise(session, subject, purpose)
    row = _latest(session, subject, purpose)
    typed = rules.normalise_sms_code(code)
    state = SmsCodeState(row.status, row.expires_at, row.failures) if row is not None else None
    # Always compare, in constant time, so a refusal costs the same whatever the reason.
    matches = row is not None and hmac.compare_digest(_hash(subject, purpose, typed), row.code_hash)
    result = rules.judge_sms_code(state, matches, now)
    if row is None:
        return result
    if result == SmsCheck.OK:
        row.status, row.used_at = SmsCodeStatus.USED, now
    elif result == SmsCheck.WRONG and row.status == SmsCodeStatus.ACTIVE:
        row.failures += 1
        if rules.void_after(row.failures):
            row.status = SmsCodeStatus.VOID
    session.flush()
    return result


def check_code(session: Session, *, purpose: str, subject: str, code: str, now: datetime) -> bool:
    """True once for the right, unexpired code; see `check` for why a code was refused."""
    return check(session, purpose=purpose, subject=subject, code=code, now=now) == SmsCheck.OK


def void_codes(session: Session, *, purpose: str, subject: str) -> None:
    """Nothing sent for this subject and purpose may be used any more (the login ended, the number changed)."""
    session.execute(update(SmsCode).where(SmsCode.subject == subject, SmsCode.purpose == purpose,
                                          SmsCode.status == SmsCodeStatus.ACTIVE).values(status=SmsCodeStatus.VOID))
