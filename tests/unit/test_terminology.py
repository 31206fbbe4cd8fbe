"""One term per concept and the formal address, in every page text, e-mail and letter of each language: the
member is "Mitglied" / "affilié" / "affiliato", the fund "Ausgleichskasse" / "caisse de compensation" / "cassa di
compensazione", the reader is "Sie" / "vous" / "Lei"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from web import i18n

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "de": [
        (r"\b(du|dich|dir|dein\w*)\b", "the informal address (du); write Sie"),
        (r"(?<![\w-])Kasse\b", "the fund is the Ausgleichskasse"),
    ],
    "fr": [
        (r"\bmembres?\b(?! du conseil)", "a member is an affilié"),
        (r"\b(tu|toi|ton|tes)\b", "the informal address (tu); write vous"),
        (r"\b[Ll]a caisse\b(?! de compensation)", "the fund is the caisse de compensation"),
    ],
    "it": [
        (r"\bmembr[oi]\b(?! del consiglio)", "a member is an affiliato"),
        (r"\b(voi|vostr[oaie])\b", "voi: write Lei (sua, suo)"),
        (r"\b(Accedi|Inserite|Indicate|Scegliete|Allegate|Aprite|Registrate|Confermate|Verificate|Impostate|"
         r"[Cc]ontattateci|Avete|[Pp]otete)\b", "a form of voi or tu: write Lei"),
        (r"\b(?:[Ll]a|della|alla|dalla|nella|sulla) cassa\b(?! di compensazione)",
         "the fund is the cassa di compensazione"),
    ],
}


def _texts(lang: str) -> list[tuple[str, str]]:
    found = []
    for source, text in i18n.catalogue(lang).items():
        found.append((f"messages.po: {source[:60]!r}", text))
    templates = [*(ROOT / "templates" / "email").glob(f"*/*.{lang}.txt"),
                 *(ROOT / "templates" / "letters").glob(f"*/{lang}.txt"),
                 *(ROOT / "templates" / "letters").glob(f"*/code_{lang}.txt")]
    for path in sorted(templates):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)  # comments are not read
        found.append((str(path.relative_to(ROOT)), text))
    return found


@pytest.mark.parametrize("lang", ["de", "fr", "it"])
def test_one_term_per_concept_and_the_formal_address(lang):
    problems = [f"{where}: {match.group(0)!r} – {why}"
                for where, text in _texts(lang) for pattern, why in FORBIDDEN[lang]
                for match in re.finditer(pattern, text)]
    assert problems == []
