"""`backoffice signatories …`: the members' authorised signatories (R16)."""

from __future__ import annotations

import click


@click.group("signatories", help="Authorised signatories from the commercial register.")
def group() -> None:
    pass
