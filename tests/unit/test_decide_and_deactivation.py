from datetime import UTC, date, datetime

from core.domain.deactivation import may_use, refused_from
from core.domain.requests import Facts, Outcome, decide_new_code
from core.domain.states import LoginStatus


def test_r5_no_active_administrator_and_match_issues_a_code():
    assert decide_new_code(Facts(True, True, 0)).outcome is Outcome.ISSUE_CODE


def test_r5_active_administrator_is_told_instead():
    assert decide_new_code(Facts(True, True, 1)).outcome is Outcome.TELL_ADMINISTRATORS


def test_r5_active_administrator_who_cannot_help_goes_to_staff():
    assert decide_new_code(Facts(True, True, 1, administrators_cannot_help=True)).outcome is Outcome.STAFF_CASE


def test_r5_doubtful_requests_go_to_staff():
    assert decide_new_code(Facts(False, False, 0)).outcome is Outcome.STAFF_CASE
    assert decide_new_code(Facts(True, False, 0)).outcome is Outcome.STAFF_CASE
    assert decide_new_code(Facts(True, True, 0, exhausted=True)).outcome is Outcome.STAFF_CASE


def test_r11_login_works_until_midnight_zurich_of_last_day():
    last_day = date(2026, 11, 30)
    assert refused_from(last_day).astimezone(UTC) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert may_use(LoginStatus.ACTIVE, last_day, datetime(2026, 11, 30, 22, 59, 59, tzinfo=UTC))
    assert not may_use(LoginStatus.ACTIVE, last_day, datetime(2026, 11, 30, 23, 0, tzinfo=UTC))
    assert not may_use(LoginStatus.PENDING, None, datetime(2026, 11, 30, tzinfo=UTC))
