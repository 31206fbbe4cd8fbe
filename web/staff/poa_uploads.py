"""Staff decide a power of attorney a member's administrator sent through the portal (R14): check the PDF,
confirm what it grants and record it in the register, or reject it with a reason the administrators see. Views
translate and delegate to core.services.poa_uploads and core.services.desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core import clock
from core.db import unit_of_work
from core.domain import rights
from core.models import Case, Document, Member, Trustee
from core.services import desk, poa_uploads
from core.translatable import N_
from web.auth import staff_required
from web.forms import Form, SwissDay
from web.i18n import translate
from web.staff.blueprint import bp
from web.staff.views import case_page, refused


class RecordSentForm(Form):
    scope = SelectMultipleField(N_("Scope"), choices=list(rights.CATALOGUE.items()), validate_choice=False)
    valid_from = SwissDay(N_("Valid from"), validators=[InputRequired(N_("Enter the first day it is valid"))])
    valid_until = SwissDay(N_("Valid until (last day)"), validators=[Optional()])
    received_on = SwissDay(N_("Received on"), validators=[InputRequired(N_("Enter the day we received it"))])
    note = TextAreaField(N_("Note (optional)"), validators=[Length(max=2000)])

    def confirmed(self) -> dict[str, Any]:
        assert isinstance(self.valid_from.data, date) and isinstance(self.received_on.data, date)
        sent = poa_uploads.Sent(self.valid_from.data, self.valid_until.data, tuple(self.scope.data or ()))
        return {**sent.as_payload(), "received_on": self.received_on.data.isoformat()}


def _form_for(case: Case) -> RecordSentForm:
    """The clerk starts from what the administrator entered; every value is checked against the PDF."""
    sent = poa_uploads.Sent.from_payload(case.payload.get("sent", {"valid_from": case.payload.get("sent_on")}))
    form = RecordSentForm(prefix="poa_sent", formdata=None)
    form.scope.data, form.valid_from.data, form.valid_until.data = list(sent.scope), sent.valid_from, sent.valid_until
    form.received_on.data = date.fromisoformat(case.payload["sent_on"])
    return form


@dataclass(frozen=True)
class Facts:
    member: Member | None
    trustee: Trustee | None
    document: Document | None
    sent: poa_uploads.Sent
    sent_by: str
    sent_on: date


def case_facts(case: Case) -> Facts:
    with unit_of_work() as s:
        member = s.get(Member, case.member_id) if case.member_id else None
        trustee = s.get(Trustee, case.payload.get("trustee_id"))
        document = s.get(Document, case.document_id) if case.document_id else None
        s.expunge_all()
    return Facts(member, trustee, document, poa_uploads.Sent.from_payload(case.payload["sent"]),
                 str(case.payload.get("sent_by", "")), date.fromisoformat(case.payload["sent_on"]))


@bp.context_processor
def _poa_upload_helpers() -> dict[str, Any]:
    return {"poa_sent_facts": case_facts, "poa_sent_form": _form_for}


@bp.post("/cases/<int:case_id>/power-of-attorney/record")
@staff_required
def record_sent_power(case_id: int) -> Any:
    form = RecordSentForm(prefix="poa_sent")
    if not form.validate_on_submit():
        return case_page(case_id, status=422, poa_sent_form_posted=form)
    try:
        with unit_of_work() as s:
            case = s.get(Case, case_id)
            if case is None or case.kind != poa_uploads.KIND:
                abort(404)
            case.payload = {**case.payload, "confirmed": form.confirmed()}
            desk.approve(s, case_id, current_user.staff_id, form.note.data or "", clock.now())
    except desk.DeskError as error:
        return refused(case_id, error)
    flash(translate("Recorded. The member's administrators now see until when we may inform this trustee."),
          "success")
    return redirect(url_for(".case", case_id=case_id), 303)
