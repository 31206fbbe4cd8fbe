"""R9 and the per-IP limits: one client is counted under one spelling of its address, whatever a proxy wrote."""

import pytest

from core.domain.client_addresses import counted_address


@pytest.mark.parametrize(("written", "counted"), [
    ("203.0.113.9", "203.0.113.9"),
    (" 203.0.113.9 ", "203.0.113.9"),
    ("203.0.113.9:40000", "203.0.113.9"),  # some load balancers append the client's port
    ("::ffff:203.0.113.9", "203.0.113.9"),
    ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2::d", "2001:db8:1:2::/64"),  # the next address of the same /64 is the same client
    ("2001:DB8:1:2:0:0:0:1", "2001:db8:1:2::/64"),
    ("2001:0db8:0001:0002::1", "2001:db8:1:2::/64"),
    ("[2001:db8:1:2::1]", "2001:db8:1:2::/64"),
    ("[2001:db8:1:2::1]:443", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
])
def test_r9_each_spelling_of_an_address_counts_once(written, counted):
    assert counted_address(written) == counted


@pytest.mark.parametrize("written", [None, "", "garbage1", "*", "01.2.3.4", "1.2.3.4.5", "Zürich", "1.2.3.4 5.6.7.8",
                                     "[::1", "256.1.1.1"])
def test_r9_text_that_is_no_address_is_not_counted_as_one(written):
    assert counted_address(written) is None
