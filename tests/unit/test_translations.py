"""Pages, e-mails and letters speak the member's language: every text the code marks (`_()`, `translate()`,
`N_()`, `ngettext()` …, found the way `make translations-extract` finds them) has a German, French and Italian
translation in the gettext catalogues, and the catalogues hold no text the code no longer has (English is the
source)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from web import i18n

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "fr", "it")
MARKED = re.compile(r"""_\(\s*(["'])((?:\\.|(?!\1).)*)\1""", re.S)
PLACEHOLDER = re.compile(r"{(\w+)}")
PERCENT = re.compile(r"%\((\w+)\)s")  # e-mails and letters: jinja2's newstyle gettext fills %(name)s


def _keywords() -> dict[str, object]:
    """The markers the Makefile hands `pybabel extract`, so that this test and the catalogues agree."""
    line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("MARKERS :="))
    return {**DEFAULT_KEYWORDS, **parse_keywords(line.split(":=", 1)[1].split()[1::2])}


@cache
def _extracted() -> dict[str, tuple[str, ...]]:
    """Every marked text of the code and page templates: its msgid -> (plural forms of the source)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, tuple[str, ...]] = {}
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=_keywords()):
        forms = message if isinstance(message, tuple) else (message,)
        found[forms[0]] = forms
        _contexts().add((context, forms[0]))
    return found


@cache
def _contexts() -> set[tuple[str | None, str]]:
    """(message context, msgid) of every extracted text: e-mails and letters tell a few same sources apart."""
    return set()


@cache
def _catalog(lang: str) -> Catalog:
    with (ROOT / "web" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


def test_the_extraction_finds_texts_of_code_templates_and_constants():
    texts = _extracted()
    assert "Username" in texts  # a form label (web/staff/forms.py, N_)
    assert "{subject} logged in." in texts  # a history line of core/logins/security_history.py (N_)
    assert "Older than {count} day" in texts and len(texts["Older than {count} day"]) == 2  # ngettext in a page
    assert len(texts) > 1000


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_marked_text_has_a_translation(lang):
    catalog = _catalog(lang)
    missing = []
    for msgid in _extracted():
        message = catalog.get(msgid)
        strings = message.string if message is not None else ""
        forms = strings if isinstance(strings, tuple) else (strings,)
        if message is None or message.fuzzy or not all(form.strip() for form in forms):
            missing.append(msgid)
    assert sorted(missing) == []


def test_the_extraction_finds_the_texts_of_e_mails_and_letters():
    texts = _extracted()
    assert "Hello %(requester_name)s" in texts  # templates/email/*/body.txt, {% trans %}
    assert "Dear Sir or Madam" in texts  # templates/letters/_layout.txt, _()
    assert ("mandate_revoked", "Hello %(name)s") in _contexts()  # {% trans "mandate_revoked" %}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_under_a_message_context_has_a_translation(lang):
    catalog = _catalog(lang)
    _extracted()
    missing = [(context, msgid) for context, msgid in _contexts() if context is not None
               and ((m := catalog.get(msgid, context=context)) is None or m.fuzzy or not str(m.string).strip())]
    assert any(context for context, _ in _contexts())
    assert sorted(missing) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_e_mail_or_letter_translation_has_exactly_the_placeholders_of_its_source(lang):
    """A name the source lacks fails the rendering; a name it leaves out drops a value from the letter."""
    wrong = [message.id for message in _catalog(lang) if isinstance(message.id, str) and message.id
             and set(PERCENT.findall(message.id)) != set(PERCENT.findall(str(message.string)))]
    assert wrong == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogue_holds_no_text_the_code_no_longer_has(lang):
    catalog = _catalog(lang)
    assert sorted(str(m.id) for m in catalog.obsolete.values()) == []  # "#~" lines left by pybabel update
    stale = sorted(str(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                   if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in _extracted())
    assert stale == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_translation_uses_only_the_placeholders_of_its_source(lang):
    """str.format fills them after translation: a name the source does not have would fail on the page."""
    wrong = []
    for message in _catalog(lang):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = {name for source in sources for name in PLACEHOLDER.findall(source)}
        if any(set(PLACEHOLDER.findall(text)) - allowed for text in strings):
            wrong.append(sources[0])
    assert wrong == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_text_is_translated(lang):
    catalogue = i18n.catalogue(lang)
    texts = set()
    for template in (ROOT / "templates" / "web").rglob("*.html"):
        for match in MARKED.finditer(template.read_text(encoding="utf-8")):
            texts.add(match.group(2).replace("\\'", "'").replace('\\"', '"'))
    assert sorted(text for text in texts if not catalogue.get(text, "").strip()) == []


def test_translate_needs_no_request_so_the_worker_writes_in_the_members_language():
    assert i18n.translate("Username", "de") == "Benutzername"
    assert i18n.translate("Username", "en") == "Username"
    assert i18n.translate("{name} signs alone (sole signature).", "fr", name="Anna Muster").startswith("Anna Muster")


@pytest.mark.parametrize(("lang", "count", "expected"), [
    ("de", 1, "Älter als 1 Tag"), ("de", 7, "Älter als 7 Tage"), ("fr", 1, "Plus d'un jour"),
    ("fr", 30, "Plus de 30 jours"), ("it", 1, "Più di 1 giorno"), ("it", 3, "Più di 3 giorni"),
    ("en", 1, "Older than 1 day"), ("en", 3, "Older than 3 days"),
])
def test_a_plural_follows_the_languages_rule(lang, count, expected):
    assert i18n.plural("Older than {count} day", "Older than {count} days", count, lang) == expected


@pytest.mark.parametrize(("query", "header", "expected"), [
    ("?lang=fr", "", "fr"), ("", "it-CH,it;q=0.9", "it"), ("", "", "de"), ("?lang=xx", "en", "en"),
])
def test_flask_babel_chooses_the_pages_language_as_the_site_does(query, header, expected):
    from flask_babel import get_locale

    from web import create_app

    app = create_app({"TESTING": True})
    with app.test_request_context(f"/{query}", headers={"Accept-Language": header} if header else {}):
        assert str(get_locale()) == expected == i18n.current()


def test_an_e_mail_or_letter_speaks_its_recipients_language_whatever_the_pages_language():
    from datetime import date

    from core import mail
    from letters import compose
    from web import create_app

    fund = compose.Fund("Ausgleichskasse Exfour", ("Postfach", "3001 Bern"), "info@example.ch", "031 000 00 00",
                        "https://connect.example.ch")
    app = create_app({"TESTING": True})
    with app.test_request_context("/?lang=it", headers={"Accept-Language": "it"}):
        assert i18n.current() == "it"
        subject, body = mail.render("support_received", "fr", {"name": "Anna", "reference": "S-1",
                                                               "support_email": "help@example.ch"})
        assert subject == "Votre demande d'assistance S-1" and body.startswith("Bonjour Anna")
        assert mail.render("support_received", "en", {"name": "Anna", "reference": "S-1",
                                                      "support_email": "h@example.ch"})[1].startswith("Hello Anna")
        spec = compose.build_spec(fund, compose.LetterData("new_code", "de", ("Muster AG",), date(2026, 3, 5),
                                                           date(2026, 4, 5), "R-1", "M-1", "ABCD"))
        assert spec.blocks[0].lines == ("Sehr geehrte Damen und Herren",) and spec.labels["page"] == "Seite"
