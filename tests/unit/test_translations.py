"""Pages speak the member's language: every text marked in a page template has a German, French and Italian
translation in the catalogues (English is the source)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKED = re.compile(r"""_\(\s*(["'])((?:\\.|(?!\1).)*)\1""", re.S)


def _marked_texts() -> set[str]:
    texts = set()
    for template in (ROOT / "templates" / "web").rglob("*.html"):
        for match in MARKED.finditer(template.read_text(encoding="utf-8")):
            texts.add(match.group(2).replace("\\'", "'").replace('\\"', '"'))
    return texts


def _catalogue(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((ROOT / "web" / "translations").glob(f"*.{lang}.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


@pytest.mark.parametrize("lang", ["de", "fr", "it"])
def test_every_page_text_is_translated(lang):
    catalogue = _catalogue(lang)
    missing = sorted(text for text in _marked_texts() if not catalogue.get(text, "").strip())
    assert missing == []


@pytest.mark.parametrize("lang", ["de", "fr", "it"])
def test_catalogues_agree_on_shared_texts(lang):
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((ROOT / "web" / "translations").glob(f"*.{lang}.json")):
        for source, text in json.loads(path.read_text(encoding="utf-8")).items():
            if source in seen and seen[source][1] != text:
                clashes.append(f"{source!r}: {seen[source][0]} vs {path.name}")
            seen.setdefault(source, (path.name, text))
    assert clashes == []
