"""Partner profiles with their tier scorecard, and the admin pages of the tier rules."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.auth.forms import ConfirmForm
from lms.clock import program_today
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
from lms.policy import VENDOR_ROLES, admin_required, company_or_404, vendor_required
from lms.tiers import bp, present, rules, service
from lms.tiers.benefits import TIERS as ALL_TIERS
from lms.tiers.benefits import as_written
from lms.tiers.forms import (
    EXTRA_ROWS,
    KIND_CHOICES,
    MDF_PERIOD_CHOICES,
    SUPPORT_CHOICES,
    ManualRecordForm,
    ProgramForm,
)
from lms.tiers.program import (
    CURRENCY_CODES,
    TIERS,
    Program,
    program_from_dict,
    program_to_dict,
)

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
    return _partner_page(company_or_404(org_slug))


def _partner_page(organization: Organization, forms: dict | None = None, status: int = 200):
    overview = present.partner_overview(organization, current_user)
    program = overview["program"]
    manual = service.manual_requirements(program)
    vendor = current_user.role in VENDOR_ROLES
    forms = forms or {}
    if vendor:
        for requirement in manual:
            forms.setdefault(requirement.item, ManualRecordForm(prefix=requirement.item,
                                                                met_on=program_today()))
    return render_template(
        "tiers/partner.html", organization=organization,
        profile=service.partner_profile(organization), deal_statuses=DealStatus,
        history=service.history(organization), holds=service.holds(organization),
        job_labels=JOB_LABELS, manual=manual, manual_records=service.manual_records(organization),
        manual_forms=forms, withdraw_form=ConfirmForm() if vendor else None,
        benefits=present.benefits_view(overview["standing"], program),
        **overview), status


def _manual_requirement(program: Program, item: str):
    requirement = next((r for r in service.manual_requirements(program) if r.item == item),
                       None)
    if requirement is None:
        abort(404)
    return requirement


@bp.route("/partners/<org_slug>/requirements/<item>", methods=["POST"])
@vendor_required
def record_requirement(org_slug: str, item: str):
    """A manager records a manual requirement as met, with the date and the evidence."""
    organization = company_or_404(org_slug)
    requirement = _manual_requirement(service.current_program()[0], item)
    form = ManualRecordForm(prefix=item)
    if not form.validate_on_submit():
        return _partner_page(organization, {item: form}, 400)
    with saving():
        service.record_manual(organization, item, form.met_on.data, form.evidence.data.strip(),
                              current_user)
    flash(_("Recorded as met: %(name)s.", name=requirement.name), "success")
    return redirect(url_for("tiers.partner", org_slug=org_slug) + "#manual-requirements")


@bp.route("/partners/<org_slug>/requirements/<item>/withdraw", methods=["POST"])
@vendor_required
def withdraw_requirement(org_slug: str, item: str):
    organization = company_or_404(org_slug)
    requirement = _manual_requirement(service.current_program()[0], item)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving():
        withdrawn = service.withdraw_manual(organization, item, current_user)
    if withdrawn:
        flash(_("No longer met: %(name)s.", name=requirement.name), "info")
    return redirect(url_for("tiers.partner", org_slug=org_slug) + "#manual-requirements")


@bp.route("/program")
@login_required
def program_page():
    """The partner program for everyone signed in: each tier's requirements and benefits."""
    program, _version = service.current_program()
    organization = current_user.organization  # None for vendor staff
    return render_template("tiers/program.html", program=program,
                           benefits=present.program_benefits(program),
                           vocab=present.vocabulary(), label=present.label,
                           own_tier=organization.tier.value if organization else None)


# --- Tier rules (admin) ----------------------------------------------------------------


@bp.route("/admin/tiers")
@admin_required
def rules_overview():
    program, version = service.current_program()
    vocab = present.vocabulary()
    return render_template("tiers/rules.html", program=program, version=version,
                           versions=service.versions(), vocab=vocab, label=present.label,
                           benefits=present.program_benefits(program))


@bp.route("/admin/tiers/versions/<int:number>")
@admin_required
def rules_version(number: int):
    version = db.first_or_404(select(TierProgramVersion)
                              .where(TierProgramVersion.number == number))
    program = service.program_of(version)
    return render_template("tiers/rules.html", program=program,
                           version=version, versions=service.versions(),
                           vocab=present.vocabulary(), label=present.label, past=True,
                           benefits=present.program_benefits(program))


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
    form.mdf_period.data = program.benefits.mdf_period
    for tier in ALL_TIERS:
        benefits, subform = program.benefits.of(tier), getattr(form, f"{tier}_benefits")
        margin = benefits.margin_percent
        subform.margin_percent.data = None if margin is None else as_written(margin)
        subform.mdf.data = benefits.mdf
        subform.support.data = benefits.support or ""
        subform.demo_environments.data = benefits.demo_environments
        subform.demo_auto_approve.data = benefits.demo_auto_approve
        subform.items.data = "\n".join(benefits.items)
    for tier in TIERS[1:]:
        field = getattr(form, tier)
        for requirement in program.rule(tier).requirements:
            field.append_entry({"kind": requirement.kind,
                                "credential": requirement.credential or "",
                                "course": requirement.course or "",
                                "job_function": requirement.job_function or "",
                                "min": requirement.min,
                                "requirement_name": requirement.name or "",
                                "item": requirement.item or ""})


def _set_choices(form: ProgramForm, credential_rows: list[tuple[str, str]],
                 course_rows: list[tuple[str, str]]) -> None:
    form.currency.choices = choices((c, c) for c in sorted(CURRENCY_CODES))
    credential_choices = [("", _("— not used —")), *credential_rows]
    course_choices = [("", _("— not used —")), *course_rows]
    form.mdf_period.choices = choices(MDF_PERIOD_CHOICES)
    for tier in ALL_TIERS:
        getattr(form, f"{tier}_benefits").support.choices = choices(SUPPORT_CHOICES)
    for tier in TIERS[1:]:
        field = getattr(form, tier)
        if not form.is_submitted():  # room to add requirements
            for _blank in range(EXTRA_ROWS):
                field.append_entry()
        for entry in field.entries:
            entry.kind.choices = choices(KIND_CHOICES)
            entry.credential.choices = choices(credential_choices)
            entry.course.choices = choices(course_choices)
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
            elif entry.kind.data == "trained_people":
                requirement["course"] = entry.course.data or ""
                if entry.job_function.data:
                    requirement["job_function"] = entry.job_function.data
            elif entry.kind.data == "certified_won_deals" and entry.credential.data:
                requirement["credential"] = entry.credential.data
            elif entry.kind.data == "manual":
                requirement["name"] = entry.requirement_name.data or ""
                requirement["min"] = entry.min.data or 1  # met or not
                if entry.item.data:  # renaming keeps what was recorded under it
                    requirement["item"] = entry.item.data
            requirements.append(requirement)
        tiers.append({"tier": tier, "requirements": requirements})
    return {"currency": form.currency.data,
            "review_window_months": form.review_window_months.data,
            "grace_period_days": form.grace_period_days.data,
            "exchange_rates": rates, "tiers": tiers, "benefits": _benefits_data(form),
            # Not on this form: the health weights carry over unchanged.
            "health": program_to_dict(current)["health"]}


def _benefits_data(form: ProgramForm) -> dict:
    """The [benefits] table of the form, as program.toml writes it."""
    data: dict = {"mdf_period": form.mdf_period.data}
    for tier in ALL_TIERS:
        subform = getattr(form, f"{tier}_benefits")
        entry: dict = {"items": [line.strip() for line in (subform.items.data or "").splitlines()
                                 if line.strip()]}
        margin = subform.margin_percent.data
        if margin is not None:
            entry["margin_percent"] = as_written(float(margin))
        if subform.mdf.data is not None:
            entry["mdf"] = subform.mdf.data
        if subform.support.data:
            entry["support"] = subform.support.data
        if subform.demo_environments.data is not None:
            entry["demo_environments"] = subform.demo_environments.data
            if subform.demo_auto_approve.data:
                entry["demo_auto_approve"] = True
        data[tier] = entry
    return data


@bp.route("/admin/tiers/edit", methods=["GET", "POST"])
@admin_required
def edit_rules():
    from lms.models import Course, Credential

    credential_rows = [tuple(row) for row in db.session.execute(
        select(Credential.slug, Credential.name).where(Credential.archived_at.is_(None))
        .order_by(Credential.name))]
    # Courses by their original version (the slug a requirement names; any version counts).
    course_rows = [tuple(row) for row in db.session.execute(
        select(Course.slug, Course.title).where(Course.archived_at.is_(None),
                                                Course.translation_of.is_(None))
        .order_by(Course.position, Course.slug))]
    program, version = service.current_program()
    # A course the rules name that is no longer in the catalog stays choosable (marked), so
    # other changes can be saved; it counts nobody until it is replaced.
    active = {slug for slug, _title in course_rows}
    course_rows += sorted({(r.course, _("%(course)s (no longer in the catalog)", course=r.course))
                           for rule in program.tiers for r in rule.requirements
                           if r.course and r.course not in active})
    form = ProgramForm()
    if not form.is_submitted():
        _fill_form(form, program)
    _set_choices(form, credential_rows, course_rows)
    problems: list[str] = []
    if form.validate_on_submit():
        rates, problems = _parse_rates(form.exchange_rates.data or "")
        if not problems:
            data = _program_data(form, rates, program)
            new_program, problems = program_from_dict(
                data, {slug for slug, _name in credential_rows},
                {slug for slug, _title in course_rows})
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
