"""Forms of a login's profile. Passwords and codes typed are never shown again on a page."""

from __future__ import annotations

from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import EqualTo, InputRequired, Regexp

from web.i18n import translate
from web.public.member_forms import OTP_PATTERN, TranslatedForm


def _current_password() -> PasswordField:
    return PasswordField("Your current password", validators=[InputRequired("Enter your current password")])


class PasswordChangeForm(TranslatedForm):
    current_password = _current_password()
    new_password = PasswordField("New password", validators=[InputRequired("Create a new password")])
    confirm = PasswordField("Type the new password again", validators=[
        InputRequired("Type your new password again"),
        EqualTo("new_password", "The two passwords are not the same"),
    ])


class ConfirmPasswordForm(TranslatedForm):
    current_password = _current_password()


class IdentityForm(TranslatedForm):
    """Before a new authenticator: the current password and a code from the current app or an SMS."""

    current_password = _current_password()
    method = RadioField("Where your code comes from", default="app", choices=[
        ("app", "From my authenticator app"), ("sms", "From an SMS we sent"),
    ], validators=[InputRequired("Choose where your code comes from")])
    code = StringField("Code", validators=[
        InputRequired("Enter the 6-digit code"), Regexp(OTP_PATTERN, message="The code has 6 digits"),
    ])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.method.choices = [(value, translate(label)) for value, label in self.method.choices]

    def forget_secrets(self) -> None:
        self.code.data, self.code.raw_data = "", []

