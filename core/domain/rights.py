"""R10: the fixed catalogue of rights a login can hold."""

from __future__ import annotations

from core.translatable import N_

ADMINISTRATION = "administration"  # the substitution right: manage logins and grant any right

# Order is the order pages show them in; labels are English source strings for the page translations.
CATALOGUE: dict[str, str] = {
    ADMINISTRATION: N_("Administration (substitution): manage logins and rights"),
    "salary_declarations": N_("Salary declarations"),
    "personnel_mutations": N_("Personnel changes"),
    "family_allowances": N_("Family allowances"),
    "income_compensation": N_("Income compensation"),
    "invoices_account": N_("Invoices and account"),
    "correspondence": N_("Correspondence"),
}


def all_rights() -> list[str]:
    """A member's first administrator holds every right, so they can grant any of them (R10)."""
    return list(CATALOGUE)


def is_administrator(rights: list[str]) -> bool:
    return ADMINISTRATION in rights


def label(right: str) -> str:
    return CATALOGUE.get(right, right)
