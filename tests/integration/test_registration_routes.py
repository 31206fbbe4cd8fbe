"""Registering with a code that is not for a first administrator, through the web pages on real PostgreSQL:
a code for a login the fund prepared on an official letter completes that login (R16); a code sent to a trustee
registers a login of the trustee company with a mandate for the member (R13, R15)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from core import clock, config, db
from core.codes import codes as code_service
from core.domain import codes
from core.domain.states import CodeStatus, LoginStatus, MandateStatus
from core.models import AuditEvent, Letter, Login, Mandate, Member, PowerOfAttorney, RegistrationCode, Trustee
from core.trustees import mandates
from tests.integration.test_registration_flow import (
    NUMBER,
    PASSWORD,
    current_step,
    enter_code,
    give_details,
    make_member,
    new_client,
    otp_at_step,
    shown_secret,
    text,
)

RIGHTS = ["salary_declarations", "correspondence"]


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


def _printed_code(code_id: int, member_number: str = NUMBER) -> str:
    """Stands in for the letter renderer: draws the code and keeps only its keyed hash."""
    code = codes.generate()
    with db.unit_of_work() as s:
        s.execute(update(RegistrationCode).where(RegistrationCode.id == code_id)
                  .values(code_hash=codes.keyed_hash(config.get().code_hmac_secret, member_number, code)))
    return code


def _prepared(member_id: int) -> tuple[int, int]:
    """What the exceptional registration leaves behind (R16): a pending login with staff's details and a code."""
    now = clock.now()
    with db.unit_of_work() as s:
        login = Login(member_id=member_id, name="Bruno Beispiel", email="bruno@example.ch", mobile="+41791112233",
                      language="fr", rights=RIGHTS, status=LoginStatus.PENDING, created_at=now, session_version=1,
                      totp_last_step=0, password_hash="", totp_secret="")
        s.add(login)
        s.flush()
        letter_id = code_service.issue_letter(s, s.get(Member, member_id), "new_code", now, actor="staff:anna")
        code = s.get_one(RegistrationCode, s.get(Letter, letter_id).code_id)
        code.login_id = login.id
        return login.id, code.id


def _trustee_with_power(member_id: int, until: date | None = None) -> int:
    now = clock.now()
    with db.unit_of_work() as s:
        trustee = Trustee(uid="CHE-109.322.551", name="Treuhand Muster GmbH", po_box="Postfach", postcode="8001",
                          town="Zürich", language="de", email="", created_at=now)
        s.add(trustee)
        s.flush()
        s.add(PowerOfAttorney(member_id=member_id, trustee_id=trustee.id, scope=RIGHTS,
                              valid_from=clock.today_in_zurich(now) - timedelta(days=1), valid_until=until,
                              received_on=clock.today_in_zurich(now), recorded_by="staff:anna", recorded_at=now))
        return trustee.id


def _trustee_code(member_id: int, trustee_id: int, member_number: str = NUMBER) -> str:
    with db.unit_of_work() as s:
        letter_id = code_service.issue_trustee_letter(s, s.get(Member, member_id), s.get(Trustee, trustee_id),
                                                      clock.now(), actor="staff:anna")
        code_id = s.get(Letter, letter_id).code_id
        assert code_id
    return _printed_code(code_id, member_number)


def _finish(client) -> None:
    page = client.get("/register/authenticator")
    assert page.status_code == 200
    secret = shown_secret(text(page))
    done = client.post("/register/authenticator", data={"otp": otp_at_step(secret, current_step())})
    assert done.status_code == 303 and done.headers["Location"].endswith("/register/done")


def test_r16_a_code_for_a_prepared_login_completes_that_login_with_staffs_details_and_rights(app):
    member_id = make_member()
    login_id, code_id = _prepared(member_id)
    code = _printed_code(code_id)
    client = new_client(app)
    assert enter_code(client, code).status_code == 303
    page = text(client.get("/register/details"))
    assert "Bruno Beispiel" in page and "bruno@example.ch" in page and "official letter" in page
    assert "+41791112233" in page or "079 111 22 33" in page or "+41 79 111 22 33" in page
    # Whatever the form carries, staff's name, e-mail and rights stay (R16).
    sent = give_details(client, name="Mallory", email="mallory@example.ch", mobile="079 444 55 66")
    assert sent.status_code == 303
    _finish(client)
    done = text(client.get("/register/done"))
    assert "Your login is ready" in done and "administrator login" not in done
    with db.unit_of_work() as s:
        logins = s.scalars(select(Login).where(Login.member_id == member_id)).all()
        assert [lg.id for lg in logins] == [login_id]  # no second login made
        login = logins[0]
        assert login.status == LoginStatus.ACTIVE and login.name == "Bruno Beispiel"
        assert login.email == "bruno@example.ch"
        assert login.rights == RIGHTS and login.mobile == "+41794445566" and login.password_hash
        assert s.get(RegistrationCode, code_id).status == CodeStatus.USED
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.subject == f"login:{login_id}")).all()
        assert "login.activated" in actions and "login.created" not in actions


def test_r16_an_ordinary_code_still_makes_a_new_administrator(app):
    member_id = make_member()
    with db.unit_of_work() as s:
        code_service.issue_letter(s, s.get(Member, member_id), "new_code", clock.now())
        code_id = s.scalar(select(RegistrationCode.id).where(RegistrationCode.member_id == member_id))
    client = new_client(app)
    assert enter_code(client, _printed_code(code_id)).status_code == 303
    assert give_details(client).status_code == 303
    _finish(client)
    assert "Your administrator login is ready" in text(client.get("/register/done"))


def test_r15_r13_a_trustee_code_registers_a_trustee_login_with_a_mandate_in_the_powers_scope(app):
    member_id = make_member()
    trustee_id = _trustee_with_power(member_id)
    code = _trustee_code(member_id, trustee_id)
    client = new_client(app)
    assert enter_code(client, code).status_code == 303
    assert "Muster Holzbau AG" in text(client.get("/register/details"))
    assert give_details(client, name="Tina Treu", email="Tina@Treuhand.example").status_code == 303
    _finish(client)
    assert "Your login is ready" in text(client.get("/register/done"))
    with db.unit_of_work() as s:
        assert s.scalars(select(Login).where(Login.member_id == member_id)).all() == []  # no member login
        login = s.scalar(select(Login).where(Login.trustee_id == trustee_id))
        assert login.status == LoginStatus.ACTIVE and login.email == "tina@treuhand.example" and login.rights == []
        mandate = s.scalar(select(Mandate).where(Mandate.login_id == login.id))
        assert mandate.member_id == member_id and mandate.status == MandateStatus.ACTIVE and mandate.rights == RIGHTS
        assert mandates.active_rights(s, login.id, member_id, clock.now()) == frozenset(RIGHTS)
        assert s.scalar(select(RegistrationCode.status)
                        .where(RegistrationCode.trustee_id == trustee_id)) == CodeStatus.USED


def test_r13_a_trustee_person_with_a_login_gets_the_member_added_to_it_not_a_second_login(app):
    member_id = make_member()
    trustee_id = _trustee_with_power(member_id)
    first = new_client(app)
    assert enter_code(first, _trustee_code(member_id, trustee_id)).status_code == 303
    assert give_details(first, email="tina@treuhand.example").status_code == 303
    page = first.get("/register/authenticator")
    secret = shown_secret(text(page))
    step = current_step()
    assert first.post("/register/authenticator", data={"otp": otp_at_step(secret, step)}).status_code == 303
    other = make_member("100201", "Zweite AG")
    with db.unit_of_work() as s:
        s.add(PowerOfAttorney(member_id=other, trustee_id=trustee_id, scope=["correspondence"],
                              valid_from=date(2020, 1, 1), received_on=date(2020, 1, 1), recorded_by="staff:anna",
                              recorded_at=clock.now()))
    second = new_client(app)
    assert enter_code(second, _trustee_code(other, trustee_id, "100201"), number="100201").status_code == 303
    wrong = give_details(second, email="TINA@treuhand.example", password=PASSWORD + " zwei")
    assert wrong.status_code == 422 and "enter that login's password" in text(wrong)
    assert give_details(second, email="TINA@treuhand.example").status_code == 303
    confirm = text(second.get("/register/authenticator"))
    assert "Confirm with your authenticator app" in confirm and 'class="secret"' not in confirm  # key never again
    # R8: the step spent at the first registration is refused; the next one adds the member.
    assert second.post("/register/authenticator", data={"otp": otp_at_step(secret, step)}).status_code == 422
    done = second.post("/register/authenticator", data={"otp": otp_at_step(secret, step + 1)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/register/done")
    with db.unit_of_work() as s:
        logins = s.scalars(select(Login).where(Login.trustee_id == trustee_id)).all()
        assert len(logins) == 1 and logins[0].status == LoginStatus.ACTIVE
        held = {m.member_id: m.rights for m in s.scalars(select(Mandate).where(Mandate.login_id == logins[0].id))}
        assert held == {member_id: RIGHTS, other: ["correspondence"]}
        assert s.scalar(select(RegistrationCode.status).join(Letter, Letter.code_id == RegistrationCode.id)
                        .where(RegistrationCode.member_id == other)) == CodeStatus.USED
