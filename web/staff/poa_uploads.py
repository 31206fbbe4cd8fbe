"""Staff decide a power of attorney a member's administrator sent through the portal (R14): check the PDF,
confirm what it grants and record it in the register, or reject it with a reason the administrators see. Views
translate and delegate to core.trustees.poa_uploads and core.desk.desk."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core import clock
from core.db import unit_of_work
from core.desk import desk
from core.domain import rights
from core.models import Case
from core.translatable import N_
from core.trustees import poa_uploads
from web.auth import staff_required
from web.forms import Form, SwissDay
from web.i18n import translate
from web.staff.blueprint import bp
from web.staff.views import case_page, kind_forms, refused


class RecordSentForm(Form):
    scope = SelectMultipleField(N_("Scope"), choices=list(rights.CATALOGUE.items()), validate_choice=False)
    valid_from = SwissDay(N_("Valid from"), validators=[InputRequired(N_("Enter the first day it is valid"))])
    valid_until = SwissDay(N_("Valid until (last day)"), validators=[Optional()])
    received_on = SwissDay(N_("Received on"), validators=[InputRequired(N_("Enter the day we received it"))])
    note = TextAreaField(N_("Note (optional)"), validators=[Length(max=2000)])

    def confirmed(self) -> poa_uploads.Confirmed:
        assert isinstance(self.valid_from.data, date) and isinstance(self.received_on.data, date)
        sent = poa_uploads.Sent(self.valid_from.data, self.valid_until.data, tuple(self.scope.data or ()))
        return poa_uploads.Confirmed(sent, self.received_on.data)


def _form_for(facts: poa_uploads.Facts) -> RecordSentForm:
    """The clerk starts from what the administrator entered; every value is checked against the PDF."""
    sent = facts.sent
    form = RecordSentForm(prefix="poa_sent", formdata=None)
    form.scope.data, form.valid_from.data, form.valid_until.data = list(sent.scope), sent.valid_from, sent.valid_until
    form.received_on.data = facts.sent_on
    return form


@kind_forms(poa_uploads.KIND)
def _forms(view: desk.CaseView) -> dict[str, Any]:
    return {"poa_sent_form": _form_for(view.facts)}


@bp.post("/cases/<int:case_id>/power-of-attorney/record")
@staff_required
def record_sent_power(case_id: int) -> Any:
    form = RecordSentForm(prefix="poa_sent")
    if not form.validate_on_submit():
        return case_page(case_id, status=422, poa_sent_form=form)
    try:
        with unit_of_work() as s:
            case = s.get(Case, case_id)
            if case is None or case.kind != poa_uploads.KIND:
                abort(404)  # each kind's form posts to its own route
            desk.approve(s, case_id, current_user.staff_id, form.note.data or "", clock.now(), form.confirmed())
    except desk.DeskError as error:
        return refused(case_id, error)
    flash(translate("Recorded. The member's administrators now see until when we may inform this trustee."),
          "success")
    return redirect(url_for(".case", case_id=case_id), 303)
