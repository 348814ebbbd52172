"""What every request goes through: a request id, the NUL filter, "last seen", and the
security headers of every response."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, request
from flask_login import current_user

from lms.auth.service import touch_last_seen as touch
from lms.errors import json_error, render_error
from lms.i18n import gettext
from lms.logs import request_id

LAST_SEEN_RESOLUTION = timedelta(minutes=5)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        # Lesson videos: only the allow-listed players of lms.markup.VIDEO_EMBED_HOSTS.
        "frame-src https://www.youtube-nocookie.com https://www.youtube.com "
        "https://player.vimeo.com",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def nul_message() -> str:
    return gettext("The request contains a NUL character, which is never valid text. "
                   "Remove it and try again.")


def _has_nul(pairs) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def refuse_nul():
    """NUL is never text people mean, and PostgreSQL refuses it in any string: a path, query
    or form value holding one is answered 400 before it reaches a query."""
    form = request.form.items(multi=True) if request.method in ("POST", "PUT") else ()
    if "\x00" in request.path or _has_nul(request.args.items(multi=True)) or _has_nul(form):
        if request.path.startswith("/api/"):
            return json_error(400, nul_message())
        return render_error(400, nul_message())
    return None


def touch_last_seen() -> None:
    if current_user.is_authenticated:
        touch(current_user, LAST_SEEN_RESOLUTION)


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("X-Request-Id", request_id())
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if current_user and getattr(current_user, "is_authenticated", False):
        # Pages of signed-in people are personal: never kept by shared caches.
        headers.setdefault("Cache-Control", "private, no-store")
    return response


def _assign_request_id() -> None:
    request_id()


def register_request_hooks(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.before_request(refuse_nul)
    app.before_request(touch_last_seen)
    app.after_request(security_headers)
