"""One term per concept and the formal address, in every page text, e-mail and letter of each language: the
member is "Mitglied" / "affilié" / "affiliato", the fund "Ausgleichskasse" / "caisse de compensation" / "cassa di
compensazione", the reader is "Sie" / "vous" / "Lei"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

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
    """Every translation of the catalogue, the e-mails' and letters' texts (some under a message context) included:
    their templates are written once, in English, and take each language's text from the catalogue."""
    with (ROOT / "web" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    found = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        source = message.id if isinstance(message.id, str) else message.id[0]
        if message.id:
            found += [(f"messages.po: {message.context or ''} {source[:60]!r}", text) for text in strings]
    return found


def test_the_e_mail_and_letter_texts_are_among_those_read():
    texts = {text for _, text in _texts("fr")}
    assert "Nous vous prions d'agréer, Madame, Monsieur, nos salutations distinguées." in texts  # every letter
    assert "Bonjour %(requester_name)s," in texts  # an e-mail's greeting


@pytest.mark.parametrize("lang", ["de", "fr", "it"])
def test_one_term_per_concept_and_the_formal_address(lang):
    problems = [f"{where}: {match.group(0)!r} – {why}"
                for where, text in _texts(lang) for pattern, why in FORBIDDEN[lang]
                for match in re.finditer(pattern, text)]
    assert problems == []
