"""The sales-asset library (being built)."""

from lms.assets import bp  # noqa: F401
