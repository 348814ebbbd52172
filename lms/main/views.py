"""Home page and liveness check."""

from flask import jsonify, render_template
from flask_login import current_user, login_required

from lms.database import database_is_reachable
from lms.extensions import csrf
from lms.main import bp, service


@bp.route("/")
@login_required
def home():
    return render_template("main/home.html", summary=service.home_summary(current_user))


@bp.route("/healthz")
@csrf.exempt
def healthz():
    if database_is_reachable():
        return jsonify(status="ok", database="ok")
    return jsonify(status="unavailable", database="unreachable"), 503
