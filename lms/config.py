"""Configuration: safe defaults, overridden by the environment (DESIGN.md)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from lms.signing import setting_problem as signing_setting_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-key"  # noqa: S105 - refused outside development
# One session cookie lets anyone test guesses at the key offline (flask-unsign does): a short
# key falls to a dictionary. 32 characters of secrets.token_urlsafe are 192 random bits.
MIN_SECRET_KEY_LENGTH = 32
# Credential links, Open Badges ids and invitation mails point here in development only.
DEV_BASE_URL = "http://localhost:5000"
# A delivery's connect and read each wait at most this long (lms.webhooks.rules.CLAIM is
# longer than both together).
WEBHOOK_TIMEOUT_LIMIT = 60
KEY_HOWTO = "for example: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to set."""


def project_path(name: str) -> Path:
    """A folder of the checkout: beside the package (editable install), else the working dir."""
    beside_package = PROJECT_ROOT / name
    return beside_package if beside_package.exists() else Path.cwd() / name


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: str, env: dict[str, str] | None = None) -> dict:
    """Build the configuration mapping from environment variables."""
    env = dict(os.environ if env is None else env)
    debug = _bool(env.get("FLASK_DEBUG"))
    environment = env.get("LMS_ENV", "development" if debug else "production")

    database_url = env.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "partner-academy.db")
    )
    smtp_host = env.get("LMS_SMTP_HOST", "")

    config = {
        "LMS_ENV": environment,
        "SECRET_KEY": env.get("SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "LMS_CONTENT_DIR": env.get("LMS_CONTENT_DIR", str(project_path("content"))),
        "LMS_QUIZZES_DIR": env.get("LMS_QUIZZES_DIR", str(project_path("quizzes"))),
        "LMS_UPLOAD_DIR": env.get("LMS_UPLOAD_DIR", str(Path(instance_path) / "uploads")),
        # Empty: DEV_BASE_URL in development, refused in production (check()).
        "LMS_BASE_URL": env.get("LMS_BASE_URL", "").strip().rstrip("/"),
        "LMS_MIGRATIONS_DIR": env.get("LMS_MIGRATIONS_DIR", str(project_path("migrations"))),
        "LMS_INVITATION_DAYS": int(env.get("LMS_INVITATION_DAYS", "7")),
        # Open deal registrations (registered or approved) expire this many days after
        # registration unless closed (lms deals expire, and on every deals page).
        "LMS_DEAL_EXPIRY_DAYS": int(env.get("LMS_DEAL_EXPIRY_DAYS", "90")),
        # The issuer of badges and certifications (Open Badges Issuer profile).
        "LMS_ISSUER_NAME": env.get("LMS_ISSUER_NAME", "Nimbus CRM Partner Program"),
        "LMS_ISSUER_URL": env.get("LMS_ISSUER_URL", ""),
        "LMS_ISSUER_EMAIL": env.get("LMS_ISSUER_EMAIL", "partners@nimbus-crm.example"),
        # Signs Open Badges 3.0 credentials (lms.signing): an Ed25519 private key in PEM, or
        # the path of a PEM file. Unset: the key file below, which `lms init` creates.
        "LMS_SIGNING_KEY": env.get("LMS_SIGNING_KEY", ""),
        "LMS_SIGNING_KEY_FILE": str(Path(instance_path) / "signing-key.pem"),
        # Encrypts secrets kept at rest (lms.secretbox): Fernet keys, comma-separated (the
        # first encrypts, all decrypt). Unset: the key file below, which `lms init` creates.
        "LMS_SECRET_BOX_KEY": env.get("LMS_SECRET_BOX_KEY", ""),
        "LMS_SECRET_BOX_KEY_FILE": str(Path(instance_path) / "secret-box.key"),
        # Demo environments (lms.environments): "manual" (a manager enters each one's address
        # and sign-in details) or "webhook" (a signed call to the vendor's provisioning API at
        # LMS_DEMO_ENV_WEBHOOK_URL, signed with LMS_DEMO_ENV_WEBHOOK_SECRET, a whsec_ secret).
        "LMS_DEMO_ENV_ADAPTER": env.get("LMS_DEMO_ENV_ADAPTER", "manual").strip().lower(),
        "LMS_DEMO_ENV_WEBHOOK_URL": env.get("LMS_DEMO_ENV_WEBHOOK_URL", "").strip(),
        "LMS_DEMO_ENV_WEBHOOK_SECRET": env.get("LMS_DEMO_ENV_WEBHOOK_SECRET", "").strip(),
        "LMS_PROXY_COUNT": int(env.get("LMS_PROXY_COUNT", "0")),
        "LMS_LOG_LEVEL": env.get("LMS_LOG_LEVEL", "INFO"),
        # Sign-in attempts (lms.auth.devices, OWASP's device cookies). A browser that signed
        # in to an account before holds a device cookie and has a budget of its own; every
        # other client of the account shares one, and of an address another: guessing
        # locks out unknown clients, never the owner's browser.
        "LMS_LOGIN_LIMIT_DEVICE": env.get("LMS_LOGIN_LIMIT_DEVICE", "5 per 15 minutes"),
        # Both: a fast attack stops in minutes, a slow one spread over addresses in a day.
        "LMS_LOGIN_LIMIT_ACCOUNT": env.get("LMS_LOGIN_LIMIT_ACCOUNT",
                                           "5 per 15 minutes; 50 per day"),
        "LMS_LOGIN_LIMIT_ADDRESS": env.get("LMS_LOGIN_LIMIT_ADDRESS", "20 per 15 minutes"),
        # Roles that must sign in with a second factor; None: decided in check() from LMS_ENV.
        "LMS_REQUIRE_2FA": _roles(env["LMS_REQUIRE_2FA"]) if "LMS_REQUIRE_2FA" in env else None,
        "RATELIMIT_STORAGE_URI": env.get("LMS_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("LMS_RATELIMIT_ENABLED"), default=True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LMS_SMTP_HOST": smtp_host,
        "LMS_SMTP_PORT": int(env.get("LMS_SMTP_PORT", "587")),
        "LMS_SMTP_USER": env.get("LMS_SMTP_USER", ""),
        "LMS_SMTP_PASSWORD": env.get("LMS_SMTP_PASSWORD", ""),
        "LMS_SMTP_STARTTLS": _bool(env.get("LMS_SMTP_STARTTLS"), default=True),
        "LMS_MAIL_FROM": env.get("LMS_MAIL_FROM", "Partner Academy <no-reply@localhost>"),
        # Notification mail without an SMTP server is written here as .eml files (the demo's
        # default is instance/mail); empty: in-app only.
        "LMS_MAIL_DIR": env.get("LMS_MAIL_DIR", str(Path(instance_path) / "mail")
                                if environment == "development" and not smtp_host else ""),
        # Tier changes: "daily" (the worker's review-tiers job applies them after midnight) or
        # "manual" (a manager applies them with "Tier review"; the demo's default, so its
        # promotions stay due to be shown).
        "LMS_TIER_REVIEW": env.get("LMS_TIER_REVIEW",
                                   "manual" if environment == "development" else "daily"),
        # The task queue of the background jobs (lms worker): sqlite:///<file> (embedded, the
        # default), redis://host:port/db (production), or memory:// (one process).
        "LMS_QUEUE_URL": env.get("LMS_QUEUE_URL",
                                 "sqlite:///" + str(Path(instance_path) / "jobs.db")),
        # Webhooks (lms.webhooks): plain http:// endpoints (None: only in development and
        # tests), endpoints on loopback, private, link-local and other internal addresses
        # (off: never, checked after DNS resolution), and the seconds each connect and read
        # of a delivery may take.
        "LMS_WEBHOOK_ALLOW_HTTP": (_bool(env["LMS_WEBHOOK_ALLOW_HTTP"])
                                   if env.get("LMS_WEBHOOK_ALLOW_HTTP") else None),
        "LMS_WEBHOOK_ALLOW_PRIVATE": _bool(env.get("LMS_WEBHOOK_ALLOW_PRIVATE")),
        "LMS_WEBHOOK_TIMEOUT": env.get("LMS_WEBHOOK_TIMEOUT") or "10",
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": env.get("LMS_TIMEZONE", "Asia/Tokyo"),
        "LMS_LOCALES": ("en", "ja"),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # None: decided in check() from LMS_ENV, after any override of it.
        "SESSION_COOKIE_SECURE": None,
        "SESSION_COOKIE_NAME": "lms_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "REMEMBER_COOKIE_NAME": "lms_remember",
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": None,
        "MAX_CONTENT_LENGTH": int(env.get("LMS_MAX_UPLOAD_MB", "100")) * 1024 * 1024,
    }
    return config


def _roles(value: str) -> frozenset[str]:
    """The roles of a comma-separated list such as "admin,manager"; unknown names refused."""
    from lms.models.users import Role

    names = frozenset(part.strip().lower() for part in value.split(",") if part.strip())
    unknown = sorted(names - {role.value for role in Role})
    if unknown:
        raise ConfigError(
            f"LMS_REQUIRE_2FA names unknown roles: {', '.join(unknown)}. Use a comma-separated "
            f"list of {', '.join(role.value for role in Role)}, or leave it empty."
        )
    return names


def check(config: dict) -> None:
    """Refuse to start with settings that are unsafe outside development."""
    development = config["LMS_ENV"] in {"development", "test"}
    if config.get("LMS_REQUIRE_2FA") is None:
        # The published demo logins keep working in development; staff need it in production.
        config["LMS_REQUIRE_2FA"] = frozenset() if development else frozenset({"admin",
                                                                               "manager"})
    elif isinstance(config["LMS_REQUIRE_2FA"], str):
        config["LMS_REQUIRE_2FA"] = _roles(config["LMS_REQUIRE_2FA"])
    if config.get("LMS_TIER_REVIEW", "daily") not in {"daily", "manual"}:
        raise ConfigError(f"LMS_TIER_REVIEW must be daily or manual, not "
                          f"{config['LMS_TIER_REVIEW']!r}.")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if config.get(key) is None:
            config[key] = not development
    _check_webhook_settings(config, development)
    _check_demo_environment_settings(config)
    signing_key_problem = signing_setting_problem(config.get("LMS_SIGNING_KEY"))
    if config.get("TESTING") or development:
        if signing_key_problem:
            raise ConfigError(signing_key_problem)
        if not config.get("SECRET_KEY"):
            config["SECRET_KEY"] = DEV_SECRET_KEY
        config["LMS_BASE_URL"] = (config.get("LMS_BASE_URL") or DEV_BASE_URL).rstrip("/")
        return
    problems = [problem for problem in (_secret_key_problem(config.get("SECRET_KEY")),
                                        _base_url_problem(config.get("LMS_BASE_URL")),
                                        signing_key_problem)
                if problem]
    if problems:
        # Every problem at once: whoever deploys fixes the environment in one go.
        raise ConfigError("\n".join(problems))
    config["LMS_BASE_URL"] = config["LMS_BASE_URL"].strip().rstrip("/")


def _check_webhook_settings(config: dict, development: bool) -> None:
    if config.get("LMS_WEBHOOK_ALLOW_HTTP") is None:
        config["LMS_WEBHOOK_ALLOW_HTTP"] = development
    config.setdefault("LMS_WEBHOOK_ALLOW_PRIVATE", False)
    timeout = config.get("LMS_WEBHOOK_TIMEOUT", 10)
    try:
        seconds = float(timeout)
    except (TypeError, ValueError):
        seconds = 0.0
    if not 1 <= seconds <= WEBHOOK_TIMEOUT_LIMIT:
        raise ConfigError(f"LMS_WEBHOOK_TIMEOUT must be a number of seconds from 1 to "
                          f"{WEBHOOK_TIMEOUT_LIMIT}, not {timeout!r}.")
    config["LMS_WEBHOOK_TIMEOUT"] = seconds


def _check_demo_environment_settings(config: dict) -> None:
    from lms.secretbox import setting_problem
    from lms.webhooks.rules import secret_key

    problem = setting_problem(config.get("LMS_SECRET_BOX_KEY"))
    if problem:
        raise ConfigError(problem)
    adapter = config.setdefault("LMS_DEMO_ENV_ADAPTER", "manual")
    if adapter not in {"manual", "webhook"}:
        raise ConfigError(f"LMS_DEMO_ENV_ADAPTER must be manual or webhook, not {adapter!r}.")
    if adapter == "webhook":
        if not config.get("LMS_DEMO_ENV_WEBHOOK_URL"):
            raise ConfigError("LMS_DEMO_ENV_ADAPTER=webhook needs LMS_DEMO_ENV_WEBHOOK_URL, "
                              "the address of the vendor's provisioning API.")
        secret = config.get("LMS_DEMO_ENV_WEBHOOK_SECRET") or ""
        try:
            length = len(secret_key(secret)) if secret.startswith("whsec_") else 0
        except ValueError:
            length = 0
        if not 24 <= length <= 64:
            raise ConfigError("LMS_DEMO_ENV_ADAPTER=webhook needs LMS_DEMO_ENV_WEBHOOK_SECRET: "
                              "whsec_ followed by base64 of 24 to 64 random bytes (the "
                              "provisioning API checks the signature with it).")


def _secret_key_problem(key: str | bytes | None) -> str | None:
    """What is wrong with the SECRET_KEY outside development (None: nothing)."""
    key = (key or "").strip()  # spaces around it add nothing an attacker must guess
    if not key:
        return ("SECRET_KEY is not set. Outside development Partner Academy needs a long "
                f"random SECRET_KEY in the environment ({KEY_HOWTO}), or "
                "LMS_ENV=development for local use.")
    if key == DEV_SECRET_KEY:
        return ("SECRET_KEY is the development key, which is public. Set a long random "
                f"SECRET_KEY in the environment ({KEY_HOWTO}).")
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (f"SECRET_KEY is too short ({len(key)} characters): outside development it "
                f"must be at least {MIN_SECRET_KEY_LENGTH} random characters. Set a new one "
                f"({KEY_HOWTO}); a new key signs everyone out once.")
    return None


def _base_url_problem(url: str | None) -> str | None:
    """What is wrong with LMS_BASE_URL outside development (None: nothing)."""
    example = "for example LMS_BASE_URL=https://academy.example.com"
    if not url or not url.strip():
        return ("LMS_BASE_URL is not set. Outside development Partner Academy needs the "
                f"address people open it at ({example}): credential verification links, "
                "Open Badges ids and invitation mails are built from it. Or "
                "LMS_ENV=development for local use.")
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query \
            or parts.fragment:
        return (f"LMS_BASE_URL must be an absolute http or https address without a query "
                f"({example}), not {url!r}.")
    return None
