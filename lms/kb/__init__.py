"""The knowledge base (articles authored in content/kb/) and partners' questions to the
channel team."""

from flask import Blueprint

bp = Blueprint("kb", __name__)

from lms.kb import views  # noqa: E402,F401  (routes register on import)
