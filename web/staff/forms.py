"""Forms of the staff area. Labels and messages are English source strings marked with N_(); web.forms.Form
translates them when the page is drawn, in the page's language."""

from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from core.translatable import N_
from web.forms import Form


class LoginForm(Form):
    username = StringField(N_("Username"), validators=[DataRequired(N_("Enter your username")), Length(max=60)])
    password = PasswordField(N_("Password"), validators=[DataRequired(N_("Enter your password")), Length(max=256)])


class CodeForm(Form):
    otp = StringField(N_("Code from your authenticator app"), validators=[
        DataRequired(N_("Enter the 6-digit code from your authenticator app")),
        Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=N_("The code is 6 digits, like 123456"))])


class ApproveForm(Form):
    note = TextAreaField(N_("Note (optional)"), validators=[
        Length(max=2000, message=N_("The note can have at most 2000 characters"))])


class SendAgainForm(ApproveForm):
    """Sending a returned letter again; with a new address waiting, the address the approver saw (four eyes)."""

    address_seen = HiddenField()


class RejectForm(Form):
    reason = TextAreaField(N_("Reason for rejecting"), validators=[
        DataRequired(N_("Enter the reason for rejecting this request")),
        Length(max=2000, message=N_("The reason can have at most 2000 characters")),
    ])


class LogoutForm(Form):
    """Only the CSRF token: logging out is a POST."""


class ReturnedLetterForm(Form):
    """One field a barcode scanner fills and submits with Enter."""

    reference = StringField(N_("Letter reference"), validators=[
        DataRequired(N_("Enter or scan the letter reference")),
        Length(max=40, message=N_("A letter reference is like L-AB12-CD34"))])


class AddressForm(Form):
    care_of = StringField(N_("c/o (optional)"), validators=[Length(max=200)])
    street = StringField(N_("Street and number"), validators=[Length(max=200)])
    po_box = StringField(N_("PO box (optional)"), validators=[Length(max=100)])
    postcode = StringField(N_("Postcode"), validators=[
        DataRequired(N_("Enter the postcode")),
        Regexp(r"^\s*[1-9]\d{3}\s*$", message=N_("A Swiss postcode has 4 digits"))])
    town = StringField(N_("Town"), validators=[DataRequired(N_("Enter the town")), Length(max=100)])

    def values(self) -> dict[str, str]:
        return {name: str(self[name].data or "").strip() for name in ("care_of", "street", "po_box", "postcode",
                                                                         "town")}


class CloseForm(Form):
    note = TextAreaField(N_("Note (optional)"), validators=[
        Length(max=2000, message=N_("The note can have at most 2000 characters"))])


class AnswerForm(Form):
    """An answer to a support request, e-mailed to the contact address the member gave."""

    message = TextAreaField(N_("Your answer"), validators=[
        DataRequired(N_("Enter the answer")),
        Length(max=5000, message=N_("The answer can have at most 5000 characters"))])
