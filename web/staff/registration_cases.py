"""Staff pages that record an exceptional registration (R16) or a stale-logins request (R17) as a case, the
case pages' partials, and their approval routes. Recording and approving are done by two different clerks: the
desk refuses the recorder, whatever the request says (four eyes, enforced on the server)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from core import clock
from core.db import unit_of_work
from core.desk import desk, exceptional, stale_logins
from core.domain import rights
from core.members import signatories
from core.models import Case
from core.translatable import N_
from web import stored_texts
from web.auth import staff_required
from web.i18n import translate
from web.staff.blueprint import bp
from web.staff.registration_forms import CaseApproveForm, ConfirmLoginsForm, ExceptionalForm, StaleLoginsForm
from web.staff.registrations import member_or_404
from web.staff.views import case_page, kind_forms, refused

Page = str | tuple[str, int] | Response


def _upload(form_field: Any) -> tuple[bytes, str]:
    upload = form_field.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        return b"", ""
    return upload.read(), upload.filename


AGAIN = N_("Attach the letter again: the file is not kept while the form has a problem.")


def _ask_for_the_letter_again(form: Any) -> None:
    """A refused form comes back without the file the browser sent (a file input cannot be filled by the server):
    say so next to the field, unless the file itself was the problem."""
    upload = form.letter.data
    if isinstance(upload, FileStorage) and upload.filename and not form.letter.errors:
        form.letter.errors = [*form.letter.errors, translate(AGAIN)]


def _show_problems(form: Any, problems: list[Any], default: str) -> None:
    """Each problem next to its field (one the form lacks, such as the member, goes to the first field)."""
    for problem in problems:
        name = problem.field if problem.field in form else default
        values = {key: stored_texts.shown(value) if isinstance(value, str) else value
                  for key, value in dict(problem.values).items()}
        form[name].errors = [*form[name].errors, translate(problem.message, **values)]


# --- exceptional registration (R16) ---

def _exceptional_page(number: str, form: ExceptionalForm, status: int = 200) -> Page:
    with unit_of_work() as s:
        member = member_or_404(s, number)
        listed = signatories.of_member(s, member.id)
        return render_template("web/staff/registrations/exceptional.html", member=member, listed=listed, form=form,
                               catalogue=list(rights.CATALOGUE)), status


@bp.get("/registrations/<number>/exceptional")
@staff_required
def exceptional_page(number: str) -> Page:
    return _exceptional_page(number, ExceptionalForm())


@bp.post("/registrations/<number>/exceptional")
@staff_required
def record_exceptional(number: str) -> Page:
    form = ExceptionalForm()
    if not form.validate_on_submit() or form.letter_date.data is None:
        _ask_for_the_letter_again(form)
        return _exceptional_page(number, form, 422)
    data, filename = _upload(form.letter)
    person = exceptional.Person(form.name.data or "", form.email.data or "", form.mobile.data or "",
                                form.language.data or "")
    try:
        with unit_of_work() as s:
            case_id = exceptional.record(s, current_user.staff_id, number,
                                         exceptional.OfficialLetter(data, filename, form.letter_date.data),
                                         form.signers.data or [], person, list(form.rights.data or []), clock.now())
    except exceptional.Refused as refused:
        _show_problems(form, refused.problems, "letter")
        _ask_for_the_letter_again(form)
        return _exceptional_page(number, form, 422)
    return render_template("web/staff/registrations/recorded.html", case_id=case_id, kind=exceptional.KIND)


# --- stale logins (R17) ---

def _stale_page(number: str, form: StaleLoginsForm, status: int = 200) -> Page:
    with unit_of_work() as s:
        member = member_or_404(s, number)
        return render_template(
            "web/staff/registrations/stale_logins.html", member=member, form=form,
            logins=stale_logins.logins_of(s, member.id),
            administrators=stale_logins.active_administrators(s, member.id, clock.now())), status


@bp.get("/registrations/<number>/stale-logins")
@staff_required
def stale_logins_page(number: str) -> Page:
    return _stale_page(number, StaleLoginsForm())


@bp.post("/registrations/<number>/stale-logins")
@staff_required
def record_stale_logins(number: str) -> Page:
    form = StaleLoginsForm()
    if not form.validate_on_submit():
        _ask_for_the_letter_again(form)
        return _stale_page(number, form, 422)
    data, filename = _upload(form.letter)
    try:
        with unit_of_work() as s:
            case_id = stale_logins.record(s, current_user.staff_id, number, form.logins.data or [],
                                          stale_logins.MemberRequest(form.note.data or "", data, filename),
                                          clock.now())
    except stale_logins.Refused as refused:
        _show_problems(form, refused.problems, "logins")
        _ask_for_the_letter_again(form)
        return _stale_page(number, form, 422)
    return render_template("web/staff/registrations/recorded.html", case_id=case_id, kind=stale_logins.KIND)


# --- the case pages ---

@kind_forms(exceptional.KIND)
def _exceptional_forms(view: desk.CaseView) -> dict[str, Any]:
    return {"kind_approve_form": CaseApproveForm(prefix="approve")}


@kind_forms(stale_logins.KIND)
def _stale_logins_forms(view: desk.CaseView) -> dict[str, Any]:
    return {"kind_approve_form": CaseApproveForm(prefix="approve"), "confirm_form": ConfirmLoginsForm(prefix="confirm")}


def _approve(case_id: int, kind: str, done: str) -> Page:
    with unit_of_work() as s:
        case = s.get(Case, case_id)
        if case is None or case.kind != kind:
            abort(404)  # each kind's form posts to its own route; another kind is decided on the desk's
    form = CaseApproveForm(prefix="approve")  # the prefix the kind's partial draws the form with
    if not form.validate_on_submit():
        return case_page(case_id, problem=" ".join(e for errors in form.errors.values() for e in errors),
                          status=422)
    try:
        with unit_of_work() as s:
            desk.approve(s, case_id, current_user.staff_id, form.note.data or "", clock.now())
    except desk.DeskError as error:
        return refused(case_id, error)
    flash(translate(done), "success")
    return redirect(url_for(".case", case_id=case_id), 303)


@bp.post("/cases/<int:case_id>/exceptional-registration/approve")
@staff_required
def approve_exceptional(case_id: int) -> Page:
    return _approve(case_id, exceptional.KIND, N_("Approved. The login is prepared, and a letter with its code goes "
                                                  "by post to the member's address on file."))


@bp.post("/cases/<int:case_id>/stale-logins/approve")
@staff_required
def approve_stale_logins(case_id: int) -> Page:
    return _approve(case_id, stale_logins.KIND, N_("Approved. The logins are deactivated, and a confirmation letter "
                                                   "goes by post to the member's address on file."))


@bp.post("/cases/<int:case_id>/stale-logins/confirm")
@staff_required
def confirm_stale_logins(case_id: int) -> Page:
    """R17 from the member's own request: the clerk confirms the logins the listed names mean; another approves."""
    form = ConfirmLoginsForm(prefix="confirm")
    if not form.validate_on_submit():
        return case_page(case_id, problem=" ".join(e for errors in form.errors.values() for e in errors),
                          status=422)
    try:
        with unit_of_work() as s:
            stale_logins.confirm(s, case_id, current_user.staff_id, form.logins.data or [], clock.now())
    except stale_logins.Refused as refused:
        problem = " ".join(translate(p.message, **dict(p.values)) for p in refused.problems)
        return case_page(case_id, problem=problem, status=422)
    flash(translate("Confirmed. Another staff member now approves the case."), "success")
    return redirect(url_for(".case", case_id=case_id), 303)
