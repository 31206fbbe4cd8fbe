import pytest

from core.domain.addresses import InvalidAddress, PostalAddress, check_language, check_swiss
from core.domain.identifiers import InvalidIdentifier, normalise_ahv, normalise_member_number, normalise_uid


def test_r19_uid_check_digit():
    assert normalise_uid("CHE-100.155.212") == "CHE-100.155.212"
    assert normalise_uid("che100155212") == "CHE-100.155.212"
    with pytest.raises(InvalidIdentifier, match="CHE-123.456.789"):
        normalise_uid("CHE-123.456.789")


def test_r19_ahv_number_ean13():
    assert normalise_ahv("756.9217.0769.85") == "756.9217.0769.85"
    with pytest.raises(InvalidIdentifier):
        normalise_ahv("756.9217.0769.84")


def test_r19_member_number_is_opaque_up_to_20_characters():
    assert normalise_member_number(" A-17/2026 ") == "A-17/2026"
    with pytest.raises(InvalidIdentifier):
        normalise_member_number("x" * 21)
    with pytest.raises(InvalidIdentifier):
        normalise_member_number("  ")


def test_r6_address_lines_have_no_blank_lines_and_end_with_postcode_town():
    address = PostalAddress("Muster AG", "", "", "Postfach", "3000", "Bern 8")
    assert address.lines() == ["Muster AG", "Postfach", "3000 Bern 8"]


def test_r6_address_with_care_of_street_and_po_box():
    address = PostalAddress("Ticino SA", "c/o Studio Rossi", "Via Nassa 5", "Casella postale", "6900", "Lugano")
    assert len(address.lines()) == 5


@pytest.mark.parametrize(
    ("address", "message"),
    [
        (PostalAddress("A AG", street="X 1", postcode="300", town="Bern"), "4-digit"),
        (PostalAddress("A AG", street="X 1", postcode="30000", town="Bern"), "4-digit"),
        (PostalAddress("A AG", street="X 1", postcode="", town="Bern"), "postcode is missing"),
        (PostalAddress("A AG", street="X 1", postcode="3000", town=""), "town is missing"),
        (PostalAddress("A AG", postcode="3000", town="Bern"), "street or PO box"),
    ],
)
def test_r6_swiss_address_rules(address, message):
    with pytest.raises(InvalidAddress, match=message):
        check_swiss(address)


def test_r6_languages():
    assert check_language("FR") == "fr"
    with pytest.raises(InvalidAddress):
        check_language("rm")
