"""End to end: one grep of the web's and the worker's logs for a request id shows the HTTP request, the decision
task, the letter render task and the mail task, each as a JSON line (gunicorn and a real Celery worker)."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from tests.e2e.conftest import poll

REQUEST_ID = "e2e-ops-3007-01-grep"
MEMBER = "member_number,uid,name,care_of,street,po_box,postcode,town,language,email\n" \
         "300701,CHE-100.155.212,Grep AG,,Bahnhofstrasse 7,,3000,Bern,de,\n"


def _import_member(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from core.cli import main

    register = tmp_path / "members.csv"
    register.write_text(MEMBER, encoding="utf-8")
    result = CliRunner().invoke(main, ["members", "import", str(register), "--no-invitations"])
    assert result.exit_code == 0, result.output


def _lines_with_id(log: Path) -> list[dict]:
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if REQUEST_ID in line and line.startswith("{"):
            found.append(json.loads(line))
    return found


def _tasks_seen(log: Path) -> set[str]:
    return {line["task"] for line in _lines_with_id(log) if line.get("event") == "task.finished"}


def test_one_grep_follows_a_request_through_web_and_worker(pg, tmp_path, var_dir, web_server, worker_process):
    _import_member(tmp_path)
    answer = requests.post(f"{web_server}/api/v1/requests", headers={"X-Request-ID": REQUEST_ID}, timeout=10, json={
        "kind": "new_code", "member_number": "300701", "uid": "CHE-100.155.212", "company_name": "Grep AG",
        "requester": {"name": "Gina Grep", "role": "HR", "email": "gina@grep.example", "phone": "+41 31 123 45 67"},
        "reason": "Our only administrator has left the company.",
    })
    assert answer.status_code == 202 and answer.headers["X-Request-ID"] == REQUEST_ID

    wanted = {"requests.decide", "letters.render", "mail.send"}
    poll(lambda: _tasks_seen(var_dir / "worker.log") >= wanted, 60, "the worker's log lines for the request")
    web = _lines_with_id(var_dir / "web.log")
    assert any(line["event"] == "http.request" and line["route"] == "/api/v1/requests" for line in web)
    assert all(line["request_id"] == REQUEST_ID for line in _lines_with_id(var_dir / "worker.log"))

    metrics = requests.get(f"{web_server}/metrics", timeout=10)
    assert metrics.status_code == 200 and "backoffice_http_requests_total" in metrics.text
