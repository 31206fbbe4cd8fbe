"""Forms for registering a first administrator and for the member login. Labels and messages are English
source strings, translated when the form is made and when it is checked."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Regexp, ValidationError

from core.domain import codes, passwords
from core.domain.phones import InvalidMobile, normalise_mobile
from web.i18n import translate

OTP_PATTERN = r"^\s*\d{3}\s?\d{3}\s*$"
LANGUAGE_NAMES = (("de", "Deutsch"), ("fr", "Français"), ("it", "Italiano"), ("en", "English"))


class TranslatedForm(FlaskForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            field.label.text = translate(field.label.text)
            if field.description:
                field.description = translate(field.description)
            if isinstance(getattr(field, "choices", None), list):
                # A choice's value is what the form sends back; only the words a person reads are translated.
                field.choices = [(c[0], translate(c[1])) if isinstance(c, tuple) and len(c) == 2 else c
                                 for c in field.choices]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            field.errors = [translate(message) for message in field.errors]
        return valid

    def fail(self, field_name: str, message: str) -> None:
        """An error found after the form was valid (by the service): shown next to its field."""
        self[field_name].errors = [*self[field_name].errors, translate(message)]


def _member_number() -> StringField:
    return StringField("Member number", validators=[
        InputRequired("Enter your member number"),
        Length(max=20, message="A member number has at most 20 characters"),
    ])


class CodeForm(TranslatedForm):
    member_number = _member_number()
    code = StringField("Registration code", validators=[InputRequired("Enter the registration code from your letter")])

    def validate_code(self, field: StringField) -> None:
        try:
            codes.read(field.data or "")
        except codes.InvalidCodeFormat as exc:
            raise ValidationError(
                "Enter the code as printed in the letter: 16 letters and digits, like XXXX-XXXX-XXXX-XXXX") from exc

    def forget_code(self) -> None:
        """R1: a code is never shown on a page, not even the one just typed, nor one typed in the wrong box."""
        self.code.data = ""
        self.code.raw_data = []
        if _looks_like_a_code(self.member_number.data or ""):
            self.member_number.data = ""
            self.member_number.raw_data = []


def _looks_like_a_code(text: str) -> bool:
    try:
        codes.read(text)
    except codes.InvalidCodeFormat:
        return False
    return True


class DetailsForm(TranslatedForm):
    name = StringField("Full name", validators=[
        InputRequired("Enter your full name"), Length(max=200, message="A name has at most 200 characters")])
    email = StringField("E-mail address", validators=[
        InputRequired("Enter your e-mail address"),
        Length(max=254, message="An e-mail address has at most 254 characters"),
        Email("Enter an e-mail address in the correct format, like name@example.ch"),
    ])
    mobile = StringField("Mobile number", validators=[InputRequired("Enter your mobile number")])
    password = PasswordField("Create a password", validators=[InputRequired("Create a password")])
    confirm = PasswordField("Type the password again", validators=[
        InputRequired("Type your password again"),
        EqualTo("password", "The two passwords are not the same"),
    ])
    language = SelectField("Language of the portal and of our e-mails", choices=LANGUAGE_NAMES)

    member_number_on_file = ""  # set by the view: a password must not contain it

    def validate_mobile(self, field: StringField) -> None:
        try:
            field.data = normalise_mobile(field.data or "")
        except InvalidMobile as exc:
            raise ValidationError("Enter a mobile number that can receive text messages, "
                                  "like 079 123 45 67 or +41 79 123 45 67") from exc

    def validate_password(self, field: PasswordField) -> None:
        problem = passwords.problem(field.data or "", self.member_number_on_file)
        if problem:
            raise ValidationError(problem)


class OtpForm(TranslatedForm):
    otp = StringField("Code from your authenticator app", validators=[
        InputRequired("Enter the 6-digit code from your authenticator app"),
        Regexp(OTP_PATTERN, message="The code has 6 digits"),
    ])

    def forget_otp(self) -> None:
        self.otp.data = ""
        self.otp.raw_data = []


class LoginForm(TranslatedForm):
    member_number = _member_number()
    email = StringField("E-mail address", validators=[
        InputRequired("Enter your e-mail address"),
        Length(max=254, message="An e-mail address has at most 254 characters"),
    ])
    password = PasswordField("Password", validators=[InputRequired("Enter your password")])
