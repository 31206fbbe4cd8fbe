"""R15, R19: a member's written request for a code sent directly to its trustee, checked before anything is
stored. The member's part is checked as a new-code request is (core.domain.requests); the trustee's company,
UID (with its check digit), postal address and contact person are checked here. The power of attorney (a PDF)
is checked where it is stored (core.desk.documents)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from core.domain import requests as member_part
from core.domain.addresses import InvalidAddress, PostalAddress, check_swiss
from core.translatable import N_

TRUSTEE_LENGTHS = {"trustee_name": 200, "trustee_uid": 30, "trustee_care_of": 200, "trustee_street": 200,
                   "trustee_po_box": 100, "trustee_postcode": 4, "trustee_town": 100, "contact_name": 200,
                   "contact_email": 254}
POSTCODE_PATTERN = r"^[1-9][0-9]{3}$"
TRUSTEE_MISSING = {
    "trustee_name": N_("Enter the trustee company's name"),
    "trustee_uid": N_("Enter the trustee company's UID"),
    "trustee_postcode": N_("Enter the trustee's postcode"),
    "trustee_town": N_("Enter the trustee's town"),
    "contact_name": N_("Enter the name of the contact person at the trustee"),
    "contact_email": N_("Enter the contact person's e-mail address"),
}
TRUSTEE_TOO_LONG = {
    "trustee_name": N_("The trustee's name must be 200 characters or fewer"),
    "trustee_uid": member_part.BAD_UID,
    "trustee_care_of": N_("This line must be 200 characters or fewer"),
    "trustee_street": N_("Street and number must be 200 characters or fewer"),
    "trustee_po_box": N_("The PO box must be 100 characters or fewer"),
    "trustee_postcode": N_("Enter a 4-digit Swiss postcode, like 8001"),
    "trustee_town": N_("The town must be 100 characters or fewer"),
    "contact_name": N_("The contact person's name must be 200 characters or fewer"),
    "contact_email": N_("E-mail address must be 254 characters or fewer"),
}
BAD_TRUSTEE_UID = N_("Enter the trustee's UID as on its register entry, like CHE-123.456.789: this one fails its check")
BAD_POSTCODE = N_("Enter a 4-digit Swiss postcode, like 8001")
STREET_OR_PO_BOX = N_("Enter the trustee's street and number, or its PO box")
SAME_COMPANY = N_("The trustee's UID is your own company's UID: enter the trustee company's UID")
BAD_TRUSTEE_LANGUAGE = N_("Choose the language the trustee's letter is written in: German, French, Italian or English")


@dataclass(frozen=True)
class Trustee:
    name: str
    uid: str
    care_of: str
    street: str
    po_box: str
    postcode: str
    town: str
    language: str
    contact_name: str
    contact_email: str

    def as_details(self) -> dict[str, str]:
        """What the request keeps in `details` (JSON), for staff to confirm."""
        return {"trustee_name": self.name, "trustee_uid": self.uid, "trustee_care_of": self.care_of,
                "trustee_street": self.street, "trustee_po_box": self.po_box, "trustee_postcode": self.postcode,
                "trustee_town": self.town, "trustee_language": self.language, "contact_name": self.contact_name,
                "contact_email": self.contact_email}


@dataclass(frozen=True)
class TrusteeCodeRequest:
    member: member_part.NewCodeRequest  # the member's part, as for a new code (reason: why the trustee needs it)
    trustee: Trustee


def parse_trustee_code(raw: Mapping[str, object]) -> TrusteeCodeRequest:
    """Every field checked at once; InvalidRequest names each bad one (English source strings)."""
    errors: dict[str, str] = {}
    member = None
    try:
        member = member_part.parse_new_code({**raw, "administrators_cannot_help": False})
    except member_part.InvalidRequest as invalid:
        errors.update(invalid.errors)
    trustee = _trustee(raw, errors)
    if member is not None and trustee is not None and trustee.uid == member.uid:
        errors["trustee_uid"] = SAME_COMPANY
    if errors or member is None or trustee is None:
        raise member_part.InvalidRequest(errors)
    return TrusteeCodeRequest(member, trustee)


def _trustee(raw: Mapping[str, object], errors: dict[str, str]) -> Trustee | None:
    found: dict[str, str] = {}
    for name, limit in TRUSTEE_LENGTHS.items():
        value = raw.get(name, "")
        if not isinstance(value, str):
            errors[name] = member_part.NOT_TEXT
        elif len(value) > limit and name != "trustee_postcode":
            errors[name] = TRUSTEE_TOO_LONG[name]
        elif not re.fullmatch(member_part.ONE_LINE, value) or not member_part._storable(value):
            errors[name] = member_part.CONTROL_CHARACTERS
        elif not value.strip() and name in TRUSTEE_MISSING:
            errors[name] = TRUSTEE_MISSING[name]
        else:
            found[name] = value.strip()
    _check_fields(found, errors)
    language = raw.get("trustee_language", "de")
    if language not in member_part.LANGUAGES:
        errors["trustee_language"] = BAD_TRUSTEE_LANGUAGE
    if any(name in errors for name in (*TRUSTEE_LENGTHS, "trustee_language")):
        return None
    return Trustee(found["trustee_name"], found["trustee_uid"], found["trustee_care_of"], found["trustee_street"],
                   found["trustee_po_box"], found["trustee_postcode"], found["trustee_town"], str(language),
                   found["contact_name"], found["contact_email"])


def _check_fields(found: dict[str, str], errors: dict[str, str]) -> None:
    if "trustee_uid" in found:
        try:
            found["trustee_uid"] = member_part._uid(found["trustee_uid"])
        except member_part.InvalidField:
            errors["trustee_uid"] = BAD_TRUSTEE_UID
    if "contact_email" in found:
        try:
            found["contact_email"] = member_part._email(found["contact_email"])
        except member_part.InvalidField as exc:
            errors["contact_email"] = exc.message
    if "trustee_postcode" in found and not re.fullmatch(POSTCODE_PATTERN, found["trustee_postcode"]):
        errors["trustee_postcode"] = BAD_POSTCODE
    if "trustee_street" in found and "trustee_po_box" in found and \
            not (found["trustee_street"] or found["trustee_po_box"]):
        errors["trustee_street"] = STREET_OR_PO_BOX
    if not any(name in errors for name in TRUSTEE_LENGTHS):
        try:
            check_swiss(PostalAddress(found["trustee_name"], found["trustee_care_of"], found["trustee_street"],
                                      found["trustee_po_box"], found["trustee_postcode"], found["trustee_town"]))
        except InvalidAddress as exc:
            errors["trustee_street"] = f"The trustee's address is not complete: {exc}"

