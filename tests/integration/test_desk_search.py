"""One search field on the desk and on the power-of-attorney register, on real PostgreSQL through the pages: a case
is found by the reference the member quotes (R-…, L-…, S-…), its number, the member number, the UID or a part of a
name, in any case; wildcard and quote characters are searched as themselves. The company column shows the
register's name, and the typed one where it differs."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from staff_support import UID, create_staff, english_client, log_in, make_app, make_member, make_request
from staff_support import open_new_code_case as open_case_for_request
from trustee_support import UID_T, make_poa, make_trustee

from core import clock, db
from core.codes import codes
from core.desk import cases, support
from core.models import Case, Letter, Member, Request

OTHER_UID = "CHE-109.322.551"
ODD_NAME = "Rabatt 100%_Bau\\AG 'Nord' \"Süd\""


@pytest.fixture
def desk(pg):
    """Three members' cases: a request with a typed name that differs from the register's, a case about a member
    with an awkward name, and a support request for a number that is not in the register."""
    known = make_member("100200", name="Muster Holzbau AG")
    odd = make_member("300400", name=ODD_NAME, uid=OTHER_UID)
    request_id = make_request("100200", member_id=known, company="Muster Holzbau")
    typed = open_case_for_request(request_id, known, "the UID does not match the member register")
    with db.unit_of_work() as s:
        awkward = cases.open_case(s, kind="code_exhausted", why="100 wrong codes", now=clock.now(),
                                  member_id=odd).id
        letter = s.get_one(Letter, codes.issue_letter(s, s.get_one(Member, known), "new_code", clock.now()))
        support_reference = support.submit(s, support.SupportRequest(
            "other", "Wo bleibt unser Brief?", "Nina Sommer", "nina@sommer.ch", "de", member_number="999999",
            company="Sommer Transport GmbH"), clock.now())
    with db.unit_of_work() as s:
        request_reference = s.get_one(Request, request_id).reference
        helped = s.scalar(select(Request.id).where(Request.reference == support_reference))
        unknown = s.scalar(select(Case.id).where(Case.request_id == helped))
    app = make_app()
    client = english_client(app)
    log_in(client, create_staff("anna.muster", "Anna Muster"))
    return {"client": client, "typed": typed, "awkward": awkward, "unknown": unknown, "letter": letter.reference,
            "request": request_reference, "support": support_reference}


def _found(client, text: str) -> list[int]:
    page = client.get("/staff/", query_string={"q": text})
    assert page.status_code == 200
    return sorted(int(n) for n in re.findall(r'href="/staff/cases/(\d+)"', page.data.decode()))


def test_a_case_is_found_by_any_reference_the_member_quotes_in_any_case(desk):
    client = desk["client"]
    assert _found(client, desk["request"].lower()) == [desk["typed"]]
    assert _found(client, desk["support"].replace("-", " ")) == [desk["unknown"]]
    assert _found(client, desk["letter"].lower().replace("-", "")) == [desk["typed"]]  # the letter's member


def test_a_case_is_found_by_case_number_member_number_or_uid(desk):
    client = desk["client"]
    assert desk["awkward"] in _found(client, str(desk["awkward"]))
    assert _found(client, "100200") == [desk["typed"]]
    assert _found(client, "999999") == [desk["unknown"]]  # only the number typed in the request
    assert _found(client, UID.replace("-", "").replace(".", "").lower()) == [desk["typed"]]
    assert _found(client, OTHER_UID) == [desk["awkward"]]


def test_a_case_is_found_by_part_of_a_name_case_insensitively(desk):
    client = desk["client"]
    assert _found(client, "HOLZBAU") == [desk["typed"]]  # the register's name and the typed one
    assert _found(client, "sommer") == [desk["unknown"]]  # the typed company and the requester
    assert _found(client, "süd") == [desk["awkward"]]
    assert _found(client, "Ho") == []  # too short for a name: no list of everything


@pytest.mark.parametrize("text", ["%%%", "___", "%_%", "\\\\\\", "' OR '1'='1", '"; DROP TABLE staff_case; --'])
def test_wildcards_and_quotes_are_searched_as_themselves(desk, text):
    assert _found(desk["client"], text) == []


def test_an_awkward_name_is_found_with_its_own_characters(desk):
    client = desk["client"]
    assert _found(client, "100%_bau\\ag") == [desk["awkward"]]
    assert _found(client, "'nord'") == [desk["awkward"]]
    assert _found(client, "100%_baux") == []


def test_the_search_stays_in_the_tab_and_the_page_links(desk):
    page = html.unescape(desk["client"].get("/staff/", query_string={"q": "holzbau"}).data.decode())
    assert 'value="holzbau"' in page and "q=holzbau" in page  # the field keeps it, the tabs carry it


def test_the_company_column_shows_the_registers_name_and_the_typed_one_where_they_differ(desk):
    page = html.unescape(desk["client"].get("/staff/").data.decode())
    row_of = re.compile(r'<tr>\s*<td[^>]*><a href="/staff/cases/(\d+)">(.*?)</tr>', re.S)
    rows = {int(n): row for n, row in row_of.findall(page)}
    assert "Muster Holzbau AG" in rows[desk["typed"]] and "As given: Muster Holzbau<" in rows[desk["typed"]]
    assert "As given" not in rows[desk["awkward"]]
    assert "Sommer Transport GmbH" in rows[desk["unknown"]]
    assert "As given; not in the register" in rows[desk["unknown"]]


def test_a_support_request_for_a_number_in_the_register_shows_the_registers_name_on_the_desk(desk):
    """Sent without a login, the case is not tied to the member yet; the desk still looks the number up, as the
    case page does, instead of calling it 'not in the register'."""
    with db.unit_of_work() as s:
        reference = support.submit(s, support.SupportRequest(
            "other", "Brief?", "Max Muster", "max@muster.ch", "de", member_number="100200",
            company="Holzbau Muster"), clock.now())
        case_id = s.scalar(select(Case.id).join(Request, Request.id == Case.request_id)
                           .where(Request.reference == reference))
    page = html.unescape(desk["client"].get("/staff/").data.decode())
    row = dict(re.findall(r'<tr>\s*<td[^>]*><a href="/staff/cases/(\d+)">(.*?)</tr>', page, re.S))[str(case_id)]
    assert "Muster Holzbau AG" in row and "not in the register" not in row


def test_the_power_of_attorney_register_is_found_by_company_or_trustee_name(pg):
    member = make_member("460100", name="Muster Holzbau AG")
    other = make_member("460200", name="Bäckerei Süss GmbH", uid=OTHER_UID)
    fidu, treu = make_trustee(UID_T, "Fidu Treuhand AG"), make_trustee("CHE-100.000.012", "Zahlen & Co 50%")
    first, second = make_poa(member, fidu, ["correspondence"]), make_poa(other, treu, ["invoices"])
    client = english_client(make_app())
    log_in(client, create_staff("anna.muster", "Anna Muster"))

    def found(text: str) -> list[int]:
        page = client.get("/staff/powers-of-attorney/", query_string={"q": text})
        assert page.status_code == 200
        return sorted(int(n) for n in re.findall(r'href="/staff/powers-of-attorney/(\d+)"', page.data.decode()))

    assert found("holzbau") == [first]
    assert found("FIDU") == [first]
    assert found("süss") == [second]
    assert found("co 50%") == [second] and found("50%%") == []
    assert found("460200") == [second]
    assert found(UID_T) == [first] and found(OTHER_UID) == [second]  # the trustee's UID or the member's
    assert found("") == [first, second]
