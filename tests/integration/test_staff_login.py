"""Staff logins on real PostgreSQL: `backoffice staff …`, the two-step login at /staff/login (R8, R9), and who
may open the desk."""

from __future__ import annotations

import html
from datetime import timedelta

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update
from staff_support import (
    PASSWORD,
    create_staff,
    csrf,
    english_client,
    log_in,
    make_app,
    make_member,
    otp,
    post_code,
    post_password,
)

from core import clock, db, secrets_box
from core.cli import main
from core.domain.states import LoginStatus
from core.models import AuditEvent, AuthFailure, Login, StaffUser


@pytest.fixture
def app(pg):
    return make_app()


@pytest.fixture
def client(app):
    return english_client(app)


def _audit(action: str) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def _create(runner: CliRunner, tmp_path, *extra: str, password: str = PASSWORD):
    secret_file = tmp_path / "password.txt"
    secret_file.write_text(password + "\nsecond line is ignored\n", encoding="utf-8")
    return runner.invoke(main, ["staff", "create", "--username", "demo.clerk", "--name", "Demo Clerk", "--email",
                                "clerk@example.ch", "--role", "supervisor", "--password-file", str(secret_file),
                                *extra])


def test_r8_staff_create_prints_the_enrolment_once_and_stores_only_hash_and_ciphertext(pg, tmp_path):
    runner = CliRunner()
    first = _create(runner, tmp_path, "--if-missing")
    assert first.exit_code == 0, first.output
    uri = next(line.split()[-1] for line in first.output.splitlines() if "otpauth://" in line)
    secret = pyotp.parse_uri(uri).secret
    assert f"secret: {secret}" in first.output
    with db.unit_of_work() as s:
        staff = s.scalar(select(StaffUser).where(StaffUser.username == "demo.clerk"))
        assert staff.role == "supervisor" and staff.active and staff.email == "clerk@example.ch"
        assert staff.password_hash.startswith("$argon2") and secrets_box.password_matches(staff.password_hash, PASSWORD)
        assert secret not in staff.totp_secret and secrets_box.decrypt(staff.totp_secret) == secret
    assert _audit("staff.created") == 1

    again = _create(runner, tmp_path, "--if-missing")
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert "otpauth://" not in again.output and secret not in again.output
    assert _audit("staff.created") == 1


def test_staff_create_refuses_an_existing_username_without_if_missing(pg, tmp_path):
    runner = CliRunner()
    assert _create(runner, tmp_path).exit_code == 0
    second = _create(runner, tmp_path)
    assert second.exit_code == 1 and "exists already" in second.output


def test_staff_create_refuses_a_weak_password(pg, tmp_path):
    result = _create(CliRunner(), tmp_path, password="too-short")
    assert result.exit_code == 1 and "at least 12 characters" in result.output
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_staff_create_asks_for_the_password_twice_when_no_file_is_given(pg):
    runner = CliRunner()
    args = ["staff", "create", "--username", "b.keller", "--name", "Beat Keller", "--email", "b.keller@exfour.ch"]
    mismatch = runner.invoke(main, args, input=f"{PASSWORD}\nsomething else entirely\n")
    assert mismatch.exit_code != 0
    result = runner.invoke(main, args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    with db.unit_of_work() as s:
        staff = s.scalar(select(StaffUser).where(StaffUser.username == "b.keller"))
        assert staff.role == "clerk" and secrets_box.password_matches(staff.password_hash, PASSWORD)


def test_staff_list_and_deactivate(pg, tmp_path):
    runner = CliRunner()
    _create(runner, tmp_path)
    listed = runner.invoke(main, ["staff", "list", "--json"])
    assert '"username": "demo.clerk"' in listed.output and '"active": true' in listed.output
    assert "argon2" not in listed.output
    assert runner.invoke(main, ["staff", "deactivate", "--username", "demo.clerk"]).exit_code == 0
    assert '"active": false' in runner.invoke(main, ["staff", "list", "--json"]).output
    assert runner.invoke(main, ["staff", "deactivate", "--username", "nobody"]).exit_code == 1
    assert _audit("staff.deactivated") == 1


def test_r8_staff_login_needs_password_then_totp(client):
    enrolment = create_staff()
    assert client.get("/staff/").status_code == 302
    first = post_password(client, "anna.muster", next_url="/staff/?status=rejected")
    assert first.status_code == 303
    assert client.get("/staff/").status_code == 302  # the password alone opens nothing
    second = post_code(client, otp(enrolment.secret))
    assert second.status_code == 303 and second.headers["Location"] == "/staff/?status=rejected"
    page = client.get("/staff/")
    assert page.status_code == 200 and b"Anna Muster" in page.data
    assert _audit("staff.logged_in") == 1


def test_r8_a_totp_code_is_not_accepted_twice(app):
    enrolment = create_staff()
    code = otp(enrolment.secret)
    first, second = english_client(app), english_client(app)
    post_password(first, "anna.muster")
    post_password(second, "anna.muster")
    assert post_code(first, code).status_code == 303
    refused = post_code(second, code)
    assert refused.status_code == 401 and b"used already" in refused.data
    assert post_code(second, otp(enrolment.secret, steps_ahead=1)).status_code == 303


def test_wrong_password_and_unknown_username_get_the_same_answer(client):
    create_staff()
    wrong = post_password(client, "anna.muster", "not the password at all")
    unknown = post_password(client, "nobody.here", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert b"The username or password is not right." in wrong.data
    assert b"The username or password is not right." in unknown.data
    assert b"not the password" not in wrong.data


def test_r9_ten_failed_passwords_lock_the_account_for_five_minutes(client, app):
    enrolment = create_staff()
    for _ in range(10):
        assert post_password(client, "anna.muster", "wrong password, again").status_code == 401
    elsewhere = english_client(app)
    elsewhere.environ_base["REMOTE_ADDR"] = "127.0.0.2"  # another address: the account itself is locked
    locked = post_password(elsewhere, "anna.muster")
    assert locked.status_code == 429 and b"Too many attempts" in locked.data
    assert post_password(client, "anna.muster").status_code == 429
    # The window slides: failures older than 5 minutes no longer count.
    with db.unit_of_work() as s:
        s.execute(update(AuthFailure).values(at=clock.now() - timedelta(minutes=6)))
    assert post_password(client, "anna.muster").status_code == 303
    assert post_code(client, otp(enrolment.secret)).status_code == 303


def test_r9_ten_failed_passwords_from_one_ip_block_that_ip(client):
    create_staff()
    for n in range(10):
        post_password(client, f"guess.{n}", "wrong password, again")
    assert post_password(client, "anna.muster").status_code == 429


def test_r9_five_wrong_totp_codes_block_the_second_step(client):
    enrolment = create_staff()
    post_password(client, "anna.muster")
    right = otp(enrolment.secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert post_code(client, wrong).status_code == 401
    assert post_code(client, right).status_code == 429
    assert _audit("staff.login_failed") == 5


def test_deactivated_staff_lose_their_session_at_once(client):
    enrolment = create_staff()
    log_in(client, enrolment)
    assert client.get("/staff/").status_code == 200
    with db.unit_of_work() as s:
        from core.desk import staff as staff_service

        staff_service.deactivate(s, "anna.muster", clock.now(), "test")
    assert client.get("/staff/").status_code == 302
    assert post_password(client, "anna.muster").status_code == 401


def test_logout_ends_the_staff_session(client):
    log_in(client, create_staff())
    page = client.get("/staff/").data.decode()
    assert client.post("/staff/logout", data={"csrf_token": csrf(page)}).status_code == 303
    assert client.get("/staff/").status_code == 302


def test_r22_a_staff_cookie_copied_before_logout_opens_nothing_after(app, client):
    log_in(client, create_staff())
    copied = client.get_cookie("session").value
    page = client.get("/staff/").data.decode()
    assert client.post("/staff/logout", data={"csrf_token": csrf(page)}).status_code == 303
    attacker = english_client(app)
    attacker.set_cookie("session", copied)
    replayed = attacker.get("/staff/")
    assert replayed.status_code == 302 and "/staff/login" in replayed.headers["Location"]


def test_anonymous_visitors_are_sent_to_the_staff_login(client):
    response = client.get("/staff/cases/1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=/staff/cases/1")


def test_a_member_login_session_cannot_open_the_staff_desk(app):
    from web.auth import MemberPrincipal, start_session

    member_id = make_member()
    with db.unit_of_work() as s:
        login = Login(member_id=member_id, name="Lea Meier", email="lea@example.ch", mobile="+41791234567",
                      language="de", rights=["administration"], status=LoginStatus.ACTIVE, created_at=clock.now())
        s.add(login)
        s.flush()
        login_id = login.id

    def member_session() -> str:  # the real session start, as the member login does after its second step
        with db.unit_of_work() as s:
            start_session(MemberPrincipal(s.get(Login, login_id)))
        return "ok"

    app.add_url_rule("/_test/member-session", view_func=member_session)
    client = english_client(app)
    assert client.get("/_test/member-session").data == b"ok"
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/cases/1").status_code == 403


def test_staff_login_page_speaks_the_chosen_language(app):
    client = app.test_client()
    assert "Anmeldung für Mitarbeitende" in client.get("/staff/login?lang=de").data.decode()
    assert "Connexion du personnel" in client.get("/staff/login?lang=fr").data.decode()
    refused = html.unescape(post_password(client, "nobody.here", "not the password").data.decode())
    assert "Le nom d'utilisateur ou le mot de passe n'est pas correct." in refused


def test_the_code_page_needs_a_fresh_password_step(client):
    enrolment = create_staff()
    assert client.get("/staff/login/code").headers["Location"] == "/staff/login"
    post_password(client, "anna.muster")
    with client.session_transaction() as session:
        pending = dict(session["pending_second_factor"], until=(clock.now() - timedelta(seconds=1)).timestamp())
        session["pending_second_factor"] = pending  # five minutes have passed since the password
    token = csrf(client.get("/staff/login").data)
    late = client.post("/staff/login/code", data={"csrf_token": token, "otp": otp(enrolment.secret)})
    assert late.status_code == 303 and late.headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/staff", "/portal", "/staff\\@evil"])
def test_login_never_sends_anyone_off_the_staff_area(client, target):
    enrolment = create_staff()
    post_password(client, "anna.muster", next_url=target)
    done = post_code(client, otp(enrolment.secret))
    assert done.status_code == 303 and done.headers["Location"] == "/staff/"


@pytest.mark.parametrize("next_url", ["/staff/cases\r\nSet-Cookie: x=1", "/staff/\nLocation: https://evil.example",
                                      "/staff/\x00", "https://evil.example/staff/", "//evil.example/staff"])
def test_a_hostile_next_ends_on_the_desk_not_an_error(client, next_url):
    enrolment = create_staff()
    assert post_password(client, enrolment.username, next_url=next_url).status_code == 303
    done = post_code(client, otp(enrolment.secret))
    assert done.status_code == 303 and done.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
