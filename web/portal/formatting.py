"""Portal pages' words for the security history and the R11 day a login stops; dates themselves are web.dates."""

from __future__ import annotations

from datetime import date

from core.domain.deactivation import refused_from
from core.logins import security_history
from web.dates import long_day
from web.i18n import translate


def first_refused_day(last_day: date) -> str:
    """R11: the day from whose midnight (Zurich) a login with this last working day is refused."""
    return long_day(refused_from(last_day).date())


def event_text(event: security_history.Event) -> str:
    """One event in plain words, in the page's language."""
    values = event.values
    return translate(
        event.what,
        actor=event.who if event.who_is_name else translate(event.who),
        subject=values.get("subject") or translate(security_history.NOBODY),
        fields=", ".join(translate(name) for name in values.get("fields", [])),
        rights=", ".join(translate(label) for label in values.get("rights", [])) or translate("none"),
        day=values.get("day", ""),
        action=values.get("action", ""),
    )
