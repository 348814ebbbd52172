"""Program terms: versions authored in content/terms/, accepted by each company's partner
admin before its people register deals or download material."""

from flask import Blueprint

bp = Blueprint("terms", __name__)

from lms.terms import views  # noqa: E402,F401  (routes register on import)
