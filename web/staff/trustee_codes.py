"""Staff approval of a trustee code (R14, R15): the clerk confirms the trustee company and the power of
attorney attached to the member's request; approving records the power (unless a current one is on record) and
sends the code to the trustee's address as the fund records it. Views translate and delegate to
core.trustees.trustee_codes and core.desk.desk."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core import clock
from core.db import unit_of_work
from core.desk import desk
from core.domain import rights
from core.domain.addresses import PostalAddress
from core.models import Case, Request
from core.translatable import N_
from core.trustees import trustee_codes, trustees
from web.auth import staff_required
from web.forms import Form, SwissDay
from web.i18n import translate
from web.staff.blueprint import bp
from web.staff.poa_forms import LANGUAGES
from web.staff.views import case_page, kind_forms, refused


class TrusteeCodeForm(Form):
    trustee_uid = StringField(N_("UID of the trustee"), validators=[
        InputRequired(N_("Enter the trustee's UID")), Length(max=30)])
    trustee_name = StringField(N_("Trustee company name"), validators=[Length(max=200)])
    trustee_care_of = StringField(N_("Additional address line"), validators=[Length(max=200)])
    trustee_street = StringField(N_("Street and number"), validators=[Length(max=200)])
    trustee_po_box = StringField(N_("PO box"), validators=[Length(max=100)])
    trustee_postcode = StringField(N_("Postcode"), validators=[Length(max=10)])
    trustee_town = StringField(N_("Town"), validators=[Length(max=100)])
    trustee_language = SelectField(N_("Language of the trustee"), choices=LANGUAGES, validate_choice=False)
    contact_email = StringField(N_("Contact person's e-mail address"), validators=[Length(max=254)])
    scope = SelectMultipleField(N_("Scope"), choices=list(rights.CATALOGUE.items()), validate_choice=False)
    valid_from = SwissDay(N_("Valid from"), validators=[InputRequired(N_("Enter the first day it is valid"))])
    valid_until = SwissDay(N_("Valid until (last day)"), validators=[Optional()])
    received_on = SwissDay(N_("Received on"), validators=[InputRequired(N_("Enter the day we received it"))])
    note = TextAreaField(N_("Note (optional)"), validators=[Length(max=2000)])

    def confirmed(self) -> trustee_codes.Confirmed:
        assert isinstance(self.valid_from.data, date) and isinstance(self.received_on.data, date)
        address = PostalAddress(self.trustee_name.data or "", self.trustee_care_of.data or "",
                                self.trustee_street.data or "", self.trustee_po_box.data or "",
                                self.trustee_postcode.data or "", self.trustee_town.data or "")
        trustee = trustees.Company(self.trustee_uid.data or "", address, self.trustee_language.data or "de",
                                   self.contact_email.data or "")
        return trustee_codes.Confirmed(trustee, list(self.scope.data or []), self.valid_from.data,
                                       self.valid_until.data, self.received_on.data)


def _form_for(request: Request | None, today: date) -> TrusteeCodeForm:
    """The clerk starts from what the member's request says; every value is checked against the PDF."""
    details = request.details if request else {}
    form = TrusteeCodeForm(prefix="trustee_code", formdata=None)
    for name in ("trustee_uid", "trustee_name", "trustee_care_of", "trustee_street", "trustee_po_box",
                 "trustee_postcode", "trustee_town", "trustee_language", "contact_email"):
        form[name].data = details.get(name, "")
    form.valid_from.data = form.received_on.data = today
    return form


@kind_forms(trustee_codes.KIND)
def _forms(view: desk.CaseView) -> dict[str, Any]:
    return {"trustee_code_form": _form_for(view.request, clock.today_in_zurich(clock.now()))}


@bp.post("/cases/<int:case_id>/trustee-code/approve")
@staff_required
def approve_trustee_code(case_id: int) -> Any:
    form = TrusteeCodeForm(prefix="trustee_code")
    if not form.validate_on_submit():
        return case_page(case_id, status=422, trustee_code_form=form)
    try:
        with unit_of_work() as s:
            case = s.get(Case, case_id)
            if case is None or case.kind != trustee_codes.KIND:
                abort(404)  # each kind's form posts to its own route
            desk.approve(s, case_id, current_user.staff_id, form.note.data or "", clock.now(), form.confirmed())
    except desk.DeskError as error:
        return refused(case_id, error)
    flash(translate("Approved. The code letter goes by post to the trustee's address."), "success")
    return redirect(url_for(".case", case_id=case_id), 303)
