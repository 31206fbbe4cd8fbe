"""R13, R19: trustee companies, found by their UID or entered once with a checked UID and postal address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.domain import addresses, identifiers
from core.models import Trustee
from core.translatable import N_

BAD_UID = N_("'{uid}' is not a valid UID (CHE-123.456.789 with its check digit)")
BAD_ADDRESS = N_("The company's address is not complete: {problem}.")


class InvalidTrustee(ValueError):
    """The company as entered breaks a rule; `message` names it, `field` is the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None, **values: str) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message, self.field, self.values = message, field, values


def by_uid(session: Session, uid: str) -> Trustee | None:
    """The trustee with this UID; InvalidTrustee if the UID fails its check (R19)."""
    return session.scalar(select(Trustee).where(Trustee.uid == checked_uid(uid)))


def checked_uid(uid: str) -> str:
    try:
        return identifiers.normalise_uid(uid)
    except identifiers.InvalidIdentifier as exc:
        raise InvalidTrustee(BAD_UID, "uid", uid=uid.strip()[:20]) from exc


def _checked_address(name: str, care_of: str, street: str, po_box: str, postcode: str, town: str,
                     language: str) -> tuple[addresses.PostalAddress, str]:
    address = addresses.PostalAddress(name.strip(), care_of.strip(), street.strip(), po_box.strip(),
                                      postcode.strip(), town.strip())
    try:
        addresses.check_swiss(address)
        return address, addresses.check_language(language)
    except addresses.InvalidAddress as exc:
        raise InvalidTrustee(BAD_ADDRESS, "address", problem=str(exc)) from exc


def find_or_create(session: Session, uid: str, name: str, care_of: str = "", street: str = "", po_box: str = "",
                   postcode: str = "", town: str = "", language: str = "de", email: str = "", *,
                   now: datetime, actor: str = "system") -> Trustee:
    """The trustee with this UID as on file; otherwise a new one from these details (audited). A known trustee's
    address is never changed from here: only the fund keeps it."""
    existing = by_uid(session, uid)
    if existing is not None:
        return existing
    address, lang = _checked_address(name, care_of, street, po_box, postcode, town, language)
    trustee = Trustee(uid=checked_uid(uid), name=address.name, care_of=address.care_of, street=address.street,
                      po_box=address.po_box, postcode=address.postcode, town=address.town, language=lang,
                      email=email.strip(), created_at=now)
    try:
        with session.begin_nested():  # two administrators entering the same new company at once: one row wins
            session.add(trustee)
    except IntegrityError:
        winner = by_uid(session, uid)
        if winner is None:
            raise
        return winner
    audit.record(session, audit.Entry(actor, "trustee_created", None, f"trustee:{trustee.id}",
                                      {"uid": trustee.uid}), now)
    return trustee


def search(session: Session, text: str, limit: int = 50) -> list[Trustee]:
    """Trustees whose name or UID contains the text, for picking one in a form."""
    query = select(Trustee).order_by(Trustee.name, Trustee.id).limit(limit)
    needle = text.strip()
    if needle:
        query = query.where(or_(Trustee.name.ilike(f"%{needle}%"), Trustee.uid.ilike(f"%{needle}%")))
    return list(session.scalars(query))
