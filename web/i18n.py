"""Pages in the member's language (de, fr, it, en). Source strings are English; each area keeps its own
catalogue file `web/translations/<area>.<lang>.json`, merged here, so areas never edit the same file."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import g, request, session

LANGUAGES = ("de", "fr", "it", "en")
DEFAULT = "de"
_DIR = Path(__file__).parent / "translations"


@cache
def catalogue(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(_DIR.glob(f"*.{lang}.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def current() -> str:
    lang = g.get("lang")
    if lang:
        return str(lang)
    chosen = request.args.get("lang") or session.get("lang")
    if chosen not in LANGUAGES:
        chosen = request.accept_languages.best_match(LANGUAGES) or DEFAULT
    g.lang = chosen
    return str(chosen)


def translate(text: str, lang: str | None = None, **values: object) -> str:
    """The text in the page's language; English when no translation exists yet."""
    lang = lang or current()
    result = text if lang == "en" else catalogue(lang).get(text, text)
    return result.format(**values) if values else result


def remember_choice() -> None:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
