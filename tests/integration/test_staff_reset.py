"""`backoffice staff reset` and `backoffice staff role` on real PostgreSQL: a forgotten password or lost phone is
handled without deleting the account, old credentials stop at once, and the new role applies to open sessions."""

from __future__ import annotations

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from staff_support import PASSWORD, create_staff, english_client, log_in, make_app, post_code, post_password

from core import clock, db
from core.cli import main
from core.desk import staff as staff_service
from core.models import AuditEvent, StaffUser

NEW_PASSWORD = "another long passphrase 42"


@pytest.fixture
def app(pg):
    return make_app()


def _reset(tmp_path, username: str = "anna.muster", password: str = NEW_PASSWORD):
    secret_file = tmp_path / "password.txt"
    secret_file.write_text(password + "\n", encoding="utf-8")
    return CliRunner().invoke(main, ["staff", "reset", "--username", username, "--password-file", str(secret_file)])


def test_r8_reset_gives_a_new_password_and_authenticator_and_ends_open_sessions(app, tmp_path):
    old = create_staff()
    client = english_client(app)
    log_in(client, old)
    assert client.get("/staff/").status_code == 200

    result = _reset(tmp_path)

    assert result.exit_code == 0, result.output
    uri = next(line.split()[-1] for line in result.output.splitlines() if "otpauth://" in line)
    new_secret = pyotp.parse_uri(uri).secret
    assert new_secret != old.secret
    assert NEW_PASSWORD not in result.output
    assert client.get("/staff/").status_code in (302, 303)  # the open session ended
    fresh = english_client(app)
    assert post_password(fresh, "anna.muster", PASSWORD).status_code != 303  # the old password is refused
    assert post_password(fresh, "anna.muster", NEW_PASSWORD).status_code == 303
    assert post_code(fresh, pyotp.TOTP(old.secret).now()).status_code != 303  # so is the old authenticator
    assert post_code(fresh, pyotp.TOTP(new_secret).now()).status_code == 303
    with db.unit_of_work() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "staff.reset")).all()
        assert len(events) == 1
        assert NEW_PASSWORD not in str(events[0].detail) and new_secret not in str(events[0].detail)


def test_reset_refuses_a_weak_password_and_an_unknown_login_and_changes_nothing(app, tmp_path):
    create_staff()
    with db.unit_of_work() as s:
        before = s.scalar(select(StaffUser.password_hash).where(StaffUser.username == "anna.muster"))
    weak = _reset(tmp_path, password="short")
    unknown = _reset(tmp_path, username="nobody.here")
    assert weak.exit_code != 0 and "password refused" in weak.output
    assert unknown.exit_code != 0 and "no staff login named nobody.here" in unknown.output
    with db.unit_of_work() as s:
        assert s.scalar(select(StaffUser.password_hash).where(StaffUser.username == "anna.muster")) == before


def test_role_change_applies_to_open_sessions_and_is_audited(app):
    enrolment = create_staff()
    client = english_client(app)
    log_in(client, enrolment)
    result = CliRunner().invoke(main, ["staff", "role", "--username", "anna.muster", "--role", "supervisor"])
    again = CliRunner().invoke(main, ["staff", "role", "--username", "anna.muster", "--role", "supervisor"])
    assert result.exit_code == 0 and "is now supervisor" in result.output
    assert again.exit_code == 0 and "was supervisor already" in again.output
    assert client.get("/staff/").status_code in (302, 303)
    with db.unit_of_work() as s:
        assert s.scalar(select(StaffUser.role).where(StaffUser.username == "anna.muster")) == "supervisor"
        assert len(s.scalars(select(AuditEvent).where(AuditEvent.action == "staff.role_changed")).all()) == 1
    with pytest.raises(staff_service.StaffError, match="no staff login named ghost"), db.unit_of_work() as s:
        staff_service.change_role(s, "ghost", "clerk", clock.now(), "test")
