"""Registering a first administrator with the postal code, through the web pages, on real PostgreSQL
(R2, R3, R4, R7, R8, R18). test_login_flow.py reuses the helpers at the top."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select, update

from core import clock, config, db
from core.codes import codes as code_service
from core.domain import codes
from core.domain.states import CaseStatus, CodeStatus, LoginStatus
from core.models import AuditEvent, Case, CodeAttempt, Login, Member, RegistrationCode

NUMBER = "100200"
PASSWORD = "Bergsee im Herbstnebel"


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


def new_client(app):
    """A browser asking for English pages (until a login's own language takes over)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(app):
    return new_client(app)


def make_member(number: str = NUMBER, name: str = "Muster Holzbau AG") -> int:
    now = clock.now()
    with db.unit_of_work() as s:
        member = Member(member_number=number, uid="CHE-100.155.212", name=name, care_of="", street="Bahnhofstrasse 1",
                        po_box="", postcode="3000", town="Bern", language="de", email="", code_failures=0,
                        created_at=now, updated_at=now)
        s.add(member)
        s.flush()
        return member.id


def give_code(member_id: int) -> str:
    """A new code for the member, as the letter renderer would set it: only its keyed hash is stored."""
    code = codes.generate()
    with db.unit_of_work() as s:
        member = s.get(Member, member_id)
        letter_id = code_service.issue_letter(s, member, "invitation", clock.now())
        code_id = s.scalar(select(RegistrationCode.id).join_from(RegistrationCode, RegistrationCode.member)
                           .where(RegistrationCode.member_id == member_id,
                                  RegistrationCode.status == CodeStatus.ISSUED))
        assert letter_id and code_id
        s.execute(update(RegistrationCode).where(RegistrationCode.id == code_id)
                  .values(code_hash=codes.keyed_hash(config.get().code_hmac_secret, member.member_number, code)))
    return code


def enter_code(client, code: str, number: str = NUMBER):
    return client.post("/register", data={"member_number": number, "code": code})


def give_details(client, email: str = "anna.muster@example.ch", password: str = PASSWORD, **changes: str):
    data = {"name": "Anna Muster", "email": email, "mobile": "079 123 45 67", "password": password,
            "confirm": password, "language": "en", **changes}
    return client.post("/register/details", data=data)


def shown_secret(page: str) -> str:
    match = re.search(r'class="secret"[^>]*>([A-Z2-7 ]+)<', page)
    assert match, "the enrolment page shows the key as text"
    return match.group(1).replace(" ", "")


def otp_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def current_step() -> int:
    return int(clock.now().timestamp()) // 30


def register(client, code: str, email: str = "anna.muster@example.ch", language: str = "en") -> tuple[str, int]:
    """The whole registration; returns the TOTP secret and the step its first code used."""
    assert enter_code(client, code).status_code == 303
    assert give_details(client, email=email, language=language).status_code == 303
    page = client.get("/register/authenticator").get_data(as_text=True)
    secret = shown_secret(page)
    step = current_step()
    done = client.post("/register/authenticator", data={"otp": otp_at_step(secret, step)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/register/done")
    return secret, step


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _code_status(member_id: int) -> list[str]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(RegistrationCode.status).where(RegistrationCode.member_id == member_id)
                              .order_by(RegistrationCode.id)))


def test_r2_r8_full_registration_makes_an_active_administrator_and_uses_the_code(client):
    member_id = make_member()
    code = give_code(member_id)
    first = client.get("/register")
    assert first.status_code == 200 and "Step 1 of 3" in text(first)

    opened = enter_code(client, codes.printed(code).lower())  # typed in small letters, with dashes
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/register/details")
    assert give_details(client).status_code == 303
    with db.unit_of_work() as s:
        pending = s.scalar(select(Login).where(Login.member_id == member_id))
        assert pending.status == LoginStatus.PENDING and pending.mobile == "+41791234567"
        assert pending.totp_secret and "Bergsee" not in pending.password_hash
    page = client.get("/register/authenticator")
    assert page.headers["Cache-Control"] == "no-store"
    body = text(page)
    assert 'src="data:image/svg+xml' in body and "Anna Muster" in body
    secret = shown_secret(body)
    assert len(secret) == 32  # 160 bits
    with db.unit_of_work() as s:
        assert secret not in s.get(Login, pending.id).totp_secret  # encrypted at rest

    step = current_step()
    finished = client.post("/register/authenticator", data={"otp": otp_at_step(secret, step)})
    assert finished.status_code == 303
    done = client.get(finished.headers["Location"])
    assert "Your administrator login is ready" in text(done)

    with db.unit_of_work() as s:
        login = s.get(Login, pending.id)
        assert login.status == LoginStatus.ACTIVE and login.activated_at is not None
        assert login.totp_last_step == step
        assert "administration" in login.rights and len(login.rights) == 7
        assert login.registration_code_id is not None
        used = s.get(RegistrationCode, login.registration_code_id)
        assert used.status == CodeStatus.USED and used.used_at is not None
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-3:] == ["login.created", "code.used", "login.recovery_codes_issued"]


def test_r2_the_same_code_cannot_register_a_second_login(client, app):
    member_id = make_member()
    code = give_code(member_id)
    register(client, code)
    again = enter_code(new_client(app), code)
    assert again.status_code == 422
    assert "do not match a valid registration code" in text(again)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Login)) == 1


def test_r2_a_code_used_meanwhile_stops_a_second_registration_at_the_last_step(app):
    """Two people open the registration with the same code; only the first to finish gets a login."""
    member_id = make_member()
    code = give_code(member_id)
    first, second = new_client(app), new_client(app)
    for client, email in ((first, "anna@example.ch"), (second, "ben@example.ch")):
        assert enter_code(client, code).status_code == 303
        assert give_details(client, email=email).status_code == 303
    secrets = [shown_secret(c.get("/register/authenticator").get_data(as_text=True)) for c in (first, second)]
    step = current_step()
    assert first.post("/register/authenticator", data={"otp": otp_at_step(secrets[0], step)}).status_code == 303
    late = second.post("/register/authenticator", data={"otp": otp_at_step(secrets[1], step)})
    assert late.status_code == 303 and late.headers["Location"].endswith("/register")
    with db.unit_of_work() as s:
        statuses = sorted(s.scalars(select(Login.status).where(Login.member_id == member_id)))
    assert statuses == [LoginStatus.ACTIVE, LoginStatus.PENDING]


def test_r2_an_expired_code_is_refused(client):
    member_id = make_member()
    code = give_code(member_id)
    yesterday = clock.today_in_zurich(clock.now()) - timedelta(days=1)
    with db.unit_of_work() as s:
        s.execute(update(RegistrationCode).where(RegistrationCode.member_id == member_id).values(expires_on=yesterday))
    refused = enter_code(client, code)
    assert refused.status_code == 422
    assert "do not match a valid registration code" in text(refused)


def test_r2_a_voided_code_is_refused_with_the_same_message(client):
    member_id = make_member()
    old = give_code(member_id)
    give_code(member_id)  # a new letter voids the older code
    assert _code_status(member_id) == [CodeStatus.VOIDED, CodeStatus.ISSUED]
    assert "do not match a valid registration code" in text(enter_code(client, old))


def test_r3_unknown_member_and_wrong_code_get_the_same_answer(client):
    member_id = make_member()
    give_code(member_id)
    wrong = text(enter_code(client, codes.generate()))
    unknown = text(enter_code(client, codes.generate(), number="999999"))
    message = "This member number and code do not match a valid registration code."
    assert message in wrong and message in unknown
    with db.unit_of_work() as s:
        attempts = sorted(s.scalars(select(CodeAttempt.member_number)))
        assert len(attempts) == 2 and NUMBER in attempts and "999999" not in attempts
        assert s.get(Member, member_id).code_failures == 1
        failed = s.scalars(select(AuditEvent).where(AuditEvent.action == "code.entry_failed")).all()
    assert len(failed) == 2


def test_r3_sixth_try_in_15_minutes_is_refused_even_with_the_right_code(client):
    member_id = make_member()
    code = give_code(member_id)
    for _ in range(5):
        assert enter_code(client, codes.generate()).status_code == 422
    blocked = enter_code(client, code)
    assert blocked.status_code == 422
    assert "Too many wrong codes. Wait 15 minutes" in text(blocked)
    assert _code_status(member_id) == [CodeStatus.ISSUED]
    with db.unit_of_work() as s:
        assert s.get(Member, member_id).code_failures == 5  # the blocked try was not even checked


def test_r3_wrong_codes_older_than_15_minutes_no_longer_block(client):
    member_id = make_member()
    code = give_code(member_id)
    long_ago = clock.now() - timedelta(minutes=16)
    with db.unit_of_work() as s:
        s.add_all([CodeAttempt(member_number=NUMBER, at=long_ago) for _ in range(5)])
    assert enter_code(client, code).status_code == 303


def test_r3_a_new_code_does_not_reset_the_failure_count(client):
    member_id = make_member()
    give_code(member_id)
    for _ in range(2):
        enter_code(client, codes.generate())
    give_code(member_id)
    with db.unit_of_work() as s:
        assert s.get(Member, member_id).code_failures == 2


def test_r3_the_hundredth_wrong_code_voids_the_codes_and_opens_a_staff_case(client):
    member_id = make_member()
    give_code(member_id)
    with db.unit_of_work() as s:
        s.execute(update(Member).where(Member.id == member_id).values(code_failures=98))
    fresh = give_code(member_id)  # a new letter: the count stays at 98
    enter_code(client, codes.generate())
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0
    enter_code(client, codes.generate())
    with db.unit_of_work() as s:
        assert s.get(Member, member_id).code_failures == 100
        staff_cases = s.scalars(select(Case).where(Case.member_id == member_id)).all()
        assert [(c.kind, c.status) for c in staff_cases] == [("code_exhausted", CaseStatus.OPEN)]
    assert _code_status(member_id) == [CodeStatus.VOIDED, CodeStatus.VOIDED]
    # The voided code no longer opens anything, even from a fresh window.
    with db.unit_of_work() as s:
        s.execute(update(CodeAttempt).values(at=clock.now() - timedelta(hours=1)))
    assert "do not match" in text(enter_code(client, fresh))
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1  # one case, not one per further try


def test_r4_a_code_is_not_a_way_to_log_in(client):
    member_id = make_member()
    code = give_code(member_id)
    refused = client.post("/login", data={"member_number": NUMBER, "email": "anna.muster@example.ch",
                                          "password": codes.printed(code)})
    assert refused.status_code == 422
    assert "/portal/" not in refused.headers.get("Location", "")
    assert _code_status(member_id) == [CodeStatus.ISSUED]


def test_r7_an_invalid_mobile_number_is_refused_and_values_are_kept(client):
    member_id = make_member()
    enter_code(client, give_code(member_id))
    refused = give_details(client, mobile="031 123 45 67")
    body = text(refused)
    assert refused.status_code == 422
    assert "Enter a mobile number that can receive text messages" in body
    assert 'value="Anna Muster"' in body and 'value="anna.muster@example.ch"' in body
    assert PASSWORD not in body  # passwords are never sent back


def test_password_rules_are_checked_with_the_member_number(client):
    member_id = make_member()
    enter_code(client, give_code(member_id))
    assert "must not contain your member number" in text(give_details(client, password="Firma 100200 Bern"))
    assert "too common" in text(give_details(client, password="Password2024!"))
    assert "at least 12 characters" in text(give_details(client, password="kurz"))
    mismatch = client.post("/register/details", data={
        "name": "Anna Muster", "email": "anna@example.ch", "mobile": "0791234567", "password": PASSWORD,
        "confirm": PASSWORD + "x", "language": "de"})
    assert "The two passwords are not the same" in text(mismatch)


def test_r8_a_wrong_code_from_the_app_keeps_the_login_pending(client):
    member_id = make_member()
    code = give_code(member_id)
    enter_code(client, code)
    give_details(client)
    secret = shown_secret(client.get("/register/authenticator").get_data(as_text=True))
    wrong = client.post("/register/authenticator", data={"otp": otp_at_step(secret, current_step() - 5)})
    assert wrong.status_code == 422 and "This code is not right" in text(wrong)
    with db.unit_of_work() as s:
        assert s.scalar(select(Login.status)) == LoginStatus.PENDING
    assert _code_status(member_id) == [CodeStatus.ISSUED]


def test_registration_steps_cannot_be_skipped(client):
    for path in ("/register/details", "/register/authenticator"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/register")


def test_r1_r18_no_code_or_password_in_pages_or_logs(client, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    member_id = make_member()
    code = give_code(member_id)
    forms = [codes.printed(code), code]
    pages = [enter_code(client, "0000-0000-0000-0000"), enter_code(client, codes.printed(code))]
    pages += [client.get("/register/details"), give_details(client, password="kurz"), give_details(client)]
    pages += [client.get("/register/authenticator")]
    secret = shown_secret(text(pages[-1]))
    pages += [client.post("/register/authenticator", data={"otp": otp_at_step(secret, current_step())})]
    pages += [client.get("/register/done")]
    seen = "".join(text(p) for p in pages) + caplog.text + "".join(capsys.readouterr())
    assert "Your administrator login is ready" in seen
    for secret_text in [*forms, PASSWORD]:
        assert secret_text not in seen
        assert secret_text.lower() not in seen
    with db.unit_of_work() as s:
        details = " ".join(str(e.detail) + e.subject for e in s.scalars(select(AuditEvent)))
    assert code not in details and PASSWORD not in details and secret not in details


def test_csrf_token_is_required_when_csrf_is_on(pg):
    from web import create_app

    client = create_app({"TESTING": True}).test_client()
    member_id = make_member()
    code = give_code(member_id)
    refused = client.post("/register", data={"member_number": NUMBER, "code": code})
    assert refused.status_code == 400
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(CodeAttempt)) == 0
    page = client.get("/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post("/register", data={"member_number": NUMBER, "code": code, "csrf_token": token})
    assert accepted.status_code == 303


def test_r2_two_registrations_racing_for_one_code_make_one_login(app):
    """Both finish at the same moment: the row lock lets only the first use the code."""
    import threading

    from core.logins import registration

    member_id = make_member()
    code = give_code(member_id)
    people = []
    for email in ("anna@example.ch", "ben@example.ch"):
        client = new_client(app)
        enter_code(client, code)
        give_details(client, email=email)
        secret = shown_secret(client.get("/register/authenticator").get_data(as_text=True))
        with client.session_transaction() as state:
            people.append((state["registration"], secret))
    step = current_step()

    def activate(s, person):
        state, secret = person
        return registration.activate(s, state["member"], state["code"], state["login"], otp_at_step(secret, step),
                                     "127.0.0.1", clock.now())

    first = db.session()
    try:
        assert activate(first, people[0]) == registration.Activation.OK  # not committed yet: the row is locked
        outcomes = []

        def second():
            with db.unit_of_work() as s:
                outcomes.append(activate(s, people[1]))

        racer = threading.Thread(target=second)
        racer.start()
        _wait_until_someone_waits_for_a_lock()  # the second has read as far as it can before the first commits
        first.commit()
    finally:
        first.close()
    racer.join(timeout=30)
    assert outcomes == [registration.Activation.GONE]
    with db.unit_of_work() as s:
        assert sorted(s.scalars(select(Login.status))) == [LoginStatus.ACTIVE, LoginStatus.PENDING]
        assert s.scalar(select(func.count()).where(AuditEvent.action == "code.used")) == 1


def _wait_until_someone_waits_for_a_lock(deadline_seconds: float = 10) -> None:
    from sqlalchemy import text as sql

    from tests.polling import poll

    def waiting() -> int:
        with db.engine().connect() as conn:
            return int(conn.scalar(sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                       "AND datname = current_database()")) or 0)

    poll(waiting, deadline_seconds, "the second registration to wait for the first", interval_s=0.01)


def test_an_abandoned_registration_expires(client):
    member_id = make_member()
    enter_code(client, give_code(member_id))
    with client.session_transaction() as state:
        assert set(state["registration"]) == {"member", "code", "login", "until"}  # ids only, never the code
        state["registration"] = {**state["registration"], "until": clock.now().timestamp() - 1}
    expired = client.get("/register/details")
    assert expired.status_code == 303 and expired.headers["Location"].endswith("/register")
    assert "Start again with the code from your letter" in text(client.get("/register"))


def test_r1_a_code_typed_into_the_member_number_box_is_not_kept_anywhere(client):
    member_id = make_member()
    code = give_code(member_id)
    swapped = client.post("/register", data={"member_number": codes.printed(code), "code": NUMBER})
    assert swapped.status_code == 422
    assert codes.printed(code) not in text(swapped)
    for _ in range(5):
        client.post("/register", data={"member_number": codes.printed(code), "code": codes.generate()})
    blocked = client.post("/register", data={"member_number": codes.printed(code), "code": codes.generate()})
    assert "Too many wrong codes" in text(blocked)  # unknown member numbers are throttled too (R3)
    with db.unit_of_work() as s:
        stored = " ".join(list(s.scalars(select(CodeAttempt.member_number)))
                          + [e.subject + str(e.detail) for e in s.scalars(select(AuditEvent))])
    assert code not in stored and codes.printed(code) not in stored
