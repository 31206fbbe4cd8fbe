"""`backoffice staff …`: staff logins for the desk at /staff."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click

from core import clock, db
from core.desk import staff as staff_service
from core.domain import staff as rules


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


@click.group("staff", help="Staff logins for the desk at /staff (password and authenticator app).")
def group() -> None:
    pass


def _read_password(password_file: Path | None, username: str) -> str:
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        password = lines[0] if lines else ""
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    problem = rules.password_problem(password, username)
    if problem:
        raise click.ClickException(f"password refused: {problem}")
    return password


def _show_enrolment(enrolment: staff_service.Enrolment, done: str = "created") -> None:
    click.echo(f"staff login {enrolment.username} {done} (id {enrolment.staff_id}).")
    click.echo("")
    click.echo("Enrol the authenticator app now. This is shown only once and cannot be shown again:")
    click.echo(f"  secret: {enrolment.secret}")
    click.echo(f"  link:   {enrolment.uri}")
    if sys.stdout.isatty():
        import segno

        segno.make(enrolment.uri, error="m").terminal(compact=True)
    click.echo("")
    click.echo("Give it to the person in person; do not e-mail it. Log in at /staff/login.")


@group.command(
    "create",
    help=(
        "Create a staff login. The password comes from the first line of --password-file, or is asked twice "
        "(hidden); it needs at least 12 characters. A new authenticator (TOTP) secret is made and printed ONCE "
        "on this terminal, as a secret and an otpauth:// link (and a QR code on a terminal): this output to "
        "the operator is the enrolment channel, so hand it to the person directly and do not keep it. "
        "With --if-missing an existing username is left as it is (nothing is printed again)."
    ),
)
@click.option("--username", required=True, help="Login name: lower-case letters, digits, '.', '_' or '-'.")
@click.option("--name", required=True, help="The person's full name, shown on decisions.")
@click.option("--email", required=True, help="The person's work e-mail address.")
@click.option("--role", type=click.Choice(rules.ROLES), default="clerk", show_default=True)
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the password from the first line of this file instead of asking.")
@click.option("--if-missing", is_flag=True, help="Do nothing when the username exists already.")
def create(username: str, name: str, email: str, role: str, password_file: Path | None, if_missing: bool) -> None:
    username = username.strip().lower()
    problem = rules.username_problem(username)
    if problem:
        raise click.ClickException(problem)
    with db.unit_of_work() as session:
        exists = staff_service.find(session, username) is not None
    if exists:
        if if_missing:
            click.echo(f"staff login {username} exists already; nothing changed.")
            return
        raise click.ClickException(f"a staff login named {username} exists already")
    password = _read_password(password_file, username)
    try:
        with db.unit_of_work() as session:
            enrolment = staff_service.create(session, username=username, name=name, email=email, role=role,
                                             password=password, now=clock.now(), actor=_actor())
    except staff_service.StaffError as error:
        raise click.ClickException(str(error)) from error
    _show_enrolment(enrolment)


@group.command("list", help="List the staff logins (never their passwords or secrets).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_(as_json: bool) -> None:
    with db.unit_of_work() as session:
        people = staff_service.list_all(session)
    for person in people:
        row = {"username": person.username, "name": person.name, "email": person.email, "role": person.role,
               "active": person.active, "created_at": person.created_at.isoformat()}
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            state = "active" if person.active else "deactivated"
            click.echo(f"{person.username:<24} {person.role:<10} {state:<11} {person.name} <{person.email}>")
    if not people and not as_json:
        click.echo("no staff logins yet")


@group.command("deactivate", help="Refuse a staff login from now on and end its open sessions at once.")
@click.option("--username", required=True)
def deactivate(username: str) -> None:
    try:
        with db.unit_of_work() as session:
            changed = staff_service.deactivate(session, username, clock.now(), _actor())
    except staff_service.StaffError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"staff login {username} deactivated." if changed else f"staff login {username} was inactive already.")


@group.command(
    "reset",
    help=(
        "A forgotten password or a lost phone: set a new password (first line of --password-file, or asked "
        "twice) and make a new authenticator secret, printed ONCE as at creation. The old password and "
        "authenticator stop working and every open session ends. A deactivated login is active again."
    ),
)
@click.option("--username", required=True)
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the new password from the first line of this file instead of asking.")
def reset(username: str, password_file: Path | None) -> None:
    username = username.strip().lower()
    with db.unit_of_work() as session:
        if staff_service.find(session, username) is None:
            raise click.ClickException(f"no staff login named {username}")
    password = _read_password(password_file, username)
    try:
        with db.unit_of_work() as session:
            enrolment = staff_service.reset(session, username, password, clock.now(), _actor())
    except staff_service.StaffError as error:
        raise click.ClickException(str(error)) from error
    _show_enrolment(enrolment, done="reset")


@group.command("role", help="Change a staff login's role; its open sessions end so the new role applies at once.")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(rules.ROLES), required=True)
def role(username: str, role: str) -> None:
    try:
        with db.unit_of_work() as session:
            changed = staff_service.change_role(session, username, role, clock.now(), _actor())
    except staff_service.StaffError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"staff login {username} is now {role}." if changed else f"staff login {username} was {role} already.")
