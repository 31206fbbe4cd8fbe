"""The links printed on letters and e-mails lead to the running site: PUBLIC_BASE_URL when it is set, otherwise the
port the web process serves (`PORT=5111 make run`), so a newcomer's first letter carries a registration link
that works (R20)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from core import clock, config, db, mail
from core.codes import codes as code_service
from core.codes import letters
from core.models import Letter, Member


@pytest.fixture
def environment(pg, tmp_path, monkeypatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("LETTERS_DIR", str(tmp_path / "letters"))
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    config.reset()
    yield monkeypatch
    monkeypatch.undo()
    config.reset()


def _invitation_letter_text(number: str) -> str:
    """R20: the invitation letter of a member that joins, rendered as the worker renders it."""
    now = clock.now()
    with db.unit_of_work() as s:
        member = Member(member_number=number, uid="CHE-100.155.212", name="Muster AG", care_of="",
                        street="Bahnhofstrasse 1", po_box="", postcode="3000", town="Bern", language="de",
                        email="", created_at=now, updated_at=now)
        s.add(member)
        s.flush()
        [letter_id] = code_service.issue_letters(s, [member], "invitation", now)
    with db.unit_of_work() as s:
        letters.render_letters(s, [letter_id], clock.now())
    with db.unit_of_work() as s:
        path = s.get(Letter, letter_id).pdf_path
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _status_mail_body() -> str:
    _subject, body = mail.render("new_code_request_received", "de",
                                 {"requester_name": "Anna Muster", "reference": "R-TEST-0001"})
    return body


def test_r20_without_public_base_url_letters_and_mails_link_to_the_port_served(environment):
    environment.setenv("PORT", "5111")
    config.reset()
    assert "http://127.0.0.1:5111/register" in _invitation_letter_text("P5111")
    assert "http://127.0.0.1:5111/requests/R-TEST-0001" in _status_mail_body()


def test_r20_public_base_url_wins_over_the_port(environment):
    environment.setenv("PORT", "5111")
    environment.setenv("PUBLIC_BASE_URL", "https://connect.example.ch/")
    config.reset()
    text = _invitation_letter_text("P443")
    assert "https://connect.example.ch/register" in text and ":5111" not in text
    assert "https://connect.example.ch/requests/R-TEST-0001" in _status_mail_body()


def test_make_run_tells_every_process_the_web_port_honcho_gives_only_to_the_web():
    """honcho sets PORT per process type (worker and beat get +100, +200); the worker prints the links, so
    `make run` hands every process the web's address unless PUBLIC_BASE_URL is set."""
    root = Path(config.ROOT)
    env = {"PATH": "/usr/bin:/bin", "PORT": "5111"}
    planned = subprocess.run(["make", "-n", "run"], cwd=root, env=env,
                             capture_output=True, text=True, check=True).stdout
    [start] = [line for line in planned.splitlines() if "honcho start" in line]
    shown = subprocess.run(["sh", "-c", start.replace(".venv/bin/honcho start -f Procfile",
                                                      "printenv PUBLIC_BASE_URL")],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert shown == "http://127.0.0.1:5111"
    kept = subprocess.run(["sh", "-c", start.replace(".venv/bin/honcho start -f Procfile",
                                                     "printenv PUBLIC_BASE_URL")],
                          env={**env, "PUBLIC_BASE_URL": "https://connect.example.ch"},
                          capture_output=True, text=True, check=True).stdout.strip()
    assert kept == "https://connect.example.ch"


def test_r20_no_e_mail_or_letter_text_writes_a_site_address_of_its_own():
    """Every link in every e-mail and letter, in every language, comes from the one base URL the two tests above
    check: no template carries a host, a scheme or the development port."""
    templates = Path(config.ROOT) / "templates"
    from babel.messages.pofile import read_po

    texts = sorted([*(templates / "email").rglob("*.txt"), *(templates / "letters").rglob("*.txt")])
    assert len(texts) >= 2 * 14 + 6  # every e-mail (subject, body) and letter kind is read, written in English
    lines = {f"{path.relative_to(templates)}:{number}": line for path in texts
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines())}
    for lang in ("de", "fr", "it"):  # their German, French and Italian texts are in the gettext catalogues
        with (Path(config.ROOT) / "web" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
            lines |= {f"{lang}: {message.context} {message.id!r}": str(message.string) for message in read_po(po)
                      if message.id}
    assert len(lines) > 1000
    written = {where: line for where, line in lines.items()
               if "http:" in line or "https:" in line or ":" + config.DEFAULT_PORT in line or "localhost" in line
               or "127.0.0.1" in line}
    assert written == {}
