"""Hostile 2: a Hypothesis state machine over the services on real PostgreSQL, with the clock passed in:
issue a code, register with it, log in, create logins, schedule deactivations, let days pass (the sweep runs).
After every step: each member that ever had an active administrator still has one (R12); no deactivated login,
and none past its last day, gets in (R11); no code works twice (R2). A created login's invitation is accepted
directly in the database (its own flow is tested elsewhere): the machine is about the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pyotp
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from core import clock, config, db, secrets_box
from core.desk.requests import active_administrators
from core.domain import codes, rights, totp
from core.domain.states import CodeStatus, LoginStatus
from core.logins import deactivation_sweep, leaving, logins, member_auth, registration
from core.models import Login, Member, RegistrationCode
from tests.integration.admin_support import PASSWORD
from tests.resilience.resilience_support import empty_tables

MEMBERS = ("660001", "660002")
IP = "192.0.2.10"


@dataclass
class Known:
    login_id: int
    member: str
    email: str
    secret: str
    admin: bool
    deactivated: bool = False
    last_day: date | None = None


class LoginLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        empty_tables()
        self.now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        self.member_ids: dict[str, int] = {}
        with db.unit_of_work() as s:
            for number in MEMBERS:
                member = Member(member_number=number, uid="CHE-100.155.212", name=f"M {number} AG", care_of="",
                                street="Bahnhofstrasse 1", po_box="", postcode="3000", town="Bern", language="de",
                                email="", code_failures=0, created_at=self.now, updated_at=self.now)
                s.add(member)
                s.flush()
                self.member_ids[number] = member.id
        self.codes: dict[str, list[tuple[str, bool]]] = {n: [] for n in MEMBERS}  # (code, used)
        self.logins: list[Known] = []
        self.had_admin: set[str] = set()
        self.serial = 0

    def tick(self) -> datetime:
        """Each step a little later: a TOTP step is never used twice (R8) by the machine itself."""
        self.now += timedelta(seconds=31)
        return self.now

    @initialize()
    def start(self) -> None:
        pass

    @rule(member=st.sampled_from(MEMBERS))
    def issue_code(self, member: str) -> None:
        code = codes.printed(codes.generate())
        now = self.tick()
        with db.unit_of_work() as s:
            for old in s.scalars(select(RegistrationCode).where(RegistrationCode.member_id == self.member_ids[member],
                                                                RegistrationCode.status == CodeStatus.ISSUED)):
                old.status, old.void_reason = CodeStatus.VOIDED, "replaced"
            s.add(RegistrationCode(member_id=self.member_ids[member], purpose="registration", status=CodeStatus.ISSUED,
                                   issued_at=now, expires_on=clock.today_in_zurich(now) + timedelta(days=21),
                                   void_reason="", code_hash=codes.keyed_hash(config.get().code_hmac_secret, member,
                                                                              codes.read(code))))
        self.codes[member] = [(c, True) for c, _ in self.codes[member]] + [(code, False)]  # older: void

    @precondition(lambda self: any(self.codes.values()))
    @rule(data=st.data())
    def register(self, data: st.DataObject) -> None:
        member = data.draw(st.sampled_from([m for m in MEMBERS if self.codes[m]]))
        code, spent = data.draw(st.sampled_from(self.codes[member]))
        now = self.tick()
        with db.unit_of_work() as s:
            opened = registration.open_with_code(s, member, codes.read(code), now)
        if spent:
            assert opened.result != registration.CodeCheck.OK, "a used or voided code worked again (R2)"
            return
        if opened.result != registration.CodeCheck.OK:
            return  # expired after the days that passed, or blocked: not a use
        self.serial += 1
        email = f"first{self.serial}@{member}.example"
        person = registration.Person("First Admin", email, "+41791234567", PASSWORD, "de")
        with db.unit_of_work() as s:
            login_id = registration.save_person(s, opened.member_id, opened.code_id, None, person, now)
        with db.unit_of_work() as s:
            secret = registration.enrolment(s, opened.member_id, opened.code_id, login_id).secret
        with db.unit_of_work() as s:
            result = registration.activate(s, opened.member_id, opened.code_id, login_id,
                                           pyotp.TOTP(secret).at(now), IP, now)
        assert result == registration.Activation.OK
        self.codes[member] = [(c, True) if c == code else (c, u) for c, u in self.codes[member]]
        self.logins.append(Known(login_id, member, email, secret, admin=True))
        self.had_admin.add(member)

    def usable(self, known: Known) -> bool:
        return not known.deactivated and (known.last_day is None
                                          or clock.today_in_zurich(self.now) <= known.last_day)

    @precondition(lambda self: self.logins)
    @rule(data=st.data())
    def log_in(self, data: st.DataObject) -> None:
        known = data.draw(st.sampled_from(self.logins))
        now = self.tick()
        with db.unit_of_work() as s:
            step = member_auth.check_password(s, known.member, known.email, PASSWORD, IP, now)
        if step.result == member_auth.Check.OK:
            with db.unit_of_work() as s:
                second = member_auth.check_second_factor(s, step.login_id, step.session_version,
                                                         pyotp.TOTP(known.secret).at(now), IP, now)
            got_in = second.result == member_auth.Check.OK
        else:
            got_in = False
        assert got_in == self.usable(known), (known, now, step.result)

    @precondition(lambda self: any(k.admin and self.usable(k) for k in self.logins))
    @rule(data=st.data(), admin_right=st.booleans())
    def create_login(self, data: st.DataObject, admin_right: bool) -> None:
        editor = data.draw(st.sampled_from([k for k in self.logins if k.admin and self.usable(k)]))
        self.serial += 1
        email = f"colleague{self.serial}@{editor.member}.example"
        granted = tuple(rights.all_rights()) if admin_right else ("correspondence",)
        now = self.tick()
        with db.unit_of_work() as s:
            login_id = logins.create(s, editor.login_id, logins.Details(f"Colleague {self.serial}", email,
                                                                        "+41791234568", "de", granted), now)
        secret = totp.new_secret()
        with db.unit_of_work() as s:  # the invitee accepts (their flow has its own tests)
            login = s.get(Login, login_id)
            login.status, login.activated_at = LoginStatus.ACTIVE, now
            login.password_hash, login.totp_secret = secrets_box.hash_password(PASSWORD), secrets_box.encrypt(secret)
        self.logins.append(Known(login_id, editor.member, email, secret, admin=admin_right))

    @precondition(lambda self: any(self.usable(k) for k in self.logins))
    @rule(data=st.data(), days=st.sampled_from([None, 0, 1, 2, 5]))
    def schedule_deactivation(self, data: st.DataObject, days: int | None) -> None:
        actor = data.draw(st.sampled_from([k for k in self.logins if self.usable(k)]))
        target = data.draw(st.sampled_from([k for k in self.logins if k.member == actor.member and self.usable(k)]))
        now = self.tick()
        last_day = None if days is None else clock.today_in_zurich(now) + timedelta(days=days)
        try:
            with db.unit_of_work() as s:
                leaving.deactivate(s, actor.login_id, target.login_id, last_day, now)
        except (logins.Refused, logins.NotAllowed):
            return
        if last_day is None:
            target.deactivated = True
        else:
            target.last_day = last_day

    @rule(days=st.integers(1, 3))
    def pass_days(self, days: int) -> None:
        self.now += timedelta(days=days)
        with db.unit_of_work() as s:
            deactivation_sweep.sweep(s, self.now)
        for known in self.logins:
            if known.last_day is not None and clock.today_in_zurich(self.now) > known.last_day:
                known.deactivated = True

    @invariant()
    def an_active_administrator_remains(self) -> None:
        with db.unit_of_work() as s:
            for member in self.had_admin:
                assert active_administrators(s, self.member_ids[member], self.now), f"member {member}: none (R12)"


def test_r2_r11_r12_login_lifecycle_state_machine(pg, report):
    row = report.row("state machine: register/login/deactivate")
    runs = {"steps": 0}
    original = LoginLifecycle.tick

    def counted(self: LoginLifecycle) -> datetime:
        runs["steps"] += 1
        return original(self)

    LoginLifecycle.tick = counted  # type: ignore[method-assign]
    try:
        run_state_machine_as_test(LoginLifecycle, settings=settings(
            max_examples=30, stateful_step_count=15, deadline=None, derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    finally:
        LoginLifecycle.tick = original  # type: ignore[method-assign]
        row.runs = runs["steps"]
