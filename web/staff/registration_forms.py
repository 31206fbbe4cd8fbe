"""Forms of the staff pages for signatories, exceptional registrations (R16) and stale logins (R17). Labels and
messages are English source strings, translated when the form is made and when it is checked."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core.domain import rights, signing
from core.members.signatories import SOURCE
from web.forms import Form, SwissDay
from web.i18n import translate
from web.public.member_forms import LANGUAGE_NAMES


class IdsField(SelectMultipleField):
    """Ticked boxes whose values are ids; the service checks they belong to the member."""

    def pre_validate(self, form: Any) -> None:
        pass

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            self.data = [int(value) for value in valuelist]
        except ValueError as exc:
            self.data = []
            raise ValueError("Choose from the list only") from exc


class MemberForm(Form):
    class Meta:
        csrf = False  # a look-up by GET changes nothing

    member = StringField("Member number", validators=[
        InputRequired("Enter the member number"), Length(max=20, message="A member number has at most 20 characters")])


class SignatoryForm(Form):
    name = StringField("Full name as in the commercial register", validators=[
        InputRequired("Enter the person's name as in the commercial register"),
        Length(max=200, message="A name has at most 200 characters")])
    function = StringField("Function", validators=[Length(max=200, message="A function has at most 200 characters")],
                           description="For example: member of the board, managing director")
    authority = SelectField("Kind of signing authority", choices=list(signing.AUTHORITIES.items()),
                            validators=[InputRequired("Choose the kind of signing authority")])
    valid_from = SwissDay("Valid from", validators=[Optional()],
                          description="Leave empty if the extract gives no date.")
    valid_until = SwissDay("Valid until (last day)", validators=[Optional()],
                           description="Leave empty while the authority lasts.")
    source = StringField("Source", default=SOURCE,
                         validators=[Length(max=200, message="The source has at most 200 characters")])
    extract_date = SwissDay("Date of the register extract", validators=[
        InputRequired("Enter the date of the register extract")])


    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.source.data == SOURCE:
            self.source.data = translate(self.source.data)  # shown in the clerk's language, kept in English


class EndSignatoryForm(Form):
    last_day = SwissDay("Last valid day", validators=[InputRequired("Enter the last day the authority is valid")])


class ExceptionalForm(Form):
    letter = FileField("The member's official letter (PDF, at most 10 MB)")
    letter_date = SwissDay("Date of the letter", validators=[InputRequired("Enter the date of the letter")])
    signers = IdsField("Who signed the letter", validators=[InputRequired("Choose who signed the letter")])
    name = StringField("Full name", validators=[
        InputRequired("Enter the person's full name"), Length(max=200, message="A name has at most 200 characters")])
    email = StringField("E-mail address", validators=[
        InputRequired("Enter the person's e-mail address"),
        Length(max=254, message="An e-mail address has at most 254 characters")])
    mobile = StringField("Mobile number", validators=[InputRequired("Enter the person's mobile number")])
    language = SelectField("Language of the portal and of our e-mails", choices=LANGUAGE_NAMES,
                           validate_choice=False)
    rights = SelectMultipleField("Rights", choices=list(rights.CATALOGUE.items()), validate_choice=False)


class StaleLoginsForm(Form):
    logins = IdsField("Logins to deactivate", validators=[InputRequired("Choose at least one login to deactivate")])
    note = TextAreaField("The member's request", validators=[
        InputRequired("Enter the member's request: its reference or a short note"),
        Length(max=2000, message="The note can have at most 2000 characters")],
        description="The reference of the member's letter or e-mail, or who asked and when.")
    letter = FileField("The member's letter (PDF, optional)")


class ConfirmLoginsForm(Form):
    """A member's own R17 request: the clerk confirms which of the member's logins the listed names mean."""

    logins = IdsField("Logins to deactivate", validators=[InputRequired("Choose at least one login to deactivate")])


class CaseApproveForm(Form):
    note = TextAreaField("Note (optional)", validators=[
        Length(max=2000, message="The note can have at most 2000 characters")])
