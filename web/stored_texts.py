"""Texts the services store in English (a case's reason, a history line's detail, a signatory's source) shown in
the reader's language. They are translated when shown, not when written: rows written before a translation
existed, or in another language's session, read the same as new ones.

A stored text is either a fixed sentence of the catalogues or one of the shapes below, whose {placeholders} hold
references, names and dates (kept as they are) or, for the names in TRANSLATED, texts that are translated too.
Rule numbers ("(R17)") belong to the code and its tests, not to what people read: they are left out."""

from __future__ import annotations

import re
from functools import cache

from core.translatable import N_
from web.i18n import current, translate

# The English shapes, as the use cases in core write them. A new shape written there needs a line here and a
# translation in web/translations/stored.<lang>.json; the every-page language test finds one that has none.
SHAPES = (
    N_("letter {reference} came back undelivered: check the address on file"),
    N_("support request about {topic}"),
    N_("{count} or more wrong registration codes were entered for member {number}; its codes were voided. "
       "Check with the member before sending a new code."),
    N_("{outcome}: {why}"),
    N_("code letter {reference} to the address on file"),
    N_("new code letter {reference} to the address on file"),
    N_("letter {reference} to the address on file"),
    N_("login prepared; code letter {reference} to the address on file"),
    N_("trustee code letter {reference} to {trustee}"),
    N_("official letter of {day} signed by {names}"),
    N_("deactivated {names}; confirmation letter {reference}"),
    N_("deactivate {names}"),
    # core/health.py: what the operations page says of a part that is not well
    N_("the database does not answer ({error})"),
    N_("the schema version cannot be read ({error})"),
    N_("the database is at revision {current}, the code expects {head}"),
    N_("the broker does not answer ({error})"),
    N_("its heartbeat cannot be read ({error})"),
    N_("no {part} has reported yet"),
    N_("{part} has not reported for {minutes} minutes"),
    # refusals a clerk reads: core/domain/addresses.py, core/desk/support.py, core/desk/exceptional.py
    N_("an address has 3 to 6 lines, this one has {count}"),
    N_("postcode '{postcode}' is not a 4-digit Swiss postcode"),
    N_("language '{language}' is not one of de, fr, it, en"),
    N_("the answer can have at most {count} characters"),
    N_("the signatures no longer form a complete combination: {why}"),
)
# Single words the services store and pages show as they are: who wrote a history line, which part of the
# system the operations page checks. Marked here, where they are read, so that the catalogues keep them.
WORDS = (N_("system"), N_("requester"), N_("public"), N_("database"), N_("migrations"), N_("broker"), N_("beat"),
         N_("worker"))
TRANSLATED = frozenset({"topic", "why", "names", "part"})
# How a request was decided, as the desk's history shows it (the stored value is the code's own word).
OUTCOMES = {"issue_code": N_("code letter by post"), "tell_administrators": N_("the administrators are told"),
            "staff_case": N_("passed to the fund's staff"), "way_a": N_("the administrator can open the access")}
# A staff member's note follows the service's own text after a dash; the note is theirs and stays as written.
_NOTE = " – "
_RULE = re.compile(r"\s*\(R\d+\)")
_VALUE = {"outcome": "|".join(OUTCOMES)}


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    compiled = []
    for shape in SHAPES:
        parts = re.split(r"\{(\w+)\}", shape)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>{_VALUE.get(part, '.+?')})"
                        for i, part in enumerate(parts))
        compiled.append((shape, re.compile(regex, re.S)))
    return tuple(compiled)


def shown(text: str | None, lang: str | None = None) -> str:
    """The stored text in the reader's language; a text of no known shape is shown as it is."""
    if not text:
        return ""
    lang = lang or current()
    text = _RULE.sub("", text)
    head, dash, note = text.partition(_NOTE)
    return _translated(head, lang) + dash + note


def _translated(text: str, lang: str) -> str:
    exact = translate(text, lang)
    if exact != text:
        return exact
    for shape, pattern in _patterns():
        found = pattern.fullmatch(text)
        if found:
            values = {name: (_translated(value, lang) if name in TRANSLATED else value)
                      for name, value in found.groupdict().items()}
            if "outcome" in values:
                values["outcome"] = translate(OUTCOMES[values["outcome"]], lang)
            return translate(shape, lang, **values)
    return text


def sentence(text: str | None) -> str:
    """A stored text shown on its own: services write them to be embedded, so it starts with a capital here."""
    result = shown(text)
    return result[:1].upper() + result[1:]
