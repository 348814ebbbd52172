"""Helpers of the tier tests: the rules editor's form as the page fills it."""

from __future__ import annotations

from flask.testing import FlaskClient

from lms.extensions import db
from lms.tiers import service
from tests.tiers.test_views import _form_from


def add_requirement(admin: FlaskClient, tier: str, note: str, **fields: str) -> int:
    """Seed the default program, then add a requirement to `tier` in the first empty row
    of the rules editor (`fields`: kind, min, credential...); the response's status."""
    service.seed_program(service.default_program())
    db.session.commit()
    data = _form_from(admin.get("/admin/tiers/edit").get_data(as_text=True))
    row = next(key.removesuffix("-kind") for key, value in data.items()
               if key.startswith(f"{tier}-") and key.endswith("-kind") and not value)
    data.update({f"{row}-{name}": value for name, value in fields.items()})
    data["note"] = note
    return admin.post("/admin/tiers/edit", data=data).status_code
