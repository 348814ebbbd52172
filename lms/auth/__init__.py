from flask import Blueprint

bp = Blueprint("auth", __name__)

from lms.auth import reset_views, two_factor_views, views  # noqa: E402,F401  (routes register on import)
