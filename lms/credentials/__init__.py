from flask import Blueprint

bp = Blueprint("credentials", __name__)

# Routes register on import; vc_views: Open Badges 3.0 (VC-JWT, revocation list, JWKS).
from lms.credentials import vc_views, views  # noqa: E402,F401
