"""Error pages rendered inside the layout."""

from __future__ import annotations

from flask import Flask, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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
        "errors/error.html", code=code, title=title, message=message or default_message
    )
    response = make_response(html, code)
    for name, value in headers or []:
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
        return render_error(code, headers=error.get_headers())
