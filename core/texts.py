"""Texts rendered outside a request (e-mails, letters) in their recipient's language, from the same gettext
catalogues as the pages (`web/translations/<lang>/LC_MESSAGES/messages.mo`; English is the source language).

Templates are written once, in English, with `{% trans %}` blocks, `_()`, `pgettext()` and `ngettext()`; an
Environment per language has that language's catalogue installed, so rendering never asks which locale a page
is in. Core never imports Flask: the catalogue is read with Babel directly.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined

CATALOGUES = Path(__file__).resolve().parent.parent / "web" / "translations"
DOMAIN = "messages"
LANGUAGES = ("de", "fr", "it", "en")


@cache
def translations(lang: str) -> NullTranslations:
    """One language's compiled catalogue, read once per process; English is the source and needs none. Pages
    (web.i18n), e-mails and letters all read it here."""
    compiled = CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    source = compiled.with_suffix(".po")
    if lang not in LANGUAGES or lang == "en" or not source.exists():
        return NullTranslations()
    if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
        return Translations.load(str(CATALOGUES), [lang], DOMAIN)
    # A checkout whose catalogues were edited but not compiled yet (`make translations-compile`) reads the source.
    with source.open("rb") as po:
        buffer = BytesIO()
        write_mo(buffer, read_po(po, locale=lang))
    buffer.seek(0)
    return Translations(buffer, DOMAIN)


def environment(folder: Path, lang: str, **options: Any) -> Environment:
    """A Jinja2 environment for the templates under `folder` with `lang`'s catalogue installed (newstyle: a text's
    `%(name)s` placeholders are filled by gettext itself, the same way in every language). Callers cache it."""
    env = Environment(loader=FileSystemLoader(str(folder)), undefined=StrictUndefined, autoescape=False,
                      extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env
