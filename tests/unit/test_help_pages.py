"""Help pages for an employer's HR clerk, in de, fr, it and en, linked from every page; a help text without a
translation fails here (as English in a German, French or Italian page)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from flask import url_for

from web import i18n

ROOT = Path(__file__).resolve().parents[2]
# _("…") and _with("…", control=ui(…)) sentences, and the labels ui("…", "…") names (the portal's own strings).
MARKED = re.compile(r"""(?<![\w])_(?:with)?\(\s*(["'])((?:\\.|(?!\1).)*)\1""", re.S)
UI_CALL = re.compile(r"""(?<![\w])ui\(((?:\s*"[^"]*"\s*,?)+)""")
PAGES = ["/help/", "/help/two-step-login", "/help/administrator-leaves", "/help/no-administrator", "/help/trustee",
         "/help/support"]
# Words that read the same in English and the page's language: not a sign of a missing translation.
SAME_IN_BOTH = {"E-mail", "Post", "Important", "Help", "connect"}


@pytest.fixture(scope="module")
def client():
    from web import create_app

    return create_app({"TESTING": True}).test_client()


def _help_texts() -> set[str]:
    texts = set()
    for template in (ROOT / "templates" / "web" / "help").glob("*.html"):
        source = template.read_text(encoding="utf-8")
        texts |= {match.group(2) for match in MARKED.finditer(source)}
        texts |= {label for call in UI_CALL.finditer(source) for label in re.findall(r'"([^"]*)"', call.group(1))}
    return texts


def _catalogue(lang: str) -> dict[str, str]:
    return i18n.catalogue(lang)


def _visible(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("lang", ["de", "fr", "it"])
def test_every_help_text_has_a_translation_with_the_same_placeholders(lang):
    catalogue = _catalogue(lang)
    for text in _help_texts():
        translated = catalogue.get(text, "").strip()
        assert translated, f"no {lang} translation for {text!r}"
        assert set(re.findall(r"{\w+}", translated)) == set(re.findall(r"{\w+}", text)), text


@pytest.mark.parametrize("lang", ["de", "fr", "it", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_help_page_renders_in_the_language_with_no_english_left(client, path, lang):
    response = client.get(f"{path}?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert "connect@exfour.ch" in page and "+41 31 000 00 00" in page and "3001 Bern" in page  # the fund's contact
    if lang != "en":
        visible = _visible(page)
        untranslated = [text for text in _help_texts() - SAME_IN_BOTH if len(text) > 12 and text in visible]
        assert untranslated == []


def test_situation_2_and_3_link_to_the_request_form_and_the_login(client):
    no_administrator = client.get("/help/no-administrator?lang=en").get_data(as_text=True)
    trustee = client.get("/help/trustee?lang=en").get_data(as_text=True)
    leaving = client.get("/help/administrator-leaves?lang=en").get_data(as_text=True)
    assert 'href="/requests/new-code"' in no_administrator and 'href="/requests/new-code"' in trustee
    assert 'href="/login"' in trustee and 'href="/login"' in leaving
    assert "power of attorney" in trustee and "by post" in no_administrator


def test_two_step_login_page_covers_apps_sms_and_recovery_codes(client):
    page = _visible(client.get("/help/two-step-login?lang=en").get_data(as_text=True))
    for words in ("authenticator app", "SMS", "8 recovery codes", "5 minutes"):
        assert words in page


@pytest.mark.parametrize("path", ["/", "/requests/new-code", "/register", "/login", "/staff/login", "/help/trustee"])
def test_every_page_links_to_help(client, path):
    page = client.get(f"{path}?lang=fr").get_data(as_text=True)
    assert 'href="/help/"' in page and "Aide pour connect" in page


def test_r17_old_logins_are_asked_for_on_their_form_or_else_by_support_request():
    """Situation 2: the fund deactivates old logins on request (R17); the help links the request form when the
    application has one, and the support request when it does not."""
    from web import create_app
    from web.help import OLD_LOGINS_FORM

    app = create_app({"TESTING": True})
    has_form = OLD_LOGINS_FORM in app.view_functions
    page = app.test_client().get("/help/no-administrator?lang=en").get_data(as_text=True)
    assert ("with a support request" in page) is not has_form

    if not has_form:
        app = create_app({"TESTING": True})
        app.add_url_rule("/requests/old-logins", OLD_LOGINS_FORM, lambda: "")
    with app.test_request_context():
        form = url_for(OLD_LOGINS_FORM)
    page = app.test_client().get("/help/no-administrator?lang=en").get_data(as_text=True)
    assert f'href="{form}"' in page and "Ask us to deactivate old logins" in page
    assert "with a support request" not in page
