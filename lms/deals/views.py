"""Deal registration (being built)."""

from lms.deals import bp  # noqa: F401
