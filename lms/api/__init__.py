"""The JSON API (/api/v1) for the vendor's CRM, and the admin pages of its tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
admin_bp = Blueprint("api_tokens", __name__)

from lms.api import admin_views, views  # noqa: E402,F401  (routes register on import)
