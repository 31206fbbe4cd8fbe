"""Forms of the user administration and of leaving. Labels and messages are English source strings."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from wtforms import RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional

from core.domain import rights
from core.translatable import N_
from web.forms import Form, SwissDay
from web.public.member_forms import LANGUAGE_NAMES, DetailsForm

FORGED = N_("This form was sent with fields that cannot be set here ({fields}). Nothing was saved.")


def unexpected_fields(form: Form) -> list[str]:
    """Fields the page never offers (member_id, is_admin, …): a forged form is refused, not partly applied."""
    allowed = {field.name for field in form} | {"csrf_token"}
    return sorted(name for name in request.form if name not in allowed)


class LoginDetailsForm(Form):
    name = StringField(N_("Full name"), validators=[
        InputRequired(N_("Enter the person's full name")),
        Length(max=200, message=N_("A name has at most 200 characters"))])
    email = StringField(N_("E-mail address"), validators=[
        InputRequired(N_("Enter the person's e-mail address")),
        Length(max=254, message=N_("An e-mail address has at most 254 characters")),
        Email(N_("Enter an e-mail address in the correct format, like name@example.ch")),
    ])
    mobile = StringField(N_("Mobile number"), validators=[InputRequired(N_("Enter the person's mobile number"))])
    language = SelectField(N_("Language of the portal and of our e-mails"), choices=LANGUAGE_NAMES,
                           validate_choice=False)  # the service refuses an unknown language with its own message
    # The service checks the rights against the catalogue and the editor's own rights (R10) and says why.
    rights = SelectMultipleField(N_("Rights"), choices=list(rights.CATALOGUE.items()), validate_choice=False)

    validate_mobile = DetailsForm.validate_mobile

    def chosen_rights(self) -> tuple[str, ...]:
        return tuple(self.rights.data or ())


BAD_DATE = N_("Enter the last working day as a date, like 31.03.2026")


class LeaveForm(Form):
    """R11: now, or after a last working day."""

    when = RadioField(N_("When should the login stop working?"), choices=[
        ("date", N_("After a last working day")), ("now", N_("Now")),
    ], validators=[InputRequired(N_("Choose when the login should stop working"))])
    last_day = SwissDay(N_("Last working day"), bad=BAD_DATE, validators=[Optional()],
                         description=N_("The login works until midnight (Swiss time) of this day."))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here, not as a field validator: Optional() ends the field's chain when the box is empty.
        if self.when.data == "date" and self.last_day.data is None and not self.last_day.errors:
            self.fail("last_day", BAD_DATE)
            return False
        return valid

    def chosen_day(self) -> date | None:
        """None means now; a form asking for a date never reaches here without one."""
        if self.when.data == "date":
            if self.last_day.data is None:
                raise ValueError("a last working day was asked for but not given")
            return self.last_day.data
        return None


class ConfirmForm(Form):
    """A button that changes something: only the CSRF token."""
