"""`backoffice db …`: schema migrations."""

from __future__ import annotations

import click

from core import migrate


@click.group("db", help="Database schema.")
def group() -> None:
    pass


@group.command("upgrade", help="Apply every pending migration.")
def upgrade() -> None:
    migrate.upgrade()
    click.echo("database is at the latest schema")
