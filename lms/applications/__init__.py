from flask import Blueprint

bp = Blueprint("applications", __name__)

from lms.applications import views  # noqa: E402,F401  (routes register on import)
