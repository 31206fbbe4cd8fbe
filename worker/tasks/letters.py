"""Tasks: letters."""

from __future__ import annotations

import structlog

from core import clock, db
from core.codes import letters
from worker.app import BackofficeTask, app

log = structlog.get_logger()


@app.task(name="letters.render", base=BackofficeTask)
def render(letter_ids: list[int]) -> None:
    """Render a chunk of code letters; letters already rendered are skipped, so a redelivered task is harmless."""
    with db.unit_of_work() as session:
        outcome = letters.render_letters(session, letter_ids, clock.now())
    log.info("letters.rendered", rendered=len(outcome.rendered), cancelled=len(outcome.cancelled),
             skipped=len(outcome.skipped), first_id=letter_ids[0] if letter_ids else None)
