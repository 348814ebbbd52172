"""Signed webhooks: admins register endpoints at /admin/webhooks; events are delivered by the
worker (lms.webhooks.service)."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")

from lms.webhooks import views  # noqa: E402,F401  (routes register on import)
