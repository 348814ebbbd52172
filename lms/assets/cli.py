"""`lms assets ...` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

assets_cli = AppGroup("assets", help="The sales-asset library.")


@assets_cli.command("check")
def check_command() -> None:
    """Verify that the file of every asset version is in the storage (exit 1 if not)."""
    from lms.assets.files import missing_files

    missing = missing_files()
    for slug, number, sha256 in missing:
        click.echo(f"{slug} version {number}: file {sha256} is missing", err=True)
    if missing:
        raise click.ClickException(f"{len(missing)} asset version(s) without their file.")
    click.echo("Every asset version has its file.")
