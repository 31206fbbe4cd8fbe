"""What a staff form records is checked whole before anything is written: every problem found is listed, each
with the form field it belongs to, in English source strings the page translates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: an English source string, its values, and the form field it belongs to."""

    field: str
    message: str
    values: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.message.format(**dict(self.values))


class Refused(ValueError):
    """The case cannot be recorded; nothing was written. Every problem found is listed."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = list(problems)
