"""Forms of the power of attorney register (R14). Labels and messages are English source strings, translated
when the page is drawn."""

from __future__ import annotations

from datetime import date

from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core.domain import mandates as rules
from core.domain import rights
from core.domain.addresses import PostalAddress
from core.translatable import N_
from core.trustees import trustees
from web.forms import Form, SwissDay
from web.i18n import translate

# Each language named in its own words (web.forms.ENDONYMS): not translated.
LANGUAGES = (("de", "Deutsch"), ("fr", "Français"), ("it", "Italiano"), ("en", "English"))


class RecordForm(Form):
    member_number = StringField(N_("Member number of the principal"), validators=[
        InputRequired(N_("Enter the member number of the principal")), Length(max=20)])
    trustee_uid = StringField(N_("UID of the trustee"), validators=[
        InputRequired(N_("Enter the trustee's UID")), Length(max=20)])
    trustee_name = StringField(N_("Trustee company name"), validators=[Length(max=200)])
    trustee_street = StringField(N_("Street and number"), validators=[Length(max=200)])
    trustee_po_box = StringField(N_("PO box"), validators=[Length(max=100)])
    trustee_postcode = StringField(N_("Postcode"), validators=[Length(max=10)])
    trustee_town = StringField(N_("Town"), validators=[Length(max=100)])
    trustee_language = SelectField(N_("Language of the trustee"), choices=LANGUAGES, validate_choice=False)
    trustee_email = StringField(N_("E-mail address of the trustee"), validators=[Length(max=254)])
    scope = SelectMultipleField(N_("Scope"), choices=list(rights.CATALOGUE.items()), validate_choice=False)
    valid_from = SwissDay(N_("Valid from"), validators=[InputRequired(N_("Enter the first day it is valid"))])
    valid_until = SwissDay(N_("Valid until (last day)"), validators=[Optional()])
    received_on = SwissDay(N_("Received on"), validators=[InputRequired(N_("Enter the day we received it"))])
    document = FileField(N_("Signed power of attorney (PDF, at most 10 MB)"))

    def power(self) -> rules.NewPowerOfAttorney:
        assert isinstance(self.valid_from.data, date) and isinstance(self.received_on.data, date)
        return rules.NewPowerOfAttorney(self.valid_from.data, self.valid_until.data, self.received_on.data,
                                        tuple(self.scope.data or ()))

    def trustee(self) -> trustees.Company:
        address = PostalAddress(self.trustee_name.data or "", "", self.trustee_street.data or "",
                                self.trustee_po_box.data or "", self.trustee_postcode.data or "",
                                self.trustee_town.data or "")
        return trustees.Company(self.trustee_uid.data or "", address, self.trustee_language.data or "de",
                                self.trustee_email.data or "")

    def fail(self, name: str, message: str) -> None:
        field = self._fields.get(name, self.trustee_uid)
        field.errors = [*field.errors, translate(message)]


class RevokeForm(Form):
    note = TextAreaField(N_("How did the revocation reach us?"), validators=[
        InputRequired(N_("Say how the revocation reached us, for example 'letter of 3 March'")),
        Length(max=2000)])


class LookupForm(Form):
    class Meta:
        csrf = False  # a question, not a change: it is asked with GET

    member_number = StringField(N_("Member number"), validators=[InputRequired(N_("Enter the member number"))])
    trustee_uid = StringField(N_("UID of the trustee"), validators=[InputRequired(N_("Enter the trustee's UID"))])
