"""Support requests from anyone ("Altra situazione", Situation 4): technical problems with logins or two-step
login, or questions about the fund's business processes. The answer comes by e-mail from a person at the fund.
Nothing shown here depends on whether the member number exists."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import RadioField, StringField, TextAreaField

from core import clock, db
from core.desk import support
from core.translatable import N_
from web import i18n
from web.forms import Form
from web.public.blueprint import bp

TOPIC_LABELS = (("adding_users", N_("Adding or changing users")), ("two_step_login", N_("Two-step login")),
                ("business_process", N_("Salary declarations, changes of personnel or other business with the fund")),
                ("other", N_("Something else")))
# Which field a problem from core.desk.support belongs to, by the words it starts with.
FIELD_OF = {"choose": "topic", "describe": "message", "the message": "message", "enter your name": "name",
            "enter an e-mail": "email", "the member number": "member_number"}


class SupportForm(Form):
    topic = RadioField(N_("What is your question about?"), choices=TOPIC_LABELS, validate_choice=False)
    message = TextAreaField(N_("Your question"))
    name = StringField(N_("Your full name"))
    email = StringField(N_("Your e-mail address"))
    phone = StringField(N_("Your phone number (optional)"))
    member_number = StringField(N_("Member number (optional)"))
    company = StringField(N_("Company name (optional)"))


    def command(self) -> support.SupportRequest:
        return support.SupportRequest(
            topic=self.topic.data or "", message=self.message.data or "", name=self.name.data or "",
            email=self.email.data or "", language=i18n.current(), member_number=self.member_number.data or "",
            company=self.company.data or "", phone=self.phone.data or "")

    def show(self, problem: str) -> None:
        name = next((field for start, field in FIELD_OF.items() if problem.startswith(start)), "message")
        self[name].errors = [*self[name].errors, i18n.sentence(problem, full_stop=False)]


def checked(form: SupportForm) -> bool:
    """The CSRF token and the typed text (web.forms), then the service's own checks (the same for the public and
    the portal form)."""
    if not form.validate():
        return False
    problem = support.problem(form.command())
    if problem:
        form.show(problem)
        return False
    return True


@bp.get("/support")
def support_page() -> Response | str:
    if current_user.is_authenticated and current_user.kind == "member" and not current_user.is_trustee:
        return redirect(url_for("portal.support_page"))  # the portal's form knows the member and the person
    return render_template("web/public/support.html", form=SupportForm())


@bp.post("/support")
def support_submit() -> Response | tuple[str, int]:
    form = SupportForm()
    if not checked(form):
        return render_template("web/public/support.html", form=form), 422
    with db.unit_of_work() as session:
        reference = support.submit(session, form.command(), clock.now())
    return redirect(url_for(".support_received", reference=reference), 303)


@bp.get("/support/received/<reference>")
def support_received(reference: str) -> str:
    # Only the reference from the URL is shown back: nothing is looked up, so nothing leaks.
    return render_template("web/public/support_received.html", reference=reference[:20])
