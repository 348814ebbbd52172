"""How a request saves: `saving()` commits a change whole or rolls all of it back, and reports
a service's refusal to the person (lms/database.py)."""

from __future__ import annotations

from datetime import date

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import func, select, update
from wtforms import StringField

from lms.database import end_read_transaction, execute_dml, saving, start_write_transaction
from lms.extensions import db
from lms.models import Organization


class Refused(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField()
    slug = StringField()


def _org(slug: str) -> Organization:
    return Organization(slug=slug, name=slug.title(), signed_on=date(2025, 4, 1))


def _count() -> int:
    db.session.rollback()  # read what is committed, not what the session holds
    return db.session.scalar(select(func.count()).select_from(Organization))


def test_the_changes_of_the_block_are_committed_together(app):
    with app.test_request_context(method="POST"):
        with saving(Refused) as saved:
            db.session.add(_org("aozora"))
            db.session.add(_org("kumo"))
        assert (saved.ok, saved.error) == (True, None)
        assert _count() == 2


def test_a_refusal_rolls_everything_back_and_is_flashed(app):
    with app.test_request_context(method="POST"):
        with saving(Refused) as saved:
            db.session.add(_org("aozora"))
            db.session.flush()
            raise Refused("Not today.")
        assert not saved.ok and str(saved.error) == "Not today."
        assert get_flashed_messages(with_categories=True) == [("error", "Not today.")]
        assert _count() == 0


def test_a_refusal_goes_to_the_field_it_names_or_the_one_given(app):
    with app.test_request_context(method="POST"):
        form = NameForm()
        with saving(Refused, form=form):
            raise Refused("Taken.", field="slug")
        with saving(Refused, field=form.name):
            raise Refused("Too long.")
        with saving(Refused, form=form):
            raise Refused("No such field.", field="colour")
        assert form.slug.errors == ["Taken."]
        assert form.name.errors == ["Too long."]
        assert get_flashed_messages() == ["No such field."]


def test_any_other_error_rolls_back_and_propagates(app):
    with app.test_request_context(method="POST"):
        with pytest.raises(KeyError), saving(Refused):
            db.session.add(_org("aozora"))
            db.session.flush()
            raise KeyError("bug")
        assert get_flashed_messages() == []
        assert _count() == 0


def test_a_refusal_it_was_not_told_of_is_not_swallowed(app):
    with app.test_request_context(method="POST"), pytest.raises(Refused), saving():
        raise Refused("Not mine to report.")


def test_end_read_transaction_refuses_to_commit_unsaved_changes(app):
    with app.test_request_context(method="POST"):
        db.session.add(_org("aozora"))
        with pytest.raises(RuntimeError, match="unsaved changes"):
            end_read_transaction()
        db.session.rollback()
        db.session.scalar(select(func.count()).select_from(Organization))
        end_read_transaction()  # a transaction that only read ends quietly
        assert not db.session().in_transaction()


def test_execute_dml_says_how_many_rows_changed(app):
    with app.test_request_context(method="POST"):
        with saving():
            db.session.add_all([_org("aozora"), _org("kumo")])
        with saving():
            start_write_transaction()  # a request's second write transaction takes the lock
            changed = execute_dml(update(Organization).values(name="Renamed"))
            unchanged = execute_dml(update(Organization).where(Organization.slug == "none")
                                    .values(name="x"))
        assert (changed, unchanged) == (2, 0)


def test_a_discarded_block_is_rolled_back_without_a_message(app):
    with app.test_request_context(method="POST"):
        with saving(Refused) as saved:
            db.session.add(_org("aozora"))
            db.session.flush()
            saved.discard()  # a dry run
        assert (saved.ok, saved.error) == (False, None)
        assert get_flashed_messages() == []
        assert _count() == 0
