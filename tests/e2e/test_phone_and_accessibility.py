"""Every page on a 375 px phone, checked in chromium: no horizontal scrolling, the menu visible in colours that
contrast with what is behind them, and axe-core finding no serious or critical violation (eCH-0059, which is
WCAG 2.1 AA). The pages come from the app's url_map, so a new page is checked, or must be listed below with the
reason it is not a page, without anyone remembering to add it. The public, an administrator, a trustee and a
supervisor at the fund walk their pages; the steps of the login, registration and invitation flows are checked
as a person reaches them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select, update

from core import clock, config, db, secrets_box
from core.codes import codes as code_service
from core.codes import returned_mail
from core.desk import exceptional, requests, stale_logins, support
from core.desk.desk_queue import KINDS
from core.domain import codes, rights, totp
from core.domain.addresses import PostalAddress
from core.domain.states import LetterStatus, LoginStatus
from core.domain.trustee_requests import parse_trustee_code
from core.logins import invitations
from core.models import Case, Letter, Login, Member, PowerOfAttorney, RegistrationCode, Request
from core.trustees import mandates, poa_register, poa_uploads, trustee_codes, trustees
from tests.e2e.conftest import poll
from tests.e2e.person import mails_to, sms_to
from tests.integration.admin_support import PASSWORD, make_login, make_member
from tests.integration.registrations_support import add_signatory
from tests.integration.staff_support import PASSWORD as STAFF_PASSWORD
from tests.integration.staff_support import create_staff, new_code_case
from tests.integration.trustee_code_support import FORM as TRUSTEE_CODE_FORM
from tests.integration.trustee_code_support import pdf_bytes

PHONE = {"width": 375, "height": 812}
SERIOUS = ("serious", "critical")
# eCH-0059 is WCAG 2.1 AA: axe runs those rules (and only those, which also keeps the walk quick).
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
# GET routes that are not pages a person reads, with the reason.
NOT_PAGES = {
    "static": "the stylesheet",
    "api.openapi": "JSON for programs (the API description)",
    "api.request_status": "JSON for programs",
    "ops.healthz": "plain text for the load balancer",
    "ops.readyz": "plain text for the load balancer",
    "ops.metrics": "Prometheus text",
    "staff.document": "the kept PDF itself",
}
# Steps of a flow: reached only through the step before, so they are checked while walking the flow.
FLOW_STEPS = {"public.login_second_factor", "portal.new_authenticator", "staff.second_factor",
              "public.register_details", "public.register_authenticator", "public.register_done",
              "public.invitation_link", "public.invitation", "public.invitation_password",
              "public.invitation_authenticator", "public.invitation_done"}
TRUSTEE_PAGES = {"portal.choose_member"}
LOGGED_OUT = {"staff.login"}  # only a trustee chooses whom to act for
# Pages also seen by a trustee, whose menu differs from an administrator's.
ALSO_TRUSTEE = ("portal.home", "portal.profile", "portal.my_history")
SCREENSHOTS = {"public.home", "public.login", "portal.home", "portal.admin_logins", "portal.admin_trustees",
               "portal.choose_member", "staff.cases", "staff.case", "staff.poa_list", "staff.operations_page",
               "public.new_code", "public.register_details"}

# Every header link and button: its name, its box, and its computed colour against the first opaque background
# that holds it, as a WCAG contrast ratio. One call per page.
MENU_JS = """() => [...document.querySelectorAll("header a, header button")].map(el => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const r = el.getBoundingClientRect();
  let bg = null;
  for (let n = el; n; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor), b = n.getBoundingClientRect();
    const inside = r.left >= b.left - 0.5 && r.right <= b.right + 0.5 && r.top >= b.top - 0.5
      && r.bottom <= b.bottom + 0.5;  // text that spills out of its coloured box is painted on what lies behind
    if ((c.length < 4 || c[3] > 0) && inside) { bg = c; break; }
  }
  bg = bg || [255, 255, 255];
  const [hi, lo] = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((a, b) => b - a);
  return {name: el.innerText.trim() || el.getAttribute("href"), x: r.left, width: r.width, height: r.height,
          ratio: (hi + 0.05) / (lo + 0.05)};
})"""



@dataclass
class Walk:
    """What the walk found: the endpoints seen and every problem, reported together at the end."""

    screenshots: Path
    axe: Axe = field(default_factory=Axe)
    seen: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def check(self, page: Any, endpoint: str, who: str) -> None:
        where = f"{who} {endpoint} ({page.url})"
        self.seen.add(endpoint)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            self.problems.append(f"{where}: {width} px wide, wider than the phone's {PHONE['width']} px")
        self._menu(page, where)
        for violation in self.axe.run(page, options=AXE_OPTIONS).response["violations"]:
            if violation["impact"] in SERIOUS:
                nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
                self.problems.append(f"{where}: axe {violation['id']} ({violation['impact']}): "
                                     f"{violation['help']} — {nodes}")
        if endpoint in SCREENSHOTS:
            page.screenshot(path=str(self.screenshots / f"{who}-{endpoint}.png"), full_page=True)

    def _menu(self, page: Any, where: str) -> None:
        entries = page.evaluate(MENU_JS)
        if not entries:
            self.problems.append(f"{where}: no menu in the header")
        for entry in entries:
            name = entry["name"]
            if entry["width"] == 0 or entry["height"] == 0:
                self.problems.append(f"{where}: menu entry {name!r} is not shown")
            elif entry["x"] < 0 or entry["x"] + entry["width"] > PHONE["width"] + 0.5:
                self.problems.append(f"{where}: menu entry {name!r} lies outside the screen (x {entry['x']:.0f}, "
                                     f"width {entry['width']:.0f})")
            if entry["ratio"] < 4.5:
                self.problems.append(f"{where}: menu entry {name!r} has a contrast of {entry['ratio']:.2f}:1 "
                                     "(needs 4.5:1)")

    def visit(self, page: Any, base: str, endpoint: str, path: str, who: str) -> None:
        response = page.goto(base + path)
        if response is None or response.status != 200 or not page.url.endswith(path):
            status = response.status if response else "no answer"
            self.problems.append(f"{who} {endpoint}: {path} answered {status} at {page.url}")
            return
        self.check(page, endpoint, who)


@dataclass
class World:
    """The rows the pages show, made directly in the database and through the services."""

    member_number: str
    admin_email: str
    admin_secret: str
    trustee_email: str
    trustee_secret: str
    staff_username: str
    staff_secret: str
    new_member_number: str
    registration_code: str
    arguments: dict[str, dict[str, Any]]
    cases: dict[str, int]


def _world(app: Any) -> World:
    now = clock.now()
    today = clock.today_in_zurich(now)
    member_id = make_member("300900", "Schreinerei am Hang AG")
    admin_id, admin_secret = make_login(member_id, "Anna Administrator", "anna@hang.example", rights.all_rights())
    colleague, _ = make_login(member_id, "Bruno Beispiel-Langername", "bruno.beispiel-langername@hang.example",
                              ["salary_declarations", "correspondence"])
    with db.unit_of_work() as s:
        invitee = Login(member_id=member_id, name="Carla Neu", email="carla@hang.example", mobile="+41795550123",
                        language="en", rights=["correspondence"], status=LoginStatus.PENDING, session_version=1,
                        created_at=now)
        s.add(invitee)
        s.flush()
        invitations.invite(s, invitee, "test", now)

        company = trustees.Company("CHE-109.322.551", PostalAddress("Treuhand Sonnenberg GmbH", street="Seestrasse 5",
                                                                   postcode="8000", town="Zürich"),
                                   "de", "office@sonnenberg.example")
        trustee = trustees.find_or_create(s, company, now=now, actor="test")
        trustee_secret = totp.new_secret()
        trustee_login = Login(member_id=None, trustee_id=trustee.id, name="Tom Sonnenberg",
                              email="tom@sonnenberg.example", mobile="+41791230000", language="en",
                              password_hash=secrets_box.hash_password(PASSWORD),
                              totp_secret=secrets_box.encrypt(trustee_secret), totp_last_step=0, rights=[],
                              status=LoginStatus.ACTIVE, session_version=1, created_at=now, activated_at=now)
        s.add(trustee_login)
        s.flush()
        mandate_id = mandates.grant(s, trustee_login.id, member_id, ["salary_declarations"], "test", now)
        poa = PowerOfAttorney(member_id=member_id, trustee_id=trustee.id, scope=["salary_declarations"],
                              valid_from=today - timedelta(days=10), valid_until=today + timedelta(days=300),
                              received_on=today - timedelta(days=11), recorded_by="test", recorded_at=now)
        s.add(poa)
        s.flush()
        poa_id = poa.id
        support_reference = support.submit(s, support.SupportRequest(
            "two_step_login", "My authenticator app was on my old phone.", "Anna Administrator",
            "anna@hang.example", "en"), now, member_id=member_id)

    new_member = make_member("300901", "Neu Gegründet GmbH")
    code = _code(new_member)

    staff = create_staff("sara.supervisor", "Sara Supervisor", role="supervisor")
    new_code, new_code_request, _ = new_code_case("300902")
    with db.unit_of_work() as s:
        new_code_reference = s.get_one(Request, new_code_request).reference

    stale_member = make_member("300903", "Alte Logins AG")
    stale_login, _ = make_login(stale_member, "Otto Ehemalig", "otto@alte.example", ["correspondence"])
    with db.unit_of_work() as s:
        stale_case = stale_logins.record(s, staff.staff_id, "300903", [stale_login],
                                         stale_logins.MemberRequest("Brief vom 2. Dezember"), now)
        trustee_reference = trustee_codes.submit(
            s, parse_trustee_code({**TRUSTEE_CODE_FORM, "member_number": "300902", "company_name": "Muster AG",
                                   "language": "de"}), pdf_bytes(), "vollmacht.pdf", now)
        trustee_request = s.scalar(select(Request.id).where(Request.reference == trustee_reference))
    with db.unit_of_work() as s:
        requests.decide(s, trustee_request, now)
    signer = add_signatory(stale_member, "Hans Alt", "sole")
    with db.unit_of_work() as s:
        exceptional.record(s, staff.staff_id, "300903", exceptional.OfficialLetter(pdf_bytes(), "brief.pdf", today),
                           [signer], exceptional.Person("Lea Schmid", "lea@alte.example", "079 123 45 67", "de"),
                           ["correspondence"], now)
        returned = s.get_one(Letter, code_service.issue_letter(s, s.get_one(Member, stale_member), "invitation", now))
        returned.status = LetterStatus.PRINTED
        returned_reference = returned.reference
    with db.unit_of_work() as s:
        returned_mail.register_return(s, returned_reference, staff.staff_id, now)
    with db.unit_of_work() as s:  # the administrator sends the trustee's power of attorney through the portal
        poa_uploads.submit(s, admin_id, mandate_id, poa_uploads.Sent(today, None, ("salary_declarations",)),
                           poa_register.Upload(pdf_bytes(), "vollmacht.pdf"), now)
    with db.unit_of_work() as s:
        cases = {kind: case_id for kind, case_id in s.execute(
            select(Case.kind, Case.id).order_by(Case.id))}
    assert set(KINDS) - {"code_exhausted"} <= cases.keys(), cases  # opened after 100 wrong codes; new_code's page
    assert new_code == cases["new_code"] and stale_case == cases["stale_logins"]

    arguments = {
        "portal.admin_login": {"login_id": colleague}, "portal.admin_edit": {"login_id": colleague},
        "portal.admin_deactivate": {"login_id": colleague},
        "portal.admin_trustee_invitation": {"mandate_id": mandate_id},
        "portal.admin_trustee_revoke_page": {"mandate_id": mandate_id},
        "portal.admin_trustee": {"mandate_id": mandate_id},
        "portal.support_received": {"reference": support_reference},
        "public.support_received": {"reference": support_reference},
        "public.request_status": {"reference": new_code_reference},
        "public.new_code_received": {"reference": new_code_reference},
        "public.trustee_code_received": {"reference": trustee_reference},
        "staff.poa_detail": {"poa_id": poa_id}, "staff.case": {"case_id": cases["new_code"]},
        "staff.exceptional_page": {"number": "300903"}, "staff.signatories_page": {"number": "300903"},
        "staff.stale_logins_page": {"number": "300903"},
        # A search form: the page shows its answer when asked (an empty form is the same page without one).
        "staff.poa_lookup": {"member_number": "300900", "trustee_uid": "CHE-109.322.551"},
    }
    return World("300900", "anna@hang.example", admin_secret, "tom@sonnenberg.example", trustee_secret,
                 staff.username, staff.secret, "300901", code, arguments, cases)


def _link(message: Any) -> str:
    return re.search(r"(http://\S+/invitation/\S+)", message.get_body().get_content()).group(1)


def _code(member_id: int) -> str:
    """A registration code as the letter would carry it: only its keyed hash is stored."""
    code = codes.generate()
    with db.unit_of_work() as s:
        member = s.get_one(Member, member_id)
        letter_id = code_service.issue_letter(s, member, "invitation", clock.now())
        s.execute(update(RegistrationCode).where(RegistrationCode.member_id == member_id)
                  .values(code_hash=codes.keyed_hash(config.get().code_hmac_secret, member.member_number, code)))
        # Marked rendered: a worker left running by an earlier walk would otherwise draw the letter's own code.
        s.execute(update(Letter).where(Letter.id == letter_id)
                  .values(status=LetterStatus.RENDERED, rendered_at=clock.now()))
    return codes.printed(code)


def _member_login(walk: Walk, page: Any, base: str, world: World, email: str, secret: str, who: str) -> None:
    page.goto(f"{base}/login?lang=en")
    page.fill("#member_number", world.member_number)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/login/second-step"))
    walk.check(page, "public.login_second_factor", who)
    page.fill("#otp", pyotp.TOTP(secret).now())
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/"))


def _staff_login(walk: Walk, page: Any, base: str, world: World) -> None:
    page.goto(f"{base}/staff/login?lang=en")
    page.fill("#username", world.staff_username)
    page.fill("#password", STAFF_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/login/code"))
    walk.check(page, "staff.second_factor", "staff")
    page.fill("#otp", pyotp.TOTP(world.staff_secret).now())
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/$"))


def _new_authenticator(walk: Walk, page: Any, base: str, world: World) -> None:
    """The administrator starts changing the authenticator app (password and the next code) and sees the new one."""
    page.goto(f"{base}/portal/profile/authenticator?lang=en")
    page.fill("#current_password", PASSWORD)
    page.fill("#code", pyotp.TOTP(world.admin_secret).at(clock.now() + timedelta(seconds=30)))
    page.click("main form[action$='/portal/profile/authenticator'] button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/profile/authenticator/new"))
    walk.check(page, "portal.new_authenticator", "admin")


def _register(walk: Walk, page: Any, base: str, world: World) -> None:
    page.goto(f"{base}/register?lang=en")
    page.fill("#member_number", world.new_member_number)
    page.fill("#code", world.registration_code)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/register/details"))
    walk.check(page, "public.register_details", "public")
    page.fill("#name", "Nora Neu")
    page.fill("#email", "nora@neu.example")
    page.fill("#mobile", "079 555 12 34")
    page.fill("#password", "Kastanie-Brunnen-Komet-42")
    page.fill("#confirm", "Kastanie-Brunnen-Komet-42")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/register/authenticator"))
    walk.check(page, "public.register_authenticator", "public")
    page.fill("#otp", pyotp.TOTP(re.sub(r"\s", "", page.inner_text(".secret"))).now())
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/register/done"))
    walk.check(page, "public.register_done", "public")


def _invitation_link() -> str | None:
    delivered = mails_to(config.get().mail_dir, "carla@hang.example")
    return _link(delivered[-1]) if delivered else None


def _invitation(walk: Walk, page: Any, world: World) -> None:
    link = poll(_invitation_link, 60, "the worker to mail the invitation")
    page.goto(link + "?lang=en")
    walk.seen.add("public.invitation_link")  # it only opens the invitation and redirects
    page.wait_for_url(re.compile(r"/invitation$"))
    walk.check(page, "public.invitation", "public")
    page.click("main button[type=submit]")
    page.fill("#code", poll(lambda: sms_to("+41795550123"), 60, "the worker to send the SMS"))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/invitation/password"))
    walk.check(page, "public.invitation_password", "public")
    page.fill("#password", "Harbour-Thistle-Comet-58")
    page.fill("#confirm", "Harbour-Thistle-Comet-58")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/invitation/authenticator"))
    walk.check(page, "public.invitation_authenticator", "public")
    page.fill("#otp", pyotp.TOTP(re.sub(r"\s", "", page.inner_text(".secret"))).now())
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/invitation/done"))
    walk.check(page, "public.invitation_done", "public")


def _pages(app: Any, world: World) -> dict[str, list[tuple[str, str]]]:
    """Who sees which page, from the url_map: /staff/ is staff's, /portal/ the administrator's, the rest public."""
    from flask import url_for

    by_role: dict[str, list[tuple[str, str]]] = {"public": [], "admin": [], "trustee": [], "staff": []}
    missing = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.endpoint in FLOW_STEPS:
                continue
            values = world.arguments.get(rule.endpoint, {})
            if set(rule.arguments) - values.keys():
                missing.append(rule.endpoint)
                continue
            path = url_for(rule.endpoint, **values)
            role = ("trustee" if rule.endpoint in TRUSTEE_PAGES else "public" if rule.endpoint in LOGGED_OUT
                    else "staff" if rule.rule.startswith("/staff/") else "admin" if rule.rule.startswith("/portal/")
                    else "public")
            by_role[role].append((rule.endpoint, path))
            if rule.endpoint in ALSO_TRUSTEE:
                by_role["trustee"].append((rule.endpoint, path))
        for case_id in set(world.cases.values()) - {world.cases["new_code"]}:  # one case page of every kind
            by_role["staff"].append(("staff.case", url_for("staff.case", case_id=case_id)))
    assert not missing, f"give these pages the ids they need in _world(), or list them in NOT_PAGES: {missing}"
    return by_role


def _problems(walk: Walk, page: Any, base: str) -> None:
    """Pages a person meets when something is wrong: a form's error summary, an unknown address."""
    page.goto(f"{base}/requests/new-code?lang=en")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".error-summary")
    walk.check(page, "form with errors", "public")
    assert page.goto(f"{base}/no-such-page?lang=en").status == 404
    walk.check(page, "page not found", "public")


def _walk_role(walk: Walk, context: Any, base: str, pages: list[tuple[str, str]], who: str,
               log_in: Callable[[Any], None] | None, then: Callable[[Any], None] | None = None) -> None:
    page = context.new_page()
    if log_in:
        log_in(page)
    for endpoint, path in sorted(pages, key=lambda p: p[1]):
        walk.visit(page, base, endpoint, path + ("&" if "?" in path else "?") + "lang=en", who)
    if then:
        then(page)
    page.close()


@pytest.mark.e2e
def test_every_page_fits_a_phone_shows_its_menu_and_passes_axe(pg, web_server, worker_process, browser, tmp_path):
    from web import create_app

    app = create_app({"TESTING": True})
    world = _world(app)
    pages = _pages(app, world)
    walk = Walk(tmp_path)

    def phone() -> Any:
        return browser.new_context(viewport=PHONE, extra_http_headers={"Accept-Language": "en"})

    contexts = [phone() for _ in range(6)]
    try:
        _walk_role(walk, contexts[0], web_server, pages["public"], "public", None)
        _walk_role(walk, contexts[1], web_server, pages["admin"], "admin", lambda p: _member_login(
            walk, p, web_server, world, world.admin_email, world.admin_secret, "admin"),
                   lambda p: _new_authenticator(walk, p, web_server, world))
        _walk_role(walk, contexts[2], web_server, pages["trustee"], "trustee", lambda p: _member_login(
            walk, p, web_server, world, world.trustee_email, world.trustee_secret, "trustee"))
        _walk_role(walk, contexts[3], web_server, pages["staff"], "staff",
                   lambda p: _staff_login(walk, p, web_server, world))
        _problems(walk, contexts[0].new_page(), web_server)
        _register(walk, contexts[4].new_page(), web_server, world)
        _invitation(walk, contexts[5].new_page(), world)
    finally:
        for context in contexts:
            context.close()

    expected = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods} - NOT_PAGES.keys()
    walk.problems += [f"never checked: {endpoint}" for endpoint in sorted(expected - walk.seen)]
    (tmp_path / "problems.txt").write_text("\n".join(walk.problems), encoding="utf-8")
    assert not walk.problems, f"{len(walk.problems)} problems (screenshots in {tmp_path}):\n" + "\n".join(
        walk.problems)
