"""Staff pages for a member's authorised signatories (R16): look a member up, list its signatories, add one
from a register extract, end one. The exceptional registration (R16) and stale logins (R17) pages are in
web.staff.registration_cases. Views translate and delegate to core.members.signatories."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import clock
from core.db import unit_of_work
from core.desk import stale_logins
from core.domain import rights, signing
from core.members import signatories
from core.models import Member
from core.translatable import N_
from web import dates
from web.auth import staff_required
from web.i18n import translate
from web.staff.blueprint import bp
from web.staff.registration_forms import EndSignatoryForm, MemberForm, SignatoryForm

Page = str | tuple[str, int] | Response
LOGIN_STATES = {"pending": N_("Registration not finished"), "active": "Active", "deactivated": "Deactivated"}


def actor() -> str:
    return f"staff:{current_user.username}"


def member_or_404(session: Any, number: str) -> Member:
    member = signatories.member_by_number(session, number)
    if member is None:
        abort(404)
    return member


def _labelled(labels: dict[str, str], key: str) -> str:
    return translate(labels.get(key, key))


@bp.context_processor
def _registration_helpers() -> dict[str, Any]:
    return {"authority_label": partial(_labelled, signing.AUTHORITIES),
            "right_label": lambda key: translate(rights.label(key)),
            "reason_text": lambda reason: translate(reason.text, **reason.values),
            "status_of_login": partial(_labelled, LOGIN_STATES)}


@bp.get("/registrations")
@staff_required
def registrations() -> Page:
    """Choose a member: its signatories, an exceptional registration, its stale logins."""
    form = MemberForm(request.args)
    if "member" not in request.args:
        return render_template("web/staff/registrations/index.html", form=MemberForm(), found=None)
    if not form.validate():
        return render_template("web/staff/registrations/index.html", form=form, found=None), 422
    with unit_of_work() as s:
        member = signatories.member_by_number(s, form.member.data or "")
        if member is None:
            form.fail("member", "No member with this number in the register.")
            return render_template("web/staff/registrations/index.html", form=form, found=None), 404
        found = {"member": member, "signatories": len(signatories.of_member(s, member.id)),
                 "logins": stale_logins.logins_of(s, member.id),
                 "administrators": stale_logins.active_administrators(s, member.id, clock.now())}
        return render_template("web/staff/registrations/index.html", form=form, found=found)


def _signatories_page(number: str, form: SignatoryForm | None = None, end_form: EndSignatoryForm | None = None,
                      problem: str = "", status: int = 200) -> Page:
    with unit_of_work() as s:
        member = member_or_404(s, number)
        listed = signatories.of_member(s, member.id)
        today = clock.today_in_zurich(clock.now())
        return render_template("web/staff/registrations/signatories.html", member=member, listed=listed,
                               valid_today={e.id: signing.valid_on(signatories.as_signer(e), today) for e in listed},
                               form=form or SignatoryForm(), end_form=end_form or EndSignatoryForm(),
                               problem=problem), status


@bp.get("/registrations/<number>/signatories")
@staff_required
def signatories_page(number: str) -> Page:
    return _signatories_page(number)


def _source(typed: str | None) -> str:
    """The register's name as the form offered it, in the clerk's language, is kept in English: every reader sees
    it in their own."""
    typed = (typed or "").strip()
    return signatories.SOURCE if not typed or typed == translate(signatories.SOURCE) else typed


@bp.post("/registrations/<number>/signatories")
@staff_required
def add_signatory(number: str) -> Page:
    form = SignatoryForm()
    if not form.validate_on_submit():
        return _signatories_page(number, form=form, status=422)
    entry = signatories.Entry(form.name.data or "", form.function.data or "", form.authority.data or "",
                              form.valid_from.data, form.valid_until.data, form.extract_date.data,
                              _source(form.source.data))
    try:
        with unit_of_work() as s:
            signatories.add(s, actor(), member_or_404(s, number).id, entry, clock.now())
    except signatories.Refused as refused:
        form.fail(refused.field or "name", refused.message)
        return _signatories_page(number, form=form, status=422)
    flash(translate("{name} was added to the signatories.", name=entry.name.strip()), "success")
    return redirect(url_for(".signatories_page", number=number), 303)


@bp.post("/registrations/<number>/signatories/<int:signatory_id>/end")
@staff_required
def end_signatory(number: str, signatory_id: int) -> Page:
    form = EndSignatoryForm()
    if not form.validate_on_submit() or form.last_day.data is None:
        return _signatories_page(number, end_form=form, status=422)
    try:
        with unit_of_work() as s:
            signatories.end(s, actor(), member_or_404(s, number).id, signatory_id, form.last_day.data, clock.now())
    except signatories.Refused as refused:
        return _signatories_page(number, problem=translate(refused.message), status=422)
    flash(translate("The signing authority ends on {day}.", day=dates.day(form.last_day.data)), "success")
    return redirect(url_for(".signatories_page", number=number), 303)
