"""`lms deals ...` commands: CSV import from the vendor's CRM, and expiry (for cron)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from lms.deals import importer
from lms.deals.crm import ImportReport, import_deals
from lms.deals.expiry import expire_overdue
from lms.deals.rules import DealError
from lms.extensions import db

deals_cli = AppGroup("deals", help="Deal registrations: import, expiry.")


@deals_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad-rows", is_flag=True,
              help="Import the good rows and list the bad ones (default: any bad row stops "
                   "the whole import).")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
def import_command(file: Path, skip_bad_rows: bool, dry_run: bool) -> None:
    """Create or update deals by external id from a CSV FILE, in one transaction.

    Exits 1 when the file has errors and nothing was written (also with --dry-run).
    The format is described in lms/deals/importer.py and the README.
    """
    if file.stat().st_size > importer.MAX_BYTES:
        raise click.ClickException(
            f"{file} is larger than {importer.MAX_BYTES // (1024 * 1024)} MB; split it.")
    try:
        report = import_deals(file.read_bytes(), None, skip_bad_rows=skip_bad_rows,
                              dry_run=dry_run)
    except DealError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    if report.applied:
        db.session.commit()
    else:
        db.session.rollback()
    for problem in report.errors:
        click.echo(str(problem))
    click.echo(_summary(report))
    if report.errors and not report.applied:
        raise SystemExit(1)


def _summary(report: ImportReport) -> str:
    counts = (f"{report.created} created, {report.updated} updated, "
              f"{report.unchanged} unchanged, {report.bad_rows} bad row(s)")
    if report.file_error:
        return "The file cannot be imported; nothing was written."
    if report.dry_run:
        return f"Check only, nothing written: {counts} (of {report.row_count} rows)."
    if report.refused and report.skip_bad_rows:
        return "Nothing was written: every row has errors."
    if report.refused:
        return (f"Nothing was written: {report.bad_rows} row(s) have errors. Fix them, or use "
                f"--skip-bad-rows to import the other rows.")
    if report.applied:
        skipped = f", {report.bad_rows} bad row(s) skipped" if report.bad_rows else ""
        return (f"Imported: {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged{skipped}.")
    return "Nothing to import."


@deals_cli.command("expire")
def expire_command() -> None:
    """Expire open registrations older than LMS_DEAL_EXPIRY_DAYS (default 90); run daily."""
    count = expire_overdue()
    db.session.commit()
    click.echo(f"{count} deal(s) expired.")
