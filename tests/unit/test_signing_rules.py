"""R16: one complete signing combination, valid on the letter's date (core.domain.signing)."""

from __future__ import annotations

from datetime import date

import pytest

from core.domain.signing import Signer, check

LETTER = date(2026, 3, 10)


def signer(id: int, name: str, authority: str, valid_from: date | None = None,
           valid_until: date | None = None) -> Signer:
    return Signer(id, name, authority, valid_from, valid_until)


def test_r16_sole_signatory_alone_completes():
    verdict = check([signer(1, "Anna Muster", "sole")], LETTER)
    assert verdict.complete and verdict.combination == (1,)
    assert verdict.explain() == "Anna Muster signs alone (sole signature)."


def test_r16_two_collective_signatories_complete_together():
    verdict = check([signer(1, "Anna Muster", "collective_two"), signer(2, "Beat Keller", "collective_two")], LETTER)
    assert verdict.complete and verdict.combination == (1, 2)
    assert "Anna Muster and Beat Keller sign together" in verdict.explain()


def test_r16_joint_signatory_alone_does_not_complete_and_says_why():
    verdict = check([signer(1, "Anna Muster", "collective_two")], LETTER)
    assert not verdict.complete
    assert verdict.explain() == ("Anna Muster signs only together with a second authorised signatory, and no second "
                                 "valid signatory is chosen.")


def test_r16_expired_authority_does_not_count():
    verdict = check([signer(1, "Anna Muster", "sole", valid_until=date(2026, 3, 9))], LETTER)
    assert not verdict.complete
    assert verdict.explain() == "Anna Muster's signing authority ended on 09.03.2026, before the letter's date."


def test_r16_sole_procuration_holder_signs_alone_within_the_procuration():
    """Reading of Art. 459 OR: naming who uses the fund's portal is an act of running the business."""
    verdict = check([signer(1, "Carla Rossi", "sole_procuration")], LETTER)
    assert verdict.complete
    assert verdict.explain() == "Carla Rossi signs alone (sole procuration)."


def test_r16_collective_procuration_holder_needs_a_second_signatory():
    assert not check([signer(1, "Carla Rossi", "collective_procuration")], LETTER).complete
    verdict = check([signer(1, "Carla Rossi", "collective_procuration"), signer(2, "Beat Keller", "collective_two")],
                    LETTER)
    assert verdict.complete and verdict.combination == (1, 2)


def test_r16_person_without_signing_authority_never_signs():
    verdict = check([signer(1, "Dora Frei", "none")], LETTER)
    assert not verdict.complete
    assert verdict.explain() == "Dora Frei has no signing authority in the commercial register."


def test_r16_joint_signatory_with_a_person_without_authority_fails_naming_both():
    verdict = check([signer(1, "Anna Muster", "collective_two"), signer(2, "Dora Frei", "none")], LETTER)
    assert not verdict.complete
    text = verdict.explain()
    assert "Anna Muster signs only together" in text and "Dora Frei has no signing authority" in text


@pytest.mark.parametrize(("valid_from", "valid_until", "complete"), [
    (LETTER, None, True),  # first valid day is the letter's date: counts
    (None, LETTER, True),  # last valid day is the letter's date: counts
    (date(2026, 3, 11), None, False),  # begins the day after the letter
    (None, date(2026, 3, 9), False),  # ended the day before
    (None, None, True),  # no limits recorded
])
def test_r16_validity_dates_are_inclusive(valid_from, valid_until, complete):
    assert check([signer(1, "Anna Muster", "sole", valid_from, valid_until)], LETTER).complete is complete


def test_r16_authority_starting_after_the_letter_names_the_day():
    verdict = check([signer(1, "Anna Muster", "sole", valid_from=date(2026, 4, 1))], LETTER)
    assert verdict.explain() == "Anna Muster may sign only from 01.04.2026, after the letter's date."


def test_r16_the_same_person_twice_is_not_two_signatures():
    verdict = check([signer(1, "Anna Muster", "collective_two"), signer(2, " anna  MUSTER", "collective_two")],
                    LETTER)
    assert not verdict.complete
    assert "chosen twice" in verdict.explain()


def test_r16_one_expired_joint_signatory_leaves_the_other_alone():
    verdict = check([signer(1, "Anna Muster", "collective_two"),
                     signer(2, "Beat Keller", "collective_two", valid_until=date(2025, 12, 31))], LETTER)
    assert not verdict.complete
    assert "Beat Keller's signing authority ended on 31.12.2025" in verdict.explain()


def test_r16_a_valid_sole_signatory_completes_and_others_are_noted():
    verdict = check([signer(1, "Dora Frei", "none"), signer(2, "Anna Muster", "sole")], LETTER)
    assert verdict.complete and verdict.combination == (2,)
    assert "Dora Frei has no signing authority" in verdict.explain()


def test_r16_nobody_chosen_is_refused():
    verdict = check([], LETTER)
    assert not verdict.complete and "nobody is chosen" in verdict.explain()
