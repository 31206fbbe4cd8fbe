"""Forms for registering a first administrator and for the member login. Labels and messages are English
source strings, translated when the form is made and when it is checked."""

from __future__ import annotations

from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Regexp, ValidationError

from core.domain import codes, passwords
from core.domain.phones import InvalidMobile, normalise_mobile
from core.translatable import N_
from web.forms import Form

OTP_PATTERN = r"^\s*\d{3}\s?\d{3}\s*$"
# Each language named in its own words (web.forms.ENDONYMS): not translated.
LANGUAGE_NAMES = (("de", "Deutsch"), ("fr", "Français"), ("it", "Italiano"), ("en", "English"))


def _member_number() -> StringField:
    return StringField(N_("Member number"), validators=[
        InputRequired(N_("Enter your member number")),
        Length(max=20, message=N_("A member number has at most 20 characters")),
    ])


class CodeForm(Form):
    member_number = _member_number()
    code = StringField(N_("Registration code"),
                       validators=[InputRequired(N_("Enter the registration code from your letter"))])

    def validate_code(self, field: StringField) -> None:
        try:
            codes.read(field.data or "")
        except codes.InvalidCodeFormat as exc:
            raise ValidationError(
                N_("Enter the code as printed in the letter: 16 letters and digits, like XXXX-XXXX-XXXX-XXXX")) from exc

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


class DetailsForm(Form):
    name = StringField(N_("Full name"), validators=[
        InputRequired(N_("Enter your full name")), Length(max=200, message=N_("A name has at most 200 characters"))])
    email = StringField(N_("E-mail address"), validators=[
        InputRequired(N_("Enter your e-mail address")),
        Length(max=254, message=N_("An e-mail address has at most 254 characters")),
        Email(N_("Enter an e-mail address in the correct format, like name@example.ch")),
    ])
    mobile = StringField(N_("Mobile number"), validators=[InputRequired(N_("Enter your mobile number"))])
    password = PasswordField(N_("Create a password"), validators=[InputRequired(N_("Create a password"))])
    confirm = PasswordField(N_("Type the password again"), validators=[
        InputRequired(N_("Type your password again")),
        EqualTo("password", N_("The two passwords are not the same")),
    ])
    language = SelectField(N_("Language of the portal and of our e-mails"), choices=LANGUAGE_NAMES)

    member_number_on_file = ""  # set by the view: a password must not contain it

    def validate_mobile(self, field: StringField) -> None:
        try:
            field.data = normalise_mobile(field.data or "")
        except InvalidMobile as exc:
            raise ValidationError(N_("Enter a mobile number that can receive text messages, "
                                     "like 079 123 45 67 or +41 79 123 45 67")) from exc

    def validate_password(self, field: PasswordField) -> None:
        problem = passwords.problem(field.data or "", self.member_number_on_file)
        if problem:
            raise ValidationError(problem)


class OtpForm(Form):
    otp = StringField(N_("Code from your authenticator app"), validators=[
        InputRequired(N_("Enter the 6-digit code from your authenticator app")),
        Regexp(OTP_PATTERN, message=N_("The code has 6 digits")),
    ])

    def forget_otp(self) -> None:
        self.otp.data = ""
        self.otp.raw_data = []


class LoginForm(Form):
    member_number = _member_number()
    email = StringField(N_("E-mail address"), validators=[
        InputRequired(N_("Enter your e-mail address")),
        Length(max=254, message=N_("An e-mail address has at most 254 characters")),
    ])
    password = PasswordField(N_("Password"), validators=[InputRequired(N_("Enter your password"))])


class MemberRequestForm(Form):
    """What every public request says of the member and of the person asking (new code, old logins, a code for a
    trustee); each form adds its own reason and details."""

    member_number = StringField(N_("Member number"))
    uid = StringField(N_("UID (company identification number)"))
    company_name = StringField(N_("Company name"))
    requester_name = StringField(N_("Your full name"))
    requester_role = StringField(N_("Your role in the company"))
    requester_email = StringField(N_("Your e-mail address"))
    requester_phone = StringField(N_("Your phone number (optional)"))
