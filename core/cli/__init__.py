"""`backoffice`: the command line for staff and operators."""

from __future__ import annotations

import click

from core.cli import audit_log, database, letters, members, signatories, staff
from core.cli import operations as operations_commands


@click.group(help="connect back office: member register, letters, staff and database.")
def main() -> None:
    pass


for group in (database.group, members.group, letters.group, staff.group, audit_log.group, signatories.group):
    main.add_command(group)
main.add_command(operations_commands.doctor)
main.add_command(operations_commands.retention)
