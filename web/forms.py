"""The base of every form: labels, hints, choices and errors in the page's language, and nothing typed that
carries control characters. A NUL byte would fail in PostgreSQL, a line break in a one-line field would reach
e-mail headers and CSV files, a bidirectional override would show a name reversed; all are refused here, for every
form, as an error next to the field."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import DateField, FileField, TextAreaField
from wtforms.fields.core import Field

from core.domain import requests
from core.translatable import N_
from web.i18n import translate

CONTROL = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{requests.INVISIBLE_CONTROLS}]")
LINE_BREAK = re.compile(r"[\r\n]")
# A language offered in a list is named in that language, so that every reader finds their own.
ENDONYMS = frozenset({"Deutsch", "Français", "Italiano", "English"})
CONTROL_CHARACTERS = requests.CONTROL_CHARACTERS  # the API's answer too (core.domain.requests)
ONE_LINE = N_("Enter this on one line.")
EXPIRED = N_("This page has expired. Please check your answers and send again.")
BAD_DAY = N_("Enter a date, like 31.03.2026")


def reading() -> bool:
    """A GET, or the HEAD that asks about the same page: the form is shown, nothing sent is checked or counted."""
    return request.method in ("GET", "HEAD")


def typed_problem(field: Field) -> str | None:
    """What is wrong with the raw text sent for this field, before any validator or service sees it."""
    if isinstance(field, FileField) or field.name.endswith("csrf_token"):
        return None
    for raw in field.raw_data or ():
        if not isinstance(raw, str):
            continue
        if CONTROL.search(raw):
            return CONTROL_CHARACTERS
        if not isinstance(field, TextAreaField) and LINE_BREAK.search(raw):
            return ONE_LINE
    return None


class Form(FlaskForm):
    """The one place form texts are translated. A form declares its labels, hints, choices and validator messages
    as English marked with N_() (core.translatable), and they are shown in the page's language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            field.label.text = translate(field.label.text)
            if field.description:
                field.description = translate(field.description)
            if isinstance(getattr(field, "choices", None), list):
                # A choice's value is what the form sends back; only the words a person reads are translated.
                field.choices = [(c[0], translate(c[1]))
                                 if isinstance(c, tuple) and len(c) == 2 and c[1] not in ENDONYMS else c
                                 for c in field.choices]

    def validate(self, extra_validators: Any = None) -> bool:
        problems = {field.name: problem for field in self if (problem := typed_problem(field))}
        if problems:
            # Validators and services never see such text: some of them look it up in the database.
            for field in self:
                field.errors = [translate(problems[field.name])] if field.name in problems else []
            return False
        valid = super().validate(extra_validators)
        for field in self:
            # A refused CSRF token means a page left open too long (or sent from elsewhere): say it plainly.
            messages = [EXPIRED] if field.name.endswith("csrf_token") and field.errors else field.errors
            field.errors = [translate(message) for message in messages]
        return valid

    def fail(self, field_name: str, message: str) -> None:
        """An error found after the form was valid (by the service): shown next to its field."""
        self[field_name].errors = [*self[field_name].errors, translate(message)]


class SwissDay(DateField):
    """A day from the browser's date picker (which shows it the Swiss way and sends 2026-03-31) or typed the Swiss way
    (31.03.2026). The picker needs the ISO form as its value, so that is the first format. `bad` is the message for
    anything else, in the words of the field's question."""

    def __init__(self, *args: Any, bad: str = BAD_DAY, **kwargs: Any) -> None:
        super().__init__(*args, format=["%Y-%m-%d", "%d.%m.%Y"], **kwargs)
        self.bad = bad

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(self.bad) from exc
