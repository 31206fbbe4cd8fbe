"""`backoffice members …`."""

from __future__ import annotations

import click


@click.group("members", help="members.")
def group() -> None:
    pass
