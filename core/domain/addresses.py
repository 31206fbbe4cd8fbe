"""R1, R6: the postal address on file, and the recipient block printed in the envelope's window."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.translatable import N_

LANGUAGES = ("de", "fr", "it", "en")
MIN_LINES, MAX_LINES = 3, 6
_SWISS_POSTCODE = re.compile(r"^[1-9]\d{3}$")


class InvalidAddress(ValueError):
    pass


@dataclass(frozen=True)
class PostalAddress:
    name: str
    care_of: str = ""
    street: str = ""
    po_box: str = ""
    postcode: str = ""
    town: str = ""

    def lines(self) -> list[str]:
        """3–6 lines, no blank ones, the second-last street or PO box, the last `NNNN Town`."""
        candidates = [self.name, self.care_of, self.street, self.po_box, f"{self.postcode} {self.town}"]
        lines = [line.strip() for line in candidates if line and line.strip()]
        if not MIN_LINES <= len(lines) <= MAX_LINES:
            raise InvalidAddress(f"an address has 3 to 6 lines, this one has {len(lines)}")
        return lines


def check_swiss(address: PostalAddress) -> None:
    """Raise InvalidAddress naming the first broken rule of a Swiss postal address."""
    if not address.name.strip():
        raise InvalidAddress(N_("the name is missing"))
    if not address.postcode.strip():
        raise InvalidAddress(N_("the postcode is missing"))
    if not _SWISS_POSTCODE.match(address.postcode.strip()):
        raise InvalidAddress(f"postcode '{address.postcode}' is not a 4-digit Swiss postcode")
    if not address.town.strip():
        raise InvalidAddress(N_("the town is missing"))
    if not (address.street.strip() or address.po_box.strip()):
        raise InvalidAddress(N_("street or PO box is missing"))
    address.lines()


def check_language(language: str) -> str:
    value = language.strip().lower()
    if value not in LANGUAGES:
        raise InvalidAddress(f"language '{language}' is not one of de, fr, it, en")
    return value
