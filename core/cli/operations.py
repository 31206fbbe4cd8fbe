"""`backoffice doctor` (is this installation configured to run?) and `backoffice retention` (FADP)."""

from __future__ import annotations

import click

from core import clock, config, db
from core.doctor import diagnose
from core.operations import retention as retention_service


@click.command("doctor", help="Check the configuration, the database, the broker, the directories and SMTP; "
                              "say what is wrong and how to fix it. Exit 1 if anything is wrong.")
def doctor() -> None:
    findings = diagnose(config.get())
    for finding in findings:
        mark = "ok  " if finding.ok else "FAIL"
        click.echo(f"[{mark}] {finding.name}: {finding.summary}")
        if not finding.ok and finding.fix:
            click.echo(f"       fix: {finding.fix}")
    failed = [finding for finding in findings if not finding.ok]
    if failed:
        click.echo(f"\n{len(failed)} problem(s) found.", err=True)
        raise SystemExit(1)
    click.echo("\nAll checks passed.")


@click.command("retention", help="Delete or anonymise what is no longer needed (Swiss FADP), per the RETENTION_* "
                                 "periods. Beat runs this daily; --dry-run only says what would go.")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
def retention(dry_run: bool) -> None:
    periods = retention_service.Periods.from_environment()
    for problem in periods.problems():
        click.echo(f"note: {problem}", err=True)
    with db.unit_of_work() as session:
        outcomes = retention_service.run(session, periods, clock.now(), dry_run=dry_run)
        if dry_run:
            session.rollback()
    verb = "would remove" if dry_run else "removed"
    for outcome in outcomes:
        if outcome.days is None:
            click.echo(f"{outcome.label}: kept (no period configured)")
        else:
            click.echo(f"{outcome.label}: {verb} {outcome.count} (older than {outcome.days} days)")
