"""Forms of a login's profile. Passwords and codes typed are never shown again on a page."""

from __future__ import annotations

import re

from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import EqualTo, InputRequired, ValidationError

from core.domain import second_factor
from web.forms import Form
from web.i18n import translate
from web.public.member_forms import OTP_PATTERN


def _current_password() -> PasswordField:
    return PasswordField("Your current password", validators=[InputRequired("Enter your current password")])


class PasswordChangeForm(Form):
    current_password = _current_password()
    new_password = PasswordField("New password", validators=[InputRequired("Create a new password")])
    confirm = PasswordField("Type the new password again", validators=[
        InputRequired("Type your new password again"),
        EqualTo("new_password", "The two passwords are not the same"),
    ])


class ConfirmPasswordForm(Form):
    current_password = _current_password()


class IdentityForm(Form):
    """Before a new authenticator: the current password and a code from the current app, an SMS, or a recovery
    code (the phone may be lost)."""

    current_password = _current_password()
    method = RadioField("Where your code comes from", default="app", choices=[
        ("app", "From my authenticator app"), ("sms", "From an SMS we sent"), ("recovery", "A recovery code"),
    ], validators=[InputRequired("Choose where your code comes from")])
    code = StringField("Code", validators=[InputRequired("Enter the code")])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.method.choices = [(value, translate(label)) for value, label in self.method.choices]

    def validate_code(self, field: StringField) -> None:
        typed = field.data or ""
        if self.method.data == "recovery":
            if not second_factor.looks_like_recovery_code(typed):
                raise ValidationError("Enter a recovery code as it was shown to you: 13 letters and digits, "
                                      "like XXXX-XXXX-XXXXX")
        elif not re.match(OTP_PATTERN, typed):
            raise ValidationError("The code has 6 digits")

    def forget_secrets(self) -> None:
        self.code.data, self.code.raw_data = "", []
