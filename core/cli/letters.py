"""`backoffice letters …`."""

from __future__ import annotations

import click


@click.group("letters", help="letters.")
def group() -> None:
    pass
