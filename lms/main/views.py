"""Home page and liveness check."""

from flask import jsonify, render_template
from flask_login import current_user, login_required

from lms.database import database_is_reachable
from lms.extensions import csrf
from lms.main import bp, service
from lms.main.today import manager_today, partner_today
from lms.models import Role


@bp.route("/")
@login_required
def home():
    from flask_babel import get_locale

    from lms.courses.service import next_step

    tier = company = today = None
    if current_user.organization_id is not None:
        from lms.tiers.present import partner_overview

        tier = partner_overview(current_user.organization, current_user)
        if current_user.role == Role.PARTNER_ADMIN:
            from lms.reports.present import company_overview

            company = company_overview(current_user.organization, tier["program"])
            today = partner_today(current_user.organization, tier["standing"])
    elif current_user.is_vendor:
        today = manager_today()
    locale = str(get_locale() or "en")
    step = next_step(current_user, locale)
    return render_template("main/home.html", summary=service.home_summary(current_user),
                           next_step=step,
                           quiz_step=service.blocking_quiz(current_user, step, locale),
                           tier=tier, company=company, today=today)


@bp.route("/healthz")
@csrf.exempt
def healthz():
    if database_is_reachable():
        return jsonify(status="ok", database="ok")
    return jsonify(status="unavailable", database="unreachable"), 503
