"""What a letter says, ready to draw: plain data, no templates, no database."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Block:
    """A piece of the body. kind: "p" (lines, each wrapped on its own), "h" (a heading) or "box" (label/value rows,
    the rows flagged in `strong` printed large: the code)."""

    kind: str
    lines: tuple[str, ...]
    strong: tuple[bool, ...] = ()


@dataclass(frozen=True)
class LetterSpec:
    language: str
    sender: tuple[str, ...]  # the fund's letterhead: name first, then its address
    return_line: str  # small sender line above the address in the window
    recipient: tuple[str, ...]  # 3–6 lines, the last `NNNN Town`
    place: str
    date: str  # already written out for the language
    reference: str
    member_number: str
    subject: str
    blocks: tuple[Block, ...]
    code: str  # printed form XXXX-XXXX-XXXX-XXXX
    expires: str  # written out for the language
    link: str
    footer: str
    labels: dict[str, str] = field(default_factory=dict)  # reference, member, page
