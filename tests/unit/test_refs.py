"""Public references: as printed, as typed by staff and as typed by a barcode scanner, they name the same letter."""

from __future__ import annotations

import pytest

from core import refs


@pytest.mark.parametrize("typed", ["L-AB12-CD34", "l-ab12-cd34", "L-AB12-CD34\r\n", "\tL-AB12-CD34",
                                   "  l-ab12-cd34 ", "LAB12CD34", "l ab12 cd34"])
def test_a_reference_as_typed_or_scanned_is_the_printed_one(typed):
    assert refs.normalise(typed) == "L-AB12-CD34"


def test_a_new_reference_is_in_its_printed_form():
    reference = refs.new("L")
    assert refs.looks_like_one(reference) and refs.normalise(reference) == reference


def test_new_references_use_the_whole_alphabet_in_every_place():
    """One random number cut into 5-bit characters: each place takes all 32 characters, none stuck at one value."""
    from core.domain.codes import ALPHABET

    bodies = [refs.new("R").replace("-", "")[1:] for _ in range(3000)]
    for place in range(8):
        assert {body[place] for body in bodies} == set(ALPHABET)
    assert len(set(bodies)) == len(bodies)
