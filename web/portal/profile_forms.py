"""Forms of a login's profile. Passwords and codes typed are never shown again on a page."""

from __future__ import annotations

import re

from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import EqualTo, InputRequired, ValidationError

from core.domain import second_factor
from core.translatable import N_
from web.forms import Form
from web.public.member_forms import OTP_PATTERN


def _current_password() -> PasswordField:
    return PasswordField(N_("Your current password"), validators=[InputRequired(N_("Enter your current password"))])


class PasswordChangeForm(Form):
    current_password = _current_password()
    new_password = PasswordField(N_("New password"), validators=[InputRequired(N_("Create a new password"))])
    confirm = PasswordField(N_("Type the new password again"), validators=[
        InputRequired(N_("Type your new password again")),
        EqualTo("new_password", N_("The two passwords are not the same")),
    ])


class ConfirmPasswordForm(Form):
    current_password = _current_password()


class IdentityForm(Form):
    """Before a new authenticator: the current password and a code from the current app, an SMS, or a recovery
    code (the phone may be lost)."""

    current_password = _current_password()
    method = RadioField(N_("Where your code comes from"), default="app", choices=[
        ("app", N_("From my authenticator app")), ("sms", N_("From an SMS we sent")),
        ("recovery", N_("A recovery code")),
    ], validators=[InputRequired(N_("Choose where your code comes from"))])
    code = StringField(N_("Code"), validators=[InputRequired(N_("Enter the code"))])

    def validate_code(self, field: StringField) -> None:
        typed = field.data or ""
        if self.method.data == "recovery":
            if not second_factor.looks_like_recovery_code(typed):
                raise ValidationError(N_("Enter a recovery code as it was shown to you: 13 letters and digits, "
                                         "like XXXX-XXXX-XXXXX"))
        elif not re.match(OTP_PATTERN, typed):
            raise ValidationError(N_("The code has 6 digits"))

    def forget_secrets(self) -> None:
        self.code.data, self.code.raw_data = "", []
