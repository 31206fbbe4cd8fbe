"""The help pages name only controls that exist (Situations 1–4 of the guide): every link, button, menu entry or
form option a help page tells a person to choose, marked there with ui(), is found on a page that kind of person
sees (an administrator, a trustee, or anyone without a login), in the same language, with the same label. The
portal's pages are walked link by link on real PostgreSQL, logged in as each kind of person."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from admin_support import ALL, PASSWORD, make_login, make_member, new_client, next_otp
from trustee_support import UID_T, grant, make_poa, make_trustee, make_trustee_login

from core import clock

A, B = "450100", "450200"
HELP_PAGES = ["/help/", "/help/two-step-login", "/help/administrator-leaves", "/help/no-administrator",
              "/help/trustee", "/help/support"]
PUBLIC_STARTS = ["/", "/login", "/register", "/requests/new-code", "/requests/trustee-code", "/support"]
NOT_FOLLOWED = ("/help", "/static", "/staff", "/api", "/logout")
MOST_PAGES = 80
UI_PATH = re.compile(r'<span class="ui-path" data-ui-kind="(\w+)">(.*?)</span>', re.S)
UI_LABEL = re.compile(r'<strong class="ui">(.*?)</strong>', re.S)


class Controls(HTMLParser):
    """The labels of a page's links, buttons, form options (label, legend) and the paths its links lead to."""

    TAGS = {"a", "button", "label", "legend"}

    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.links: list[str] = []
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag in self.TAGS:
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.TAGS and self._open and self._open[-1][0] == tag:
            self.labels.add(" ".join("".join(self._open.pop()[1]).split()))

    def handle_data(self, data: str) -> None:
        for _, parts in self._open:
            parts.append(data)


def named_controls(page: str) -> list[tuple[str, str]]:
    """(kind, label) for every control a rendered help page names."""
    return [(kind, " ".join(html.unescape(label).split()))
            for kind, path in UI_PATH.findall(page) for label in UI_LABEL.findall(path)]


def walk(client, starts: list[str], inside: str, lang: str) -> set[str]:
    """Every control label on the pages reachable by links from starts, staying under inside."""
    labels: set[str] = set()
    seen: set[str] = set()
    queue = list(starts)
    while queue and len(seen) < MOST_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(f"{path}?lang={lang}", follow_redirects=True)
        assert response.status_code == 200, (path, response.status_code)
        parser = Controls()
        parser.feed(response.get_data(as_text=True))
        labels |= parser.labels
        for href in parser.links:
            target = urlsplit(href).path
            if target.startswith(inside) and not target.startswith(NOT_FOLLOWED) and target not in seen:
                queue.append(target)
    return labels


def log_in_and_walk(app, number: str, email: str, login: tuple[int, str], lang: str,
                    acting_for: int | None = None) -> set[str]:
    client = new_client(app)
    first = client.post("/login", data={"member_number": number, "email": email, "password": PASSWORD})
    assert first.status_code == 303
    labels = walk(client, ["/login/second-step"], "/login/second-step", lang)  # "Use a recovery code", SMS
    assert client.post("/login/second-step", data={"otp": next_otp(*login)}).status_code == 303
    labels |= walk(client, ["/portal/"], "/portal/", lang)  # a trustee of several companies: the choice first
    if acting_for is not None:
        assert client.post("/portal/acting-for", data={"member": str(acting_for)}).status_code in (302, 303)
        labels |= walk(client, ["/portal/"], "/portal/", lang)
    return labels


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_AUTH": "1000 per minute"})


@pytest.fixture
def company(app):
    """A company whose pages show every control: colleagues active and leaving, a pending invitation, and a
    trustee acting for it and for a second company."""
    member_a, member_b = make_member(A, "Muster Holzbau AG"), make_member(B, "Beispiel Bau AG")
    anna = make_login(member_a, "Anna Muster", "anna@muster.example", ALL)
    make_login(member_a, "Ben Muster", "ben@muster.example", ["salary_declarations"])
    make_login(member_a, "Carla Muster", "carla@muster.example", ["correspondence"],
               last_day=clock.today_in_zurich(clock.now()) + timedelta(days=30))
    trustee = make_trustee(UID_T, "Fidu Treuhand AG")
    tina = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    for member in (member_a, member_b):
        make_poa(member, trustee, ["salary_declarations"])
        grant(tina[0], member, ["salary_declarations"])
    return {"anna": anna, "tina": tina, "member": member_a}


def invite_a_colleague(app, company) -> None:
    client = new_client(app)
    client.post("/login", data={"member_number": A, "email": "anna@muster.example", "password": PASSWORD})
    client.post("/login/second-step", data={"otp": next_otp(*company["anna"])})
    response = client.post("/portal/admin/new", data={"name": "Dario Neu", "email": "dario@muster.example",
                                                      "mobile": "079 555 66 77", "language": "it",
                                                      "rights": ["salary_declarations"]})
    assert response.status_code == 303


def controls_by_kind(app, company, lang: str) -> dict[str, set[str]]:
    invite_a_colleague(app, company)
    return {
        "public": walk(new_client(app), PUBLIC_STARTS, "/", lang),
        "administrator": log_in_and_walk(app, A, "anna@muster.example", company["anna"], lang),
        "trustee": log_in_and_walk(app, UID_T, "tina@fidu.example", company["tina"], lang,
                                   acting_for=company["member"]),
    }


def missing_controls(page: str, controls: dict[str, set[str]]) -> list[tuple[str, str]]:
    return [(kind, label) for kind, label in named_controls(page) if label not in controls[kind]]


@pytest.mark.parametrize("lang", ["de", "fr", "it", "en"])
def test_help_pages_name_only_controls_the_portal_has(app, company, lang):
    """Situations 1–4 (R11, R12, R13, R14, R17): each step names a real menu entry, link or button."""
    controls = controls_by_kind(app, company, lang)
    client = new_client(app)
    named, missing = 0, {}
    for path in HELP_PAGES:
        page = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        named += len(named_controls(page))
        if gone := missing_controls(page, controls):
            missing[path] = gone
    assert missing == {}
    assert named >= 30  # the pages do name controls: the check is not vacuous


def test_a_help_text_naming_a_control_the_portal_lacks_is_caught(app, company):
    """The guide's old wording ("Detail → Edit → tick Deactivated", "New") names controls connect does not have."""
    from web.help import ui

    controls = controls_by_kind(app, company, "en")
    with app.test_request_context("/help/?lang=en"):
        wrong = str(ui("User administration", "Detail", "Edit")) + str(ui("New")) + str(ui("Deactivated"))
        right = str(ui("User administration", "New login")) + str(ui("Switch company", kind="trustee"))
        wrong_kind = str(ui("Switch company"))  # a trustee's menu entry, not an administrator's
    assert [label for _, label in missing_controls(wrong, controls)] == ["Detail", "Edit", "New", "Deactivated"]
    assert missing_controls(right, controls) == []
    assert missing_controls(wrong_kind, controls) == [("administrator", "Switch company")]


ARROW = "→"
QUOTES = "\"'“”„«»‹› "
# A step after the first may name the item to choose ("the trustee", "das Login der Person"), not a label.
CHOSEN_ITEM = re.compile(r"^(the|der|die|das|le|la|l'|il|lo) ")


def written_paths(lang: str) -> list[str]:
    """Every text a person reads that names a way through the portal ("User administration → New login"): the
    page catalogue in that language (the English source for en), the e-mails and the letters."""
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    with (root / "web/translations/de/LC_MESSAGES/messages.po").open("rb") as source:
        catalogue = read_po(source) if lang == "en" else None
    if catalogue is None:
        with (root / f"web/translations/{lang}/LC_MESSAGES/messages.po").open("rb") as source:
            texts = [str(m.string) for m in read_po(source) if m.id and ARROW in str(m.string)]
    else:
        texts = [str(m.id) for m in catalogue if m.id and ARROW in str(m.id)]
    # E-mails and letters take their texts from the same catalogue (their templates are written in English).
    return texts


def unknown_steps(text: str, labels: set[str]) -> list[str]:
    """The steps of a written path that no control carries: the first step ends the words before the first arrow,
    the last begins the words after the last one, the others stand alone."""
    known = {label.lower() for label in labels if len(label) >= 3}
    steps = [step.strip(QUOTES).lower() for step in text.split(ARROW)]
    wrong = [step for step in steps[1:-1] if step not in known and not CHOSEN_ITEM.match(step)]
    if not any(steps[0].endswith(label) for label in known):
        wrong.insert(0, steps[0][-40:])
    if not any(steps[-1].startswith(label) for label in known) and not CHOSEN_ITEM.match(steps[-1]):
        wrong.append(steps[-1][:40])
    return wrong


@pytest.mark.parametrize("lang", ["de", "fr", "it", "en"])
def test_every_written_path_through_the_portal_names_its_real_controls(app, company, lang):
    """Item 3 beyond the help pages: forms, desk pages, e-mails and letters that tell a person where to click name
    the portal's real menu entries and buttons in the reader's language (a form once said "User administration →
    New", which does not exist)."""
    controls = controls_by_kind(app, company, lang)
    labels = controls["administrator"] | controls["trustee"] | controls["public"]
    texts = written_paths(lang)
    assert len(texts) >= 5  # the check reads real texts
    assert {text[:80]: unknown_steps(text, labels) for text in texts if unknown_steps(text, labels)} == {}


def test_a_written_path_with_a_made_up_step_is_caught():
    labels = {"User administration", "New login", "Trustees with access"}
    assert unknown_steps("under User administration → New. We then do not send a code.", labels) == [
        "new. we then do not send a code."]
    assert unknown_steps('choose "User administration" → "New login".', labels) == []
    assert unknown_steps("(Detail → Trustees with access → Edit)", labels) == ["(detail", "edit)"]
