"""From a letter's data to a LetterSpec, through the Jinja2 text templates `templates/letters/<kind>.txt`.

A template is written once, in English; `_()` and `pgettext()` take each text's translation from the gettext
catalogues (core.texts) in the letter's own language. `_layout.txt` frames every letter, `_code.txt` is the box
with the code and the steps to register.

A rendered template reads like the letter itself. Lines starting with `@name` at the top are fields (subject,
labels, date line, footer); the body below is made of blocks separated by blank lines:
`# Heading`, `[box]` followed by `Label | value` rows (a `*Label` row is printed large: the code), or a plain
paragraph in which every line is wrapped on its own.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

from jinja2 import Environment, Template

from core import texts
from letters.dates import long_date, place_name
from letters.spec import Block, LetterSpec

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "letters"
KINDS = ("invitation", "new_code", "trustee_code", "logins_deactivated", "exceptional_login", "request_rejected")
# Kinds that carry no code: a confirmation (R17) or a refusal (R16, R17) prints neither a code nor a validity date.
CODELESS_KINDS = frozenset({"logins_deactivated", "request_rejected"})
LANGUAGES = ("de", "fr", "it", "en")


@dataclass(frozen=True)
class Fund:
    """The sender, from the settings: the same for every letter of a run."""

    name: str
    address: tuple[str, ...]
    email: str
    phone: str
    base_url: str

    @property
    def place(self) -> str:
        """The town of the fund's postal address ("3001 Bern" gives "Bern")."""
        town = self.address[-1].split(" ", 1)[-1] if self.address else ""
        return town.rstrip("0123456789 ") or town

    @property
    def registration_link(self) -> str:
        return f"{self.base_url.rstrip('/')}/register"

    @property
    def return_line(self) -> str:
        return ", ".join(self.address)


@dataclass(frozen=True)
class LetterData:
    """One letter's own facts. `code` is the printed form; it lives only in memory and on paper (R2). A letter
    without a code (a confirmation) has neither `code` nor `expires_on`. `member_name` names the member a letter
    to someone else (a trustee, R15) is about."""

    kind: str
    language: str
    recipient: Sequence[str]
    letter_date: date
    expires_on: date | None
    reference: str
    member_number: str
    code: str = ""
    member_name: str = ""
    logins: str = ""  # a confirmation of deactivated logins (R17): their names, joined
    # A refusal (request_rejected): the kind of request (one of a few, so it is part of the template's text, not
    # a per-letter value), whom it was about, and the staff member's reason.
    topic: str = ""
    names: str = ""
    reason: str = ""


# Letters outside WinAnsi that do not decompose into a base letter and an accent.
_SPELLED = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h",
                          "Ŧ": "T", "ŧ": "t", "ĸ": "k", "ŋ": "n", "Ŋ": "N"})


def _visible(ch: str) -> str:
    """A control character (a tab, a bell, a line break inside a name) prints as a space; an invisible formatting
    one (a soft hyphen, a zero-width space, a direction mark) as nothing. Either would otherwise be drawn with the
    font's .notdef glyph, which PDF/A forbids, or break the XML of the document's metadata."""
    category = unicodedata.category(ch)
    return " " if category == "Cc" else "" if category == "Cf" else ch


def printable(text: str) -> str:
    """The built-in PDF fonts print WinAnsi (cp1252) only, and anything else comes out as a black box. A name
    like "Łódź Dvořák" is printed as "Lodz Dvorak", as Swiss Post would read it, rather than with holes in it.
    Control and formatting characters are not printed (_visible)."""
    if not text.isprintable():
        text = "".join(_visible(ch) for ch in text)
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text.translate(_SPELLED):
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and base.isascii() else "?")
    return "".join(out)


@cache
def _environment(language: str) -> Environment:
    # auto_reload off: templates do not change under a running worker, and a stat per letter adds up.
    return texts.environment(TEMPLATES, language, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             auto_reload=False)


@cache
def template(kind: str, language: str) -> Template:
    if kind not in KINDS:
        raise ValueError(f"unknown letter kind {kind!r}")
    return _environment(language if language in LANGUAGES else "de").get_template(f"{kind}.txt")


def parse(text: str) -> tuple[dict[str, str], tuple[Block, ...]]:
    """Split a rendered template into its `@` fields and its body blocks."""
    fields: dict[str, str] = {}
    lines = text.strip().splitlines()
    at = 0
    while at < len(lines) and (lines[at].startswith("@") or not lines[at].strip()):
        if lines[at].startswith("@"):
            name, _, value = lines[at][1:].partition(" ")
            fields[name] = value.strip()
        at += 1
    blocks: list[Block] = []
    for chunk in "\n".join(lines[at:]).split("\n\n"):
        rows = [row.rstrip() for row in chunk.strip("\n").splitlines() if row.strip()]
        if rows:
            blocks.extend(_blocks(rows))
    return fields, tuple(blocks)


def _blocks(rows: list[str]) -> list[Block]:
    if rows[0] == "[box]":
        pairs = [row.split("|", 1) for row in rows[1:]]
        cells = tuple(f"{label.strip().lstrip('*')}|{value.strip()}" for label, value in pairs)
        return [Block("box", cells, tuple(label.strip().startswith("*") for label, _ in pairs))]
    if rows[0].startswith("# "):
        rest = [Block("p", tuple(rows[1:]))] if rows[1:] else []
        return [Block("h", (rows[0][2:].strip(),)), *rest]
    return [Block("p", tuple(rows))]


# Per-letter values go into the template as markers and are filled in afterwards: the template is then rendered
# once per kind, language and date instead of once per letter. Templates print them as they are (no filters).
_PER_LETTER = {"code": "\x01code\x01", "member_number": "\x01member\x01", "reference": "\x01reference\x01",
               "member_name": "\x01member_name\x01", "logins": "\x01logins\x01", "names": "\x01names\x01",
               "reason": "\x01reason\x01"}


@lru_cache(maxsize=256)
def _skeleton(fund: Fund, kind: str, language: str, letter_date: date, expires_on: date | None, topic: str = "",
              ) -> tuple[dict[str, str], tuple[Block, ...]]:
    context = {
        "fund_name": fund.name, "fund_address": fund.address, "contact_email": fund.email,
        "contact_phone": fund.phone, "place": place_name(fund.place, language),
        "date": long_date(letter_date, language),
        "expires": _written(expires_on, language), "link": fund.registration_link, "topic": topic, **_PER_LETTER,
    }
    return parse(template(kind, language).render(context))


def _written(day: date | None, language: str) -> str:
    return long_date(day, language) if day is not None else ""


def _fill(text: str, values: dict[str, str]) -> str:
    if "\x01" not in text:
        return text
    for marker, value in values.items():
        text = text.replace(marker, value)
    return text


def build_spec(fund: Fund, data: LetterData) -> LetterSpec:
    """Render the letter's template in its language and shape the result for drawing."""
    values = {_PER_LETTER["code"]: data.code, _PER_LETTER["member_number"]: data.member_number,
              _PER_LETTER["reference"]: data.reference,
              _PER_LETTER["member_name"]: printable(data.member_name),
              _PER_LETTER["logins"]: printable(data.logins) or "–", _PER_LETTER["names"]: printable(data.names) or "–",
              # A line of a paragraph is wrapped on its own: the reason, typed with line breaks, becomes one line.
              _PER_LETTER["reason"]: printable(" ".join("".join(ch if ch.isprintable() else " "
                                                                  for ch in data.reason).split())) or "–"}
    skeleton_fields, skeleton_blocks = _skeleton(fund, data.kind, data.language, data.letter_date, data.expires_on,
                                                 data.topic)
    fields = {name: _fill(value, values) for name, value in skeleton_fields.items()}
    blocks = tuple(Block(b.kind, tuple(_fill(line, values) for line in b.lines), b.strong)
                   if any("\x01" in line for line in b.lines) else b for b in skeleton_blocks)
    written_date, expires = long_date(data.letter_date, data.language), _written(data.expires_on, data.language)
    labels = {name.removeprefix("label."): value for name, value in fields.items() if name.startswith("label.")}
    place = place_name(fund.place, data.language)
    labels["dateline"] = fields.get("dateline", f"{place}, {written_date}")
    return LetterSpec(
        language=data.language,
        sender=tuple(printable(line) for line in (fund.name, *(line for line in fund.address if line != fund.name))),
        return_line=printable(fund.return_line), recipient=tuple(printable(line) for line in data.recipient),
        place=place, date=written_date, reference=data.reference, member_number=data.member_number,
        subject=fields.get("subject", ""), blocks=blocks, code=data.code, expires=expires,
        link=fund.registration_link, footer=fields.get("footer", ""), labels=labels,
    )
