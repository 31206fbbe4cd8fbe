"""The staff area: two-step login (password, then TOTP) and the desk where people at the fund decide cases.
Views translate and delegate: the rules live in core.desk.staff and core.desk.desk."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import clock
from core.db import unit_of_work
from core.desk import desk
from core.desk import staff as staff_service
from core.domain import staff as staff_rules
from core.domain.staff import PENDING_FOR
from core.models import Case
from core.translatable import N_
from web import client, dates, stored_texts
from web.auth import PENDING_KEY, StaffPrincipal, end_session, staff_required, start_session
from web.forms import reading
from web.i18n import known, sentence, translate
from web.redirects import local_path
from web.staff.blueprint import bp
from web.staff.forms import ApproveForm, CloseForm, CodeForm, LoginForm, LogoutForm, RejectForm

Page = str | tuple[str, int] | Response

KIND_LABELS = {"new_code": N_("New code request"), "code_exhausted": N_("Too many wrong codes"),
               "trustee_code": N_("Code for a trustee"), "exceptional_registration": N_("Registration by the fund"),
               "stale_logins": N_("Deactivate old logins"), "returned_mail": N_("Returned letter"),
               "support": N_("Support request"), "power_of_attorney": N_("Power of attorney sent by a member")}
STATUS_LABELS = {"open": N_("Open"), "approved": N_("Approved"), "rejected": N_("Rejected"), "closed": N_("Closed")}
LETTER_LABELS = {"invitation": N_("Invitation"), "new_code": N_("New code"), "trustee_code": N_("Code for a trustee"),
                 "exceptional_login": N_("Registration by the fund"), "logins_deactivated": N_("Logins deactivated"),
                 "request_rejected": N_("Request rejected"), "pending": N_("Waiting to be printed"),
                 "rendered": N_("Ready to print"), "printed": N_("Printed"), "returned": N_("Returned"),
                 "cancelled": N_("Cancelled")}
EVENT_LABELS = {"request.received": N_("Request received"), "request.decided": N_("Request examined"),
                "case.opened": N_("Case opened"), "case.request_joined": N_("Another request joined this case"),
                "case.recorded": N_("Case recorded"), "case.approved": N_("Approved"),
                "case.rejected": N_("Rejected"),
                "case.closed": N_("Closed"), "support.answered": N_("Answer sent by e-mail"),
                "member.address_corrected": N_("Address corrected"), "letter.returned": N_("Letter returned"),
                "member.address_recorded": N_("New address recorded for approval")}
# History lines whose detail the service writes (in English, translated when shown); the others carry a staff
# member's own words (a reason, an answer) or an address, shown as written.
SYSTEM_EVENTS = frozenset({"request.received", "request.decided", "case.opened", "case.recorded", "case.approved"})
TOPIC_LABELS = {"adding_users": N_("Adding or changing users"), "two_step_login": N_("Two-step login"),
                "business_process": N_("Business process"), "other": N_("Something else")}
LANGUAGE_LABELS = {"de": N_("German"), "fr": N_("French"), "it": N_("Italian"), "en": N_("English")}
AGES = (1, 3, 7, 30)  # the desk's age filter, in days; the page words each with ngettext


def _label(labels: dict[str, str], key: str) -> str:
    return translate(labels.get(key, key))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"local_time": dates.moment, "logout_form": LogoutForm(),
            "kind_label": partial(_label, KIND_LABELS), "status_label": partial(_label, STATUS_LABELS),
            "event_label": partial(_label, EVENT_LABELS), "letter_label": partial(_label, LETTER_LABELS),
            "sentence": stored_texts.sentence, "stored": stored_texts.shown, "system_events": SYSTEM_EVENTS,
            "may_decide": _may_decide, "topic_label": partial(_label, TOPIC_LABELS),
            "language_name": partial(_label, LANGUAGE_LABELS)}


def _may_decide(kind: str) -> bool:
    return _is_staff() and staff_rules.may_decide(current_user.role, kind)


def _ip() -> str:
    return client.address()


def _safe_next(target: str | None) -> str:
    """Only back into the staff area: a login link must not send anyone to another site."""
    return local_path(target, "/staff") or url_for(".cases")


def _is_staff() -> bool:
    return bool(current_user.is_authenticated and current_user.kind == "staff")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    if _is_staff():
        return redirect(url_for(".cases"))
    form = LoginForm()
    if reading():
        return render_template("web/staff/login.html", form=form, next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("web/staff/login.html", form=form, next=request.form.get("next", "")), 422
    now = clock.now()
    with unit_of_work() as s:
        step = staff_service.check_password(s, form.username.data or "", form.password.data or "", _ip(), now)
    if step.result is staff_service.Check.OK:
        session[PENDING_KEY] = {"kind": "staff", "id": step.staff_id, "version": step.session_version,
                                "until": (now + PENDING_FOR).timestamp(), "next": _safe_next(request.form.get("next"))}
        return redirect(url_for(".second_factor"), 303)
    throttled = step.result is staff_service.Check.THROTTLED
    form.username.errors.append(translate(
        N_("Too many attempts. Wait 5 minutes, then try again.") if throttled
        else N_("The username or password is not right.")))
    return render_template("web/staff/login.html", form=form, next=request.form.get("next", "")), (
        429 if throttled else 401)


def _pending() -> dict[str, Any] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("kind") != "staff":
        return None
    if clock.now().timestamp() > float(pending.get("until", 0)):
        session.pop(PENDING_KEY, None)
        return None
    return pending


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor() -> Page:
    pending = _pending()
    if pending is None:
        flash(translate("Please log in again: the page for the code is open for 5 minutes."), "error")
        return redirect(url_for(".login"), 303)
    form = CodeForm()
    if reading():
        return render_template("web/staff/second_factor.html", form=form)
    if not form.validate_on_submit():
        return render_template("web/staff/second_factor.html", form=form), 422
    with unit_of_work() as s:
        step = staff_service.check_second_factor(s, int(pending["id"]), int(pending["version"]), form.otp.data or "",
                                                 _ip(), clock.now())
        staff = staff_service.load_active(s, int(pending["id"]), int(pending["version"]))
        principal = StaffPrincipal(staff) if staff is not None and step.result is staff_service.Check.OK else None
    if principal is not None:
        start_session(principal)
        return redirect(_safe_next(pending.get("next")), 303)
    throttled = step.result is staff_service.Check.THROTTLED
    form.otp.errors.append(translate(
        N_("Too many wrong codes. Wait 5 minutes, then try again.") if throttled
        else N_("The code is not right or was used already. Wait for the next code and enter it.")))
    return render_template("web/staff/second_factor.html", form=form), 429 if throttled else 401


@bp.post("/logout")
def logout() -> Response:
    if LogoutForm().validate_on_submit():
        if _is_staff():
            with unit_of_work() as s:
                staff_service.log_out(s, current_user.staff_id, current_user.session_version)
        end_session()
        flash(translate("You are logged out."), "success")
    return redirect(url_for(".login"), 303)


@bp.get("/")
@staff_required
def cases() -> Page:
    filters = desk.Filters.parse(request.args.get("status"), request.args.get("kind"), request.args.get("member"),
                                 request.args.get("age"), request.args.get("q"))
    with unit_of_work() as s:
        page = desk.list_cases(s, filters, after=request.args.get("after"), before=request.args.get("before"),
                               now=clock.now())
    return render_template("web/staff/cases.html", page=page, filters=filters, kinds=desk.KINDS,
                           statuses=desk.STATUSES, count_cap=desk.COUNT_CAP, ages=AGES,
                           query=_query_of(filters))


def _query_of(filters: desk.Filters) -> dict[str, Any]:
    """The filters as link arguments, without the empty ones (tabs and page links keep them)."""
    return {key: value for key, value in (("kind", filters.kind), ("member", filters.member_number),
                                          ("age", filters.older_than_days), ("q", filters.search)) if value}


# The forms each kind's partial draws, made from the case view by the kind's own view module (registered with
# @kind_forms); the desk's approve and reject forms are every page's.
FormsOf = Callable[[desk.CaseView], dict[str, Any]]
KIND_FORMS: dict[str, FormsOf] = {}


def kind_forms(kind: str) -> Callable[[FormsOf], FormsOf]:
    def register(forms_of: FormsOf) -> FormsOf:
        KIND_FORMS[kind] = forms_of
        return forms_of
    return register


def _case_page(case_id: int, problem: str = "", status: int = 200, **posted: Any) -> Page:
    """The case page; `posted` forms replace the empty ones of the same name (to show their errors)."""
    with unit_of_work() as s:
        try:
            view = desk.case_view(s, case_id, clock.now())
        except desk.CaseNotFound:
            abort(404)
    forms_of = KIND_FORMS.get(view.case.kind)
    forms = {"approve_form": ApproveForm(prefix="approve"), "reject_form": RejectForm(prefix="reject"),
             **(forms_of(view) if forms_of else {}), **posted}
    return render_template("web/staff/case.html", view=view, problem=problem, me=current_user.staff_id,
                           **forms), status


def case_page(case_id: int, problem: str = "", status: int = 200, **kind_forms: Any) -> Page:
    """For the kinds' own routes (mail room, support): the case page again, with a problem or a form's errors."""
    return _case_page(case_id, problem=problem, status=status, **kind_forms)


def refused(case_id: int, error: desk.DeskError) -> Page:
    return _refused(case_id, error)


@bp.get("/cases/<int:case_id>")
@staff_required
def case(case_id: int) -> Page:
    return _case_page(case_id)


def _refused(case_id: int, error: desk.DeskError) -> Page:
    if isinstance(error, desk.CaseNotFound):
        abort(404)
    if isinstance(error, desk.AlreadyDecided):
        message = N_("This case has been decided already. Nothing was changed.")
    elif isinstance(error, desk.NotAllowed):
        message = N_("Only a supervisor may decide this kind of case. Nothing was changed.")
    elif isinstance(error, desk.CannotApprove) and str(error) == desk.NO_MEMBER:
        message = "No member with this number in the register – reject, or correct the register first."
    else:
        return _case_page(case_id, problem=staff_message(str(error)),
                          status=403 if isinstance(error, desk.NotAllowed) else 409)
    return _case_page(case_id, problem=translate(message), status=403 if isinstance(error, desk.NotAllowed) else 409)


def staff_message(text: str) -> str:
    """A service's message (written in lower case, to be embedded) shown alone, in the clerk's language: the
    catalogues hold it as a sentence."""
    shaped = text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    if known(text) or known(shaped):
        return sentence(text)
    shown = stored_texts.sentence(text)  # English, or a stored shape with values filled in
    return shown if shown.endswith((".", "!", "?")) else shown + "."


def _decide(case_id: int, form: Any, form_name: str, decide: Any, text: str, done: Any) -> Page:
    """Approve and reject alike: check the form, decide in one transaction, refuse a case decided already. `done` is
    the confirmation, or makes it from what the decision returned."""
    if not form.validate_on_submit():
        return _case_page(case_id, **{form_name: form}, status=422)
    try:
        with unit_of_work() as s:
            outcome = decide(s, case_id, current_user.staff_id, _text_of(form, text), clock.now())
    except desk.DeskError as error:
        return _refused(case_id, error)
    flash(done(outcome) if callable(done) else translate(done), "success")
    return redirect(url_for(".case", case_id=case_id), 303)


def _text_of(form: Any, field: str) -> str:
    return str(form[field].data or "")


@bp.post("/cases/<int:case_id>/approve")
@staff_required
def approve(case_id: int) -> Page:
    return _decide(case_id, ApproveForm(prefix="approve"), "approve_form", desk.approve, "note",
                   N_("Approved. A letter with a new code goes by post to the member's address on file."))


def rejected_text(outcome: desk.Rejection) -> str:
    """Exactly who is told, in the clerk's language: a letter to the member, an e-mail to the requester, or
    nobody."""
    told = []
    if outcome.letter_reference:
        told.append(translate("A letter with your reason goes by post to the member's address on file, in the "
                              "member's language (letter {reference}).", reference=outcome.letter_reference))
    if outcome.requester_mailed:
        told.append(translate("The requester is told by e-mail, without any detail about the member."))
    if not told:
        told.append(translate("Nobody is told: there is no letter and no e-mail for this kind of case."))
    return " ".join([translate("Rejected."), *told])


@bp.post("/cases/<int:case_id>/reject")
@staff_required
def reject(case_id: int) -> Page:
    with unit_of_work() as s:
        case = s.get(Case, case_id)
        kind = case.kind if case is not None else ""

    def done(outcome: desk.Rejection) -> str:
        return translate(REJECTED[kind]) if kind in REJECTED else rejected_text(outcome)

    return _decide(case_id, RejectForm(prefix="reject"), "reject_form", desk.reject, "reason", done)


# What a rejection does, where it is neither a letter to the member nor an e-mail to the requester.
REJECTED = {"power_of_attorney": N_("Rejected. The power of attorney is not recorded; the member's administrators see "
                                    "your reason on the trustee's page in connect.")}


@bp.post("/cases/<int:case_id>/close")
@staff_required
def close_case(case_id: int) -> Page:
    """Close a case with nothing more to send (a returned letter, an answered support request)."""
    form = CloseForm(prefix="close")
    if not form.validate_on_submit():
        return _case_page(case_id, status=422, close_form=form)
    try:
        with unit_of_work() as s:
            desk.close(s, case_id, current_user.staff_id, str(form.note.data or ""), clock.now())
    except desk.DeskError as error:
        return _refused(case_id, error)
    flash(translate("The case is closed."), "success")
    return redirect(url_for(".case", case_id=case_id), 303)
