"""Public pages: asking for a new code (Situation 2), checking the answers, the confirmation and the status.

The form's fields are checked by core.domain.requests (the same checks as the JSON API); Flask-WTF only carries
the fields and the CSRF token. Nothing shown here depends on whether the member exists.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import BooleanField, TextAreaField

from core import clock, db
from core.desk import requests
from core.domain.requests import MAX_LENGTHS, REFERENCE_PATTERN, InvalidRequest, NewCodeRequest, parse_new_code
from core.translatable import N_
from web import dates, i18n
from web.public.blueprint import bp
from web.public.member_forms import MemberRequestForm

REFERENCE = re.compile(REFERENCE_PATTERN)
SEND, CHANGE = "send", "change"


class NewCodeForm(MemberRequestForm):
    reason = TextAreaField(N_("Why can nobody in your company create logins any more?"))
    administrators_cannot_help = BooleanField(N_("An administrator is still registered, but cannot help"))

    def raw(self) -> dict[str, object]:
        values: dict[str, object] = {name: self[name].data or "" for name in MAX_LENGTHS}
        values["administrators_cannot_help"] = bool(self.administrators_cannot_help.data)
        values["language"] = i18n.current()
        return values

    def show(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            if name in self:
                self[name].errors = [i18n.translate(message)]


@bp.get("/requests/new-code")
def new_code() -> str:
    return render_template("web/public/new_code.html", form=NewCodeForm())


@bp.post("/requests/new-code")
def new_code_submit() -> Response | tuple[str, int] | str:
    form = NewCodeForm()
    if not form.validate():  # the CSRF token and the typed text (web.forms)
        return render_template("web/public/new_code.html", form=form), 422
    try:
        command = parse_new_code(form.raw())
    except InvalidRequest as invalid:
        form.show(invalid.errors)
        return render_template("web/public/new_code.html", form=form), 422
    action = request.form.get("action")
    if action == CHANGE:
        return render_template("web/public/new_code.html", form=form)
    if action != SEND:  # GOV.UK pattern: check your answers before a consequential submit
        return render_template("web/public/new_code_check.html", form=form, answers=command,
                               phone=_phone_for_people(command))
    reference = requests.submit_new_code_alone(command, clock.now())
    return redirect(url_for("public.new_code_received", reference=reference), 303)


@bp.get("/requests/<reference>/received")
def new_code_received(reference: str) -> str:
    status = _status_or_404(reference)
    return render_template("web/public/new_code_received.html", status=status)


@bp.get("/requests/<reference>")
def request_status(reference: str) -> str:
    status = _status_or_404(reference)
    return render_template("web/public/new_code_status.html", status=status)


def _status_or_404(reference: str) -> dict[str, str]:
    """The public status (R21), with its dates also in Swiss notation for the page."""
    if not REFERENCE.fullmatch(reference):  # never send arbitrary path text to the database
        abort(404)
    with db.unit_of_work() as session:
        status = requests.public_status(session, reference, clock.now())
    if status is None:
        abort(404)
    shown = {f"{name}_shown": dates.day(date.fromisoformat(status[name]))
             for name in ("received_on", "processed_by", "answer_by")}
    return {**status, **shown}


def _phone_for_people(command: NewCodeRequest) -> str:
    if not command.requester_phone:
        return ""
    number = phonenumbers.parse(command.requester_phone)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
