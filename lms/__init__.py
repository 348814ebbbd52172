"""Partner Academy: the application factory.

Read it top-down like flaskr's: configuration, extensions, blueprints, hooks, commands. What
each part does lives in its own module (docs/architecture.md has the map).
"""

from __future__ import annotations

from pathlib import Path

import flask_babel
from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from lms import config as lms_config
from lms import dates, i18n, numbers
from lms.database import configure_sqlite
from lms.extensions import babel, csrf, db, limiter, login_manager, migrate
from lms.formutil import MAX_ID
from lms.i18n import lazy_gettext as _l
from lms.labels import minutes_text, template_labels
from lms.logs import configure_logging
from lms.navigation import menu
from lms.urls import PortalFlask


class BoundedIntConverter(IntegerConverter):
    """<int:...> only matches what the database can hold: a larger id is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides what the environment says (tests use it)."""
    app = PortalFlask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(lms_config.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    lms_config.check(app.config)
    configure_logging(app)

    if app.config["LMS_PROXY_COUNT"]:
        n = app.config["LMS_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.url_map.converters["int"] = BoundedIntConverter

    _init_extensions(app)
    _register_blueprints(app)
    _register_templates(app)

    # Imported here, as flaskr does: these import the feature packages, whose views import
    # the models and extensions above.
    from lms.cli import register_commands
    from lms.errors import register_error_handlers
    from lms.hooks import register_request_hooks

    register_error_handlers(app)
    register_request_hooks(app)
    register_commands(app)
    from lms import jobs

    jobs.init_app(app)  # the app the background jobs run in (lms worker)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    # Their session listeners: every change of authored content gets a new content version,
    # which the workers' in-memory copies check (issue 15); people's activity is rolled up for
    # the KPI pages as it is written.
    import lms.activity
    import lms.content_cache  # noqa: F401
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=app.config["LMS_MIGRATIONS_DIR"])
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    i18n.install(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)


def _load_user(user_id: str):
    from lms.auth.service import load_session_user

    return load_session_user(user_id)


def _select_locale() -> str | None:
    if not has_request_context():
        return None
    locales = current_app.config["LMS_LOCALES"]
    if current_user and current_user.is_authenticated and current_user.locale in locales:
        return current_user.locale
    if session.get("locale") in locales:
        return session["locale"]
    return request.accept_languages.best_match(locales)


def _register_blueprints(app: Flask) -> None:
    from lms import (
        admin,
        api,
        applications,
        assets,
        auth,
        courses,
        credentials,
        deals,
        environments,
        kb,
        main,
        mdf,
        notifications,
        quizzes,
        reports,
        spif,
        terms,
        tiers,
        webhooks,
    )

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    # webhooks: its service subscribes to lms.events
    for feature in (courses, quizzes, credentials, assets, deals, mdf, spif, applications, terms,
                    kb, environments, tiers, reports, notifications, api, webhooks):
        app.register_blueprint(feature.bp)
    app.register_blueprint(api.admin_bp)


def _unread() -> int:
    """The header's count of unread notifications, loaded with the signed-in person."""
    return g.get("unread_notifications", 0) if current_user.is_authenticated else 0


def _register_templates(app: Flask) -> None:
    """Filters and names every template can use."""
    app.jinja_env.filters["format_date"] = dates.format_date
    app.jinja_env.filters["format_datetime"] = dates.format_datetime
    app.jinja_env.filters["format_percent"] = flask_babel.format_percent
    app.jinja_env.filters["format_decimal"] = numbers.decimal_filter
    app.jinja_env.filters["duration"] = minutes_text
    # A credential's name, description or criteria in the reader's language.
    app.jinja_env.filters["localized"] = lambda credential, field: credential.text(
        field, str(flask_babel.get_locale() or "en"))

    @app.context_processor
    def _layout_context():
        return {
            **template_labels(),
            "nav_items": menu(current_user),
            "unread_notifications": _unread(),
            "current_locale": str(flask_babel.get_locale() or "en"),
            "locales": app.config["LMS_LOCALES"],
        }
