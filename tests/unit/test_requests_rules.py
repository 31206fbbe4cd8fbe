"""R5: a new code only when no administrator can help and the identity matches; doubt goes to a person."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.domain import requests as r
from core.domain.requests import Facts, Outcome, decide_new_code
from web import i18n

ROOT = Path(__file__).resolve().parents[2]


def outcome(**facts: object) -> Outcome:
    base = {"member_known": True, "uid_matches": True, "active_administrators": 0}
    return decide_new_code(Facts(**{**base, **facts})).outcome  # type: ignore[arg-type]


def test_r5_no_active_administrator_and_identity_matches_issues_a_code():
    assert outcome() is Outcome.ISSUE_CODE


@pytest.mark.parametrize("count", [1, 3])
def test_r5_active_administrators_are_told_and_no_code_is_issued(count):
    assert outcome(active_administrators=count) is Outcome.TELL_ADMINISTRATORS


def test_r5_administrators_who_cannot_help_send_the_request_to_staff():
    assert outcome(active_administrators=1, administrators_cannot_help=True) is Outcome.STAFF_CASE


def test_r5_saying_administrators_cannot_help_without_any_administrator_still_issues_a_code():
    assert outcome(administrators_cannot_help=True) is Outcome.ISSUE_CODE


def test_r5_unknown_member_goes_to_staff_whatever_else_is_said():
    assert outcome(member_known=False, uid_matches=False) is Outcome.STAFF_CASE
    assert outcome(member_known=False, uid_matches=False, active_administrators=2) is Outcome.STAFF_CASE


def test_r5_uid_mismatch_goes_to_staff_even_with_administrators():
    assert outcome(uid_matches=False) is Outcome.STAFF_CASE
    assert outcome(uid_matches=False, active_administrators=1) is Outcome.STAFF_CASE


def test_r3_member_whose_code_entry_is_exhausted_goes_to_staff():
    assert outcome(exhausted=True) is Outcome.STAFF_CASE


def test_r5_each_staff_case_says_why():
    whys = {decide_new_code(Facts(False, False, 0)).why, decide_new_code(Facts(True, False, 0)).why,
            decide_new_code(Facts(True, True, 0, exhausted=True)).why,
            decide_new_code(Facts(True, True, 1, administrators_cannot_help=True)).why}
    assert len(whys) == 4 and all(whys)


# --- every visible text of the intake pages exists in German, French and Italian ------------------------------

def intake_texts() -> set[str]:
    texts: set[str] = set()
    for template in (ROOT / "templates" / "web" / "public").glob("new_code*.html"):
        texts |= set(re.findall(r'_\("([^"]+)"\)', template.read_text(encoding="utf-8")))
    source = (ROOT / "web" / "public" / "intake.py").read_text(encoding="utf-8")
    texts |= set(re.findall(r'Field\((?:N_\()?"([^"]+)"', source))
    texts |= set(re.findall(r'translate\("([^"]+)"\)', source))
    texts |= set(r.MISSING.values()) | set(r.TOO_LONG.values())
    texts |= {r.NOT_TEXT, r.CONTROL_CHARACTERS, r.BAD_UID, r.BAD_EMAIL, r.BAD_PHONE, r.BAD_FLAG, r.BAD_LANGUAGE}
    return texts


@pytest.mark.parametrize("lang", ["de", "fr", "it"])
def test_every_intake_text_is_translated(lang):
    catalogue = i18n.catalogue(lang)
    texts = intake_texts()
    assert len(texts) > 50
    assert sorted(texts - set(catalogue)) == []
    assert all(catalogue[text].strip() and catalogue[text] != text for text in texts - {"No"})


@pytest.mark.parametrize("name", ["new_code_request_received", "new_code_request_admins"])
def test_every_intake_mail_exists_in_four_languages(name):
    from core import mail

    context = {"reference": "REF-7Q2X", "requester_name": "Anna Muster", "administrator_name": "Beat Admin",
               "requester_role": "HR", "company_name": "Muster AG", "member_number": "M-1", "received_on": "1.3."}
    bodies = {}
    for lang in ("de", "fr", "it", "en"):
        subject, bodies[lang] = mail.render(name, lang, context)
        assert subject.strip() and "REF-7Q2X" in bodies[lang]
    assert len(set(bodies.values())) == 4  # each in its own language, none falling back to the English source


def test_r21_a_letter_in_the_post_sends_the_next_request_to_staff_not_a_second_letter():
    from core.domain.requests import LETTER_IN_POST, Decision, Facts, Outcome, decide_new_code

    waiting = Facts(member_known=True, uid_matches=True, active_administrators=0, letter_in_post=True)
    assert decide_new_code(waiting) == Decision(Outcome.STAFF_CASE, LETTER_IN_POST)
    told = Facts(member_known=True, uid_matches=True, active_administrators=1, letter_in_post=True)
    assert decide_new_code(told).outcome is Outcome.TELL_ADMINISTRATORS
    free = Facts(member_known=True, uid_matches=True, active_administrators=0)
    assert decide_new_code(free).outcome is Outcome.ISSUE_CODE
