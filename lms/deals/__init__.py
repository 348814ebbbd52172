from flask import Blueprint

bp = Blueprint("deals", __name__)

from lms.deals import views  # noqa: E402,F401  (routes register on import)
