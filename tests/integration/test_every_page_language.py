"""Every page in German, French and Italian, with realistic data behind it: the public pages, the member portal (an
administrator, a trustee acting for two members), the staff desk with a case of each kind, the operations page,
the register of powers of attorney, the mailroom and the help pages. A page fails when a piece of its text is an
English source string or reads as English (three common English words in a row).

The pages are found in the application's URL map, so a new page is covered without touching this test; a page
that cannot be shown here is named in NOT_RENDERED with the reason, and any other page that does not render
fails the test."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import pyotp
import pytest
from admin_support import ALL, log_in, make_login, make_member, next_otp, outbox_rows
from language_support import english_in, visible_texts
from registrations_support import add_login as add_plain_login
from registrations_support import add_signatory, pdf_bytes
from requests_support import add_member, decide
from requests_support import submit as submit_new_code
from sqlalchemy import select, update
from staff_support import PASSWORD as STAFF_PASSWORD
from staff_support import create_staff, otp
from trustee_code_support import FORM as TRUSTEE_FORM
from trustee_support import grant, make_poa, make_trustee, make_trustee_login

from core import clock, config, db
from core.codes import codes as code_service
from core.codes import returned_mail
from core.desk import desk, exceptional, stale_logins, support
from core.domain import codes
from core.domain.states import CodeStatus, LetterStatus, LoginStatus
from core.domain.trustee_requests import parse_trustee_code
from core.logins import invitations, registration
from core.models import Case, Document, Invitation, Letter, Login, Member, RegistrationCode, Request
from core.trustees import poa_register, poa_uploads, trustee_codes
from web.staff.views import KIND_LABELS

LANGUAGES = ("de", "fr", "it")
# Pages not rendered here, each with the reason. Anything else that does not answer 200 fails the test.
NOT_RENDERED = {
    "static": "files, not pages",
    "ops.healthz": "a probe for machines, no page",
    "ops.readyz": "a probe for machines, no page",
    "ops.metrics": "Prometheus text for machines",
    "api.openapi": "the JSON API's schema, for programs",
    "api.request_status": "JSON for programs; its page is public.request_status",
    "public.invitation_link": "opens the invitation and redirects to public.invitation, rendered here",
    "public.new_code_received": "redirects to the request's status page while the request is being examined",
    "portal.new_recovery_codes": "shows codes only right after the form that makes them (POST)",
}
# Pages shown on the way through a flow (registration, invitation, two-step logins, a new authenticator app):
# _flows walks each way as a person does and reads each of them when it is reached.
FLOW_PAGES = frozenset({"/register/details", "/register/authenticator", "/register/done", "/login/second-step",
                        "/staff/login/code", "/invitation", "/invitation/password", "/invitation/authenticator",
                        "/invitation/done", "/portal/profile/authenticator/new"})
# Downloads (PDF): rendered, but no text to read.
FILES = ("application/pdf",)
# What the data of this test puts on pages as people typed it (names, free text): not the pages' own words.
DATA_WORDS = ("Muster", "Holzbau", "Sommer", "Transport", "Treuhand", "Beispiel", "Tina Treu", "Nina", "Lea Schmid",
              "Hans", "Paolo", "Rossi", "Anna", "Sara", "Super", "Clara", "Dora Weber", "Fidu")


@dataclass
class World:
    anonymous: object
    member: object
    trustee: object
    staff: object
    values: dict[str, object]
    data: frozenset[str]
    member_id: int = 0
    admin_id: int = 0
    extra: list[tuple[str, str, object]] = field(default_factory=list)  # pages with a question asked in them


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


def _client(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    return client


def _staff_client(app, enrolment):
    client = _client(app)
    first = client.post("/staff/login", data={"username": enrolment.username, "password": STAFF_PASSWORD})
    assert first.status_code == 303, first.data[:300]
    second = client.post("/staff/login/code", data={"otp": otp(enrolment.secret)})
    assert second.status_code == 303, second.data[:300]
    return client


def _printed_letter(member_id: int, kind: str = "invitation") -> tuple[int, str]:
    with db.unit_of_work() as s:
        letter_id = code_service.issue_letter(s, s.get(Member, member_id), kind, clock.now())
        letter = s.get_one(Letter, letter_id)
        letter.status = LetterStatus.PRINTED
        return letter_id, letter.reference


def _code_for(member_id: int) -> str:
    code = codes.generate()
    with db.unit_of_work() as s:
        member = s.get_one(Member, member_id)
        code_service.issue_letter(s, member, "invitation", clock.now())
        s.execute(update(RegistrationCode).where(RegistrationCode.member_id == member_id,
                                                 RegistrationCode.status == CodeStatus.ISSUED)
                  .values(code_hash=codes.keyed_hash(config.get().code_hmac_secret, member.member_number, code)))
    return code


def _cases(supervisor, clerk) -> dict[str, int]:
    """One case of each kind, made the way people make them (public forms' services, staff records)."""
    now = clock.now()
    with db.unit_of_work() as s:
        add_member(s, "100234", name="Muster AG", language="it")
    new_code_id, _ = submit_new_code(uid="CHE-116.281.710", reason="Unser Administrator hat die Firma verlassen.")
    decide(new_code_id)
    with db.unit_of_work() as s:
        add_member(s, "100300", uid="CHE-109.322.551", name="Holzbau Sommer GmbH", language="fr",
                   code_failures=0)
        command = parse_trustee_code({**TRUSTEE_FORM, "member_number": "100300", "uid": "CHE-109.322.551",
                                      "company_name": "Holzbau Sommer GmbH", "trustee_uid": "CHE-100.155.212",
                                      "reason": "Niemand kann sich mehr anmelden."})
        trustee_ref = trustee_codes.submit(s, command, pdf_bytes(), "vollmacht.pdf", now)
    decide(_request_id(trustee_ref))
    with db.unit_of_work() as s:
        support.submit(s, support.SupportRequest(topic="two_step_login", message="Das Handy ist verloren.",
                                                 name="Paolo Rossi", email="paolo@rossi.example", language="it",
                                                 member_number="100234", company="Muster AG"), now)
    signer_member = make_member("100400", "Muster Holzbau AG")
    sole = add_signatory(signer_member, "Hans Muster", "sole")
    with db.unit_of_work() as s:
        exceptional.record(s, clerk.staff_id, "100400", exceptional.OfficialLetter(pdf_bytes(), "brief.pdf",
                                                                                   date(2026, 1, 20)),
                           [sole], exceptional.Person("Lea Schmid", "lea.schmid@muster.ch", "079 123 45 67", "de"),
                           ["salary_declarations"], now)
    stale_member = make_member("100500", "Sommer Transport AG")
    old_login = add_plain_login(stale_member, "Hans Alt", ["salary_declarations"])
    with db.unit_of_work() as s:
        stale_logins.record(s, clerk.staff_id, "100500", [old_login],
                            stale_logins.MemberRequest("Brief vom 12.01.2026"), now)
    _, returned_ref = _printed_letter(stale_member)
    with db.unit_of_work() as s:
        returned_mail.register_return(s, returned_ref, clerk.staff_id, now)
    exhausted = make_member("100600", "Muster Transport AG")
    _code_for(exhausted)
    with db.unit_of_work() as s:  # R3: the last of the wrong codes in all, typed at the registration page
        s.execute(update(Member).where(Member.id == exhausted).values(code_failures=codes.MAX_WRONG_IN_ALL - 1))
        registration.open_with_code(s, "100600", "AAAA-BBBB-CCCC-DDDD", clock.now())
    sending = make_member("100750", "Sommer Bau AG")
    sender, _ = make_login(sending, "Rita Sommer", "rita@sommerbau.ch", ALL)
    helper = make_trustee_login(make_trustee(name="Zahl Treuhand AG", email="office@zahl.example"), "Zeno Zahl",
                                "zeno@zahl.example")[0]
    with db.unit_of_work() as s:  # an administrator sends the trustee's power of attorney through the portal (R14)
        poa_uploads.submit(s, sender, grant(helper, sending, ["salary_declarations"]),
                           poa_uploads.Sent(clock.today_in_zurich(now), None, ("salary_declarations",)),
                           poa_register.Upload(pdf_bytes(), "vollmacht.pdf"), now)
    with db.unit_of_work() as s:
        found = {kind: case_id for case_id, kind in s.execute(select(Case.id, Case.kind).order_by(Case.id))}
    assert set(found) == set(KIND_LABELS), f"a case of each kind: {sorted(found)}"
    # A decided case too, so that its history and decision read in the clerk's language.
    with db.unit_of_work() as s:
        desk.approve(s, found["new_code"], supervisor.staff_id, "Telefonisch bestätigt", clock.now())
    return found


def _request_id(reference: str) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(Request.id).where(Request.reference == reference)) or 0


def _build(app) -> World:
    supervisor = create_staff("sara.super", "Sara Super", role="supervisor")
    clerk = create_staff("clara.clerk", "Clara Clerk", role="clerk")
    case_ids = _cases(supervisor, clerk)

    member_id = make_member("100200", "Muster Holzbau AG")
    admin_id, admin_secret = make_login(member_id, "Nina Sommer", "nina@muster.ch", ALL)
    other_id, _ = make_login(member_id, "Anna Muster", "anna@muster.ch", ["salary_declarations"],
                             last_day=clock.today_in_zurich(clock.now()) + timedelta(days=10))
    trustee_id = make_trustee("CHE-100.000.006", "Fidu Treuhand AG")
    trustee_login, trustee_secret = make_trustee_login(trustee_id, "Tina Treu", "tina@fidu.example")
    poa_id = make_poa(member_id, trustee_id, ["salary_declarations"])
    mandate_id = grant(trustee_login, member_id, ["salary_declarations"])
    second_member = make_member("100201", "Sommer Transport AG")
    make_poa(second_member, trustee_id, ["salary_declarations"])
    grant(trustee_login, second_member, ["salary_declarations"])
    invitee = make_login(member_id, "Dora Weber", "dora@muster.ch", ["correspondence"], status=LoginStatus.PENDING)[0]
    with db.unit_of_work() as s:
        invitations.invite(s, s.get(Login, invitee), "test", clock.now())

    member = log_in(app, "100200", "nina@muster.ch", admin_id, admin_secret)
    trustee = _client(app)
    trustee.post("/login", data={"member_number": "100200", "email": "tina@fidu.example", "password": _pw()})
    trustee.post("/login/second-step", data={"otp": next_otp(trustee_login, trustee_secret)})
    staff = _staff_client(app, supervisor)
    with db.unit_of_work() as s:
        references = list(s.scalars(select(Request.reference).order_by(Request.id)))
        documents = list(s.scalars(select(Document.id).order_by(Document.id)))
    values: dict[str, object] = {
        "case_id": list(case_ids.values()), "login_id": [other_id], "mandate_id": [mandate_id], "poa_id": [poa_id],
        "document_id": documents[:1], "number": ["100400", "100500"], "reference": references,
    }
    data = frozenset(DATA_WORDS) | frozenset(references)
    world = World(_client(app), member, trustee, staff, values, data, member_id, admin_id)
    world.extra = [("staff.poa_lookup", "/staff/powers-of-attorney/lookup?member_number=100200"
                    "&trustee_uid=CHE-100.000.006", staff),
                   ("staff.registrations", "/staff/registrations?member=100400", staff)]
    return world


def _pw() -> str:
    from admin_support import PASSWORD

    return PASSWORD


def _flows(app, member_id: int, admin_id: int) -> Iterator[tuple[str, object]]:
    """Pages that show a step of a way through: walked as a person walks it, each step's page read on the way."""
    registering = _client(app)
    registration_member = make_member("100700", "Muster Holzbau AG")
    code = _code_for(registration_member)
    assert registering.post("/register", data={"member_number": "100700", "code": code}).status_code == 303
    yield "/register/details", registering
    saved = registering.post("/register/details", data={
        "name": "Lea Schmid", "email": "lea.schmid@muster.ch", "mobile": "079 123 45 67",
        "password": "Bergsee im Herbstnebel", "confirm": "Bergsee im Herbstnebel", "language": "de"})
    assert saved.status_code == 303, saved.data[:500]
    yield "/register/authenticator", registering
    page = html.unescape(registering.get("/register/authenticator").get_data(as_text=True))
    secret = re.search(r'class="secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    done = registering.post("/register/authenticator", data={"otp": pyotp.TOTP(secret).now()})
    assert done.status_code == 303, done.data[:500]
    yield "/register/done", registering

    logging_in = _client(app)
    logging_in.post("/login", data={"member_number": "100200", "email": "nina@muster.ch", "password": _pw()})
    yield "/login/second-step", logging_in

    staff_step = _client(app)
    enrolment = create_staff("otto.zweit", "Otto Zweit", role="clerk")
    staff_step.post("/staff/login", data={"username": enrolment.username, "password": STAFF_PASSWORD})
    yield "/staff/login/code", staff_step

    invitee = _client(app)
    link = _invitation_link(app, member_id, admin_id)
    invitee.get(link)
    yield "/invitation", invitee
    invitee.post("/invitation/send-code")
    sms = [row.args["text"] for row in outbox_rows("sms.send") if row.args.get("to") == "+41795556677"]
    invitee.post("/invitation/code", data={"code": re.search(r"\b(\d{6})\b", sms[-1]).group(1)})
    yield "/invitation/password", invitee
    invitee.post("/invitation/password", data={"password": "Lärchen im Abendrot", "confirm": "Lärchen im Abendrot"})
    yield "/invitation/authenticator", invitee
    page = html.unescape(invitee.get("/invitation/authenticator").get_data(as_text=True))
    secret = re.search(r'class="secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    invitee.post("/invitation/authenticator", data={"otp": pyotp.TOTP(secret).now()})
    yield "/invitation/done", invitee

    changing = log_in(app, "100200", "nina@muster.ch", admin_id, _admin_secret(admin_id))
    started = changing.post("/portal/profile/authenticator", data={
        "method": "app", "current_password": _pw(), "code": next_otp(admin_id, _admin_secret(admin_id))})
    assert started.status_code == 303, started.data[:500]
    yield "/portal/profile/authenticator/new", changing


def _admin_secret(login_id: int) -> str:
    from core import secrets_box

    with db.unit_of_work() as s:
        return secrets_box.decrypt(s.get_one(Login, login_id).totp_secret)


def _invitation_link(app, member_id: int, admin_id: int) -> str:
    from worker.tasks.logins import send_invitation

    invited = make_login(member_id, "Dora Weber", "dora.weber@muster.ch", ["correspondence"],
                         status=LoginStatus.PENDING, mobile="+41795556677")[0]
    with db.unit_of_work() as s:
        invitation_id = invitations.invite(s, s.get(Login, invited), "test", clock.now())
    with db.unit_of_work() as s:
        assert s.get(Invitation, invitation_id) is not None
    target = config.get().mail_dir / f"invitation-{invitation_id}.eml"
    send_invitation(invitation_id)
    body = html.unescape(target.read_bytes().decode("utf-8", "replace"))
    found = re.search(r"https?://\S+?(/invitation/[\w-]+)", body.replace("=\n", ""))
    assert found, "the invitation e-mail carries its link"
    return found.group(1)


def _urls(app, world: World) -> Iterator[tuple[str, str, object]]:
    """(endpoint, url, client) for every page: each value of each argument the data offers."""
    from flask import url_for

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_RENDERED or rule.rule in FLOW_PAGES:
            continue
        client = (world.staff if rule.rule.startswith("/staff") and not rule.rule.startswith("/staff/login")
                  else world.trustee if rule.endpoint == "portal.choose_member"
                  else world.member if rule.rule.startswith("/portal") else world.anonymous)
        arguments = sorted(rule.arguments)
        combos: list[dict[str, object]] = [{}]
        for name in arguments:
            offered = world.values.get(rule.endpoint, {}).get(name) or world.values.get(name, [])  # type: ignore[union-attr]
            combos = [{**combo, name: value} for combo in combos for value in offered]
        if not combos:
            yield rule.endpoint, f"<no value for {', '.join(arguments)}>", None
        with app.test_request_context():
            urls = [url_for(rule.endpoint, **combo) for combo in combos]
        for url in urls:
            yield rule.endpoint, url, client
    yield from world.extra
    # Lazily: each step's page is read before the walk goes on to the next step.
    for url, client in _flows(app, world.member_id, world.admin_id):
        yield url, url, client


def _read(client, url: str, lang: str) -> tuple[int, str, str]:
    response = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
    page = "" if response.mimetype in FILES else response.get_data(as_text=True)
    return response.status_code, response.mimetype, page


def test_every_page_reads_in_german_french_and_italian(app):
    world = _build(app)
    problems: list[str] = []
    pages = 0
    for endpoint, url, client in _urls(app, world):
        if client is None:
            problems.append(f"{endpoint}: {url} – give the test a value, or list the page in NOT_RENDERED")
            continue
        for lang in LANGUAGES:
            status, mimetype, page = _read(client, url, lang)
            if status != 200:
                problems.append(f"{url} [{lang}]: answered {status}, not a page – list it in NOT_RENDERED "
                                "with the reason, or give the test the data it needs")
                break
            if mimetype in FILES:
                break
            pages += 1
            for text in dict.fromkeys(visible_texts(page)):
                why = english_in(text, lang, world.data)
                if why:
                    problems.append(f"{url} [{lang}]: {text!r} – {why}")
    assert pages > 100
    assert not problems, f"{len(problems)} English texts on pages in de/fr/it:\n" + "\n".join(problems)


