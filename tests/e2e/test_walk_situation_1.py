"""Situation 1 walked as people do, in French on a 375 px phone (and Italian for the successor): the member joins
the register and gets the invitation letter (R20); the person who opens it reads the link and the code from the
letter's PDF, registers, scans the authenticator QR code (R7, R8) and logs in; as administrator she registers her
successor with the administration right (R10); he enrols from the invitation e-mail and the SMS code; then she
schedules her own last working day (R11, R12) and sees the day and how to undo it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from core import clock, config, db
from core.domain.states import LetterStatus, LoginStatus
from core.models import Letter, Login, Member
from letters.dates import long_date
from tests.e2e.conftest import poll
from tests.e2e.person import body, code_in, letter_text, link_in, mails_to, sms_to, totp_from_qr
from web.i18n import translate

NUMBER = "310001"
REGISTER = ("member_number,uid,name,care_of,street,po_box,postcode,town,language,email\n"
            f"{NUMBER},CHE-100.155.212,Horlogerie Dubois SA,,Rue du Marché 4,,1003,Lausanne,fr,\n")
CLAIRE = ("Claire Dubois", "claire@dubois.example", "079 321 54 76", "Lac-Léman-Horizon-71")
LUCA = ("Luca Rossi", "luca@dubois.example", "+41 76 555 44 33", "Ticino-Sentiero-Faro-38")
PHONE = {"width": 375, "height": 740}


def fr(text: str) -> str:
    return translate(text, "fr")


def it(text: str) -> str:
    return translate(text, "it")


def _invitation_letter() -> Letter | None:
    with db.unit_of_work() as s:
        return s.scalar(select(Letter).join(Member).where(Member.member_number == NUMBER, Letter.kind == "invitation",
                                                          Letter.status == LetterStatus.RENDERED))


def _no_sideways_scrolling(page) -> None:
    page.wait_for_load_state()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def _log_in(page, base: str, person: tuple[str, str, str, str], totp, steps_ahead: int) -> None:
    page.goto(f"{base}/login")
    page.fill("#member_number", NUMBER)
    page.fill("#email", person[1])
    page.fill("#password", person[3])
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/login/second-step"))
    # R8: a step already accepted is refused; the next one is inside the ±1 window.
    page.fill("#otp", totp.at(clock.now() + timedelta(seconds=30 * steps_ahead)))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/"))


def test_situation_1_first_administrator_registers_her_successor_and_schedules_her_last_day(
        pg, tmp_path: Path, web_server, worker_process, browser):
    register = tmp_path / "members.csv"
    register.write_text(REGISTER, encoding="utf-8")
    from core.cli import main

    imported = CliRunner().invoke(main, ["members", "import", str(register)])
    assert imported.exit_code == 0, imported.output

    # The letter, as the member reads it: French, to the address on file, with the link and the code.
    letter = poll(_invitation_letter, 90, "the worker to render the invitation letter (R20)")
    text = letter_text(letter.pdf_path)
    assert "Horlogerie Dubois SA" in text and "1003 Lausanne" in text
    assert "Invitation à connect" in text
    link, code = link_in(text[text.index("Inscription"):]), code_in(text)
    assert link.startswith(web_server), f"the letter links to {link}, not to the running site {web_server}"

    claire = browser.new_context(locale="fr-CH", viewport=PHONE).new_page()
    claire.goto(link)
    assert claire.evaluate("document.documentElement.lang") == "fr"
    _no_sideways_scrolling(claire)
    claire.fill("#member_number", NUMBER)
    claire.fill("#code", code.lower())  # R2: read case-insensitively
    claire.get_by_role("button", name=fr("Continue")).click()
    claire.fill("#name", CLAIRE[0])
    claire.fill("#email", CLAIRE[1])
    claire.fill("#mobile", CLAIRE[2])
    claire.fill("#password", CLAIRE[3])
    claire.fill("#confirm", CLAIRE[3])
    claire.get_by_role("button", name=fr("Continue")).click()
    _no_sideways_scrolling(claire)
    claire_totp = totp_from_qr(claire)
    claire.fill("#otp", claire_totp.now())
    claire.get_by_role("button", name=fr("Create my login")).click()
    claire.wait_for_url(re.compile(r"/register/done"))

    _log_in(claire, web_server, CLAIRE, claire_totp, steps_ahead=1)
    _no_sideways_scrolling(claire)
    assert "Horlogerie Dubois SA" in claire.inner_text("body")

    # Her successor, with the administration right (Situation 1, R10), speaks Italian.
    claire.get_by_role("link", name=fr("User administration"), exact=True).click()
    _no_sideways_scrolling(claire)
    claire.get_by_role("link", name=fr("New login"), exact=True).click()
    claire.fill("#name", LUCA[0])
    claire.fill("#email", LUCA[1])
    claire.fill("#mobile", LUCA[2])
    claire.select_option("#language", "it")
    claire.check("#rights-administration")
    claire.get_by_role("button", name=fr("Create the login and send the invitation")).click()
    claire.wait_for_selector(f"text={LUCA[0]}")
    _no_sideways_scrolling(claire)

    mail = poll(lambda: (mails_to(config.get().mail_dir, LUCA[1]) or [None])[-1], 60, "the invitation e-mail")
    invitation_link = re.search(r"https?://\S+/invitation/\S+", body(mail)).group(0)
    assert invitation_link.startswith(web_server)
    luca = browser.new_context(locale="it-CH").new_page()
    luca.goto(invitation_link)
    luca.wait_for_url(re.compile(r"/invitation$"))
    assert luca.evaluate("document.documentElement.lang") == "it"
    luca.get_by_role("button", name=it("Send me a code by SMS")).click()
    sms_code = poll(lambda: sms_to("+41765554433"), 60, "the worker to send the SMS code")
    luca.fill("#code", sms_code)
    luca.get_by_role("button", name=it("Continue")).click()
    luca.wait_for_url(re.compile(r"/invitation/password"))
    luca.fill("#password", LUCA[3])
    luca.fill("#confirm", LUCA[3])
    luca.get_by_role("button", name=it("Continue")).click()
    luca.wait_for_url(re.compile(r"/invitation/authenticator"))
    luca.fill("#otp", totp_from_qr(luca).now())
    luca.get_by_role("button", name=it("Activate my login")).click()
    luca.wait_for_url(re.compile(r"/invitation/done"))
    with db.unit_of_work() as s:
        successor = s.scalar(select(Login).where(Login.email == LUCA[1]))
        assert successor.status == LoginStatus.ACTIVE and "administration" in successor.rights

    # Claire leaves on her last working day, a week from now (R11); with a successor in place R12 allows it.
    last_day = clock.today_in_zurich(clock.now()) + timedelta(days=7)
    claire.goto(f"{web_server}/portal/profile")
    claire.get_by_role("link", name=fr("Deactivate your login")).click()
    _no_sideways_scrolling(claire)
    claire.check("#when-date")
    claire.fill("#last_day", last_day.isoformat())  # the date picker sends the day in ISO form
    claire.get_by_role("button", name=fr("Deactivate my login")).click()
    written = long_date(last_day, "fr")  # "14 décembre 2026", as a French reader writes it
    claire.wait_for_selector(f"text={written}")
    with db.unit_of_work() as s:
        assert s.scalar(select(Login.last_day).where(Login.email == CLAIRE[1])) == last_day
    claire.goto(f"{web_server}/portal/profile")
    notice = claire.inner_text("#last-working-day")
    assert written in notice, "the profile shows the scheduled last working day"
    assert long_date(last_day + timedelta(days=1), "fr") in notice  # refused from the next midnight (R11)
    _no_sideways_scrolling(claire)

    # She stays after all: the date goes, and the profile offers leaving again.
    claire.get_by_role("button", name=fr("Remove my last working day")).click()
    claire.wait_for_selector(f"text={fr('Deactivate your login')}")
    assert claire.locator("#last-working-day").count() == 0
    with db.unit_of_work() as s:
        assert s.scalar(select(Login.last_day).where(Login.email == CLAIRE[1])) is None
