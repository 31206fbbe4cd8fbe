"""R10: the fixed catalogue of rights a login can hold."""

from __future__ import annotations

ADMINISTRATION = "administration"  # the substitution right: manage logins and grant any right

# Order is the order pages show them in; labels are English source strings for the page translations.
CATALOGUE: dict[str, str] = {
    ADMINISTRATION: "Administration (substitution): manage logins and rights",
    "salary_declarations": "Salary declarations",
    "personnel_mutations": "Personnel changes",
    "family_allowances": "Family allowances",
    "income_compensation": "Income compensation",
    "invoices_account": "Invoices and account",
    "correspondence": "Correspondence",
}


def all_rights() -> list[str]:
    """A member's first administrator holds every right, so they can grant any of them (R10)."""
    return list(CATALOGUE)


def is_administrator(rights: list[str]) -> bool:
    return ADMINISTRATION in rights


def label(right: str) -> str:
    return CATALOGUE.get(right, right)
