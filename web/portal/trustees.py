"""Trustees in the portal (R13, R14): a trustee login chooses the member it acts for; a member's administrators
open access for a trustee (with an optional last day), see every trustee with access and whether the fund may
inform it, send the fund a power of attorney, confirm an access that came from a fund code, print the invitation
and revoke a mandate."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from core import clock
from core.db import unit_of_work
from core.desk import documents
from core.domain import rights
from core.domain.addresses import PostalAddress
from core.logins import logins
from core.translatable import N_
from core.trustees import mandates, poa_register, poa_uploads, trustee_logins, trustees
from web.auth import ACTING_KEY, CHOOSING, for_trustees, member_required
from web.dates import day
from web.forms import reading
from web.i18n import current, translate
from web.portal.admin import _forged, admin_required, service
from web.portal.admin_forms import ConfirmForm, unexpected_fields
from web.portal.blueprint import bp
from web.portal.trustee_forms import (
    COMPANY_FIELDS,
    NEW_COMPANY,
    AccessEndForm,
    ChooseMemberForm,
    PowerOfAttorneyForm,
    TrusteeAccessForm,
)
from web.public.member_forms import LANGUAGE_NAMES

ADDED = N_("{name} already has a login at this company: the access to your company has been added to it.")
INVITED = N_("We have sent an invitation to {email}. The link in it works for 72 hours.")
INFORMATION = N_("The trustee can act for your company within the rights you gave as soon as the login is set up. "
                 "For the fund to also give the trustee information by phone or in writing, send us the power of "
                 "attorney on the trustee's page.")
END_SET = N_("The access of {name} now ends after {day}.")
END_REMOVED = N_("The access of {name} has no end date now: it lasts until you revoke it.")
CONFIRMED = N_("The access of {name} is now your company's own: it no longer depends on a power of attorney.")
SENT = N_("Thank you. The fund checks the power of attorney and records it; this page then shows until when the fund "
          "may give the trustee information.")
REVOKED = N_("The access of {name} has been revoked. We have told them by e-mail.")
NOW_ACTING = N_("You are now acting for {name}.")


def _safe_next(target: str | None) -> str | None:
    if not target or not target.startswith("/portal/") or "//" in target or "\\" in target:
        return None
    return target


@bp.route("/acting-for", methods=["GET", "POST"])
@member_required
@for_trustees(CHOOSING)
def choose_member() -> Any:
    """R13: a trustee login acts for one member at a time; with a single one it goes straight in."""
    if not current_user.is_trustee:
        return redirect(url_for(".home"))
    with unit_of_work() as s:
        principals = mandates.members_of(s, current_user.login_id, clock.now())
    form = ChooseMemberForm()
    form.member.choices = [(str(p.member_id), f"{p.name} ({p.member_number})") for p in principals]
    target = _safe_next(request.args.get("next")) or url_for(".home")
    if reading() and len(principals) == 1 and current_user.member_id is None:
        return _act_for(principals[0], target)
    if request.method == "POST" and form.validate_on_submit():
        chosen = next((p for p in principals if str(p.member_id) == form.member.data), None)
        if chosen is not None:
            return _act_for(chosen, target)
        form.member.errors = [translate("Choose one of the companies offered")]
    status = 422 if request.method == "POST" else 200
    return render_template("web/portal/trustees/choose.html", form=form, principals=principals,
                           rights_text=rights_text), status, {"Cache-Control": "no-store"}


def rights_text(held: frozenset[str] | list[str]) -> str:
    return ", ".join(translate(rights.label(r)) for r in rights.CATALOGUE if r in held)


def _act_for(principal: mandates.Principal, target: str) -> Any:
    session[ACTING_KEY] = principal.member_id
    flash(translate(NOW_ACTING, name=principal.name), "success")
    return redirect(target, 303)


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    return (render_template(f"web/portal/trustees/{template}", day=day, right_label=rights.label,
                            rights_text=rights_text, **context),
            status, {"Cache-Control": "no-store"})


@bp.get("/admin/trustees/")
@admin_required
def admin_trustees() -> Any:
    with service() as s:
        shown = trustee_logins.shown_all(s, current_user.login_id, clock.now())
    return _page("list.html", shown=shown)


def _detail(mandate_id: int, status: int = 200, **forms: Any) -> Any:
    with service() as s:
        shown = trustee_logins.shown_one(s, current_user.login_id, mandate_id, clock.now())
    access = shown.access
    end_form = forms.get("end_form") or AccessEndForm(formdata=None, prefix="end", valid_until=access.valid_until)
    poa_form = forms.get("poa_form") or PowerOfAttorneyForm(formdata=None, prefix="poa", scope=list(access.rights))
    return _page("detail.html", status, shown=shown, a=shown.access, info=shown.information, end_form=end_form,
                 poa_form=poa_form, confirm=ConfirmForm(), catalogue=list(rights.CATALOGUE),
                 problem=forms.get("problem"))


@bp.get("/admin/trustees/<int:mandate_id>")
@admin_required
def admin_trustee(mandate_id: int) -> Any:
    """One trustee: the access it has (R13) and, separately, whether the fund may give it information (R14)."""
    return _detail(mandate_id)


@bp.post("/admin/trustees/<int:mandate_id>/end")
@admin_required
def admin_trustee_end(mandate_id: int) -> Any:
    form = AccessEndForm(prefix="end")
    if unexpected_fields(form):
        abort(400)
    if not form.validate_on_submit():
        return _detail(mandate_id, 422, end_form=form)
    try:
        with service() as s:
            trustee_logins.set_end(s, current_user.login_id, mandate_id, form.chosen_day(), clock.now())
            name = trustee_logins.shown_one(s, current_user.login_id, mandate_id, clock.now()).access.person
    except logins.Refused as exc:
        form.fail("valid_until", translate(exc.message, **exc.values))
        return _detail(mandate_id, 422, end_form=form)
    if form.chosen_day() is None:
        flash(translate(END_REMOVED, name=name), "success")
    else:
        flash(translate(END_SET, name=name, day=day(form.chosen_day())), "success")
    return redirect(url_for(".admin_trustee", mandate_id=mandate_id), 303)


@bp.post("/admin/trustees/<int:mandate_id>/confirm")
@admin_required
def admin_trustee_confirm(mandate_id: int) -> Any:
    """R14: a way (b) access becomes the company's own grant."""
    form = ConfirmForm()
    if not form.validate_on_submit() or unexpected_fields(form):
        abort(400)
    with service() as s:
        trustee_logins.confirm(s, current_user.login_id, mandate_id, clock.now())
        name = trustee_logins.shown_one(s, current_user.login_id, mandate_id, clock.now()).access.person
    flash(translate(CONFIRMED, name=name), "success")
    return redirect(url_for(".admin_trustee", mandate_id=mandate_id), 303)


@bp.post("/admin/trustees/<int:mandate_id>/power-of-attorney")
@admin_required
def admin_trustee_power(mandate_id: int) -> Any:
    """R14, R23: the signed power of attorney goes to the fund's desk, checked like every uploaded document."""
    form = PowerOfAttorneyForm(prefix="poa")
    if unexpected_fields(form):
        abort(400)
    if not form.validate_on_submit():
        return _detail(mandate_id, 422, poa_form=form)
    upload = request.files.get(form.document.name)
    data = upload.read(documents.MAX_BYTES + 1) if upload else b""
    sent = poa_uploads.Sent(form.valid_from.data, form.valid_until.data, tuple(form.scope.data or ()))
    try:
        with service() as s:
            poa_uploads.submit(s, current_user.login_id, mandate_id, sent,
                               poa_register.Upload(data, upload.filename or "power-of-attorney.pdf")
                               if upload and data else None, clock.now())
    except logins.Refused as exc:
        field = exc.field if exc.field in form else None
        if field:
            form.fail(field, translate(exc.message, **{k: translate(v) for k, v in exc.values.items()}))
        return _detail(mandate_id, 422, poa_form=form,
                       problem=None if field else translate(exc.message, **exc.values))
    flash(translate(SENT), "success")
    return redirect(url_for(".admin_trustee", mandate_id=mandate_id), 303)


def _companies() -> list[tuple[str, str]]:
    with service() as s:
        editor = logins.administrator(s, current_user.login_id, clock.now())
        known = trustee_logins.known_companies(s, editor.member_id or 0)
        return [(str(t.id), f"{t.name} ({t.uid})") for t in known]


def _company(form: TrusteeAccessForm) -> trustee_logins.Company:
    if form.company.data != NEW_COMPANY:
        return trustee_logins.Company(trustee_id=form.chosen_company_id())
    address = PostalAddress(form.company_name.data or "", "", form.street.data or "", form.po_box.data or "",
                            form.postcode.data or "", form.town.data or "")
    return trustee_logins.Company(new=trustees.Company(form.uid.data or "", address,
                                                       form.company_language.data or "de"))


@bp.route("/admin/trustees/new", methods=["GET", "POST"])
@admin_required
def admin_trustee_new() -> Any:
    form = TrusteeAccessForm()
    companies = _companies()
    form.company.choices = [*companies, (NEW_COMPANY, translate("Another company"))]
    editor_rights = list(current_user.rights)
    context: dict[str, Any] = {"editor_rights": editor_rights, "catalogue": list(rights.CATALOGUE),
                               "companies": companies, "company_fields": COMPANY_FIELDS}
    if reading():
        form.language.data = form.company_language.data = current()
        form.company.data = companies[0][0] if len(companies) == 1 else NEW_COMPANY if not companies else None
        return _page("new.html", form=form, **context)
    problem = _forged(form)
    if problem is None and form.validate_on_submit():
        person = logins.Details(form.name.data or "", form.email.data or "", form.mobile.data or "",
                                form.language.data or "", form.chosen_rights())
        until = form.valid_until.data if isinstance(form.valid_until.data, date) else None
        try:
            with service() as s:
                opened = trustee_logins.open_access(s, current_user.login_id, _company(form), person, clock.now(),
                                                    until)
        except logins.Refused as exc:
            problem = _place(form, exc)
        else:
            return _opened(opened, form)
    return _page("new.html", 422, form=form, problem=problem, **context)


def _place(form: TrusteeAccessForm, exc: logins.Refused) -> str | None:
    message = translate(exc.message, **exc.values)
    if exc.field and exc.field in form:
        form.fail(exc.field, message)
        return None
    return message


def _opened(opened: trustee_logins.Opened, form: TrusteeAccessForm) -> Any:
    if opened.invited:
        flash(translate(INVITED, email=(form.email.data or "").strip().lower()), "success")
    else:
        flash(translate(ADDED, name=(form.name.data or "").strip()), "success")
    flash(translate(INFORMATION), "info")
    return redirect(url_for(".admin_trustee_invitation", mandate_id=opened.mandate_id), 303)


@bp.get("/admin/trustees/<int:mandate_id>/invitation")
@admin_required
def admin_trustee_invitation(mandate_id: int) -> Any:
    """A page to print and hand to the trustee: who has access, with which rights, and how to get started."""
    with service() as s:
        shown = trustee_logins.printable(s, current_user.login_id, mandate_id, clock.now())
    # Handed to the trustee: offered in the trustee's language, as its invitation e-mail is.
    return _page("invitation.html", shown=shown, trustee_language=dict(LANGUAGE_NAMES)[shown.language])


@bp.get("/admin/trustees/<int:mandate_id>/revoke")
@admin_required
def admin_trustee_revoke_page(mandate_id: int) -> Any:
    """Ending a trustee's access is asked once more, with what it means, before it is done."""
    with service() as s:
        shown = trustee_logins.accesses(s, current_user.login_id, clock.now())
    access = next((a for a in shown if a.mandate_id == mandate_id), None)
    if access is None:
        abort(404)
    return _page("revoke.html", access=access, confirm=ConfirmForm())


@bp.post("/admin/trustees/<int:mandate_id>/revoke")
@admin_required
def admin_trustee_revoke(mandate_id: int) -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit() or unexpected_fields(form):
        abort(400)
    with service() as s:
        name = trustee_logins.revoke(s, current_user.login_id, mandate_id, clock.now())
    flash(translate(REVOKED, name=name), "success")
    return redirect(url_for(".admin_trustees"), 303)
