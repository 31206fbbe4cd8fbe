from datetime import UTC, date, datetime, timedelta

import pytest

from core.domain import mandates as rules

ZURICH = rules.ZURICH


def poa(valid_from: date = date(2026, 1, 1), valid_until: date | None = date(2026, 6, 30),
        revoked_at: datetime | None = None, scope: tuple[str, ...] = ("salary_declarations",)
        ) -> rules.PowerOfAttorneyState:
    return rules.PowerOfAttorneyState(valid_from, valid_until, revoked_at, frozenset(scope))


def zurich(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZURICH)


def test_r14_power_starts_at_midnight_zurich_of_its_first_day():
    assert not rules.is_current(poa(), zurich(2025, 12, 31, 23, 59, 59))
    assert rules.is_current(poa(), zurich(2026, 1, 1, 0, 0))
    # 23:30 UTC on 31 December is already 1 January in Zurich (CET, UTC+1)
    assert rules.is_current(poa(), datetime(2025, 12, 31, 23, 30, tzinfo=UTC))


def test_r14_power_covers_its_whole_last_day_zurich_time_in_summer():
    assert rules.is_current(poa(), zurich(2026, 6, 30, 23, 59, 59))
    assert not rules.is_current(poa(), zurich(2026, 7, 1, 0, 0))
    # CEST is UTC+2: 22:00 UTC on 30 June is already 1 July in Zurich
    assert rules.is_current(poa(), datetime(2026, 6, 30, 21, 59, tzinfo=UTC))
    assert not rules.is_current(poa(), datetime(2026, 6, 30, 22, 0, tzinfo=UTC))


def test_r14_open_ended_power_is_current_until_revoked():
    open_ended = poa(valid_until=None)
    assert rules.is_current(open_ended, zurich(2040, 1, 1, 12))
    revoked = poa(valid_until=None, revoked_at=zurich(2026, 3, 3, 10, 15))
    assert rules.is_current(revoked, zurich(2026, 3, 3, 10, 14, 59))
    assert not rules.is_current(revoked, zurich(2026, 3, 3, 10, 15))


def test_r14_one_day_power_covers_exactly_that_day():
    day = poa(date(2026, 3, 29), date(2026, 3, 29))  # the day clocks go forward: 23 hours long
    assert not rules.is_current(day, zurich(2026, 3, 28, 23, 59))
    assert rules.is_current(day, zurich(2026, 3, 29, 12))
    assert not rules.is_current(day, zurich(2026, 3, 30, 0, 0))


def test_r14_way_b_rights_are_the_mandate_within_current_scopes():
    mandate = rules.MandateState(frozenset({"salary_declarations", "invoices_account", "administration"}),
                                 rules.BY_FUND_CODE)
    now = zurich(2026, 2, 1, 9)
    assert rules.effective_rights(mandate, [["salary_declarations"], ["invoices_account", "correspondence"]], now) \
        == {"salary_declarations", "invoices_account"}
    assert rules.effective_rights(mandate, [], now) == frozenset()
    empty = rules.MandateState(frozenset(), rules.BY_FUND_CODE)
    assert rules.effective_rights(empty, [["salary_declarations"]], now) == frozenset()


def test_r14_way_a_rights_do_not_wait_for_a_power_of_attorney():
    mandate = rules.MandateState(frozenset({"salary_declarations", "correspondence"}), rules.GRANTED)
    now = zurich(2026, 2, 1, 9)
    assert rules.effective_rights(mandate, [], now) == {"salary_declarations", "correspondence"}
    assert rules.effective_rights(mandate, [["salary_declarations"]], now) == {"salary_declarations",
                                                                                "correspondence"}


def test_r13_an_access_end_date_works_to_midnight_zurich_of_that_day():
    mandate = rules.MandateState(frozenset({"correspondence"}), rules.GRANTED, date(2026, 3, 31))
    assert rules.effective_rights(mandate, [], zurich(2026, 3, 31, 23, 59)) == {"correspondence"}
    assert rules.effective_rights(mandate, [], zurich(2026, 4, 1, 0, 0)) == frozenset()
    assert rules.access_end_problem(date(2026, 3, 30), date(2026, 3, 31)) == rules.ACCESS_END_PAST
    assert rules.access_end_problem(date(2026, 3, 31), date(2026, 3, 31)) is None


def test_r14_verdict_yes_names_the_scope_and_the_powers():
    now = zurich(2026, 2, 1, 9)
    result = rules.verdict([(7, poa(scope=("invoices_account", "salary_declarations")))], now)
    assert result.allowed and result.poa_ids == (7,)
    assert result.text() == "A current power of attorney covers: Salary declarations, Invoices and account."


@pytest.mark.parametrize(("power", "reason"), [
    (poa(valid_from=date(2026, 3, 1)), "The power of attorney starts on 2026-03-01."),
    (poa(valid_until=date(2026, 1, 31)), "The power of attorney ended on 2026-01-31."),
    (poa(revoked_at=zurich(2026, 1, 20, 23, 30)), "The power of attorney was revoked on 2026-01-20."),
])
def test_r14_verdict_no_says_why(power, reason):
    result = rules.verdict([(3, power)], zurich(2026, 2, 1, 9))
    assert not result.allowed
    assert result.text() == reason and result.poa_ids == (3,)


def test_r14_verdict_no_without_any_power():
    result = rules.verdict([], zurich(2026, 2, 1, 9))
    assert not result.allowed and result.reason == rules.NO_POA and result.poa_ids == ()


def test_r14_new_power_ending_before_it_starts_is_refused():
    with pytest.raises(rules.InvalidPowerOfAttorney) as refused:
        rules.check_new(rules.NewPowerOfAttorney(date(2026, 5, 1), date(2026, 4, 30), date(2026, 4, 1),
                                                 ("salary_declarations",)), date(2026, 4, 2))
    assert refused.value.field == "valid_until"
    assert "end date" in refused.value.message


@pytest.mark.parametrize(("scope", "received", "field"), [
    ((), date(2026, 4, 1), "scope"),
    (("flying",), date(2026, 4, 1), "scope"),
    (("salary_declarations",), date(2026, 4, 3), "received_on"),
])
def test_r14_new_power_bad_scope_or_received_date_is_refused(scope, received, field):
    with pytest.raises(rules.InvalidPowerOfAttorney) as refused:
        rules.check_new(rules.NewPowerOfAttorney(date(2026, 5, 1), None, received, scope), date(2026, 4, 2))
    assert refused.value.field == field


def test_r14_new_power_scope_is_put_in_catalogue_order():
    checked = rules.check_new(rules.NewPowerOfAttorney(date(2026, 5, 1), date(2026, 5, 1), date(2026, 4, 1),
                                                       ("correspondence", "salary_declarations")), date(2026, 4, 2))
    assert checked.scope == ("salary_declarations", "correspondence")


def test_r14_reminder_due_thirty_days_before_the_last_day_only_while_current():
    ends = poa(valid_until=date(2026, 6, 30))
    assert not rules.due_for_reminder(ends, zurich(2026, 5, 30, 23, 59))
    assert rules.due_for_reminder(ends, zurich(2026, 5, 31, 0, 0))
    assert not rules.due_for_reminder(poa(valid_until=None), zurich(2026, 5, 31))
    revoked = poa(revoked_at=zurich(2026, 5, 1))
    assert not rules.due_for_reminder(revoked, zurich(2026, 6, 1))
    assert not rules.due_for_reminder(ends, zurich(2026, 6, 30) + timedelta(days=1))
