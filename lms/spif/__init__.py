from flask import Blueprint

bp = Blueprint("spif", __name__)

from lms.spif import views  # noqa: E402,F401  (routes register on import)
