from flask import Blueprint

bp = Blueprint("mdf", __name__)

from lms.mdf import views  # noqa: E402,F401  (routes register on import)
