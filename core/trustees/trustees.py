"""R13, R19: trustee companies, found by their UID or entered once with a checked UID and postal address."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.domain import addresses, identifiers
from core.models import Trustee
from core.refusal import Refused
from core.translatable import N_

BAD_UID = N_("'{uid}' is not a valid UID (CHE-123.456.789 with its check digit)")
BAD_ADDRESS = N_("The company's address is not complete: {problem}.")


@dataclass(frozen=True)
class Company:
    """A trustee company as someone entered it: its UID, and the postal address, language and e-mail the fund
    records when it does not know the company yet (a known company keeps the address on file, R1)."""

    uid: str
    address: addresses.PostalAddress = field(default_factory=lambda: addresses.PostalAddress(""))
    language: str = "de"
    email: str = ""

    def as_payload(self) -> dict[str, str]:
        a = self.address
        return {"uid": self.uid, "name": a.name, "care_of": a.care_of, "street": a.street, "po_box": a.po_box,
                "postcode": a.postcode, "town": a.town, "language": self.language, "email": self.email}

    @classmethod
    def from_payload(cls, payload: dict[str, str]) -> Company:
        address = addresses.PostalAddress(*(str(payload.get(name, "")) for name in (
            "name", "care_of", "street", "po_box", "postcode", "town")))
        return cls(str(payload["uid"]), address, str(payload.get("language", "de")), str(payload.get("email", "")))


class InvalidTrustee(Refused):
    """The company as entered breaks a rule."""


def by_uid(session: Session, uid: str) -> Trustee | None:
    """The trustee with this UID; InvalidTrustee if the UID fails its check (R19)."""
    return session.scalar(select(Trustee).where(Trustee.uid == checked_uid(uid)))


def checked_uid(uid: str) -> str:
    try:
        return identifiers.normalise_uid(uid)
    except identifiers.InvalidIdentifier as exc:
        raise InvalidTrustee(BAD_UID, "uid", uid=uid.strip()[:20]) from exc


def _checked_address(given: addresses.PostalAddress, language: str) -> tuple[addresses.PostalAddress, str]:
    address = addresses.PostalAddress(*(part.strip() for part in (given.name, given.care_of, given.street,
                                                                   given.po_box, given.postcode, given.town)))
    try:
        addresses.check_swiss(address)
        return address, addresses.check_language(language)
    except addresses.InvalidAddress as exc:
        raise InvalidTrustee(BAD_ADDRESS, "address", problem=str(exc)) from exc


def find_or_create(session: Session, company: Company, *, now: datetime, actor: str = "system") -> Trustee:
    """The trustee with this UID as on file; otherwise a new one from these details (audited). A known trustee's
    address is never changed from here: only the fund keeps it."""
    uid = company.uid
    existing = by_uid(session, uid)
    if existing is not None:
        return existing
    address, lang = _checked_address(company.address, company.language)
    trustee = Trustee(uid=checked_uid(uid), name=address.name, care_of=address.care_of, street=address.street,
                      po_box=address.po_box, postcode=address.postcode, town=address.town, language=lang,
                      email=company.email.strip(), created_at=now)
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
