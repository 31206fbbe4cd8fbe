"""Answering a support request from its case page: the answer goes by e-mail to the address the member gave
and stays in the case's history; closing the case is the desk's own close."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask_login import current_user

from core import clock
from core.db import unit_of_work
from core.desk import desk, support
from web.auth import staff_required
from web.i18n import translate
from web.staff.blueprint import bp
from web.staff.forms import AnswerForm, CloseForm
from web.staff.views import Page, case_page, kind_forms, refused, staff_message


@kind_forms(support.KIND)
def _forms(view: desk.CaseView) -> dict[str, Any]:
    return {"answer_form": AnswerForm(prefix="answer"), "close_form": CloseForm(prefix="close")}


@bp.post("/cases/<int:case_id>/support/answer")
@staff_required
def support_answer(case_id: int) -> Page:
    form = AnswerForm(prefix="answer")
    if not form.validate_on_submit():
        return case_page(case_id, status=422, answer_form=form)
    try:
        with unit_of_work() as s:
            support.answer(s, case_id, current_user.staff_id, str(form.message.data or ""), clock.now())
    except desk.DeskError as error:
        return refused(case_id, error)
    except support.SupportError as problem:
        return case_page(case_id, problem=staff_message(str(problem)), status=422, answer_form=form)
    flash(translate("Your answer is sent by e-mail and kept in the history. Close the case when nothing more is "
                    "needed."), "success")
    return redirect(url_for(".case", case_id=case_id), 303)
