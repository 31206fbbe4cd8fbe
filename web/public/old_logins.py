"""Public page: a member without an active administrator asks the fund to deactivate logins of people who have
left (Situation 2, R17). The member lists the logins as it knows them, one row each (name and/or e-mail).

The fields are checked by core.domain.stale_login_requests (the same checks as the JSON API); Flask-WTF carries
the member's fields and the CSRF token, and the rows are read here, so a page without JavaScript can add rows.
Nothing shown depends on whether the member, its UID or its administrators matched (R21).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import TextAreaField

from core import clock, db
from core.desk import requests
from core.domain.requests import MAX_LENGTHS, InvalidRequest
from core.domain.stale_login_requests import MAX_ROWS, ROW_FIELDS, parse_stale_logins
from core.translatable import N_
from web import i18n
from web.public.blueprint import bp
from web.public.member_forms import MemberRequestForm

FIRST_ROWS = 3
ADD_ROW = "add"


class OldLoginsForm(MemberRequestForm):
    reason = TextAreaField(N_("Why should these logins end?"))


ROW_KEY = re.compile(r"login-(\d{1,4})-(?:first_name|last_name|email)")
READ_AT_MOST = 5 * MAX_ROWS


@dataclass
class Rows:
    """The login rows as typed (each a dict of ROW_FIELDS), and one message per bad row field."""

    values: list[dict[str, str]]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls) -> Rows:
        try:
            count = int(request.form.get("rows", FIRST_ROWS))
        except ValueError:
            count = FIRST_ROWS
        count = min(max(count, 1), MAX_ROWS)
        # Rows a crafted form sends beyond the page's are read too (up to a bound), so that more than MAX_ROWS
        # logins are refused with the reason instead of being cut without a word.
        sent = [int(found.group(1)) for key in request.form if (found := ROW_KEY.fullmatch(key))]
        count = max(count, min(max(sent, default=0) + 1, READ_AT_MOST))
        return cls([{name: request.form.get(f"login-{n}-{name}", "") for name in ROW_FIELDS} for n in range(count)])

    def filled(self) -> list[tuple[int, dict[str, str]]]:
        """The rows with anything in them, with their number on the page: blank rows are left over, not errors."""
        return [(n, row) for n, row in enumerate(self.values) if any(value.strip() for value in row.values())]


def _raw(form: OldLoginsForm, rows: Rows) -> dict[str, object]:
    values: dict[str, object] = {name: form[name].data or "" for name in MAX_LENGTHS}
    values["language"] = i18n.current()
    values["logins"] = [row for _, row in rows.filled()]
    return values


def _show(form: OldLoginsForm, rows: Rows, errors: dict[str, str]) -> list[tuple[str, str]]:
    """Errors next to each field and, in page order, for the summary: (the field's id, the message)."""
    filled = [n for n, _ in rows.filled()]
    summary: list[tuple[str, str]] = []
    for name, message in errors.items():
        text = i18n.translate(message)
        if name in form:
            form[name].errors = [text]
        elif name.startswith("logins."):
            parts = name.split(".")
            row = filled[int(parts[1])] if len(parts) == 3 and int(parts[1]) < len(filled) else 0
            key = f"login-{row}-{parts[2] if len(parts) == 3 else 'first_name'}"
            rows.errors[key] = text
        else:
            rows.errors["login-0-first_name"] = text
    for item in form:
        summary += [(item.id, error) for error in item.errors]
    summary += [(key, message) for key, message in rows.errors.items()]
    return summary


def _page(form: OldLoginsForm, rows: Rows, summary: list[tuple[str, str]] | None = None, status: int = 200
          ) -> tuple[str, int]:
    return render_template("web/public/old_logins.html", form=form, rows=rows, summary=summary or [],
                           max_rows=MAX_ROWS), status


@bp.get("/requests/old-logins")
def old_logins() -> tuple[str, int]:
    return _page(OldLoginsForm(), Rows([dict.fromkeys(ROW_FIELDS, "") for _ in range(FIRST_ROWS)]))


@bp.post("/requests/old-logins")
def old_logins_submit() -> Response | tuple[str, int]:
    form = OldLoginsForm()
    rows = Rows.from_form()
    if request.form.get("action") == ADD_ROW:
        if len(rows.values) < MAX_ROWS:
            rows.values.append(dict.fromkeys(ROW_FIELDS, ""))
        return _page(form, rows)
    if not form.validate():  # the CSRF token and the typed text (web.forms)
        summary = [("member_number" if field.name == "csrf_token" else field.name, error)
                   for field in form for error in field.errors]
        return _page(form, rows, summary, 422)
    try:
        command = parse_stale_logins(_raw(form, rows))
    except InvalidRequest as invalid:
        return _page(form, rows, _show(form, rows, invalid.errors), 422)
    with db.unit_of_work() as session:
        reference = requests.submit_stale_logins(session, command, clock.now())
    return redirect(url_for("public.new_code_received", reference=reference), 303)
