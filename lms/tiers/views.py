"""Partner profiles with their tier scorecard, and the admin pages of the tier rules."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.database import saving
from lms.extensions import db
from lms.formutil import choices
from lms.i18n import gettext as _
from lms.labels import JOB_LABELS
from lms.models import (
    DealStatus,
    Organization,
    TierProgramVersion,
)
from lms.policy import VENDOR_ROLES, admin_required, scope
from lms.tiers import bp, present, rules, service
from lms.tiers.forms import EXTRA_ROWS, KIND_CHOICES, ProgramForm
from lms.tiers.program import CURRENCY_CODES, TIERS, Program, program_from_dict, program_to_dict

# --- Partners --------------------------------------------------------------------------


@bp.route("/partners")
@login_required
def partner_list():
    if current_user.role not in VENDOR_ROLES:  # a partner's list is its own company
        return partner(current_user.organization.slug)
    standings = service.standings()
    program, _version = service.current_program()
    return render_template("tiers/partners.html", standings=standings, program=program,
                           demotion_date=rules.demotion_date)


@bp.route("/partners/<org_slug>")
@login_required
def partner(org_slug: str):
    # Another company's profile does not exist for a partner (scoped like all partner data).
    organization = db.session.scalar(scope(
        select(Organization).where(Organization.slug == org_slug), Organization.id))
    if organization is None:
        abort(404)
    return render_template(
        "tiers/partner.html", organization=organization,
        profile=service.partner_profile(organization), deal_statuses=DealStatus,
        history=service.history(organization), job_labels=JOB_LABELS,
        **present.partner_overview(organization, current_user))


# --- Tier rules (admin) ----------------------------------------------------------------


@bp.route("/admin/tiers")
@admin_required
def rules_overview():
    program, version = service.current_program()
    vocab = present.vocabulary()
    return render_template("tiers/rules.html", program=program, version=version,
                           versions=service.versions(), vocab=vocab, label=present.label)


@bp.route("/admin/tiers/versions/<int:number>")
@admin_required
def rules_version(number: int):
    version = db.first_or_404(select(TierProgramVersion)
                              .where(TierProgramVersion.number == number))
    return render_template("tiers/rules.html", program=service.program_of(version),
                           version=version, versions=service.versions(),
                           vocab=present.vocabulary(), label=present.label, past=True)


RATE_LINE = re.compile(r"^\s*([A-Za-z]{3})\s*[=:]\s*([0-9]+(?:\.[0-9]+)?)\s*$")


def _parse_rates(text: str) -> tuple[dict[str, float], list[str]]:
    rates, problems = {}, []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = RATE_LINE.match(line)
        if not match:
            problems.append(_("Line %(n)d: write a currency code and a rate, e.g. USD = 150.",
                              n=number))
            continue
        value = float(match.group(2))
        rates[match.group(1).upper()] = int(value) if value.is_integer() else value
    return rates, problems


def _fill_form(form: ProgramForm, program: Program) -> None:
    form.currency.data = program.currency
    form.review_window_months.data = program.review_window_months
    form.grace_period_days.data = program.grace_period_days
    form.exchange_rates.data = "\n".join(f"{code} = {rate:g}" for code, rate
                                         in sorted(program.exchange_rates.items()))
    for tier in TIERS[1:]:
        field = getattr(form, tier)
        for requirement in program.rule(tier).requirements:
            field.append_entry({"kind": requirement.kind,
                                "credential": requirement.credential or "",
                                "job_function": requirement.job_function or "",
                                "min": requirement.min})


def _set_choices(form: ProgramForm, credential_rows: list[tuple[str, str]]) -> None:
    form.currency.choices = choices((c, c) for c in sorted(CURRENCY_CODES))
    credential_choices = [("", _("— not used —")), *credential_rows]
    for tier in TIERS[1:]:
        field = getattr(form, tier)
        if not form.is_submitted():  # room to add requirements
            for _blank in range(EXTRA_ROWS):
                field.append_entry()
        for entry in field.entries:
            entry.kind.choices = choices(KIND_CHOICES)
            entry.credential.choices = choices(credential_choices)
            entry.job_function.choices = choices(
                [("", _("Anyone")), ("sales", _("Sales people")),
                 ("technical", _("Technical people"))])


def _program_data(form: ProgramForm, rates: dict[str, float], current: Program) -> dict:
    tiers = []
    for tier in TIERS[1:]:
        requirements = []
        for entry in getattr(form, tier).entries:
            if not entry.kind.data:
                continue
            requirement = {"kind": entry.kind.data, "min": entry.min.data}
            if entry.kind.data == "certified_people":
                requirement["credential"] = entry.credential.data or ""
                if entry.job_function.data:
                    requirement["job_function"] = entry.job_function.data
            requirements.append(requirement)
        tiers.append({"tier": tier, "requirements": requirements})
    return {"currency": form.currency.data,
            "review_window_months": form.review_window_months.data,
            "grace_period_days": form.grace_period_days.data,
            "exchange_rates": rates, "tiers": tiers,
            # Not on this form: the health weights carry over unchanged.
            "health": program_to_dict(current)["health"]}


@bp.route("/admin/tiers/edit", methods=["GET", "POST"])
@admin_required
def edit_rules():
    from lms.models import Credential

    credential_rows = [tuple(row) for row in db.session.execute(
        select(Credential.slug, Credential.name).where(Credential.archived_at.is_(None))
        .order_by(Credential.name))]
    program, version = service.current_program()
    form = ProgramForm()
    if not form.is_submitted():
        _fill_form(form, program)
    _set_choices(form, credential_rows)
    problems: list[str] = []
    if form.validate_on_submit():
        rates, problems = _parse_rates(form.exchange_rates.data or "")
        if not problems:
            data = _program_data(form, rates, program)
            new_program, problems = program_from_dict(
                data, {slug for slug, _name in credential_rows})
            if new_program is not None and new_program == program:
                problems = [_("These are the rules in force already: nothing to save.")]
            elif new_program is not None:
                with saving():
                    version = service.save_program(new_program, current_user,
                                                   form.note.data.strip())
                flash(_("Version %(n)d of the tier rules is in force.", n=version.number),
                      "success")
                return redirect(url_for("tiers.rules_overview"))
    status = 400 if form.is_submitted() and (form.errors or problems) else 200
    return render_template("tiers/edit_rules.html", form=form, problems=problems,
                           version=version), status
