"""The `lms` command: Flask's CLI bound to create_app, plus Partner Academy's commands."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from lms.extensions import db


def _create_app() -> Flask:
    from lms import create_app
    from lms.config import ConfigError

    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error


def main() -> None:
    """The `lms` console script."""
    cli = FlaskGroup(create_app=_create_app, help="Partner Academy administration.")
    cli.main()


def upgrade_database() -> None:
    """Bring the database to the latest migration."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.config["LMS_MIGRATIONS_DIR"])


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database to the latest migration."""
    upgrade_database()
    click.echo("Database is at the latest migration.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """init, then a realistic demo program (idempotent); prints the demo logins."""
    from lms import demo

    upgrade_database()
    report = demo.load_demo()
    db.session.commit()
    click.echo(f"Demo data: {report.created} records created, {report.existing} already there.")
    click.echo("")
    click.echo(f"Demo logins (password {demo.DEMO_PASSWORD}):")
    for email, description in report.logins:
        click.echo(f"  {email:<42} {description}")


users_cli = click.Group("users", help="Manage people from the command line.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True,
              type=click.Choice(["member", "partner_admin", "manager", "admin"]))
@click.option("--org", "org_slug", help="Partner company slug (member and partner_admin).")
@click.option("--name", help="Display name (default: the part of the email before @).")
@click.option("--job-function", type=click.Choice(["sales", "technical"]))
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def create_user_command(email, role, org_slug, name, job_function, password) -> None:
    """Create a person who can sign in at once."""
    from lms.auth.service import AccountError, create_user

    try:
        user = create_user(email=email, role=role, org_slug=org_slug, name=name,
                           job_function=job_function, password=password)
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.value}).")


def register_commands(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(users_cli)
