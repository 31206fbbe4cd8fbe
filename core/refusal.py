"""One family for every use case that refuses what it was given: nothing was written, and the page says why.

Each problem is an English source string the page translates, the values that fill its placeholders, and the form
field it belongs to (None or "": the form as a whole). A use case that checks a form whole lists every problem
it found; one that stops at the first raises it alone. Errors that are not about the input (a case decided
meanwhile, a role that may not act) are not refusals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str | None
    message: str
    values: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.message.format(**dict(self.values)) if self.values else self.message


class Refused(ValueError):
    """`Refused("message {x}", "field", x="…")` for one problem, `Refused([Problem(…), …])` for several."""

    def __init__(self, message: str | Sequence[Problem], field: str | None = None, **values: str) -> None:
        self.problems = ([Problem(field, message, tuple(values.items()))] if isinstance(message, str)
                         else list(message))
        super().__init__("; ".join(str(problem) for problem in self.problems))

    @property
    def message(self) -> str:
        return self.problems[0].message if self.problems else ""

    @property
    def field(self) -> str | None:
        return self.problems[0].field if self.problems else None

    @property
    def values(self) -> Mapping[str, str]:
        return dict(self.problems[0].values) if self.problems else {}
