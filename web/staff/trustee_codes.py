"""Staff approval of a trustee code (R14, R15): the clerk confirms the trustee company and the power of
attorney attached to the member's request; approving records the power (unless a current one is on record) and
sends the code to the trustee's address as the fund records it. Views translate and delegate to
core.services.trustee_codes and core.services.desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core import clock
from core.db import unit_of_work
from core.domain import rights
from core.models import Case, Document, Member, PowerOfAttorney, Request, Trustee
from core.services import codes, desk, mandates, trustee_codes
from core.translatable import N_
from web.auth import staff_required
from web.forms import Form, SwissDay
from web.i18n import translate
from web.staff.blueprint import bp
from web.staff.poa_forms import LANGUAGES
from web.staff.views import case_page, refused


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
        trustee = {"uid": self.trustee_uid.data or "", "name": self.trustee_name.data or "",
                   "care_of": self.trustee_care_of.data or "", "street": self.trustee_street.data or "",
                   "po_box": self.trustee_po_box.data or "", "postcode": self.trustee_postcode.data or "",
                   "town": self.trustee_town.data or "", "language": self.trustee_language.data or "de",
                   "email": self.contact_email.data or ""}
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


@dataclass(frozen=True)
class Facts:
    details: dict[str, Any]
    document: Document | None
    trustee_on_file: Trustee | None  # known by its UID: the letter goes to this address (R1)
    trustee_address: list[str]
    current_powers: list[PowerOfAttorney]
    administrators: list[str]


def case_facts(case: Case) -> Facts:
    with unit_of_work() as s:
        request = s.get(Request, case.request_id) if case.request_id else None
        details = dict(request.details) if request else {}
        trustee = s.scalar(select(Trustee).where(Trustee.uid == details.get("trustee_uid", "")))
        member = s.get(Member, case.member_id) if case.member_id else None
        powers = mandates.current_powers(s, member.id, trustee.id, clock.now()) if member and trustee else []
        admins = [login.name for login in trustee_codes.active_administrators(s, member.id, clock.now())] \
            if member else []
        document = s.get(Document, case.document_id) if case.document_id else None
        address = codes.trustee_address(trustee).lines() if trustee else []
        s.expunge_all()
    return Facts(details, document, trustee, address, powers, admins)


@bp.context_processor
def _trustee_code_helpers() -> dict[str, Any]:
    def form_for(case: Case, view: desk.CaseView) -> TrusteeCodeForm:
        return _form_for(view.request, clock.today_in_zurich(clock.now()))

    return {"trustee_code_facts": case_facts, "trustee_code_form": form_for,
            "right_name": lambda key: translate(rights.label(key))}


@bp.post("/cases/<int:case_id>/trustee-code/approve")
@staff_required
def approve_trustee_code(case_id: int) -> Any:
    form = TrusteeCodeForm(prefix="trustee_code")
    if not form.validate_on_submit():
        return case_page(case_id, status=422, trustee_code_form_posted=form)
    try:
        with unit_of_work() as s:
            case = s.get(Case, case_id)
            if case is None or case.kind != trustee_codes.KIND:
                abort(404)
            case.payload = {**case.payload, **form.confirmed().as_payload()}
            desk.approve(s, case_id, current_user.staff_id, form.note.data or "", clock.now())
    except desk.DeskError as error:
        return refused(case_id, error)
    flash(translate("Approved. The code letter goes by post to the trustee's address."), "success")
    return redirect(url_for(".case", case_id=case_id), 303)
