"""`lms deals ...` commands (being built)."""

from flask.cli import AppGroup

deals_cli = AppGroup("deals", help="Deal registrations: import, expiry.")
