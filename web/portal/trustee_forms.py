"""Forms for trustees' access (R13): the administrator's "New → trustee or representative", and the trustee's
choice of the member to act for. Labels and messages are English source strings."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Optional

from core.domain import rights
from core.domain.addresses import LANGUAGES
from core.translatable import N_
from web.forms import Form, SwissDay
from web.portal.admin_forms import LoginDetailsForm
from web.public.member_forms import LANGUAGE_NAMES

NEW_COMPANY = "new"
BAD_DAY = N_("Enter a date like 31.03.2026")


def _access_end() -> SwissDay:
    return SwissDay(N_("Last day of access (optional)"), bad=BAD_DAY, validators=[Optional()],
                    description=N_("Leave empty for no end date: the access then lasts until you revoke it."))
COMPANY_FIELDS = ("uid", "company_name", "street", "po_box", "postcode", "town", "company_language")


class TrusteeAccessForm(LoginDetailsForm):
    """The company (picked, or entered with its UID and address), then the person as for any login."""

    company = RadioField(N_("Trustee company"), choices=[], validate_choice=False)
    uid = StringField(N_("UID of the company"),
                      validators=[Length(max=20, message=N_("A UID has at most 20 characters"))],
                      description=N_("For example CHE-123.456.789"))
    company_name = StringField(N_("Company name"), validators=[
        Length(max=200, message=N_("A name has at most 200 characters"))])
    street = StringField(N_("Street and number"), validators=[Length(max=200)])
    po_box = StringField(N_("PO box"), validators=[Length(max=100)])
    postcode = StringField(N_("Postcode"), validators=[Length(max=10)])
    town = StringField(N_("Town"), validators=[Length(max=100)])
    company_language = SelectField(N_("Language of the company's letters"), choices=LANGUAGE_NAMES,
                                   validate_choice=False)
    valid_until = _access_end()

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not self.company.data:
            self.fail("company", N_("Choose the trustee company, or enter a new one"))
            return False
        if self.company.data == NEW_COMPANY:
            for name, message in (("uid", N_("Enter the company's UID")),
                                  ("company_name", N_("Enter the company's name")),
                                  ("postcode", N_("Enter the postcode")), ("town", N_("Enter the town"))):
                if not (self[name].data or "").strip():
                    self.fail(name, message)
                    valid = False
            if self.company_language.data not in LANGUAGES:
                self.fail("company_language", N_("Choose one of the languages offered."))
                valid = False
        elif not (self.company.data.isascii() and self.company.data.isdigit()):  # "²" is a digit, not a number
            self.fail("company", N_("Choose the trustee company, or enter a new one"))
            valid = False
        return valid

    def chosen_company_id(self) -> int | None:
        return None if self.company.data == NEW_COMPANY else int(self.company.data)


class ChooseMemberForm(Form):
    member = RadioField(N_("Which company do you want to act for?"), choices=[], validate_choice=False,
                        validators=[InputRequired(N_("Choose a company"))])


class AccessEndForm(Form):
    """R13: the last day a trustee's access works; empty removes the end date."""

    valid_until = _access_end()

    def chosen_day(self) -> date | None:
        return self.valid_until.data if isinstance(self.valid_until.data, date) else None


class PowerOfAttorneyForm(Form):
    """R14: the signed power of attorney the administrator sends the fund, with what it grants."""

    document = FileField(N_("Signed power of attorney (PDF, at most 10 MB)"))
    valid_from = SwissDay(N_("Valid from"), bad=BAD_DAY, validators=[
        InputRequired(N_("Enter the first day the power of attorney is valid, like 01.04.2026"))])
    valid_until = SwissDay(N_("Valid until (last day, optional)"), bad=BAD_DAY, validators=[Optional()],
                           description=N_("Leave empty if it is valid until revoked."))
    scope = SelectMultipleField(N_("What the power of attorney covers"), choices=list(rights.CATALOGUE.items()),
                                validate_choice=False)
