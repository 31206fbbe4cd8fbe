"""A worker killed with SIGKILL in the middle of a mailing: after a restart, and the sweep that queues again from
the database what the broker holds for the dead worker, every letter exists exactly once, with exactly one code,
and the code printed in each PDF is the one whose hash is stored (R2). Runs before the other e2e tests (file
order) so that no other worker shares the queue."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import func, select

from core import clock, config, db
from core.domain import codes
from core.domain.states import CodeStatus, LetterStatus
from core.models import Letter, Member, RegistrationCode
from core.operations import stale_work
from tests.e2e.conftest import ROOT, poll

LETTERS = 600
CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")


def _start_worker(log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.app", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        cwd=ROOT, env=dict(os.environ), stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _rendered() -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).where(Letter.status == LetterStatus.RENDERED)) or 0


def _relay() -> None:
    from worker.tasks.outbox import relay

    relay()  # what beat runs every 2 s, run here so that the test decides when


def test_worker_killed_mid_mailing_leaves_one_letter_and_one_code_each(pg, var_dir, tmp_path):
    from click.testing import CliRunner

    from bench.make_register import write_register
    from core.cli import main

    register = tmp_path / "members.csv"
    write_register(LETTERS, register, seed=7)
    assert CliRunner().invoke(main, ["members", "import", str(register)]).exit_code == 0

    log = var_dir / "crash-worker.log"
    first = _start_worker(log)
    _relay()
    poll(lambda: _rendered() >= 50, 120, "the first letters to be rendered")
    os.killpg(first.pid, signal.SIGKILL)  # mid-mailing: tasks in flight die with it, unacknowledged
    first.wait(30)
    assert _rendered() < LETTERS, "the worker finished before it could be killed; raise LETTERS"

    second = _start_worker(log)
    try:
        # The dead worker's messages come back from Redis only after the visibility timeout; the database knows
        # which letters are still pending, and the sweep queues them again once they are overdue.
        with db.unit_of_work() as s:
            stale_work.requeue(s, clock.now() + stale_work.LETTER_GRACE + timedelta(minutes=1))
        _relay()
        poll(lambda: _rendered() == LETTERS, 180, "every letter to be rendered after the restart")
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(60)

    with db.unit_of_work() as s:
        letters = s.execute(select(Letter, Member.member_number, RegistrationCode)
                            .join(Member, Member.id == Letter.member_id)
                            .join(RegistrationCode, RegistrationCode.id == Letter.code_id)).all()
        assert s.scalar(select(func.count()).select_from(RegistrationCode)) == LETTERS
    assert len(letters) == LETTERS
    ours = {letter.reference for letter, _, _ in letters}
    pdfs = [path for path in config.get().letters_dir.rglob("L-*.pdf") if path.stem in ours]
    assert len(pdfs) == len({letter.pdf_path for letter, _, _ in letters}) == LETTERS  # a retry overwrites its file
    secret = config.get().code_hmac_secret
    for letter, member_number, code in letters:
        assert code.status == CodeStatus.ISSUED and code.code_hash
        printed = CODE.search(PdfReader(letter.pdf_path).pages[0].extract_text()).group(1)
        assert codes.keyed_hash(secret, member_number, codes.read(printed)) == code.code_hash, letter.reference
