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
