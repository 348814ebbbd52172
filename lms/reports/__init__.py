from flask import Blueprint

bp = Blueprint("reports", __name__)

from lms.reports import kpi_views, views  # noqa: E402,F401  (routes register on import)
