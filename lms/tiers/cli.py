"""`lms tiers evaluate [--apply]`: what the tier program changes, for cron or by hand."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from lms.extensions import db
from lms.tiers import rules, service

tiers_cli = AppGroup("tiers", help="The tier program: evaluate partners, apply changes.")

VERBS = {
    "promotion": "promote",
    "demotion": "demote",
    "at_risk": "grace period starts",
    "recovered": "recovered: meets its tier again",
}


@tiers_cli.command("evaluate")
@click.option("--apply", "apply_changes", is_flag=True,
              help="Write the changes (without it, only print what would change).")
@with_appcontext
def evaluate_command(apply_changes: bool) -> None:
    """Show promotions, demotions and grace periods due today; --apply makes them, but
    those a manager held back or that undo a tier set by hand (the review page has them)."""
    planned, program, version = service.plan()
    source = f"rules version {version.number}" if version else "content/program.toml"
    click.echo(f"Tier program: {source}; review window {program.review_window_months} "
               f"months, grace period {program.grace_period_days} days.")
    if not planned:
        click.echo("No changes: every partner holds its tier.")
        return
    for item in planned:
        org = item.standing.organization
        decision = item.decision
        assert decision.kind is not None, "plan() lists changes only"
        line = f"  {org.slug}: {org.tier.value}"
        if decision.tier != org.tier.value:
            line += f" -> {decision.tier}"
        line += f" ({VERBS[decision.kind]}; qualifies for {item.standing.qualified})"
        if decision.kind == "at_risk" and decision.at_risk_since:
            demote_on = rules.demotion_date(decision.at_risk_since, program.grace_period_days)
            line += f", demotion on {demote_on.isoformat()} unless it recovers"
        if item.held is not None:
            line += f"; held back by a manager ({item.held.reason}): left to the review page"
        elif item.by_hand_only:
            line += "; undoes a tier set by hand: left to the review page"
        click.echo(line)
    if not apply_changes:
        click.echo(f"{len(planned)} change(s) due. Nothing written: run with --apply.")
        return
    changes = service.apply()
    db.session.commit()
    click.echo(f"Applied {len(changes)} change(s).")
