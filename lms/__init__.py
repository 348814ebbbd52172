"""Partner Academy: the application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from lms import config as lms_config
from lms.logs import configure_logging


class BoundedIntConverter(IntegerConverter):
    """<int:...> only matches what the database can hold: a larger id is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):
        from lms.formutil import MAX_ID

        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides what the environment says (tests use it)."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(lms_config.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    lms_config.check(app.config)
    configure_logging(app)

    if app.config["LMS_PROXY_COUNT"]:
        n = app.config["LMS_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    app.url_map.converters["int"] = BoundedIntConverter
    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)

    from lms.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from lms.database import configure_sqlite
    from lms.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=app.config["LMS_MIGRATIONS_DIR"])
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        from lms.auth.service import load_session_user

        return load_session_user(user_id)


def _select_locale() -> str | None:
    if not has_request_context():
        return None
    from flask import current_app

    locales = current_app.config["LMS_LOCALES"]
    if current_user and current_user.is_authenticated and current_user.locale in locales:
        return current_user.locale
    if session.get("locale") in locales:
        return session["locale"]
    return request.accept_languages.best_match(locales)


def _register_blueprints(app: Flask) -> None:
    from lms.admin import bp as admin_bp
    from lms.api import admin_bp as api_tokens_bp
    from lms.api import bp as api_bp
    from lms.assets import bp as assets_bp
    from lms.auth import bp as auth_bp
    from lms.courses import bp as courses_bp
    from lms.credentials import bp as credentials_bp
    from lms.deals import bp as deals_bp
    from lms.main import bp as main_bp
    from lms.quizzes import bp as quizzes_bp
    from lms.reports import bp as reports_bp
    from lms.tiers import bp as tiers_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(courses_bp)
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(credentials_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(deals_bp)
    app.register_blueprint(tiers_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)


def _register_hooks(app: Flask) -> None:
    from lms.errors import register_error_handlers
    from lms.hooks import register_request_hooks
    from lms.navigation import navigation_for

    register_error_handlers(app)
    register_request_hooks(app)

    import flask_babel

    for name in ("format_date", "format_datetime", "format_decimal", "format_percent"):
        app.jinja_env.filters[name] = getattr(flask_babel, name)
    from lms.labels import minutes_text

    app.jinja_env.filters["duration"] = minutes_text

    @app.context_processor
    def _layout_context():
        from flask_babel import get_locale

        from lms.labels import template_labels

        return {
            **template_labels(),
            "nav_items": navigation_for(current_user),
            "current_locale": str(get_locale() or "en"),
            "locales": app.config["LMS_LOCALES"],
        }
