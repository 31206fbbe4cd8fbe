"""Public pages for Situation 3 (b), R15: the member's written request that the fund send a code directly to its
trustee, with the signed power of attorney attached as a PDF.

The fields are checked by core.domain.trustee_requests (the same checks as the JSON API), the PDF by
core.desk.documents. Nothing is stored unless everything is right. Only when member number AND UID match the
register does the page say that the member's administrator can give the trustee access (Situation 3 (a)).
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_wtf.file import FileField
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, TextAreaField

from core import clock, db
from core.desk import documents
from core.domain.requests import MAX_LENGTHS, InvalidRequest
from core.domain.trustee_requests import TRUSTEE_LENGTHS, parse_trustee_code
from core.translatable import N_
from core.trustees import trustee_codes
from web import i18n
from web.public.blueprint import bp
from web.public.intake import _status_or_404
from web.public.member_forms import MemberRequestForm

LANGUAGE_NAMES = (("de", N_("German")), ("fr", N_("French")), ("it", N_("Italian")), ("en", N_("English")))
NO_FILE = N_("Attach the signed power of attorney as a PDF")
TOO_LARGE = N_("The file is larger than 10 MB. Attach a smaller PDF, for example scanned in black and white.")
NOT_KEPT = N_("The power of attorney cannot be accepted: {reason}. Attach the signed power of attorney as a PDF.")
ATTACH_AGAIN = N_("Your file was fine, but please attach the power of attorney again when you send the corrected form.")
Page = Response | tuple[str, int] | str


class TrusteeCodeForm(MemberRequestForm):
    reason = TextAreaField(N_("Why should the trustee receive the code?"))
    trustee_name = StringField(N_("Trustee company name"))
    trustee_uid = StringField(N_("Trustee's UID"))
    trustee_care_of = StringField(N_("Additional address line (optional)"))
    trustee_street = StringField(N_("Street and number"))
    trustee_po_box = StringField(N_("PO box (optional)"))
    trustee_postcode = StringField(N_("Postcode"))
    trustee_town = StringField(N_("Town"))
    trustee_language = SelectField(N_("Language of the letter to the trustee"), choices=LANGUAGE_NAMES)
    contact_name = StringField(N_("Contact person at the trustee"))
    contact_email = StringField(N_("Contact person's e-mail address"))
    power_of_attorney = FileField(N_("Signed power of attorney (PDF, at most 10 MB)"))


    def raw(self) -> dict[str, object]:
        values: dict[str, object] = {name: self[name].data or "" for name in (*MAX_LENGTHS, *TRUSTEE_LENGTHS)}
        values["trustee_language"] = self.trustee_language.data or "de"
        values["language"] = i18n.current()
        return values

    def show(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            target = self._fields.get(name, self.member_number)
            target.errors = [*target.errors, i18n.translate(message)]


def _page(form: TrusteeCodeForm, status: int = 200, problem: str = "") -> tuple[str, int]:
    return render_template("web/public/trustee_code.html", form=form, problem=problem), status


@bp.get("/requests/trustee-code")
def trustee_code() -> Page:
    form = TrusteeCodeForm()
    form.trustee_language.data = i18n.current()
    return _page(form)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    """A body over the limit is refused before the view (or the CSRF check) reads it: on this form, say why on
    the form; elsewhere the usual page."""
    # The body was never read and will not be: every form on the page finds it empty.
    request.form, request.files = ImmutableMultiDict(), ImmutableMultiDict()  # type: ignore[misc]
    if request.endpoint != "public.trustee_code_submit":
        return render_template("web/errors/413.html"), 413
    return _page(TrusteeCodeForm(formdata=None), 413, problem=i18n.translate(TOO_LARGE))


@bp.post("/requests/trustee-code")
def trustee_code_submit() -> Page:
    try:
        form = TrusteeCodeForm()
        upload = request.files.get(form.power_of_attorney.name)
    except RequestEntityTooLarge:
        return _page(TrusteeCodeForm(formdata=None), 413, problem=i18n.translate(TOO_LARGE))
    if not form.validate():  # the CSRF token and the typed text (web.forms)
        return _page(form, 422)
    errors: dict[str, str] = {}
    command = None
    try:
        command = parse_trustee_code(form.raw())
    except InvalidRequest as invalid:
        errors.update(invalid.errors)
    data = upload.read() if upload else b""
    file_problem = _file_problem(data)
    if file_problem:
        errors["power_of_attorney"] = file_problem
    if errors or command is None:
        form.show(errors)
        # A browser never sends a chosen file again by itself: say so, or a good PDF is silently lost.
        return _page(form, 422, problem=i18n.translate(ATTACH_AGAIN) if data and not file_problem else "")
    with db.unit_of_work() as session:
        reference = trustee_codes.submit(session, command, data, _filename(upload), clock.now())
    return redirect(url_for("public.trustee_code_received", reference=reference), 303)


def _file_problem(data: bytes) -> str:
    if not data:
        return NO_FILE
    if len(data) > documents.MAX_BYTES:
        return TOO_LARGE
    try:
        documents.check_pdf(data)
    except documents.DocumentRejected as exc:
        return i18n.translate(NOT_KEPT).format(reason=i18n.translate(str(exc)))
    return ""


@bp.get("/requests/<reference>/trustee-code-received")
def trustee_code_received(reference: str) -> str:
    return render_template("web/public/trustee_code_received.html", status=_status_or_404(reference))


def _filename(upload: Any) -> str:
    return str(getattr(upload, "filename", "") or "power-of-attorney.pdf")
