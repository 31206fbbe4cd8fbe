"""Pure rules of the user administration: granting rights (R10), last working days (R11), keeping an
administrator (R12), masked mobile numbers and invitation links."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.domain import logins as rules
from core.domain import rights
from core.domain.deactivation import may_use
from core.domain.states import InvitationStatus, LoginStatus

ALL = rights.all_rights()
ADMIN = rights.ADMINISTRATION
TODAY = date(2026, 3, 10)


# R10: nobody grants a right they lack; only administrators manage logins


def test_r10_an_administrator_grants_any_right_they_hold():
    assert rules.granted_rights(ALL, [], ["correspondence", ADMIN]) == [ADMIN, "correspondence"]


def test_r10_the_result_follows_the_catalogue_order_and_drops_repeats():
    wanted = ["correspondence", "salary_declarations", "correspondence"]
    assert rules.granted_rights(ALL, [], wanted) == ["salary_declarations", "correspondence"]


def test_r10_nobody_grants_a_right_they_lack():
    editor = [ADMIN, "salary_declarations"]
    with pytest.raises(rules.GrantRefused) as refused:
        rules.granted_rights(editor, [], ["salary_declarations", "correspondence", "invoices_account"])
    assert str(refused.value) == ("You cannot give a right you do not hold yourself: Invoices and account, "
                                  "Correspondence.")


def test_r10_a_right_outside_the_catalogue_is_refused():
    with pytest.raises(rules.GrantRefused, match="from the list only"):
        rules.granted_rights(ALL, [], ["salary_declarations", "is_admin"])


def test_r10_only_administrators_manage_logins():
    with pytest.raises(rules.GrantRefused, match="Only administrators"):
        rules.granted_rights(["salary_declarations"], [], ["salary_declarations"])


def test_r10_a_right_the_editor_lacks_stays_as_it_was():
    editor = [ADMIN, "salary_declarations"]
    before = ["salary_declarations", "correspondence"]
    # Not sent back (the page shows it disabled): kept, not taken away.
    assert rules.granted_rights(editor, before, []) == ["correspondence"]
    # Sent back: kept as well, it is no new grant.
    assert rules.granted_rights(editor, before, ["correspondence"]) == ["correspondence"]


def test_r10_an_administrator_may_take_away_a_right_they_hold():
    assert rules.granted_rights(ALL, ALL, [ADMIN]) == [ADMIN]


# R11: the last working day


def test_r11_the_last_working_day_is_today_or_later():
    assert rules.last_day_problem(TODAY, TODAY) is None
    assert rules.last_day_problem(TODAY + timedelta(days=30), TODAY) is None
    assert rules.last_day_problem(TODAY - timedelta(days=1), TODAY) == rules.DAY_IN_THE_PAST


@pytest.mark.parametrize("at, usable", [
    (datetime(2026, 3, 10, 22, 59, 59, tzinfo=UTC), True),   # 23:59:59 in Zurich (CET, UTC+1)
    (datetime(2026, 3, 10, 23, 0, 0, tzinfo=UTC), False),   # midnight in Zurich
])
def test_r11_a_login_works_to_the_end_of_its_last_day_in_zurich(at, usable):
    assert may_use(LoginStatus.ACTIVE, TODAY, at) is usable


def test_r11_summer_time_midnight_is_at_22_utc():
    last_day = date(2026, 7, 1)
    assert may_use(LoginStatus.ACTIVE, last_day, datetime(2026, 7, 1, 21, 59, 59, tzinfo=UTC))
    assert not may_use(LoginStatus.ACTIVE, last_day, datetime(2026, 7, 1, 22, 0, tzinfo=UTC))


def test_r11_standing_of_a_login_past_its_last_day_is_deactivated_before_the_sweep():
    assert rules.standing(LoginStatus.ACTIVE, TODAY - timedelta(days=1), TODAY) == rules.Standing.DEACTIVATED
    assert rules.standing(LoginStatus.ACTIVE, TODAY, TODAY) == rules.Standing.ENDING
    assert rules.standing(LoginStatus.ACTIVE, None, TODAY) == rules.Standing.ACTIVE
    assert rules.standing(LoginStatus.PENDING, None, TODAY) == rules.Standing.INVITED
    assert rules.standing(LoginStatus.DEACTIVATED, None, TODAY) == rules.Standing.DEACTIVATED


# R12: the last active administrator


def admin(login_id: int, last_day: date | None = None, status: str = LoginStatus.ACTIVE) -> rules.Colleague:
    return rules.Colleague(login_id, status, (ADMIN, "correspondence"), last_day)


def clerk(login_id: int) -> rules.Colleague:
    return rules.Colleague(login_id, LoginStatus.ACTIVE, ("correspondence",), None)


NOW = rules.administration_ends(TODAY, None)


def test_r12_leaving_now_ends_administration_yesterday():
    assert TODAY - timedelta(days=1) == NOW
    assert rules.administration_ends(TODAY, TODAY) == TODAY


def test_r12_the_only_administrator_cannot_leave_now_or_later():
    team = [admin(1), clerk(2)]
    assert rules.leaves_no_administrator(team, 1, NOW)
    assert rules.leaves_no_administrator(team, 1, TODAY + timedelta(days=60))


def test_r12_another_active_administrator_lets_one_leave():
    team = [admin(1), admin(2)]
    assert not rules.leaves_no_administrator(team, 1, NOW)
    assert not rules.leaves_no_administrator(team, 1, TODAY + timedelta(days=60))


def test_r12_a_successor_still_invited_or_deactivated_does_not_count():
    assert rules.leaves_no_administrator([admin(1), admin(2, status=LoginStatus.PENDING)], 1, NOW)
    assert rules.leaves_no_administrator([admin(1), admin(2, status=LoginStatus.DEACTIVATED)], 1, NOW)


@pytest.mark.parametrize("their_last_day", [TODAY, TODAY + timedelta(days=10), TODAY + timedelta(days=20),
                                            TODAY + timedelta(days=400)])
def test_r12_an_administrator_with_a_last_day_of_their_own_does_not_count(their_last_day):
    """Whatever the dates, once both have gone nobody is left: only an administrator who stays on counts."""
    for leaving_on in (NOW, TODAY + timedelta(days=20)):
        assert rules.leaves_no_administrator([admin(1), admin(2, their_last_day)], 1, leaving_on)


def test_r12_the_only_administrator_may_move_their_last_day_later_but_not_earlier():
    team = [admin(1, TODAY + timedelta(days=10)), admin(2, TODAY + timedelta(days=30))]
    assert not rules.leaves_no_administrator(team, 1, TODAY + timedelta(days=15))
    assert not rules.leaves_no_administrator(team, 1, TODAY + timedelta(days=10))
    assert rules.leaves_no_administrator(team, 1, TODAY + timedelta(days=5))
    assert rules.leaves_no_administrator(team, 1, NOW)


def test_r12_logins_without_administration_never_count():
    assert rules.leaves_no_administrator([admin(1), clerk(2), clerk(3)], 1, NOW)


def test_r12_is_active_administrator():
    assert rules.is_active_administrator(admin(1), TODAY)
    assert rules.is_active_administrator(admin(1, TODAY), TODAY)
    assert not rules.is_active_administrator(admin(1, TODAY - timedelta(days=1)), TODAY)
    assert not rules.is_active_administrator(clerk(1), TODAY)


# Shown on pages


@pytest.mark.parametrize("e164, shown", [
    ("+41791234567", "+41 79 *** ** 67"),
    ("+41761112233", "+41 76 *** ** 33"),
    ("+4915123456789", "+49 1512 *****89"),
])
def test_mobile_numbers_are_masked_to_the_last_two_digits(e164, shown):
    assert rules.masked_mobile(e164) == shown


def test_invitation_links_are_random_and_kept_as_a_hash():
    first, second = rules.new_invitation_token(), rules.new_invitation_token()
    assert first != second and len(first) >= 43  # 256 bits
    assert rules.invitation_token_hash(first) == rules.invitation_token_hash(first)
    assert first not in rules.invitation_token_hash(first) and len(rules.invitation_token_hash(first)) == 64


def test_invitation_links_work_for_72_hours():
    sent = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    expires = sent + rules.INVITATION_VALID_FOR
    assert rules.invitation_open(InvitationStatus.PENDING, expires, sent + timedelta(hours=71, minutes=59))
    assert not rules.invitation_open(InvitationStatus.PENDING, expires, sent + timedelta(hours=72))
    assert not rules.invitation_open(InvitationStatus.USED, expires, sent)
    assert not rules.invitation_open(InvitationStatus.REPLACED, expires, sent)
