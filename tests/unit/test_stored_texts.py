"""Texts the services store in English (a case's reason, a history line, a signatory's source) read in the
clerk's language, for rows written long ago as for new ones; rule numbers stay in the code."""

from __future__ import annotations

import re

import pytest

from web import stored_texts
from web.i18n import catalogue

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("lang", ["de", "fr", "it"])
def test_every_stored_shape_and_outcome_has_a_translation_with_the_same_placeholders(lang):
    for source in (*stored_texts.SHAPES, *stored_texts.OUTCOMES.values()):
        translated = catalogue(lang).get(source, "")
        assert translated.strip(), f"{lang}: no translation of {source!r}"
        assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(source)), (lang, source)


@pytest.mark.parametrize(("stored", "lang", "shown"), [
    ("login prepared; code letter L-ABCD-EFGH to the address on file – signatures checked", "fr",
     "login préparé ; lettre de code L-ABCD-EFGH à l'adresse enregistrée – signatures checked"),
    ("letter L-ABCD-EFGH came back undelivered: check the address on file", "it",
     "la lettera L-ABCD-EFGH è tornata non recapitata: verifichi l'indirizzo registrato"),
    ("support request about two-step login", "de", "Supportanfrage: Zwei-Faktor-Login"),
    ("staff_case: the UID does not match the member register", "fr",
     "transmise au personnel de la caisse de compensation : L'IDE ne concorde pas avec le registre des affiliés"),
    ("deactivated none (all ended already); confirmation letter L-XYZ", "it",
     "disattivati: nessuno (tutti già terminati); lettera di conferma L-XYZ"),
    ("commercial register", "fr", "registre du commerce"),
    ("postcode '80011' is not a 4-digit Swiss postcode", "it",
     "il NPA «80011» non è un numero postale svizzero di 4 cifre"),
    ("no worker has reported yet", "de", "noch kein Worker hat sich gemeldet"),
    ("the answer can have at most 5000 characters", "fr", "la réponse peut avoir au maximum 5000 caractères"),
])
def test_a_stored_text_is_shown_in_the_readers_language(stored, lang, shown):
    assert stored_texts.shown(stored, lang) == shown


@pytest.mark.parametrize("lang", ["de", "fr", "it", "en"])
def test_a_row_written_with_a_rule_number_reads_without_it(lang):
    old_row = "the member asks the fund to deactivate logins of people who have left (R17)"
    shown = stored_texts.shown(old_row, lang)
    assert "R17" not in shown and "(" not in shown
    if lang != "en":
        assert shown == catalogue(lang)["the member asks the fund to deactivate logins of people who have left"]


def test_a_text_of_no_known_shape_and_a_staff_note_stay_as_written():
    assert stored_texts.shown("Bitte Rückruf am Montag", "fr") == "Bitte Rückruf am Montag"
    assert stored_texts.shown("", "it") == "" and stored_texts.shown(None, "it") == ""
