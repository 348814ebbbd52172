"""SPIF campaigns at /spif: the channel team defines them; partners read them and what
their company and its people have earned, the channel team every partner's, with CSV."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.clock import local_date, program_today
from lms.csvutil import csv_response
from lms.database import saving
from lms.extensions import db
from lms.i18n import gettext as _
from lms.labels import TIER_LABELS
from lms.models import SpifCampaign
from lms.policy import vendor_required
from lms.spif import bp, rules, service
from lms.spif.forms import CampaignForm
from lms.spif.service import CampaignError


def _campaign_or_404(campaign_id: int) -> SpifCampaign:
    return db.get_or_404(SpifCampaign, campaign_id)


def _own_company_id() -> int | None:
    """None for the channel team (every partner), else the viewer's company."""
    return None if current_user.is_vendor else current_user.organization_id


@bp.route("/spif")
@login_required
def overview():
    today = program_today()
    company = _own_company_id()
    rows = []
    campaigns = service.campaigns()
    owed = service.accruals_of_many(campaigns, company)
    for campaign in campaigns:
        earned = owed[campaign.id]
        rows.append((campaign, rules.status(service.as_rule(campaign), today),
                     sum(a.amount for a in earned), len(earned),
                     len({a.deal.organization_id for a in earned})))
    return render_template("spif/overview.html", rows=rows, vendor=company is None,
                           tier=None if company is None else current_user.organization.tier,
                           tiers_text=_tiers_text)


@bp.route("/spif/new", methods=["GET", "POST"])
@vendor_required
def new_campaign():
    return _edit(None)


@bp.route("/spif/<int:campaign_id>/edit", methods=["GET", "POST"])
@vendor_required
def edit_campaign(campaign_id: int):
    return _edit(_campaign_or_404(campaign_id))


def _edit(campaign: SpifCampaign | None):
    form = CampaignForm(obj=campaign)
    if campaign is not None and not form.is_submitted():
        form.rule.data = campaign.rule.value
        form.tiers.data = list(campaign.tiers or ())
    if form.validate_on_submit():
        with saving(CampaignError, form=form) as saved:
            campaign = service.save(campaign, form.campaign_data(), current_user)
        if saved.ok and campaign is not None:
            flash(_("The campaign %(name)s is saved.", name=campaign.name), "success")
            return redirect(url_for("spif.detail", campaign_id=campaign.id))
    status = 400 if request.method == "POST" else 200
    return render_template("spif/form.html", form=form, campaign=campaign), status


def _tiers_text(campaign: SpifCampaign) -> str:
    if not campaign.tiers:
        return _("Every tier")
    return ", ".join(str(TIER_LABELS[tier]) for tier in campaign.tiers)


@bp.route("/spif/<int:campaign_id>")
@login_required
def detail(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    company = _own_company_id()
    earned = service.accruals_of(campaign, company)
    names = service.names_of(earned)
    partners = sorted(rules.by_partner(earned).items(),
                      key=lambda item: (-item[1].amount, names.companies[item[0]].name))
    people = sorted(rules.by_person(earned).items(),
                    key=lambda item: (-item[1].amount, names.people.get(item[0][1] or 0, "")))
    return render_template(
        "spif/detail.html", campaign=campaign, earned=earned, names=names,
        partners=partners, people=people, deals=service.deals_of(earned),
        vendor=company is None, tiers_text=_tiers_text(campaign),
        status=rules.status(service.as_rule(campaign), program_today()),
        total=sum(a.amount for a in earned))


@bp.route("/spif/<int:campaign_id>.csv")
@login_required
def detail_csv(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    earned = service.accruals_of(campaign, _own_company_id())
    names = service.names_of(earned)
    deals = service.deals_of(earned)
    header = ["campaign", "partner", "person", "deal", "customer", "product", "won_on",
              "bonus", "currency"]
    rows = ([campaign.name, names.companies[a.deal.organization_id].name,
             names.people.get(a.deal.registered_by_id or 0, ""), a.deal.id,
             deals[a.deal.id].customer_name, a.deal.product,
             local_date(a.deal.closed_at).isoformat(), a.amount, campaign.currency]
            for a in earned)
    return csv_response(f"spif-{campaign.id}.csv", header, rows)
