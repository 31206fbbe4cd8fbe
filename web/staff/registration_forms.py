"""Forms of the staff pages for signatories, exceptional registrations (R16) and stale logins (R17). Labels and
messages are English source strings, translated when the form is made and when it is checked."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core.domain import rights, signing
from core.members.signatories import SOURCE
from core.translatable import N_
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
            raise ValueError(N_("Choose from the list only")) from exc


class MemberForm(Form):
    class Meta:
        csrf = False  # a look-up by GET changes nothing

    member = StringField(N_("Member number"), validators=[
        InputRequired(N_("Enter the member number")),
        Length(max=20, message=N_("A member number has at most 20 characters"))])


class SignatoryForm(Form):
    name = StringField(N_("Full name as in the commercial register"), validators=[
        InputRequired(N_("Enter the person's name as in the commercial register")),
        Length(max=200, message=N_("A name has at most 200 characters"))])
    function = StringField(N_("Function"),
                           validators=[Length(max=200, message=N_("A function has at most 200 characters"))],
                           description=N_("For example: member of the board, managing director"))
    authority = SelectField(N_("Kind of signing authority"), choices=list(signing.AUTHORITIES.items()),
                            validators=[InputRequired(N_("Choose the kind of signing authority"))])
    valid_from = SwissDay(N_("Valid from"), validators=[Optional()],
                          description=N_("Leave empty if the extract gives no date."))
    valid_until = SwissDay(N_("Valid until (last day)"), validators=[Optional()],
                           description=N_("Leave empty while the authority lasts."))
    source = StringField(N_("Source"), default=SOURCE,
                         validators=[Length(max=200, message=N_("The source has at most 200 characters"))])
    extract_date = SwissDay(N_("Date of the register extract"), validators=[
        InputRequired(N_("Enter the date of the register extract"))])


    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.source.data == SOURCE:
            self.source.data = translate(self.source.data)  # shown in the clerk's language, kept in English


class EndSignatoryForm(Form):
    last_day = SwissDay(N_("Last valid day"),
                        validators=[InputRequired(N_("Enter the last day the authority is valid"))])


class ExceptionalForm(Form):
    letter = FileField(N_("The member's official letter (PDF, at most 10 MB)"))
    letter_date = SwissDay(N_("Date of the letter"), validators=[InputRequired(N_("Enter the date of the letter"))])
    signers = IdsField(N_("Who signed the letter"), validators=[InputRequired(N_("Choose who signed the letter"))])
    name = StringField(N_("Full name"), validators=[
        InputRequired(N_("Enter the person's full name")),
        Length(max=200, message=N_("A name has at most 200 characters"))])
    email = StringField(N_("E-mail address"), validators=[
        InputRequired(N_("Enter the person's e-mail address")),
        Length(max=254, message=N_("An e-mail address has at most 254 characters"))])
    mobile = StringField(N_("Mobile number"), validators=[InputRequired(N_("Enter the person's mobile number"))])
    language = SelectField(N_("Language of the portal and of our e-mails"), choices=LANGUAGE_NAMES,
                           validate_choice=False)
    rights = SelectMultipleField(N_("Rights"), choices=list(rights.CATALOGUE.items()), validate_choice=False)


class StaleLoginsForm(Form):
    logins = IdsField(N_("Logins to deactivate"),
                      validators=[InputRequired(N_("Choose at least one login to deactivate"))])
    note = TextAreaField(N_("The member's request"), validators=[
        InputRequired(N_("Enter the member's request: its reference or a short note")),
        Length(max=2000, message=N_("The note can have at most 2000 characters"))],
        description=N_("The reference of the member's letter or e-mail, or who asked and when."))
    letter = FileField(N_("The member's letter (PDF, optional)"))


class ConfirmLoginsForm(Form):
    """A member's own R17 request: the clerk confirms which of the member's logins the listed names mean."""

    logins = IdsField(N_("Logins to deactivate"),
                      validators=[InputRequired(N_("Choose at least one login to deactivate"))])


class CaseApproveForm(Form):
    note = TextAreaField(N_("Note (optional)"), validators=[
        Length(max=2000, message=N_("The note can have at most 2000 characters"))])
