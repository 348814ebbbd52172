from flask import Blueprint

bp = Blueprint("credentials", __name__)

from lms.credentials import views  # noqa: E402,F401  (routes register on import)
