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


PROGRESS_BAR_FROM = 50  # units of content; smaller syncs finish before a bar is useful


def sync_content_or_fail() -> None:
    """Check all content, then import it in one transaction; any problem aborts everything."""
    from lms.content import load_all, sync_all
    from lms.sync import SyncRefused

    content = load_all()
    if content.problems:
        for problem in content.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{len(content.problems)} problem(s) in the content; nothing was imported.")
    for warning in content.warnings:
        click.echo(str(warning), err=True)
    try:
        if content.size >= PROGRESS_BAR_FROM:
            with click.progressbar(length=content.size, label="Syncing content") as bar:
                report = sync_all(content, progress=bar.update)
        else:
            report = sync_all(content)
    except SyncRefused as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from refused
    if report.changed:
        db.session.commit()
    else:
        db.session.rollback()
    click.echo(report.summary())


def ensure_signing_key() -> None:
    """Create the Open Badges signing key file unless a key is configured or already there."""
    from lms.signing import SigningKeyError, ensure_key_file

    try:
        click.echo(ensure_key_file(current_app.config))
    except SigningKeyError as error:
        raise click.ClickException(str(error)) from error
    ensure_secret_box_key()


def ensure_secret_box_key() -> None:
    """Create the key file of secrets at rest unless a key is configured or already there."""
    from lms.secretbox import SecretBoxError
    from lms.secretbox import ensure_key_file as ensure_box

    try:
        click.echo(ensure_box(current_app.config))
    except SecretBoxError as error:
        raise click.ClickException(str(error)) from error


@click.command("secret-key")
@click.option("--rotate", is_flag=True,
              help="Re-encrypt every stored secret with the first key of LMS_SECRET_BOX_KEY.")
@with_appcontext
def secret_key_command(rotate: bool) -> None:
    """Print a new key for LMS_SECRET_BOX_KEY; with --rotate, re-encrypt stored secrets."""
    from lms.secretbox import SecretBoxError, new_key

    if not rotate:
        click.echo(new_key())
        return
    from lms.environments.service import rotate_secrets

    try:
        count = rotate_secrets()
    except SecretBoxError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Re-encrypted {count} stored secret(s) with the first key.")


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database to the latest migration, sync the content, and make
    the Open Badges signing key when there is none."""
    upgrade_database()
    click.echo("Database is at the latest migration.")
    sync_content_or_fail()
    ensure_signing_key()


content_cli = click.Group("content", help="Check or import courses and quizzes.")


@content_cli.command("check")
@click.option("--strict", is_flag=True, help="Exit non-zero on warnings too (for CI).")
@with_appcontext
def content_check_command(strict: bool) -> None:
    """Validate content/ and quizzes/; exit non-zero on any problem, listing them all.

    Warnings (`file:line: warning: ...`) are listed after the problems; they fail the check
    only with --strict, and never stop a sync.
    """
    from lms.content import load_all

    content = load_all()
    for problem in [*content.problems, *content.warnings]:
        click.echo(str(problem))
    if content.problems:
        raise click.ClickException(f"{len(content.problems)} problem(s) found.")
    if strict and content.warnings:
        raise click.ClickException(f"{len(content.warnings)} warning(s) found (--strict).")
    warned = f" {len(content.warnings)} warning(s) above." if content.warnings else ""
    click.echo(f"Content is valid: {len(content.courses.courses)} courses, "
               f"{content.courses.lesson_count} lessons, "
               f"{len(content.quizzes.quizzes)} quizzes and exams, "
               f"{len(content.credentials.credentials)} badges and certifications, "
               f"{len(content.terms.versions)} program terms versions, "
               f"{len(content.kb.articles)} knowledge base articles.{warned}")


@content_cli.command("sync")
@with_appcontext
def content_sync_command() -> None:
    """Import content/ and quizzes/ (idempotent: a second run writes nothing)."""
    sync_content_or_fail()


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """init, then a realistic demo program (idempotent); prints the demo logins."""
    from lms import demo

    upgrade_database()
    sync_content_or_fail()
    ensure_signing_key()
    report = demo.load_demo()
    db.session.commit()
    click.echo(f"Demo data: {report.created} records created, {report.existing} already there; "
               f"{report.progress_created} lesson progress records and "
               f"{report.attempts_created} quiz attempts and {report.deals_created} deals "
               "created.")
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


credentials_cli = click.Group("credentials", help="Badges and certifications.")


@credentials_cli.command("award")
@with_appcontext
def award_command() -> None:
    """Award every badge and certification people have already earned (e.g. after adding one)."""
    from lms.credentials.service import award_all

    count = award_all()
    db.session.commit()
    click.echo(f"{count} award(s) made.")


quizzes_cli = click.Group("quizzes", help="Quiz and exam maintenance.")


@quizzes_cli.command("close-expired")
@with_appcontext
def close_expired_command() -> None:
    """Close and grade every open attempt whose time limit has passed."""
    from lms.quizzes.service import close_expired_attempts

    closed = close_expired_attempts()
    db.session.commit()
    click.echo(f"Closed {closed} expired attempt(s).")


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="Jobs run side by side.")
@with_appcontext
def worker_command(threads: int) -> None:
    """Run the background jobs: each periodic job when it is due (Ctrl+C stops)."""
    from lms import jobs

    queue = jobs.use_storage(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"Worker on {current_app.config['LMS_QUEUE_URL']} with {threads} thread(s); "
               f"jobs: " + ", ".join(f"{job.name} ({job.when})" for job in jobs.JOBS))
    queue.create_consumer(workers=threads, worker_type="thread", periodic=True).run()


jobs_cli = click.Group("jobs", help="Background jobs (the worker runs them by itself).")


@jobs_cli.command("list")
def jobs_list_command() -> None:
    """The periodic jobs and when the worker runs them (the program's time zone)."""
    from lms import jobs

    for job in jobs.JOBS:
        click.echo(f"{job.name}: {job.when}")


@jobs_cli.command("run")
@with_appcontext
def jobs_run_command() -> None:
    """Run every periodic job once, now, and exit (for cron, or to catch up)."""
    from lms import jobs

    jobs.init_app(current_app._get_current_object())  # type: ignore[attr-defined]
    failed = False
    for name, said in jobs.run_all():
        click.echo(f"{name}: {said}")
        failed = failed or said.startswith("failed:")
    if failed:
        raise SystemExit(1)


activity_cli = click.Group("activity", help="People's activity behind the KPI pages.")


@activity_cli.command("rebuild")
@with_appcontext
def activity_rebuild_command() -> None:
    """Recompute each person's last activity and each company's active months from the
    stored events (after loading lessons, attempts or deals with SQL, around the portal)."""
    from lms.activity import rebuild
    from lms.models import OrganizationActivityMonth, User

    rebuild(db.session.connection())
    db.session.commit()
    people = db.session.scalar(db.select(db.func.count()).where(User.last_active_at.is_not(None)))
    months = db.session.scalar(db.select(db.func.count()).select_from(OrganizationActivityMonth))
    click.echo(f"Activity rebuilt: {people} person(s) with activity, {months} company month(s).")


def register_commands(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(secret_key_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(quizzes_cli)
    app.cli.add_command(activity_cli)
    app.cli.add_command(credentials_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_cli)
    from lms.assets.cli import assets_cli
    from lms.deals.cli import deals_cli
    from lms.tiers.cli import tiers_cli

    app.cli.add_command(assets_cli)
    app.cli.add_command(deals_cli)
    app.cli.add_command(tiers_cli)
