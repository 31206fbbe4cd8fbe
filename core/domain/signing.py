"""R16: does a letter carry one complete signing combination from the member's register of signatories?

How the commercial register's kinds of signing authority are read here (Art. 458-460 OR, Art. 718a OR):

- ``sole`` (Einzelunterschrift / signature individuelle / firma individuale): signs alone.
- ``collective_two`` (Kollektivunterschrift zu zweien / signature collective à deux / firma collettiva a due):
  signs together with one other authorised signatory; alone, never.
- ``sole_procuration`` (Einzelprokura / procuration individuelle / procura individuale): signs alone. A procuration
  covers every act the running of the business may bring (Art. 459 OR); naming who uses the fund's portal for the
  company's social-insurance duties is such an act, so a sole procuration holder completes a combination alone.
- ``collective_procuration`` (Kollektivprokura zu zweien): a joint signatory, like ``collective_two``.
- ``none``: listed in the register (e.g. a board member without signing authority) but never signs.

So a combination is complete with one valid sole signatory (sole signature or sole procuration), or with two
different persons who both hold a valid joint signature. Authority must be valid on the letter's date: from
``valid_from`` to ``valid_until``, both days included; an empty date means no limit on that side. Signers that do
not count are named in the verdict even when others complete the combination, so staff see the whole picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from core.translatable import N_

SOLE = "sole"
COLLECTIVE_TWO = "collective_two"
SOLE_PROCURATION = "sole_procuration"
COLLECTIVE_PROCURATION = "collective_procuration"
NONE = "none"

# Order is the order pages and the import's error messages list them in; labels are English source strings.
AUTHORITIES: dict[str, str] = {
    SOLE: N_("Sole signature"),
    COLLECTIVE_TWO: N_("Collective signature by two"),
    SOLE_PROCURATION: N_("Sole procuration"),
    COLLECTIVE_PROCURATION: N_("Collective procuration by two"),
    NONE: N_("No signing authority"),
}
SIGNS_ALONE = frozenset({SOLE, SOLE_PROCURATION})
SIGNS_JOINTLY = frozenset({COLLECTIVE_TWO, COLLECTIVE_PROCURATION})

# Reasons, as English source strings with placeholders, so a page can show them in the clerk's language.
NO_SIGNER = N_("Choose who signed the letter: nobody is chosen.")
NO_AUTHORITY = N_("{name} has no signing authority in the commercial register.")
NOT_YET_VALID = N_("{name} may sign only from {day}, after the letter's date.")
NO_LONGER_VALID = N_("{name}'s signing authority ended on {day}, before the letter's date.")
SAME_PERSON = N_("{name} is chosen twice; two signatures of the same person count once.")
JOINT_ALONE = N_("{name} signs only together with a second authorised signatory, and no second valid signatory is "
                 "chosen.")
COMPLETE_ALONE = {SOLE: N_("{name} signs alone (sole signature)."),
                  SOLE_PROCURATION: N_("{name} signs alone (sole procuration).")}
COMPLETE_JOINTLY = N_("{first} and {second} sign together (collective signature by two).")


@dataclass(frozen=True)
class Signer:
    """One register entry as the check needs it."""

    id: int
    name: str
    authority: str
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True)
class Reason:
    """A sentence for staff: an English source string and the values of its placeholders."""

    text: str
    values: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text.format(**self.values)


@dataclass(frozen=True)
class Verdict:
    complete: bool
    reasons: tuple[Reason, ...]  # what failed; for a complete combination, first the combination, then notes
    combination: tuple[int, ...] = ()  # the signers that complete it

    def explain(self) -> str:
        return " ".join(str(reason) for reason in self.reasons)


def _day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def valid_on(signer: Signer, day: date) -> bool:
    return ((signer.valid_from is None or signer.valid_from <= day)
            and (signer.valid_until is None or day <= signer.valid_until))


def problem(signer: Signer, day: date) -> Reason | None:
    """Why this signer's signature does not count on that day, or None when it does."""
    if signer.authority not in SIGNS_ALONE | SIGNS_JOINTLY:
        return Reason(NO_AUTHORITY, {"name": signer.name})
    if signer.valid_from is not None and day < signer.valid_from:
        return Reason(NOT_YET_VALID, {"name": signer.name, "day": _day(signer.valid_from)})
    if signer.valid_until is not None and signer.valid_until < day:
        return Reason(NO_LONGER_VALID, {"name": signer.name, "day": _day(signer.valid_until)})
    return None


def _person(signer: Signer) -> str:
    return " ".join(signer.name.split()).casefold()


def check(signers: Sequence[Signer], letter_date: date) -> Verdict:
    """R16: one sole signatory, or two different joint signatories, each valid on the letter's date."""
    if not signers:
        return Verdict(False, (Reason(NO_SIGNER),))
    notes: list[Reason] = []
    counted: list[Signer] = []
    seen: set[str] = set()
    for signer in signers:
        if _person(signer) in seen:
            notes.append(Reason(SAME_PERSON, {"name": signer.name}))
            continue
        seen.add(_person(signer))
        reason = problem(signer, letter_date)
        if reason is None:
            counted.append(signer)
        else:
            notes.append(reason)
    alone = next((s for s in counted if s.authority in SIGNS_ALONE), None)
    if alone is not None:
        done = Reason(COMPLETE_ALONE[alone.authority], {"name": alone.name})
        return Verdict(True, (done, *notes), (alone.id,))
    joint = [s for s in counted if s.authority in SIGNS_JOINTLY]
    if len(joint) >= 2:
        done = Reason(COMPLETE_JOINTLY, {"first": joint[0].name, "second": joint[1].name})
        return Verdict(True, (done, *notes), (joint[0].id, joint[1].id))
    if joint:
        notes.insert(0, Reason(JOINT_ALONE, {"name": joint[0].name}))
    return Verdict(False, tuple(notes))
