"""Logging to stderr, each line with the id of the request it belongs to.

Flask logs every unhandled exception (the 500 page) with its traceback on the app's logger,
`lms`; the modules of the package log on `lms.<module>`. Both reach one handler on `lms`,
whose lines carry the request id that the response's X-Request-Id header and the 500 page
show, so a person's report leads to the traceback. gunicorn collects stderr.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, has_request_context, request

from lms.config import ConfigError

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
# An id a proxy in front may send (X-Request-Id) is kept when it is plain; else a new one.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str:
    """This request's id: in every log line and the X-Request-Id header, shown on a 500 page."""
    if "request_id" not in g:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    return g.request_id


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the request's id, or "-" outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() if has_request_context() else "-"
        return True


def configure_logging(app: Flask) -> None:
    """One stderr handler on the `lms` logger (once per process), at LMS_LOG_LEVEL.

    Called before anything logs: Flask's own logger is `lms` too, so it finds this handler
    and adds none of its own."""
    level = str(app.config.get("LMS_LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ConfigError(f"LMS_LOG_LEVEL={level} is not a level: use DEBUG, INFO, WARNING, "
                          "ERROR or CRITICAL.")
    logger = logging.getLogger(app.name)
    if not any(isinstance(f, RequestIdFilter) for h in logger.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RequestIdFilter())
        logger.addHandler(handler)
    logger.setLevel(level)
