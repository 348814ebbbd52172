from flask import Blueprint

bp = Blueprint("assets", __name__)

from lms.assets import views  # noqa: E402,F401  (routes register on import)
