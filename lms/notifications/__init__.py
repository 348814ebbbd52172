from flask import Blueprint

bp = Blueprint("notifications", __name__)

from lms.notifications import views  # noqa: E402,F401  (routes register on import)
