"""The power of attorney register for staff (R14): search, record, revoke, the signed document, and the lookup
"may we give information to trustee T about member M today?". Views translate and delegate to
core.trustees.poa_register."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from core import clock
from core.db import unit_of_work
from core.desk import documents
from core.domain import mandates as mandate_rules
from core.domain import rights
from core.translatable import N_
from core.trustees import poa_register
from web import dates
from web.auth import staff_required
from web.forms import reading
from web.i18n import translate
from web.staff.blueprint import bp
from web.staff.poa_forms import LookupForm, RecordForm, RevokeForm

RECORDED = N_("The power of attorney has been recorded.")
REVOKED = N_("The power of attorney has been revoked. The trustee's access to this member has ended.")
TOO_LARGE = N_("The document cannot be kept: {reason}.")  # as core.trustees.poa_register says it
TRUSTEE_FIELDS = ("trustee_name", "trustee_street", "trustee_po_box", "trustee_postcode", "trustee_town",
                  "trustee_language", "trustee_email")


def _actor() -> str:
    return f"staff:{current_user.username}"


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    return (render_template(f"web/staff/trustees/{template}", rights_text=_rights_text, **context), status,
            {"Cache-Control": "no-store"})


def _rights_text(held: list[str]) -> str:
    return ", ".join(translate(rights.label(r)) for r in rights.CATALOGUE if r in held)


@bp.get("/powers-of-attorney/")
@staff_required
def poa_list() -> Any:
    query = request.args.get("q", "").strip()[:100]
    with unit_of_work() as s:
        rows = poa_register.search(s, query, clock.now())
    return _page("list.html", rows=rows, query=query, lookup=LookupForm(formdata=None))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    """The body is refused before any view or CSRF check reads it: on the register's form, say why on the form
    (empty, to start again); elsewhere the usual answer."""
    # The body was never read and will not be: every form on the page (the layout's too) finds it empty.
    request.form, request.files = ImmutableMultiDict(), ImmutableMultiDict()  # type: ignore[misc]
    if request.endpoint != "staff.poa_new" or not current_user.is_authenticated or current_user.kind != "staff":
        return render_template("web/errors/413.html"), 413
    form = RecordForm(formdata=None)
    form.trustee_language.data = "de"
    reason = translate(documents.TOO_LARGE)
    form.fail("document", translate(TOO_LARGE, reason=reason))
    return _page("new.html", 413, form=form, trustee_fields=TRUSTEE_FIELDS)


@bp.route("/powers-of-attorney/new", methods=["GET", "POST"])
@staff_required
def poa_new() -> Any:
    form = RecordForm()
    if reading():
        form.trustee_language.data = "de"
        return _page("new.html", form=form, trustee_fields=TRUSTEE_FIELDS)
    if form.validate_on_submit():
        upload = request.files.get("document")
        data = upload.read() if upload is not None else b""
        try:
            with unit_of_work() as s:
                poa_id = poa_register.record(s, form.member_number.data or "", form.trustee(), form.power(),
                                             poa_register.Upload(data, upload.filename or "" if upload else ""),
                                             _actor(), clock.now())
        except poa_register.Refused as exc:
            # The reason a document is refused is itself a source string (core.desk.documents).
            values = {name: translate(value) for name, value in exc.values.items()}
            form.fail(exc.field or "trustee_uid", translate(exc.message, **values))
        else:
            flash(translate(RECORDED), "success")
            return redirect(url_for(".poa_detail", poa_id=poa_id), 303)
    return _page("new.html", 422, form=form, trustee_fields=TRUSTEE_FIELDS)


@bp.get("/powers-of-attorney/<int:poa_id>")
@staff_required
def poa_detail(poa_id: int, form: RevokeForm | None = None, status: int = 200) -> Any:
    with unit_of_work() as s:
        found = poa_register.one(s, poa_id, clock.now())
        if found is None:
            abort(404)
        row, poa = found
        revocation = (poa.revoked_by, poa.revocation_note)
    return _page("detail.html", status, row=row, revocation=revocation, form=form or RevokeForm())


@bp.post("/powers-of-attorney/<int:poa_id>/revoke")
@staff_required
def poa_revoke(poa_id: int) -> Any:
    form = RevokeForm()
    if not form.validate_on_submit():
        return poa_detail(poa_id, form, 422)
    try:
        with unit_of_work() as s:
            poa_register.revoke(s, poa_id, form.note.data or "", _actor(), clock.now())
    except LookupError:
        abort(404)
    except poa_register.Refused as exc:
        flash(translate(exc.message, **exc.values), "error")
    else:
        flash(translate(REVOKED), "success")
    return redirect(url_for(".poa_detail", poa_id=poa_id), 303)


@bp.get("/powers-of-attorney/lookup")
@staff_required
def poa_lookup() -> Any:
    form = LookupForm(request.args)
    answer = None
    # The page's own links add ?lang=…: only a question asked in the form is answered (or refused).
    if {"member_number", "trustee_uid"} & set(request.args) and form.validate():
        try:
            with unit_of_work() as s:
                answer = poa_register.may_inform(s, form.member_number.data or "", form.trustee_uid.data or "",
                                                 clock.now())
        except poa_register.Refused as exc:
            field = form.trustee_uid if exc.field == "trustee_uid" else form.member_number
            field.errors = [*field.errors, translate(exc.message, **exc.values)]
    status = 422 if form.errors else 200
    return _page("lookup.html", status, form=form, answer=answer, reason_text=_reason_text)


def _reason_text(verdict: mandate_rules.Verdict) -> str:
    return translate(verdict.reason, day=dates.day(verdict.day),
                     scope=_rights_text(list(verdict.scope)))
