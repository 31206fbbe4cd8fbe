"""What the every-page language test reads: a page's visible text, and the signs of a sentence left in English."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

from web.i18n import catalogue

# Words that make English English; three in a row do not happen in German, French or Italian text.
ENGLISH = frozenset({
    "the", "and", "of", "to", "is", "your", "you", "this", "for", "with", "not", "by", "a", "an", "be", "are", "has",
    "was", "will", "can", "we", "our", "that", "from", "have", "been", "it", "if", "or", "please", "must", "were",
    "their", "they", "them", "these", "those", "its", "which", "who", "what", "when", "than", "then", "there", "here",
    "would", "should", "could", "does", "do", "did", "about", "yet", "all", "any", "only", "into", "out", "up", "so",
    "at", "on", "in", "no", "as", "after", "before", "where",
})
# Text a page shows in every language as it is: the language menu names each language in its own words.
SAME_IN_EVERY_LANGUAGE = frozenset({"English", "Deutsch", "Français", "Italiano", "EN", "DE", "FR", "IT"})
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SEEN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
_HIDDEN = frozenset({"script", "style", "template"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        for name, value in attrs:
            if name in _SEEN_ATTRIBUTES and value:
                self.chunks.append(value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button") and dict(attrs).get("value"):
            self.chunks.append(dict(attrs)["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._hidden:
            self.chunks.append(text)


def visible_texts(page: str) -> list[str]:
    parser = _Text()
    parser.feed(page)
    return parser.chunks


@cache
def english_in(text: str, lang: str, data: frozenset[str]) -> str | None:
    """Why this piece of a page in `lang` reads as English, or None. `data` holds the test's own values (names,
    free text typed by people): they are shown as typed and are not the page's words."""
    for value in data:
        text = text.replace(value, " ")
    text = " ".join(text.split())
    if not text or text in SAME_IN_EVERY_LANGUAGE:
        return None
    if text in _own_words(lang):
        return None  # Italian "Code" (queues) is spelled like an English word, and is Italian all the same
    translated = catalogue(lang).get(text)
    if translated is not None and translated != text:
        return "an English source text of the catalogues, not translated"
    if translated is None and _translated_elsewhere(text):
        return "an English source text with no translation in this language"
    if any(shape.fullmatch(text) for shape in _shapes(lang)):
        return "an English source text with its values filled in, not translated"
    words = [word.lower() for word in _WORD.findall(text)]
    run = 0
    for word in words:
        run = run + 1 if word in ENGLISH else 0
        if run >= 3:
            return "three or more common English words in a row"
    return None


@cache
def _shapes(lang: str) -> tuple[re.Pattern[str], ...]:
    """Source texts with {placeholders} that the language translates differently, as patterns; a text that is only
    placeholders and punctuation ("{outcome}: {why}") says nothing about its language and is left out."""
    shapes = []
    for key in {**catalogue("de"), **catalogue(lang)}:
        pieces = re.split(r"\{\w+\}", key)
        if len(pieces) > 1 and catalogue(lang).get(key) != key and len(_WORD.findall(" ".join(pieces))) >= 2:
            shapes.append(re.compile(".+?".join(re.escape(piece) for piece in pieces), re.S))
    return tuple(shapes)


@cache
def _own_words(lang: str) -> frozenset[str]:
    return frozenset(catalogue(lang).values())


def _translated_elsewhere(text: str) -> bool:
    return any(catalogue(other).get(text, text) != text for other in ("de", "fr", "it"))
