"""Importing the member register and the automatic invitation letters, on real PostgreSQL (R1, R6, R19, R20)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update

from core import clock, db
from core.cli import main
from core.domain.register import COLUMNS, validate_rows
from core.domain.states import CodeStatus, LetterStatus, LoginStatus
from core.members import members
from core.models import AuditEvent, Letter, Login, Member, OutboxMessage, RegistrationCode

HEADER = ",".join(COLUMNS)
REGISTER = [
    "100001,CHE-100.155.212,Muster AG,,Bahnhofstrasse 1,,3000,Bern,de,info@muster.example",
    "100002,CHE-116.281.710,Boulangerie Dupont SA,,Rue du Lac 12,,1003,Lausanne,fr,contact@dupont.example",
    "100003,CHE-109.322.551,Ticino Costruzioni SA,c/o Studio Rossi,Via Nassa 5,,6900,Lugano,it,",
    "100004,CHE-105.805.081,Alpine Consulting GmbH,,,Postfach,8021,Zürich,en,office@alpine.example",
    "100005,CHE-100.155.212,Keller Treuhand AG,,Marktgasse 3,Postfach 12,3011,Bern,de,",
]


def write(tmp_path: Path, *rows: str, name: str = "register.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows, ""]), encoding="utf-8")
    return path


def run(pg: str, path: Path, *options: str):
    return CliRunner().invoke(main, ["members", "import", str(path), *options], env={"DATABASE_URL": pg})


def count(model: type, *where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def letters_by_member() -> dict[str, list[Letter]]:
    with db.unit_of_work() as s:
        found: dict[str, list[Letter]] = {}
        for letter, number in s.execute(select(Letter, Member.member_number).join(Member).order_by(Letter.id)):
            found.setdefault(number, []).append(letter)
        return found


def import_rows(rows: list[str], tmp_path: Path, now: datetime, chunk_size: int = 1000) -> members.ImportSummary:
    with write(tmp_path, *rows).open("rb") as raw:
        good, errors = validate_rows(raw)
    assert errors == []
    return members.import_register(db.unit_of_work, good, now, chunk_size=chunk_size)


def test_r20_import_creates_members_each_with_one_invitation_letter(pg, tmp_path):
    result = run(pg, write(tmp_path, *REGISTER))
    assert result.exit_code == 0, result.output
    assert "imported 5 rows: 5 created, 0 updated, 0 unchanged; 5 invitation letters queued" in result.stdout
    letters = letters_by_member()
    assert sorted(letters) == ["100001", "100002", "100003", "100004", "100005"]
    assert all(len(found) == 1 and found[0].kind == "invitation" for found in letters.values())
    # R6: the member's language; R1: the address on file, last line `NNNN Town`.
    assert [letters[n][0].language for n in ("100001", "100002", "100003", "100004")] == ["de", "fr", "it", "en"]
    assert letters["100003"][0].address == ["Ticino Costruzioni SA", "c/o Studio Rossi", "Via Nassa 5", "6900 Lugano"]
    assert letters["100004"][0].address == ["Alpine Consulting GmbH", "Postfach", "8021 Zürich"]
    with db.unit_of_work() as s:
        codes = s.scalars(select(RegistrationCode)).all()
        assert len(codes) == 5 and {c.status for c in codes} == {CodeStatus.ISSUED}
        assert {letter.code_id for found in letters.values() for letter in found} == {c.id for c in codes}
        renders = s.scalars(select(OutboxMessage).where(OutboxMessage.task == "letters.render")).all()
        queued = sorted(i for message in renders for i in message.args["letter_ids"])
        assert queued == sorted(letter.id for found in letters.values() for letter in found)
        stored = s.scalar(select(Member).where(Member.member_number == "100004"))
        assert (stored.uid, stored.po_box, stored.town, stored.language) == ("CHE-105.805.081", "Postfach", "Zürich",
                                                                            "en")


def test_r19_a_file_with_bad_rows_writes_nothing_and_exits_1_listing_rows(pg, tmp_path):
    bad = [*REGISTER[:2], REGISTER[2].replace("CHE-109.322.551", "CHE-123.456.789"),
           REGISTER[3].replace(",8021,", ",802,"), REGISTER[1]]
    result = run(pg, write(tmp_path, *bad))
    assert result.exit_code == 1
    assert "row 4: UID 'CHE-123.456.789' is not valid" in result.stderr
    assert "row 5: postcode '802' is not a 4-digit Swiss postcode" in result.stderr
    assert "row 6: member number '100002' appears twice (first on row 3)" in result.stderr
    assert "nothing was imported: 3 bad rows" in result.stderr
    assert count(Member) == count(Letter) == count(OutboxMessage) == count(AuditEvent) == 0


def test_a_file_in_the_wrong_encoding_writes_nothing_even_with_skip_invalid(pg, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("\n".join([HEADER, *REGISTER, ""]).encode("latin-1"))
    result = run(pg, path, "--skip-invalid")
    assert result.exit_code == 1
    assert "row 5: the file is not UTF-8" in result.stderr
    assert count(Member) == count(Letter) == 0


def test_skip_invalid_imports_the_good_rows_and_reports_the_bad(pg, tmp_path):
    bad = [REGISTER[0], REGISTER[1].replace(",fr,", ",rm,"), *REGISTER[2:]]
    result = run(pg, write(tmp_path, *bad), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "row 3: language 'rm' is not one of de, fr, it, en" in result.stderr
    assert "4 created" in result.stdout and "4 invitation letters queued" in result.stdout
    assert "skipped 1 bad row" in result.stdout
    assert sorted(letters_by_member()) == ["100001", "100003", "100004", "100005"]


def mark_printed() -> None:
    with db.unit_of_work() as s:
        s.execute(update(Letter).values(status=LetterStatus.PRINTED, printed_at=clock.now()))


def test_r20_reimport_updates_changed_fields_and_queues_no_new_invitation(pg, tmp_path):
    assert run(pg, write(tmp_path, *REGISTER)).exit_code == 0
    mark_printed()  # the invitations went out; their codes are still valid
    changed = REGISTER.copy()
    changed[0] = "100001,CHE-116.281.710,Muster Holding AG,,Bundesplatz 2,,3011,Bern,fr,"
    result = run(pg, write(tmp_path, *changed, "100006,CHE-100.155.212,Neu GmbH,,Weg 1,,4051,Basel,de,",
                           name="again.csv"))
    assert result.exit_code == 0, result.output
    assert "imported 6 rows: 1 created, 1 updated, 4 unchanged; 1 invitation letter queued" in result.stdout
    with db.unit_of_work() as s:
        member = s.scalar(select(Member).where(Member.member_number == "100001"))
        assert (member.uid, member.name, member.street, member.postcode, member.language, member.email) == (
            "CHE-116.281.710", "Muster Holding AG", "Bundesplatz 2", "3011", "fr", "")
        assert member.updated_at > member.created_at
        entry = s.scalar(select(AuditEvent).where(AuditEvent.action == "member.updated"))
        assert entry.member_id == member.id
        assert entry.detail["fields"] == ["uid", "name", "street", "postcode", "language", "email"]
    letters = letters_by_member()
    assert {n: len(found) for n, found in letters.items()} == {f"10000{i}": 1 for i in range(1, 7)}


def test_r20_a_member_with_a_login_gets_no_invitation(pg, tmp_path):
    now = clock.now()
    with db.unit_of_work() as s:
        for number, status in (("100001", LoginStatus.ACTIVE), ("100002", LoginStatus.PENDING),
                               ("100003", LoginStatus.DEACTIVATED)):
            member = Member(member_number=number, uid="CHE-100.155.212", name="Old AG", street="Weg 1",
                            postcode="3000", town="Bern", language="de", created_at=now, updated_at=now)
            s.add(member)
            s.flush()
            s.add(Login(member_id=member.id, name="Anna Muster", email="anna@example.ch", mobile="+41791234567",
                        language="de", status=status, created_at=now))
    summary = import_rows(REGISTER, tmp_path, now)
    assert (summary.created, summary.updated, summary.invitations) == (2, 3, 2)
    # A member whose logins were all deactivated asks for a new code (Situation 2, R5); it is not invited again.
    assert sorted(letters_by_member()) == ["100004", "100005"]


def test_r20_a_member_whose_code_expired_unused_gets_a_new_one(pg, tmp_path):
    first = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    import_rows(REGISTER[:2], tmp_path, first)
    # The code is valid to the end of its expiry day: importing on that day sends nothing new.
    with db.unit_of_work() as s:
        expiry = s.scalar(select(func.max(RegistrationCode.expires_on)))
    on_last_day = datetime.combine(expiry, datetime.min.time(), clock.ZURICH) + timedelta(hours=23)
    assert import_rows(REGISTER[:2], tmp_path, on_last_day).invitations == 0
    # 00:30 in Zurich the next day is still the day before in UTC; the code has expired all the same.
    next_day = datetime.combine(expiry + timedelta(days=1), datetime.min.time(), clock.ZURICH) + timedelta(minutes=30)
    assert next_day.astimezone(UTC).date() == expiry
    with db.unit_of_work() as s:  # one member used its code meanwhile and is registering
        used = s.scalar(select(RegistrationCode).join(Member).where(Member.member_number == "100002"))
        used.status = CodeStatus.USED
    summary = import_rows(REGISTER[:2], tmp_path, next_day)
    assert summary.invitations == 2  # no login was ever made from the used code either
    with db.unit_of_work() as s:
        statuses = s.execute(select(Member.member_number, RegistrationCode.status, RegistrationCode.expires_on)
                             .join(Member).order_by(RegistrationCode.id)).all()
    assert [(n, st) for n, st, _ in statuses] == [("100001", CodeStatus.VOIDED), ("100002", CodeStatus.USED),
                                                  ("100001", CodeStatus.ISSUED), ("100002", CodeStatus.ISSUED)]
    assert statuses[-1][2] > expiry
    assert {n: len(found) for n, found in letters_by_member().items()} == {"100001": 2, "100002": 2}


def test_r20_members_needing_invitation_is_set_based_on_zurich_today(pg):
    now = clock.now()
    today = date(2026, 5, 10)
    with db.unit_of_work() as s:
        ids = []
        for number in ("1", "2", "3", "4"):
            member = Member(member_number=number, uid="CHE-100.155.212", name="AG", street="Weg 1",
                            postcode="3000", town="Bern", language="de", created_at=now, updated_at=now)
            s.add(member)
            s.flush()
            ids.append(member.id)
        s.add_all([
            RegistrationCode(member_id=ids[0], purpose="registration", issued_at=now, expires_on=today),
            RegistrationCode(member_id=ids[1], purpose="registration", issued_at=now,
                             expires_on=today - timedelta(days=1)),
            RegistrationCode(member_id=ids[2], purpose="registration", issued_at=now, expires_on=today,
                             status=CodeStatus.VOIDED),
        ])
        s.flush()
        assert members.members_needing_invitation(s, ids, today) == ids[1:]


def test_chunks_of_two_give_the_same_result_as_one_chunk(pg, tmp_path):
    now = clock.now()
    result = run(pg, write(tmp_path, *REGISTER), "--chunk-size", "2")
    assert result.exit_code == 0, result.output
    small_chunks = {n: [(x.kind, x.language, x.address) for x in found] for n, found in letters_by_member().items()}
    assert count(OutboxMessage, OutboxMessage.task == "letters.render") == 3  # one render batch per chunk
    assert count(AuditEvent, AuditEvent.action == "register.imported") == 3
    with db.engine().begin() as conn:
        conn.execute(text("TRUNCATE member, registration_code, letter, outbox, audit_event RESTART IDENTITY CASCADE"))
    summary = import_rows(REGISTER, tmp_path, now)
    one_chunk = {n: [(x.kind, x.language, x.address) for x in found] for n, found in letters_by_member().items()}
    assert small_chunks == one_chunk and summary.invitations == 5


def test_no_invitations_flag_updates_the_register_only(pg, tmp_path):
    result = run(pg, write(tmp_path, *REGISTER), "--no-invitations")
    assert result.exit_code == 0, result.output
    assert count(Member) == 5 and count(Letter) == 0
    assert run(pg, write(tmp_path, *REGISTER)).stdout.count("5 invitation letters queued") == 1


def test_a_large_file_shows_progress_on_stderr(pg, tmp_path):
    result = run(pg, write(tmp_path, *REGISTER), "--chunk-size", "2", "--no-invitations")
    assert result.exit_code == 0 and "importing" in result.stderr and "importing" not in result.stdout


def test_progress_without_a_terminal_is_a_line_per_tenth_of_the_rows(pg, tmp_path):
    result = run(pg, write(tmp_path, *REGISTER), "--chunk-size", "2", "--no-invitations")
    lines = [line for line in result.stderr.splitlines() if line.startswith("importing:")]
    assert lines == ["importing: 2 of 5 rows (40 %)", "importing: 4 of 5 rows (80 %)",
                     "importing: 5 of 5 rows (100 %)"]


def test_progress_on_a_terminal_is_a_bar(pg, tmp_path, monkeypatch):
    from core.cli import members as members_cli

    monkeypatch.setattr(members_cli.sys.stderr, "isatty", lambda: True, raising=False)
    bar = members_cli._progress(5000, 1000)
    assert type(bar).__name__ == "ProgressBar" and bar.length == 5000
    monkeypatch.setattr(members_cli.sys.stderr, "isatty", lambda: False, raising=False)
    assert isinstance(members_cli._progress(5000, 1000), members_cli._Lines)


def test_two_imports_at_once_create_and_invite_each_member_once(pg, tmp_path):
    with write(tmp_path, *REGISTER).open("rb") as raw:
        good, _ = validate_rows(raw)
    now = clock.now()
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def one_import() -> None:
        barrier.wait()
        try:
            members.import_register(db.unit_of_work, good, now, chunk_size=5)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=one_import) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    assert count(Member) == 5 and count(Letter) == 5


@pytest.mark.parametrize("options", [(), ("--skip-invalid",)])
def test_reimporting_the_same_file_changes_nothing(pg, tmp_path, options):
    path = write(tmp_path, *REGISTER)
    assert run(pg, path, *options).exit_code == 0
    result = run(pg, path, *options)
    assert "0 created, 0 updated, 5 unchanged; 0 invitation letters queued" in result.stdout
    assert count(Letter) == 5 and count(RegistrationCode, RegistrationCode.status == CodeStatus.ISSUED) == 5


FAIL_ON_100004 = """
CREATE FUNCTION test_refuse_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.member_number = '100004' THEN RAISE EXCEPTION 'disk full (simulated)'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER test_refuse_member BEFORE INSERT ON member FOR EACH ROW EXECUTE FUNCTION test_refuse_member();
"""


def test_a_failing_chunk_keeps_the_earlier_ones_and_a_rerun_finishes_the_job(pg, tmp_path):
    path = write(tmp_path, *REGISTER)
    with db.engine().begin() as conn:
        conn.execute(text(FAIL_ON_100004))
    try:
        result = run(pg, path, "--chunk-size", "2")
    finally:
        with db.engine().begin() as conn:
            conn.execute(text("DROP TRIGGER test_refuse_member ON member; DROP FUNCTION test_refuse_member()"))
    assert result.exit_code == 1
    assert "the import stopped in the chunk starting at row 4" in result.stderr
    assert "disk full (simulated)" in result.stderr
    assert "imported 2 rows: 2 created" in result.stderr and "Importing the same file again is safe" in result.stderr
    assert sorted(letters_by_member()) == ["100001", "100002"]  # the failed chunk left nothing behind
    again = run(pg, path, "--chunk-size", "2")
    assert "3 created, 0 updated, 2 unchanged; 3 invitation letters queued" in again.stdout
    assert {n: len(found) for n, found in letters_by_member().items()} == {f"10000{i}": 1 for i in range(1, 6)}


def test_r1_an_address_change_replaces_an_invitation_not_yet_printed(pg, tmp_path):
    now = clock.now()
    import_rows(REGISTER[:3], tmp_path, now)
    with db.unit_of_work() as s:  # 100002's letter is printed and posted; the others wait in the queue
        s.execute(update(Letter).where(Letter.member_id == select(Member.id).where(Member.member_number == "100002")
                                       .scalar_subquery()).values(status=LetterStatus.PRINTED))
    moved = [REGISTER[0].replace("Bahnhofstrasse 1", "Bundesgasse 8"), REGISTER[1].replace("Rue du Lac 12", "Rue 1"),
             REGISTER[2] + "info@ticino.example"]
    summary = import_rows(moved, tmp_path, now)
    assert (summary.updated, summary.invitations, summary.readdressed) == (3, 1, 1)
    letters = letters_by_member()
    assert [(x.status, x.address[1]) for x in letters["100001"]] == [(LetterStatus.CANCELLED, "Bahnhofstrasse 1"),
                                                                     (LetterStatus.PENDING, "Bundesgasse 8")]
    # 100002's letter is posted already (the new address gets no second code); 100003 changed only its e-mail.
    assert len(letters["100002"]) == 1 and len(letters["100003"]) == 1
    with db.unit_of_work() as s:
        codes = s.execute(select(RegistrationCode.status).join(Member).where(Member.member_number == "100001")
                          .order_by(RegistrationCode.id)).scalars().all()
    assert codes == [CodeStatus.VOIDED, CodeStatus.ISSUED]
