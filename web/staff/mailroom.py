"""The mail room: letters the post brought back. One field that a barcode scanner fills and submits with Enter,
so a pile of returned envelopes is worked through without touching the mouse; the case page then lets staff
correct the address on file and send a new code letter, or close the case."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from core import clock
from core.codes import returned_mail
from core.db import unit_of_work
from core.desk import desk
from core.models import Case
from core.translatable import N_
from web import stored_texts
from web.auth import staff_required
from web.i18n import sentence, translate
from web.staff.blueprint import bp
from web.staff.forms import AddressForm, CloseForm, ReturnedLetterForm, SendAgainForm
from web.staff.views import LETTER_LABELS, Page, case_page, kind_forms, refused

SENT_TO_NEW = N_("The new address is now on file, and the letter goes to it by post.")


@kind_forms(returned_mail.KIND)
def _forms(view: desk.CaseView) -> dict[str, Any]:
    letter_form = SendAgainForm(prefix="letter")
    letter_form.address_seen.data = view.facts.waiting_key  # what this page shows is what approving puts on file
    return {"address_form": AddressForm(prefix="address", formdata=None, obj=view.member),
            "letter_form": letter_form, "close_form": CloseForm(prefix="close")}


@bp.get("/mailroom")
@staff_required
def mailroom() -> Page:
    return render_template("web/staff/mailroom/scan.html", form=ReturnedLetterForm())


@bp.post("/mailroom")
@staff_required
def mailroom_scan() -> Page:
    form = ReturnedLetterForm()
    if not form.validate_on_submit():
        return render_template("web/staff/mailroom/scan.html", form=form), 422
    try:
        with unit_of_work() as s:
            done = returned_mail.register_return(s, form.reference.data or "", current_user.staff_id, clock.now())
    except returned_mail.ReturnedMailError as problem:
        form.reference.errors.append(problem_text(problem))
        return render_template("web/staff/mailroom/scan.html", form=form), 422
    if done.first_time and not done.had_code:
        message = N_("Letter {reference} is marked as returned. Case {case} was opened.")
    elif done.first_time:
        message = N_("Letter {reference} is marked as returned and its code no longer works. Case {case} was opened.")
    else:
        message = N_("Letter {reference} was scanned before (case {case}). Nothing was done again.")
    flash(translate(message, reference=done.reference, case=done.case_id), "success")
    return render_template("web/staff/mailroom/scan.html", form=ReturnedLetterForm(formdata=None), last=done)


def problem_text(problem: returned_mail.ReturnedMailError) -> str:
    """The service's message as a sentence in the clerk's language, its letter state and address problem too."""
    values = dict(problem.values)
    if "status" in values:
        values["status"] = translate(LETTER_LABELS.get(values["status"], values["status"]))
    if "problem" in values:
        values["problem"] = stored_texts.shown(values["problem"])
    return sentence(problem.message, values)


@bp.post("/cases/<int:case_id>/returned-mail/address")
@staff_required
def returned_mail_address(case_id: int) -> Page:
    form = AddressForm(prefix="address")
    if not form.validate_on_submit():
        return case_page(case_id, status=422, address_form=form)
    try:
        with unit_of_work() as s:
            returned_mail.record_address(s, case_id, current_user.staff_id, form.values(), clock.now())
    except desk.DeskError as error:
        return refused(case_id, error)
    except returned_mail.ReturnedMailError as problem:
        return case_page(case_id, problem=problem_text(problem), status=422, address_form=form)
    flash(translate("The new address is recorded. Another staff member must approve it: only then does it replace "
                    "the address on file and does the letter go to it."), "success")
    return redirect(url_for(".case", case_id=case_id), 303)


@bp.post("/cases/<int:case_id>/returned-mail/new-letter")
@staff_required
def returned_mail_new_letter(case_id: int) -> Page:
    form = SendAgainForm(prefix="letter")
    if not form.validate_on_submit():
        return case_page(case_id, status=422, letter_form=form)
    try:
        with unit_of_work() as s:
            case = s.get(Case, case_id)
            waiting = case is not None and bool(returned_mail.recorded_address(case, case.member))
            desk.approve(s, case_id, current_user.staff_id, str(form.note.data or ""), clock.now(),
                         returned_mail.AddressSeen(str(form.address_seen.data or "")))
    except desk.DeskError as error:
        return refused(case_id, error)
    flash(translate(SENT_TO_NEW if waiting else "The letter goes by post to the address on file."), "success")
    return redirect(url_for(".case", case_id=case_id), 303)
