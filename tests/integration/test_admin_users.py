"""User administration in the portal on real PostgreSQL: list, new, edit, deactivate, reactivate, leaving, the
security history, and bad or forged input (R10, R11, R12, R18)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from admin_support import ALL, log_in, login_row, make_login, make_member, new_client, outbox_rows, text
from sqlalchemy import func, select

from core import clock, db
from core.domain import rights
from core.domain.states import InvitationStatus, LoginStatus
from core.logins import leaving, logins
from core.models import AuditEvent, Invitation, Login
from letters.dates import long_date

A, B = "400100", "400200"


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


@pytest.fixture
def team(app):
    """Member A: Anna (administrator, every right) and Ben (salary declarations). Member B: Carla (administrator)."""
    member_a = make_member(A, "Muster Holzbau AG")
    member_b = make_member(B, "Beispiel Treuhand GmbH")
    anna = make_login(member_a, "Anna Muster", "anna@muster.example", ALL)
    ben = make_login(member_a, "Ben Keller", "ben@muster.example", ["salary_declarations"], mobile="+41761112233")
    carla = make_login(member_b, "Carla Rossi", "carla@beispiel.example", ALL)
    return {"member_a": member_a, "member_b": member_b, "anna": anna, "ben": ben, "carla": carla}


def anna_client(app, team):
    return log_in(app, A, "anna@muster.example", *team["anna"])


def ben_client(app, team):
    return log_in(app, A, "ben@muster.example", *team["ben"])


def new_login(client, **changes):
    data = {"name": "Dora Weber", "email": "Dora.Weber@muster.example", "mobile": "079 555 66 77", "language": "fr",
            "rights": ["salary_declarations", "correspondence"], **changes}
    return client.post("/portal/admin/new", data=data)


def count_logins() -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(Login))


def audit_actions() -> list[str]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_r10_administrators_see_the_user_administration_and_the_list_of_logins(app, team):
    client = anna_client(app, team)
    home = text(client.get("/portal/"))
    assert 'href="/portal/admin/"' in home and "User administration" in home
    page = client.get("/portal/admin/")
    body = text(page)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Anna Muster" in body and "Ben Keller" in body and "Carla Rossi" not in body  # own member only
    assert "+41 76 *** ** 33" in body and "+41761112233" not in body  # masked
    assert "Salary declarations" in body and "Active" in body and "never" in body
    assert "There are no pending invitations." in body


def test_r10_a_login_without_administration_sees_no_user_administration(app, team):
    client = ben_client(app, team)
    assert "/portal/admin/" not in text(client.get("/portal/"))
    assert client.get("/portal/admin/").status_code == 403
    assert new_login(client).status_code == 403
    assert count_logins() == 3


def test_new_login_is_pending_with_the_rights_chosen_and_an_invitation(app, team):
    client = anna_client(app, team)
    form = client.get("/portal/admin/new")
    assert form.status_code == 200 and "Create the login and send the invitation" in text(form)
    made = new_login(client)
    assert made.status_code == 303 and made.headers["Location"].endswith("/portal/admin/")
    with db.unit_of_work() as s:
        dora = s.scalar(select(Login).where(Login.email == "dora.weber@muster.example"))
        assert dora.status == LoginStatus.PENDING and dora.member_id == team["member_a"]
        assert dora.rights == ["salary_declarations", "correspondence"] and dora.mobile == "+41795556677"
        assert dora.language == "fr" and dora.password_hash == "" and dora.totp_secret == ""
        invitation = s.scalar(select(Invitation).where(Invitation.login_id == dora.id))
        assert invitation.status == InvitationStatus.PENDING and invitation.token_hash is None  # drawn when mailed
        assert invitation.expires_at - invitation.created_at == timedelta(hours=72)
    assert [row.args for row in outbox_rows("logins.send_invitation")] == [{"invitation_id": invitation.id}]
    assert audit_actions()[-2:] == ["login.created", "invitation.sent"]
    listed = text(client.get("/portal/admin/"))
    assert "We have sent an invitation to dora.weber@muster.example" in listed
    assert "Pending invitations" in listed and "Dora Weber" in listed and "Send again" in listed


@pytest.mark.parametrize("changes, field_message", [
    ({"email": "dora@"}, "Enter an e-mail address in the correct format"),
    ({"mobile": ""}, "Enter the person's mobile number"),
    ({"mobile": "12"}, "Enter a mobile number that can receive text messages"),
    ({"mobile": "031 123 45 67"}, "Enter a mobile number that can receive text messages"),  # a Bern landline
    ({"name": ""}, "Enter the person's full name"),
    ({"rights": ["salary_declarations", "is_admin"]}, "Choose rights from the list only."),
    ({"language": "xx"}, "Choose one of the languages offered."),
    ({"email": "ben@muster.example"}, "Your company already has a login with this e-mail address."),
])
def test_bad_input_gets_a_clear_message_and_nothing_is_created(app, team, changes, field_message):
    client = anna_client(app, team)
    refused = new_login(client, **changes)
    assert refused.status_code == 422
    assert field_message in text(refused) and "There is a problem" in text(refused)
    assert count_logins() == 3 and outbox_rows("logins.send_invitation") == []


@pytest.mark.parametrize("forged", [{"member_id": "2"}, {"is_admin": "1"}, {"status": "active"}])
def test_r10_forged_form_fields_are_refused_and_nothing_is_created(app, team, forged):
    client = anna_client(app, team)
    refused = new_login(client, **forged)
    assert refused.status_code == 422
    field = next(iter(forged))
    assert f"fields that cannot be set here ({field}). Nothing was saved." in text(refused)
    assert count_logins() == 3


def test_r10_nobody_grants_a_right_they_lack(app, team):
    limited = make_login(team["member_a"], "Eva Limited", "eva@muster.example",
                         [rights.ADMINISTRATION, "salary_declarations"])
    client = log_in(app, A, "eva@muster.example", *limited)
    page = text(client.get("/portal/admin/new"))
    assert 'value="correspondence" disabled' in page
    refused = new_login(client, rights=["salary_declarations", "correspondence"])
    assert refused.status_code == 422
    assert "You cannot give a right you do not hold yourself: Correspondence." in text(refused)
    assert count_logins() == 4
    # Editing Ben: correspondence cannot be added by Eva either.
    edit = client.post(f"/portal/admin/logins/{team['ben'][0]}/edit", data={
        "name": "Ben Keller", "email": "ben@muster.example", "mobile": "+41761112233", "language": "en",
        "rights": ["correspondence"]})
    assert edit.status_code == 422 and login_row(team["ben"][0]).rights == ["salary_declarations"]


def test_r10_a_right_the_editor_lacks_is_kept_when_they_edit(app, team):
    limited = make_login(team["member_a"], "Eva Limited", "eva@muster.example",
                         [rights.ADMINISTRATION, "salary_declarations"])
    frank = make_login(team["member_a"], "Frank Meier", "frank@muster.example", ["salary_declarations",
                                                                                 "correspondence"])
    client = log_in(app, A, "eva@muster.example", *limited)
    saved = client.post(f"/portal/admin/logins/{frank[0]}/edit", data={
        "name": "Frank Meier", "email": "frank@muster.example", "mobile": "+41791234567", "language": "en",
        "rights": []})
    assert saved.status_code == 303
    assert login_row(frank[0]).rights == ["correspondence"]  # salary declarations removed, correspondence kept


def test_edit_saves_details_and_rights_and_audits_them(app, team):
    client = anna_client(app, team)
    ben_id = team["ben"][0]
    form = text(client.get(f"/portal/admin/logins/{ben_id}/edit"))
    assert 'value="Ben Keller"' in form and 'value="+41761112233"' in form
    saved = client.post(f"/portal/admin/logins/{ben_id}/edit", data={
        "name": "Benjamin Keller", "email": "ben@muster.example", "mobile": "078 111 22 33", "language": "it",
        "rights": ["salary_declarations", "family_allowances"]})
    assert saved.status_code == 303
    ben = login_row(ben_id)
    assert (ben.name, ben.mobile, ben.language) == ("Benjamin Keller", "+41781112233", "it")
    assert ben.rights == ["salary_declarations", "family_allowances"]
    with db.unit_of_work() as s:
        changed = s.scalars(select(AuditEvent).where(AuditEvent.subject == f"login:{ben_id}")
                            .order_by(AuditEvent.id)).all()
        assert [e.action for e in changed] == ["login.changed", "login.rights_changed"]
        assert changed[0].detail == {"fields": ["name", "mobile", "language"]}
        assert changed[1].detail["after"] == ["salary_declarations", "family_allowances"]
    detail = text(client.get(f"/portal/admin/logins/{ben_id}"))
    assert "The changes to Benjamin Keller have been saved." in detail
    assert "Anna Muster changed the rights of Benjamin Keller. Rights now: Salary declarations, Family allowances." \
        in detail


def test_r11_deactivating_now_ends_every_session_of_the_login_at_once(app, team):
    ben_id = team["ben"][0]
    ben = ben_client(app, team)
    assert ben.get("/portal/").status_code == 200
    version = login_row(ben_id).session_version
    client = anna_client(app, team)
    done = client.post(f"/portal/admin/logins/{ben_id}/deactivate", data={"when": "now"})
    assert done.status_code == 303
    row = login_row(ben_id)
    assert row.status == LoginStatus.DEACTIVATED and row.session_version == version + 1
    assert row.deactivated_at is not None
    assert ben.get("/portal/").status_code == 302  # the open session ended
    assert "login.deactivated" in audit_actions()
    assert "The login of Ben Keller has been deactivated." in text(client.get(f"/portal/admin/logins/{ben_id}"))
    # A colleague administrator is told; the one who did it is not.
    second_admin = make_login(team["member_a"], "Gina Admin", "gina@muster.example", ALL)
    client.post(f"/portal/admin/logins/{ben_id}/reactivate")
    client.post(f"/portal/admin/logins/{ben_id}/deactivate", data={"when": "now"})
    assert [row.args["to"] for row in outbox_rows("mail.send")] == ["gina@muster.example"]
    assert second_admin


def test_r11_a_last_working_day_in_the_past_is_refused_and_today_is_accepted(app, team):
    client = anna_client(app, team)
    ben_id = team["ben"][0]
    today = clock.today_in_zurich(clock.now())
    past = client.post(f"/portal/admin/logins/{ben_id}/deactivate",
                       data={"when": "date", "last_day": (today - timedelta(days=1)).isoformat()})
    assert past.status_code == 422 and "cannot be in the past" in text(past)
    missing = client.post(f"/portal/admin/logins/{ben_id}/deactivate", data={"when": "date", "last_day": ""})
    assert missing.status_code == 422 and "Enter the last working day as a date" in text(missing)
    garbage = client.post(f"/portal/admin/logins/{ben_id}/deactivate", data={"when": "date", "last_day": "soon"})
    assert garbage.status_code == 422 and "Enter the last working day as a date" in text(garbage)
    assert login_row(ben_id).last_day is None
    swiss = client.post(f"/portal/admin/logins/{ben_id}/deactivate",
                        data={"when": "date", "last_day": today.strftime("%d.%m.%Y")})
    assert swiss.status_code == 303
    row = login_row(ben_id)
    assert row.status == LoginStatus.ACTIVE and row.last_day == today
    listed = text(client.get("/portal/admin/"))
    assert f"Active until {today:%d.%m.%Y}" in listed
    assert ben_client(app, team).get("/portal/").status_code == 200  # works to the end of the day


def test_reactivating_a_deactivated_login_and_removing_a_last_day(app, team):
    client = anna_client(app, team)
    ben_id = team["ben"][0]
    client.post(f"/portal/admin/logins/{ben_id}/deactivate", data={"when": "now"})
    again = client.post(f"/portal/admin/logins/{ben_id}/reactivate")
    assert again.status_code == 303
    row = login_row(ben_id)
    assert row.status == LoginStatus.ACTIVE and row.deactivated_at is None
    assert ben_client(app, team).get("/portal/").status_code == 200
    day = clock.today_in_zurich(clock.now()) + timedelta(days=5)
    client.post(f"/portal/admin/logins/{ben_id}/deactivate", data={"when": "date", "last_day": day.isoformat()})
    client.post(f"/portal/admin/logins/{ben_id}/reactivate")
    assert login_row(ben_id).last_day is None
    refused = client.post(f"/portal/admin/logins/{ben_id}/reactivate", follow_redirects=True)
    assert "This login is active and has no last working day." in text(refused)
    assert audit_actions().count("login.reactivated") == 1
    assert audit_actions().count("login.deactivation_cancelled") == 1


SUCCESSOR_STEPS = "create the login of your successor with the administration right"


def test_r12_the_only_administrator_cannot_leave_and_is_told_the_successor_steps(app, team):
    client = anna_client(app, team)
    anna_id = team["anna"][0]
    later = (clock.today_in_zurich(clock.now()) + timedelta(days=30)).isoformat()
    for data in ({"when": "now"}, {"when": "date", "last_day": later}):
        refused = client.post("/portal/profile/leave", data=data)
        assert refused.status_code == 422
        assert SUCCESSOR_STEPS in text(refused) and "User administration, choose New login" in text(refused)
        by_admin_page = client.post(f"/portal/admin/logins/{anna_id}/deactivate", data=data)
        assert by_admin_page.status_code == 422 and SUCCESSOR_STEPS in text(by_admin_page)
    row = login_row(anna_id)
    assert row.status == LoginStatus.ACTIVE and row.last_day is None
    # Taking away one's own administration right is leaving as administrator too.
    removed = client.post(f"/portal/admin/logins/{anna_id}/edit", data={
        "name": "Anna Muster", "email": "anna@muster.example", "mobile": "+41791234567", "language": "en",
        "rights": ["correspondence"]})
    assert removed.status_code == 422 and SUCCESSOR_STEPS in text(removed)
    assert login_row(anna_id).rights == ALL


def test_r12_an_administrator_with_a_last_day_does_not_count_as_successor(app, team):
    gina = make_login(team["member_a"], "Gina Admin", "gina@muster.example", ALL)
    client = anna_client(app, team)
    soon = clock.today_in_zurich(clock.now()) + timedelta(days=10)
    assert client.post(f"/portal/admin/logins/{gina[0]}/deactivate",
                       data={"when": "date", "last_day": soon.isoformat()}).status_code == 303
    # Gina leaves in 10 days: whenever Anna leaves, before or after her, nobody would be left in the end.
    for data in ({"when": "now"}, {"when": "date", "last_day": (soon - timedelta(days=1)).isoformat()},
                 {"when": "date", "last_day": (soon + timedelta(days=1)).isoformat()}):
        refused = client.post("/portal/profile/leave", data=data)
        assert refused.status_code == 422 and SUCCESSOR_STEPS in text(refused)
    assert login_row(team["anna"][0]).last_day is None
    # Gina's own last day may move later (Anna stays on), and Anna can end Gina now.
    later = client.post(f"/portal/admin/logins/{gina[0]}/deactivate",
                        data={"when": "date", "last_day": (soon + timedelta(days=5)).isoformat()})
    assert later.status_code == 303 and login_row(gina[0]).last_day == soon + timedelta(days=5)
    assert client.post(f"/portal/admin/logins/{gina[0]}/deactivate", data={"when": "now"}).status_code == 303


def test_r12_taking_the_administration_right_away_says_so_not_that_someone_leaves(app, team):
    gina = make_login(team["member_a"], "Gina Admin", "gina@muster.example", ALL)
    client = anna_client(app, team)
    soon = (clock.today_in_zurich(clock.now()) + timedelta(days=10)).isoformat()
    assert client.post("/portal/profile/leave", data={"when": "date", "last_day": soon}).status_code == 303
    refused = client.post(f"/portal/admin/logins/{gina[0]}/edit", data={
        "name": "Gina Admin", "email": "gina@muster.example", "mobile": "+41791234567", "language": "en",
        "rights": ["salary_declarations"]})
    assert refused.status_code == 422 and "Gina Admin cannot lose the administration right yet" in text(refused)
    assert "cannot be deactivated" not in text(refused)
    assert rights.ADMINISTRATION in login_row(gina[0]).rights


def test_r12_another_administrator_cannot_be_ended_when_nobody_stays_on(app, team):
    gina = make_login(team["member_a"], "Gina Admin", "gina@muster.example", ALL)
    client = anna_client(app, team)
    soon = (clock.today_in_zurich(clock.now()) + timedelta(days=10)).isoformat()
    assert client.post("/portal/profile/leave", data={"when": "date", "last_day": soon}).status_code == 303
    refused = client.post(f"/portal/admin/logins/{gina[0]}/deactivate", data={"when": "now"})
    assert refused.status_code == 422 and "Gina Admin cannot be deactivated yet" in text(refused)
    assert login_row(gina[0]).status == LoginStatus.ACTIVE


def test_r12_a_successor_who_has_not_finished_registering_does_not_count(app, team):
    client = anna_client(app, team)
    new_login(client, rights=ALL, email="successor@muster.example")
    refused = client.post("/portal/profile/leave", data={"when": "now"})
    assert refused.status_code == 422 and SUCCESSOR_STEPS in text(refused)


def test_r12_two_administrators_leaving_at_once_cannot_both_go(app, team):
    gina_id, _ = make_login(team["member_a"], "Gina Admin", "gina@muster.example", ALL)
    anna_id = team["anna"][0]
    start = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def leave(login_id: int) -> None:
        start.wait()
        try:
            with db.unit_of_work() as s:
                leaving.deactivate(s, login_id, login_id, None, clock.now())
            outcomes[login_id] = "left"
        except logins.Refused:
            outcomes[login_id] = "refused"

    threads = [threading.Thread(target=leave, args=(login_id,)) for login_id in (anna_id, gina_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["left", "refused"]
    assert sorted(login_row(i).status for i in (anna_id, gina_id)) == [LoginStatus.ACTIVE, LoginStatus.DEACTIVATED]


def test_r11_any_login_deactivates_itself_now_and_is_logged_out(app, team):
    ben = ben_client(app, team)
    profile = text(ben.get("/portal/profile"))
    assert "Deactivate your login" in profile and 'href="/portal/profile/leave"' in profile
    left = ben.post("/portal/profile/leave", data={"when": "now"})
    assert left.status_code == 303
    assert login_row(team["ben"][0]).status == LoginStatus.DEACTIVATED
    assert ben.get("/portal/").status_code == 302
    again = new_client(app).post("/login", data={"member_number": A, "email": "ben@muster.example",
                                                   "password": "Lärchenwald im Abendlicht"})
    assert again.status_code == 422 and "This login cannot be used" in text(again)


def test_r11_any_login_schedules_its_last_working_day(app, team):
    ben = ben_client(app, team)
    day = clock.today_in_zurich(clock.now()) + timedelta(days=14)
    done = ben.post("/portal/profile/leave", data={"when": "date", "last_day": day.isoformat()})
    assert done.status_code == 303
    assert login_row(team["ben"][0]).last_day == day
    profile = text(ben.get("/portal/profile"))
    assert f"Your last working day: {long_date(day, 'en')}" in profile
    assert f"Ben Keller set {day:%d.%m.%Y} as their last working day." in text(ben.get("/portal/history"))


def test_r18_administrators_see_their_members_history_and_each_login_its_own(app, team):
    client = anna_client(app, team)
    ben_id = team["ben"][0]
    client.post(f"/portal/admin/logins/{ben_id}/deactivate", data={"when": "date", "last_day": "2099-12-31"})
    carla = log_in(app, B, "carla@beispiel.example", *team["carla"])
    history = text(client.get("/portal/admin/history"))
    assert "Anna Muster set 31.12.2099 as the last working day of Ben Keller." in history
    assert "Anna Muster logged in." in history
    assert "Carla Rossi" not in history  # another member's events never show
    own = text(ben_client(app, team).get("/portal/history"))
    assert "Ben Keller logged in." in own and "set 31.12.2099 as the last working day of Ben Keller" in own
    assert "Anna Muster logged in." not in own  # a colleague's own events are not Ben's
    assert "Carla Rossi logged in." in text(carla.get("/portal/admin/history"))
    assert ben_client(app, team).get("/portal/admin/history").status_code == 403


def test_r18_the_history_speaks_the_logins_language(app, team):
    with db.unit_of_work() as s:
        s.get(Login, team["anna"][0]).language = "de"
    client = anna_client(app, team)
    history = text(client.get("/portal/admin/history"))
    assert "Sicherheitsverlauf" in history and "Anna Muster hat sich angemeldet." in history


def test_csrf_protects_the_user_administration(team):
    from web import create_app

    app = create_app({"TESTING": True})
    client = log_in_with_csrf(app, team)
    refused = client.post(f"/portal/admin/logins/{team['ben'][0]}/deactivate", data={"when": "now"})
    assert refused.status_code == 400
    assert login_row(team["ben"][0]).status == LoginStatus.ACTIVE


def log_in_with_csrf(app, team):
    """The two-step login with CSRF tokens taken from the pages, as a browser would send them."""
    import re

    from admin_support import PASSWORD, next_otp

    client = new_client(app)

    def token(path: str) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get(path))).group(1)

    client.post("/login", data={"csrf_token": token("/login"), "member_number": A, "email": "anna@muster.example",
                                "password": PASSWORD})
    second = client.post("/login/second-step", data={"csrf_token": token("/login/second-step"),
                                                     "otp": next_otp(*team["anna"])})
    assert second.status_code == 303
    return client
