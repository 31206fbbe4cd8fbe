"""The register import on the embedded default (SQLite), as `make run` uses it: the real console script."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from core.domain.register import COLUMNS
from core.domain.states import LetterStatus

BACKOFFICE = str(Path(sys.executable).with_name("backoffice"))
ROWS = [
    "100001,CHE-100.155.212,Muster AG,,Bahnhofstrasse 1,,3000,Bern,de,info@muster.example",
    "100002,CHE-116.281.710,Boulangerie Dupont SA,,Rue du Lac 12,,1003,Lausanne,fr,",
    "100003,CHE-109.322.551,Ticino Costruzioni SA,c/o Studio Rossi,Via Nassa 5,,6900,Lugano,it,",
]


def backoffice(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BROKER_URL")}
    env["VAR_DIR"] = str(tmp_path)
    return subprocess.run([BACKOFFICE, *args], env=env, capture_output=True, text=True, timeout=120)


def test_r20_import_and_reimport_on_sqlite(tmp_path):
    register = tmp_path / "register.csv"
    register.write_text("\n".join([",".join(COLUMNS), *ROWS, ""]), encoding="utf-8")
    assert backoffice(tmp_path, "db", "upgrade").returncode == 0
    first = backoffice(tmp_path, "members", "import", str(register), "--chunk-size", "2")
    assert first.returncode == 0, first.stderr
    assert "3 created, 0 updated, 0 unchanged; 3 invitation letters queued" in first.stdout
    register.write_text(register.read_text().replace("Rue du Lac 12", "Rue du Lac 14"), encoding="utf-8")
    again = backoffice(tmp_path, "members", "import", str(register))
    # R1: the moved member's letter was not printed yet, so it is replaced by one to the new address.
    assert ("0 created, 1 updated, 2 unchanged; 1 invitation letter queued (1 for a changed address, replacing a "
            "letter not yet printed)") in again.stdout, again.stderr
    with sqlite3.connect(tmp_path / "backoffice.sqlite") as conn:
        assert conn.execute("SELECT street FROM member WHERE member_number = '100002'").fetchone() == ("Rue du Lac 14",)
        assert conn.execute("SELECT status, address FROM letter WHERE member_id = (SELECT id FROM member WHERE "
                            "member_number = '100002') ORDER BY id").fetchall() == [
            (LetterStatus.CANCELLED, '["Boulangerie Dupont SA", "Rue du Lac 12", "1003 Lausanne"]'),
            (LetterStatus.PENDING, '["Boulangerie Dupont SA", "Rue du Lac 14", "1003 Lausanne"]')]
        assert conn.execute("SELECT count(*), count(DISTINCT member_id) FROM letter").fetchone() == (4, 3)
        assert conn.execute("SELECT count(*) FROM outbox WHERE task = 'letters.render'").fetchone() == (3,)
