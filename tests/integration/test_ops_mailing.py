"""The operations page tells how far the mailing of the last register import has come: its invitation letters
waiting to be rendered, rendered and printed, in the supervisor's language. Letters of an older import and other
kinds of letters are not counted."""

from __future__ import annotations

import html
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select, update

from core import clock, db
from core.cli import main
from core.codes import letters as letter_service
from core.models import Letter
from core.operations import operations
from tests.integration.staff_support import create_staff, english_client, log_in, make_app

REGISTER = ["member_number,uid,name,care_of,street,po_box,postcode,town,language,email"] + [
    f"{100100 + i},CHE-100.155.212,Muster {i} AG,,Bahnhofstrasse 1,,3000,Bern,de," for i in range(5)]


def _import(pg: str, tmp_path, rows: list[str], name: str) -> None:
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["members", "import", str(path)], env={"DATABASE_URL": pg})
    assert result.exit_code == 0, result.output


def _page(lang: str = "en") -> str:
    client = english_client(make_app())
    log_in(client, create_staff(f"sara.{lang}", "Sara Supervisor", role="supervisor"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    return html.unescape(client.get("/staff/operations").get_data(as_text=True))


def test_no_import_no_mailing_line(pg):
    with db.unit_of_work() as s:
        assert operations.last_mailing(s) is None
    assert "Letters of the last import" not in _page()


def test_the_last_import_s_letters_waiting_rendered_and_printed(pg, tmp_path):
    _import(pg, tmp_path, REGISTER[:3], "older.csv")  # two members, an older import
    with db.unit_of_work() as s:  # that import happened yesterday
        s.execute(update(Letter).values(created_at=clock.now() - timedelta(days=1)))
    _import(pg, tmp_path, [REGISTER[0], *REGISTER[3:]], "newer.csv")  # three new members
    with db.unit_of_work() as s:
        newest = s.scalars(select(Letter.id).where(Letter.kind == "invitation").order_by(Letter.id.desc())).all()
        letter_service.render_letters(s, newest[:2], clock.now())
    with db.unit_of_work() as s:
        letter_service.make_print_batches(s, clock.now(), batch_size=1000)
    with db.unit_of_work() as s:
        letter_service.render_letters(s, newest[2:3], clock.now())
        mailing = operations.last_mailing(s)
    # the older import's two letters were rendered by neither call and printed in the batch only if rendered
    assert mailing is not None and (mailing.waiting, mailing.rendered, mailing.printed) == (0, 1, 2)


def test_the_line_reads_in_every_language(pg, tmp_path):
    _import(pg, tmp_path, REGISTER, "register.csv")
    expected = {"en": "5 waiting, 0 rendered, 0 printed", "de": "5 wartend, 0 erstellt, 0 gedruckt",
                "fr": "5 en attente, 0 produites, 0 imprimées", "it": "5 in attesa, 0 generate, 0 stampate"}
    for lang, words in expected.items():
        assert words in _page(lang), lang
