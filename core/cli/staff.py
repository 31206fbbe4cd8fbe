"""`backoffice staff …`."""

from __future__ import annotations

import click


@click.group("staff", help="staff.")
def group() -> None:
    pass
