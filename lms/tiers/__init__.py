from flask import Blueprint

bp = Blueprint("tiers", __name__)

from lms.tiers import views  # noqa: E402,F401  (routes register on import)
