"""Asking the channel team, replying in a thread, and saying whether an article helped."""

from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.formutil import NoControlCharacters, PortalForm
from lms.i18n import lazy_gettext as _l
from lms.kb.service import BODY_MAX, SUBJECT_MAX


class QuestionForm(PortalForm):
    subject = StringField(_l("Subject"), validators=[
        DataRequired(_l("Say what it is about.")), Length(max=SUBJECT_MAX),
        NoControlCharacters()])
    body = TextAreaField(_l("Your question"), validators=[NoControlCharacters(multiline=True),
        DataRequired(_l("Write your question.")), Length(max=BODY_MAX)],
        description=_l("The channel team answers here and tells you by notification. Your "
                       "company's partner admins can read the thread too."))


class ReplyForm(PortalForm):
    body = TextAreaField(_l("Message"), validators=[NoControlCharacters(multiline=True),
        DataRequired(_l("Write your message.")), Length(max=BODY_MAX)])


class VoteForm(PortalForm):
    """Two submit buttons, helpful=yes or no: read from the request, checked in the view."""
