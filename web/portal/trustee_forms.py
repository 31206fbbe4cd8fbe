"""Forms for trustees' access (R13): the administrator's "New → trustee or representative", and the trustee's
choice of the member to act for. Labels and messages are English source strings."""

from __future__ import annotations

from typing import Any

from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from core.domain.addresses import LANGUAGES
from web.portal.admin_forms import LoginDetailsForm
from web.public.member_forms import LANGUAGE_NAMES, TranslatedForm

NEW_COMPANY = "new"
COMPANY_FIELDS = ("uid", "company_name", "street", "po_box", "postcode", "town", "company_language")


class TrusteeAccessForm(LoginDetailsForm):
    """The company (picked, or entered with its UID and address), then the person as for any login."""

    company = RadioField("Trustee company", choices=[], validate_choice=False)
    uid = StringField("UID of the company", validators=[Length(max=20, message="A UID has at most 20 characters")],
                      description="For example CHE-123.456.789")
    company_name = StringField("Company name", validators=[
        Length(max=200, message="A name has at most 200 characters")])
    street = StringField("Street and number", validators=[Length(max=200)])
    po_box = StringField("PO box", validators=[Length(max=100)])
    postcode = StringField("Postcode", validators=[Length(max=10)])
    town = StringField("Town", validators=[Length(max=100)])
    company_language = SelectField("Language of the company's letters", choices=LANGUAGE_NAMES,
                                   validate_choice=False)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not self.company.data:
            self.fail("company", "Choose the trustee company, or enter a new one")
            return False
        if self.company.data == NEW_COMPANY:
            for name, message in (("uid", "Enter the company's UID"), ("company_name", "Enter the company's name"),
                                  ("postcode", "Enter the postcode"), ("town", "Enter the town")):
                if not (self[name].data or "").strip():
                    self.fail(name, message)
                    valid = False
            if self.company_language.data not in LANGUAGES:
                self.fail("company_language", "Choose one of the languages offered.")
                valid = False
        elif not (self.company.data.isascii() and self.company.data.isdigit()):  # "²" is a digit, not a number
            self.fail("company", "Choose the trustee company, or enter a new one")
            valid = False
        return valid

    def chosen_company_id(self) -> int | None:
        return None if self.company.data == NEW_COMPANY else int(self.company.data)


class ChooseMemberForm(TranslatedForm):
    member = RadioField("Which company do you want to act for?", choices=[], validate_choice=False,
                        validators=[InputRequired("Choose a company")])
