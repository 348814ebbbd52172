"""`lms assets ...` commands (being built)."""

from flask.cli import AppGroup

assets_cli = AppGroup("assets", help="The sales-asset library.")
