"""Forms of the staff area. Labels and messages are translated when the page is drawn, in the page's language."""

from __future__ import annotations

from typing import Any

from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from web.forms import Form
from web.i18n import translate


class Text(str):
    """An English source string that turns into the page's language whenever it is shown."""

    def __str__(self) -> str:
        return translate(str.__str__(self))

    def __mod__(self, values: Any) -> str:  # WTForms' Length formats its message with %
        return str(self) % values

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


def _label(form: Form, **labels: str) -> None:
    for name, text in labels.items():
        form[name].label.text = translate(text)


class LoginForm(Form):
    username = StringField(validators=[DataRequired(Text("Enter your username")), Length(max=60)])
    password = PasswordField(validators=[DataRequired(Text("Enter your password")), Length(max=256)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label(self, username="Username", password="Password")


class CodeForm(Form):
    otp = StringField(validators=[DataRequired(Text("Enter the 6-digit code from your authenticator app")),
                                  Regexp(r"^\s*\d{3}\s?\d{3}\s*$",
                                         message=Text("The code is 6 digits, like 123456"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label(self, otp="Code from your authenticator app")


class ApproveForm(Form):
    note = TextAreaField(validators=[Length(max=2000, message=Text("The note can have at most 2000 characters"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label(self, note="Note (optional)")


class RejectForm(Form):
    reason = TextAreaField(validators=[
        DataRequired(Text("Enter the reason for rejecting this request")),
        Length(max=2000, message=Text("The reason can have at most 2000 characters")),
    ])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label(self, reason="Reason for rejecting")


class LogoutForm(Form):
    """Only the CSRF token: logging out is a POST."""


class ReturnedLetterForm(Form):
    """One field a barcode scanner fills and submits with Enter."""

    reference = StringField(validators=[DataRequired(Text("Enter or scan the letter reference")),
                                        Length(max=40, message=Text("A letter reference is like L-AB12-CD34"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label(self, reference="Letter reference")


class AddressForm(Form):
    care_of = StringField(validators=[Length(max=200)])
    street = StringField(validators=[Length(max=200)])
    po_box = StringField(validators=[Length(max=100)])
    postcode = StringField(validators=[DataRequired(Text("Enter the postcode")),
                                       Regexp(r"^\s*[1-9]\d{3}\s*$", message=Text("A Swiss postcode has 4 digits"))])
    town = StringField(validators=[DataRequired(Text("Enter the town")), Length(max=100)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label(self, care_of="c/o (optional)", street="Street and number", po_box="PO box (optional)",
               postcode="Postcode", town="Town")

    def values(self) -> dict[str, str]:
        return {name: str(self[name].data or "").strip() for name in ("care_of", "street", "po_box", "postcode",
                                                                         "town")}


class CloseForm(Form):
    note = TextAreaField(validators=[Length(max=2000, message=Text("The note can have at most 2000 characters"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label(self, note="Note (optional)")


class AnswerForm(Form):
    """An answer to a support request, e-mailed to the contact address the member gave."""

    message = TextAreaField(validators=[DataRequired(Text("Enter the answer")),
                                        Length(max=5000, message=Text("The answer can have at most 5000 characters"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label(self, message="Your answer")
