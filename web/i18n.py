"""Pages in the member's language (de, fr, it, en). Source strings are English; the translations are gettext
catalogues, `web/translations/<lang>/LC_MESSAGES/messages.po`, compiled to `.mo` by `make install`
(`make translations-extract`, `translations-update` and `translations-compile` keep them in step with the code).

Placeholders are `str.format` names, `{name}`, filled after translation. Flask-Babel chooses a request's language
with `current()`; `translate(text, lang)` needs no request, so the worker writes in the member's language too."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel

from core import texts

LANGUAGES = ("de", "fr", "it", "en")
DEFAULT = "de"
DIRECTORY = Path(__file__).parent / "translations"
DOMAIN = "messages"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(DIRECTORY))
    Babel(app, locale_selector=current, configure_jinja=False)
    app.before_request(remember_choice)
    # Templates mark texts with _() and ngettext() like the Python code, values filling {placeholders}; the
    # extension's {% trans %} blocks would format with % instead, so pages do not use them.
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(translate, plural, newstyle=False)  # type: ignore[attr-defined]
    app.jinja_env.globals.update(_=translate, ngettext=plural)


def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of one language, read once per process (core.texts, which e-mails and letters use
    too); English is the source and needs none."""
    return texts.translations(lang)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every source text of a language that has a translation, as source -> translation (tests read it)."""
    path = DIRECTORY / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang not in LANGUAGES or lang == "en" or not path.exists():
        return {}
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.id, str) and m.string
            and not m.fuzzy}


def current() -> str:
    lang = g.get("lang")
    if lang:
        return str(lang)
    chosen = request.args.get("lang") or session.get("lang")
    if chosen not in LANGUAGES:
        chosen = request.accept_languages.best_match(LANGUAGES) or DEFAULT
    g.lang = chosen
    return str(chosen)


def language(lang: str | None = None) -> str:
    """The language asked for, else the request's; German outside a request (the fund's first language). A
    language with no catalogue reads English."""
    if lang:
        return lang
    return current() if has_request_context() else DEFAULT


def translate(text: str, lang: str | None = None, **values: object) -> str:
    """The text in the page's language (or `lang`); English when no translation exists yet."""
    result = translations(language(lang)).gettext(text)
    return result.format(**values) if values else result


def known(text: str, lang: str | None = None) -> str | None:
    """The text's translation, or None where the catalogue has none (and always in English, the source)."""
    translated = translations(language(lang)).gettext(text)
    return translated if translated != text else None


def sentence(text: str, values: Mapping[str, object] | None = None, *, lang: str | None = None,
             full_stop: bool = True) -> str:
    """A service's message, which it writes in lower case to be embedded, shown on its own: begun with a capital
    (and ended with a full stop). The catalogue holds it as the service writes it, or as the sentence where a page
    shows that sentence too."""
    shaped = text[:1].upper() + text[1:] + ("." if full_stop and not text.endswith(".") else "")
    result = known(text, lang) or known(shaped, lang) or shaped
    result = result.format_map(values) if values else result
    if full_stop and not result.endswith((".", "!", "?")):
        result += "."  # the catalogue holds an embedded message without one
    return result[:1].upper() + result[1:]


def plural(singular: str, plural_text: str, count: int, lang: str | None = None, **values: object) -> str:
    """`ngettext`: the form for `count` in the language's plural rule; `{count}` is filled in as well."""
    result = translations(language(lang)).ngettext(singular, plural_text, count)
    return result.format(**{"count": count, **values})


def remember_choice() -> None:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
