"""Code letters on real PostgreSQL: rendering draws the code (R2), every kind and language (R6), print batches."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select, update

from core import clock, config, db
from core.cli import main as cli
from core.codes import codes as code_service
from core.codes import letters
from core.domain import codes
from core.domain.states import CodeStatus, LetterStatus
from core.models import AuditEvent, Letter, Member, PrintBatch, RegistrationCode
from letters.dates import long_date

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
WORDS = {"de": ("Sehr geehrte Damen und Herren", "Zugangscode", "gültig"),
         "fr": ("Madame, Monsieur,", "code d'accès", "valable"),
         "it": ("Gentili Signore, Egregi Signori", "codice di accesso", "valido"),
         "en": ("Dear Sir or Madam", "registration code", "valid")}


@pytest.fixture
def letters_dir(pg, tmp_path, monkeypatch) -> Path:
    """Each test writes its PDFs into its own folder."""
    monkeypatch.setenv("LETTERS_DIR", str(tmp_path / "letters"))
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://connect.example.ch")
    config.reset()
    yield tmp_path / "letters"
    monkeypatch.undo()
    config.reset()


def _members(specs: list[tuple[str, str, str]]) -> list[int]:
    """Members from (number, language, postcode); returns their ids."""
    now = clock.now()
    with db.unit_of_work() as s:
        rows = [Member(member_number=number, uid="CHE-100.155.212", name=f"Firma {number} AG",
                       care_of="c/o Treuhand Zürich GmbH" if i % 2 else "", street=f"Bahnhofstrasse {i + 1}",
                       po_box="Postfach" if i % 3 == 0 else "", postcode=postcode, town=f"Town{postcode}",
                       language=language, email="", created_at=now, updated_at=now)
                for i, (number, language, postcode) in enumerate(specs)]
        s.add_all(rows)
        s.flush()
        return [m.id for m in rows]


def _issue(member_ids: list[int], kind: str) -> list[int]:
    with db.unit_of_work() as s:
        members = s.scalars(select(Member).where(Member.id.in_(member_ids)).order_by(Member.id)).all()
        return code_service.issue_letters(s, members, kind, clock.now())


def _render(letter_ids: list[int], now=None) -> letters.RenderOutcome:
    with db.unit_of_work() as s:
        return letters.render_letters(s, letter_ids, now or clock.now())


def _letter(letter_id: int) -> Letter:
    with db.unit_of_work() as s:
        letter = s.get(Letter, letter_id)
        assert letter is not None
        s.expunge(letter)
        return letter


def _text(path: str) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _code_hash(code_id: int) -> str | None:
    with db.unit_of_work() as s:
        return s.scalar(select(RegistrationCode.code_hash).where(RegistrationCode.id == code_id))


@pytest.mark.parametrize("kind", ["invitation", "new_code"])
def test_r6_every_language_rendered_with_code_expiry_link_reference_and_address(letters_dir, kind):
    languages = ["de", "fr", "it", "en"]
    ids = _members([(f"M{i}", lang, f"{3000 + i}") for i, lang in enumerate(languages)])
    letter_ids = _issue(ids, kind)
    outcome = _render(letter_ids)
    assert outcome.rendered == letter_ids and not outcome.cancelled
    for letter_id, language in zip(letter_ids, languages, strict=True):
        letter = _letter(letter_id)
        assert letter.status == LetterStatus.RENDERED and letter.rendered_at is not None
        assert Path(letter.pdf_path).is_relative_to(letters_dir) and Path(letter.pdf_path).name.endswith(".pdf")
        reader = PdfReader(letter.pdf_path)
        assert len(reader.pages) == 1
        text = _text(letter.pdf_path)
        assert len(CODE.findall(text)) == 1
        with db.unit_of_work() as s:
            expires = s.scalar(select(RegistrationCode.expires_on).where(RegistrationCode.id == letter.code_id))
        assert long_date(expires, language) in text and long_date(letter.letter_date, language) in text
        assert "https://connect.example.ch/register" in text and letter.reference in text
        for line in letter.address:
            assert line in text
        for word in WORDS[language]:
            assert word in text, (language, word)
        assert all(WORDS[other][0] not in text for other in languages if other != language)


def test_the_sender_is_named_in_the_letters_language_where_the_fund_set_it(letters_dir, monkeypatch):
    monkeypatch.setenv("FUND_NAME_FR", "Caisse de compensation Exfour")
    monkeypatch.setenv("FUND_ADDRESS_FR", "Caisse de compensation Exfour|Case postale|3001 Berne")
    monkeypatch.setenv("FUND_NAME_IT", "Cassa di compensazione Exfour")
    config.reset()
    languages = ["de", "fr", "it"]
    letter_ids = _issue(_members([(f"M{i}", lang, f"{3000 + i}") for i, lang in enumerate(languages)]),
                        "invitation")
    _render(letter_ids)
    german, french, italian = (_text(_letter(letter_id).pdf_path) for letter_id in letter_ids)
    assert "Ausgleichskasse Exfour" in german and "Postfach" in german and "Bern, " in german
    assert "Caisse de compensation Exfour, Case postale, 3001 Berne" in french and "Berne, le " in french
    assert "Ausgleichskasse" not in french
    # Italian has its own name and, with no FUND_ADDRESS_IT, the plain address under it.
    assert "Cassa di compensazione Exfour" in italian and "Postfach" in italian and "Berna, " in italian


def test_r2_stored_hash_is_the_hmac_of_the_code_printed_and_nothing_else_holds_it(letters_dir):
    [member_id] = _members([("100234", "de", "8000")])
    [letter_id] = _issue([member_id], "invitation")
    letter = _letter(letter_id)
    assert _code_hash(letter.code_id) is None  # nothing to hash before the letter is drawn
    _render([letter_id])
    letter = _letter(letter_id)
    [printed] = CODE.findall(_text(letter.pdf_path))
    settings = config.get()
    assert _code_hash(letter.code_id) == codes.keyed_hash(settings.code_hmac_secret, "100234", codes.read(printed))
    with db.unit_of_work() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "letter.rendered")).all()
        dump = json.dumps([e.detail for e in events]) + " ".join(e.subject for e in events)
    assert len(events) == 1 and events[0].member_id == member_id
    assert codes.read(printed) not in dump and printed not in dump


def test_rendering_again_leaves_rendered_letters_alone(letters_dir):
    ids = _members([("A1", "fr", "1200"), ("A2", "it", "6900")])
    letter_ids = _issue(ids, "invitation")
    _render(letter_ids)
    before = {lid: (_letter(lid).pdf_path, _code_hash(_letter(lid).code_id)) for lid in letter_ids}
    digests = {lid: hashlib.sha256(Path(path).read_bytes()).hexdigest() for lid, (path, _) in before.items()}
    again = _render(letter_ids)
    assert again.rendered == [] and again.skipped == letter_ids
    for lid in letter_ids:
        path, code_hash = before[lid]
        assert (_letter(lid).pdf_path, _code_hash(_letter(lid).code_id)) == (path, code_hash)
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == digests[lid]


def test_r2_a_voided_codes_pending_letter_is_cancelled_not_drawn(letters_dir):
    ids = _members([("V1", "de", "3000"), ("V2", "de", "3001")])
    voided_letter, kept_letter = _issue(ids, "new_code")
    with db.unit_of_work() as s:
        s.execute(update(RegistrationCode).where(RegistrationCode.id == _letter(voided_letter).code_id)
                  .values(status=CodeStatus.VOIDED, voided_at=clock.now(), void_reason="exhausted"))
    outcome = _render([voided_letter, kept_letter])
    assert outcome.cancelled == [voided_letter] and outcome.rendered == [kept_letter]
    cancelled = _letter(voided_letter)
    assert cancelled.status == LetterStatus.CANCELLED and cancelled.pdf_path == ""
    assert _code_hash(cancelled.code_id) is None
    assert not list(letters_dir.rglob(f"{cancelled.reference}*"))


def test_a_worker_killed_after_the_rename_leaves_one_letter_and_one_valid_code(letters_dir):
    [member_id] = _members([("K1", "it", "6500")])
    [letter_id] = _issue([member_id], "new_code")
    crashed = db.session()
    try:  # everything up to the commit, then the process dies: the transaction never commits
        letters.render_letters(crashed, [letter_id], clock.now())
    finally:
        crashed.rollback()
        crashed.close()
    letter = _letter(letter_id)
    assert letter.status == LetterStatus.PENDING and _code_hash(letter.code_id) is None
    [first_file] = list(letters_dir.rglob("*.pdf"))
    [lost_code] = CODE.findall(_text(str(first_file)))
    _render([letter_id])  # the retry
    letter = _letter(letter_id)
    assert [str(p) for p in letters_dir.rglob("*.pdf")] == [letter.pdf_path] == [str(first_file)]
    assert not [p for p in letters_dir.rglob("*") if p.is_file() and p.suffix != ".pdf"]  # no temp files left
    [code] = CODE.findall(_text(letter.pdf_path))
    secret = config.get().code_hmac_secret
    assert _code_hash(letter.code_id) == codes.keyed_hash(secret, "K1", codes.read(code))
    assert code == lost_code or _code_hash(letter.code_id) != codes.keyed_hash(secret, "K1", codes.read(lost_code))


def test_batches_sorted_by_postcode_with_manifest_and_letters_marked_printed(letters_dir):
    postcodes = ["8000", "1000", "6900", "3000", "1200"]
    languages = ["de", "fr", "it", "de", "fr"]
    ids = _members([(f"B{i}", lang, pc) for i, (pc, lang) in enumerate(zip(postcodes, languages, strict=True))])
    letter_ids = _issue(ids, "invitation")
    _render(letter_ids)
    now = clock.now()
    with db.unit_of_work() as s:
        made = letters.make_print_batches(s, now, batch_size=3)
    assert [b.letters for b in made] == [3, 2] and [b.pages for b in made] == [3, 2]
    by_reference = {_letter(lid).reference: _letter(lid) for lid in letter_ids}
    seen_postcodes, seen_refs = [], []
    for outcome in made:
        with open(outcome.manifest_path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert list(rows[0]) == ["reference", "member_number", "kind", "language", "postcode", "town", "pages"]
        pages = PdfReader(outcome.pdf_path).pages
        assert len(pages) == len(rows)
        for row, page in zip(rows, pages, strict=True):
            assert row["reference"] in page.extract_text()  # the merged file is in manifest order
            assert row["town"] == f"Town{row['postcode']}" and row["pages"] == "1" and row["kind"] == "invitation"
            letter = by_reference[row["reference"]]
            assert (row["language"], row["postcode"]) == (letter.language, letter.postcode)
        seen_postcodes += [row["postcode"] for row in rows]
        seen_refs += [row["reference"] for row in rows]
    assert seen_postcodes == sorted(postcodes)
    assert sorted(seen_refs) == sorted(by_reference)
    with db.unit_of_work() as s:
        printed = s.execute(select(Letter.status, Letter.batch_id, Letter.printed_at)).all()
        batches = s.scalars(select(PrintBatch).order_by(PrintBatch.id)).all()
        assert [(b.letters, b.pdf_path, b.manifest_path) for b in batches] == [
            (m.letters, m.pdf_path, m.manifest_path) for m in made]
    assert {row.status for row in printed} == {LetterStatus.PRINTED} and all(row.printed_at == now for row in printed)
    assert {row.batch_id for row in printed} == {m.id for m in made}
    with db.unit_of_work() as s:
        assert letters.make_print_batches(s, clock.now()) == []  # nothing printed twice


def test_r2_batch_cancels_a_rendered_letter_whose_code_was_voided_or_expired(letters_dir):
    ids = _members([("C1", "de", "3000"), ("C2", "fr", "1000"), ("C3", "en", "2000")])
    voided, fine, expired = _issue(ids, "invitation")
    _render([voided, fine, expired])
    with db.unit_of_work() as s:
        s.execute(update(RegistrationCode).where(RegistrationCode.id == _letter(voided).code_id)
                  .values(status=CodeStatus.VOIDED, voided_at=clock.now(), void_reason="replaced"))
        s.execute(update(RegistrationCode).where(RegistrationCode.id == _letter(expired).code_id)
                  .values(expires_on=clock.today_in_zurich(clock.now()) - timedelta(days=1)))
    with db.unit_of_work() as s:
        [made] = letters.make_print_batches(s, clock.now())
    assert made.letters == 1
    assert [_letter(i).status for i in (voided, fine, expired)] == [
        LetterStatus.CANCELLED, LetterStatus.PRINTED, LetterStatus.CANCELLED]


def test_cli_list_json_and_table_and_batch(letters_dir):
    ids = _members([("J1", "de", "3000"), ("J2", "it", "6900")])
    first, second = _issue(ids, "invitation")
    _render([first])
    runner = CliRunner()
    result = runner.invoke(cli, ["letters", "list", "--json"])
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.output.splitlines()]
    assert [(o["id"], o["member_number"], o["kind"], o["language"], o["status"]) for o in objects] == [
        (first, "J1", "invitation", "de", "rendered"), (second, "J2", "invitation", "it", "pending")]
    assert objects[0]["pdf"] == _letter(first).pdf_path and Path(objects[0]["pdf"]).exists()
    assert objects[1]["pdf"] is None
    only = runner.invoke(cli, ["letters", "list", "--json", "--status", "pending", "--member", "J2"])
    assert [json.loads(line)["id"] for line in only.output.splitlines()] == [second]
    table = runner.invoke(cli, ["letters", "list"])
    assert table.exit_code == 0 and _letter(first).reference in table.output and "2 letters" in table.output
    pending = runner.invoke(cli, ["letters", "render-pending"])
    assert pending.exit_code == 0 and "rendered 1 letter" in pending.output
    assert "no pending letters" in runner.invoke(cli, ["letters", "render-pending"]).output
    batch = runner.invoke(cli, ["letters", "batch", "--size", "10"])
    assert batch.exit_code == 0 and "2 letters marked printed" in batch.output and ".csv" in batch.output
    assert "no rendered letters" in runner.invoke(cli, ["letters", "batch"]).output
    assert runner.invoke(cli, ["letters", "batch", "--help"]).exit_code == 0


def test_render_task_delegates_to_the_service(letters_dir):
    from worker.tasks.letters import render

    [member_id] = _members([("T1", "en", "4000")])
    [letter_id] = _issue([member_id], "new_code")
    render.run([letter_id])  # the task body, called in this process (no broker, no eager mode)
    assert _letter(letter_id).status == LetterStatus.RENDERED


def test_a_letter_that_cannot_be_drawn_stays_pending_without_holding_up_its_chunk(letters_dir):
    ids = _members([("F1", "de", "3000"), ("F2", "fr", "1000")])
    broken, fine = _issue(ids, "invitation")
    with db.unit_of_work() as s:  # an address snapshot no window can hold (R6: 3 to 6 lines)
        s.execute(update(Letter).where(Letter.id == broken).values(address=["Firma F1 AG", "3000 Bern"]))
    outcome = _render([broken, fine])
    assert outcome.failed == [broken] and outcome.rendered == [fine]
    assert _letter(broken).status == LetterStatus.PENDING and _code_hash(_letter(broken).code_id) is None
    assert _letter(fine).status == LetterStatus.RENDERED


def test_a_town_a_spreadsheet_would_evaluate_reaches_the_manifest_as_text(letters_dir, report):
    """CSV injection: a town typed as a formula (the register, a public request) is read as text by the print shop."""
    report.row("CSV injection: formula cells in the print manifest").runs = 1
    [member_id] = _members([("F1", "de", "3000")])
    with db.unit_of_work() as s:
        s.execute(update(Member).where(Member.id == member_id)
                  .values(town='=HYPERLINK("http://evil.example","Bern")', name="@SUM(A1:A9)"))
    _render(_issue([member_id], "invitation"))
    with db.unit_of_work() as s:
        [outcome] = letters.make_print_batches(s, clock.now(), batch_size=10)
    with open(outcome.manifest_path, newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["town"] == '\'=HYPERLINK("http://evil.example","Bern")'
    assert row["member_number"] == "F1" and row["pages"] == "1"  # ordinary cells stay as they are
