"""Error pages rendered inside the layout."""

from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lms.i18n import lazy_gettext as _l
from lms.logs import request_id

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    403: (_l("Not allowed"), _l("Your account does not have access to this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address, or it is not yours to see.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("File too large"), _l("The upload is larger than the limit allowed.")),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Please wait a few minutes and try again."),
    ),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged.")),
}


def render_error(code: int, message=None, headers=None):
    """An error page inside the layout, keeping headers such as Allow or Retry-After."""
    title, default_message = MESSAGES.get(code, MESSAGES[500 if code >= 500 else 400])
    html = render_template(
        "errors/error.html", code=code, title=title, message=message or default_message,
        reference=request_id() if code >= 500 else None,
    )
    response = make_response(html, code)
    for name, value in headers or []:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


API_MESSAGES = {
    400: "The request could not be understood.",
    401: "A valid API token is required.",
    403: "This token may not do that.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request body is too large.",
    415: "Send JSON (Content-Type: application/json).",
    429: "Too many requests: slow down and retry after the Retry-After seconds.",
    500: "An unexpected error occurred. It has been logged with the id in X-Request-Id.",
}


def json_error(status: int, message: str, **extra) -> Response:
    """The one JSON error body: {"error": {"status": 422, "message": "...", ...extra}}."""
    response = jsonify({"error": {"status": status, "message": message, **extra}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _api_error(code: int, error: HTTPException) -> Response:
    """Errors of /api/ are JSON, in the same shape as the API's own errors."""
    response = json_error(code, API_MESSAGES.get(code, API_MESSAGES[500 if code >= 500 else 400]))
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(_error):
        return render_error(
            400,
            _l("The form has expired or was not sent from this site. "
               "Please reload the page and try again."),
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        code = error.code or 500
        if code >= 500:
            from lms.extensions import db

            db.session.rollback()
        if request.path.startswith("/api/"):
            return _api_error(code, error)
        return render_error(code, headers=error.get_headers())
