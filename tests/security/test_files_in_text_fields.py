"""A file posted under a text field's name (a crafted multipart request) is not that field's
value: the form says what is missing, nothing changes, never a 500. File fields still get
their files."""

from __future__ import annotations

import importlib
import io
import pkgutil

from flask_wtf import FlaskForm
from sqlalchemy import func, select

import lms
from lms.extensions import db
from lms.formutil import PortalForm
from lms.models import Asset, Deal, Role, User
from tests.factories import make_org, make_user, signed_in
from tests.factories.assets import PDF


def a_file(content: bytes = b"not a name") -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), "name.txt"


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_file_as_the_customer_of_a_deal_is_refused_and_nothing_is_registered(app):
    client = signed_in(app, make_user(Role.MEMBER, make_org()))
    response = client.post("/deals/new", data={
        "customer_name": a_file(), "amount": "300000", "currency": "JPY",
        "product": "Nimbus CRM", "description": a_file()}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "field-error" in response.get_data(as_text=True)
    assert count(Deal) == 0


def test_a_file_as_a_name_on_the_account_page_leaves_the_name(app):
    user = make_user(Role.MEMBER, make_org(), name="Aiko Tanaka")
    client = signed_in(app, user)
    response = client.post("/account", data={"name": a_file()},
                           content_type="multipart/form-data")
    assert response.status_code < 500
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Aiko Tanaka"


def test_an_upload_form_takes_its_file_but_not_a_file_as_its_title(app, tmp_path):
    client = signed_in(app, make_user(Role.MANAGER))
    values = {"description": "The overview.", "category": "brochure", "tags": "",
              "audience": "all", "language": "en", "min_tier": "bronze",
              "change_note": "First edition.", "file": (io.BytesIO(PDF), "overview.pdf")}
    response = client.post("/assets/new", data=values | {"title": a_file()},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and count(Asset) == 0
    values["file"] = (io.BytesIO(PDF), "overview.pdf")
    response = client.post("/assets/new", data=values | {"title": "Nimbus CRM overview"},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and count(Asset) == 1


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_form_of_the_portal_is_a_portal_form():
    for module in pkgutil.walk_packages(lms.__path__, "lms."):
        importlib.import_module(module.name)
    forms = {cls for cls in _subclasses(FlaskForm) if cls.__module__.startswith("lms.")}
    assert len(forms) > 20  # the walk found them
    assert {f"{cls.__module__}.{cls.__qualname__}" for cls in forms
            if not issubclass(cls, PortalForm) and cls is not PortalForm} == set()
