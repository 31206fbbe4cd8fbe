"""Leaving, as the person who leaves sees it (R11, R12, R18), through the portal on real PostgreSQL: the scheduled
last working day is shown plainly with what it means, and its owner can take it back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from admin_support import ALL, log_in, login_row, make_login, make_member, text
from sqlalchemy import select

from core import clock, db
from core.domain.states import LoginStatus
from core.models import AuditEvent
from letters.dates import long_date

A = "400100"
KEEP = 'action="/portal/profile/leave/keep"'


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


@pytest.fixture
def member():
    return make_member(A, "Muster Holzbau AG")


def _today():
    return clock.today_in_zurich(clock.now())


def _events(action: str) -> list[AuditEvent]:
    with db.unit_of_work() as s:
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        for row in rows:
            s.expunge(row)
        return rows


def test_r11_after_scheduling_the_page_shows_the_day_its_meaning_and_a_way_back(app, member):
    ben = make_login(member, "Ben Keller", "ben@muster.example", ["salary_declarations"])
    client = log_in(app, A, "ben@muster.example", *ben)
    day = _today() + timedelta(days=14)
    done = client.post("/portal/profile/leave", data={"when": "date", "last_day": day.isoformat()})
    assert done.status_code == 303
    page = text(client.get(done.headers["Location"]))
    assert f"Your last working day: {long_date(day, 'en')}" in page
    assert f"From {long_date(day + timedelta(days=1), 'en')} at 00:00 it is refused" in page
    assert KEEP in page and "Remove my last working day" in page
    assert "only an administrator of your company can activate your login again" in page
    profile = text(client.get("/portal/profile"))
    assert f"Your last working day: {long_date(day, 'en')}" in profile and KEEP in profile
    assert "An administrator of your company can remove" not in profile

    kept = client.post("/portal/profile/leave/keep")
    assert kept.status_code == 303 and kept.headers["Location"].endswith("/portal/profile")
    assert login_row(ben[0]).last_day is None and login_row(ben[0]).status == LoginStatus.ACTIVE
    shown = text(client.get("/portal/profile"))  # the session goes on: nothing about its use changed
    assert f"The last working day {long_date(day, 'en')} has been removed. Your login keeps working." in shown
    assert "Your last working day:" not in shown and "Deactivate your login" in shown
    [event] = _events("login.deactivation_cancelled")
    assert event.actor == event.subject == f"login:{ben[0]}" and event.detail == {"last_day": day.isoformat()}
    assert f"Ben Keller removed their own last working day ({day:%d.%m.%Y})." in text(client.get("/portal/history"))


def test_r12_does_not_stop_an_administrator_taking_back_a_date_and_the_wording_fits_an_administrator(app, member):
    """Both administrators are leaving, so neither could set a date now (R12); taking one back only adds an
    administrator, so it is never refused."""
    day = _today() + timedelta(days=3)
    anna = make_login(member, "Anna Muster", "anna@muster.example", ALL, last_day=day)
    make_login(member, "Gina Frei", "gina@muster.example", ALL, last_day=day + timedelta(days=1))
    client = log_in(app, A, "anna@muster.example", *anna)
    page = text(client.get("/portal/profile/leave"))
    assert "only another administrator of your company can activate your login again" in page
    assert "only an administrator of your company" not in page
    assert client.post("/portal/profile/leave/keep").status_code == 303
    assert login_row(anna[0]).last_day is None
    assert len(_events("login.deactivation_cancelled")) == 1


def test_r18_without_a_date_there_is_nothing_to_remove_and_nothing_is_audited(app, member):
    ben = make_login(member, "Ben Keller", "ben@muster.example", ["salary_declarations"])
    client = log_in(app, A, "ben@muster.example", *ben)
    assert KEEP not in text(client.get("/portal/profile/leave"))
    refused = client.post("/portal/profile/leave/keep")
    assert refused.status_code == 303
    page = text(client.get("/portal/profile/leave"))
    assert "Your login has no last working day, so there is nothing to remove." in page
    assert _events("login.deactivation_cancelled") == []


@pytest.mark.parametrize("lang, shown, removed", [
    ("de", "Ihr letzter Arbeitstag: {day}", "Der letzte Arbeitstag {day} wurde entfernt."),
    ("fr", "Votre dernier jour de travail : {day}", "Le dernier jour de travail du {day} a été supprimé."),
    ("it", "Il Suo ultimo giorno di lavoro: {day}", "L'ultimo giorno di lavoro del {day} è stato tolto."),
])
def test_r11_the_scheduled_day_and_its_removal_speak_the_page_language(app, member, lang, shown, removed):
    day = _today() + timedelta(days=30)
    ben = make_login(member, "Ben Keller", "ben@muster.example", ["salary_declarations"], last_day=day)
    client = log_in(app, A, "ben@muster.example", *ben)
    written = long_date(day, lang)
    page = text(client.get(f"/portal/profile?lang={lang}"))  # the language menu's link; the choice is kept
    assert shown.format(day=written) in page
    assert long_date(day + timedelta(days=1), lang) in page
    client.post("/portal/profile/leave/keep")
    assert removed.format(day=written) in text(client.get("/portal/profile"))
