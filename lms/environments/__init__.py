"""Demo environments: partner people request a trial system of the product within their
tier's quota; the channel team approves (or the tier approves at once); an adapter
provisions it (a manager by hand, or the vendor's provisioning API); it expires, with a
reminder before, and can be extended."""

from flask import Blueprint

bp = Blueprint("environments", __name__)

from lms.environments import views  # noqa: E402,F401  (routes register on import)
