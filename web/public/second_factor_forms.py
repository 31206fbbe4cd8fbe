"""Forms for the second step of a login by SMS or recovery code. A typed code is never shown again on a page."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import InputRequired, Regexp, ValidationError

from core.domain import second_factor
from core.translatable import N_
from web.forms import Form
from web.public.member_forms import OTP_PATTERN


class SmsCodeForm(Form):
    code = StringField(N_("Code from the SMS"), validators=[
        InputRequired(N_("Enter the 6-digit code from the SMS")),
        Regexp(OTP_PATTERN, message=N_("The code has 6 digits")),
    ])


class RecoveryCodeForm(Form):
    code = StringField(N_("Recovery code"), validators=[InputRequired(N_("Enter one of your recovery codes"))])

    def validate_code(self, field: StringField) -> None:
        if not second_factor.looks_like_recovery_code(field.data or ""):
            raise ValidationError(N_("Enter a recovery code as it was shown to you: 13 letters and digits, "
                                     "like XXXX-XXXX-XXXXX"))


class ActionForm(Form):
    """A button that only needs the CSRF token (send an SMS, cancel)."""
