"""The embedded default (SQLite) renders and batches letters too: it has no row locks and no named VALUES lists,
so the service takes other paths there."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core import clock, config, db, migrate
from core.codes import codes as code_service
from core.codes import letters
from core.domain import codes
from core.models import Letter, Member, RegistrationCode


@pytest.fixture
def sqlite_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'backoffice.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LETTERS_DIR", str(tmp_path / "letters"))
    config.reset()
    db.dispose()
    migrate.upgrade(url)
    yield url
    db.dispose()
    monkeypatch.undo()
    config.reset()


def test_r2_r6_sqlite_renders_once_and_batches_by_postcode(sqlite_db):
    now = clock.now()
    with db.unit_of_work() as s:
        members = [Member(member_number=f"S{i}", uid="CHE-100.155.212", name=f"Firma {i} AG", care_of="",
                          street="Weg 1", po_box="", postcode=postcode, town="Ort", language=lang, email="",
                          created_at=now, updated_at=now)
                   for i, (postcode, lang) in enumerate([("9000", "de"), ("1000", "fr"), ("6900", "it")])]
        s.add_all(members)
        s.flush()
        ids = code_service.issue_letters(s, members, "invitation", now)
    with db.unit_of_work() as s:
        assert letters.render_letters(s, ids, clock.now()).rendered == ids
    with db.unit_of_work() as s:
        assert letters.render_letters(s, ids, clock.now()).skipped == ids
        letter = s.scalars(select(Letter).where(Letter.id == ids[0])).one()
        code_hash = s.scalar(select(RegistrationCode.code_hash).where(RegistrationCode.id == letter.code_id))
    [printed] = re.findall(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}",
                           PdfReader(letter.pdf_path).pages[0].extract_text())
    assert code_hash == codes.keyed_hash(config.get().code_hmac_secret, "S0", codes.read(printed))
    with db.unit_of_work() as s:
        [batch] = letters.make_print_batches(s, clock.now())
    assert batch.letters == 3
    with open(batch.manifest_path, encoding="utf-8") as handle:
        assert [line.split(",")[4] for line in handle.read().splitlines()[1:]] == ["1000", "6900", "9000"]
