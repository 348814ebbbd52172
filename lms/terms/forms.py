"""Accepting the program terms for the company."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, Length

from lms.formutil import PortalForm
from lms.i18n import lazy_gettext as _l

# Only a tampered or truncated form lacks the digest: it reads as a text that changed.
CHANGED = _l("The terms changed while you were reading them: read them again before "
             "accepting.")


class AcceptForm(PortalForm):
    # The digest of the text shown: accepting refuses a text that changed meanwhile.
    digest = HiddenField(validators=[DataRequired(CHANGED), Length(min=64, max=64,
                                                                   message=CHANGED)])
    confirm = BooleanField(
        _l("I have read these terms and accept them on behalf of my company."),
        validators=[DataRequired(_l("Tick the box to accept the terms for your company."))])
