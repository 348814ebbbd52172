"""Forms of demo environments: the request, decisions, the details a manager enters, and
extensions."""

from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from lms.environments import rules
from lms.environments.service import MAX_NOTE, MAX_PURPOSE
from lms.formutil import NoControlCharacters, PortalForm
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l


class RequestForm(PortalForm):
    purpose = TextAreaField(_l("What is it for?"), validators=[
        DataRequired(_l("Say what it is for: the channel team reads it.")),
        Length(max=MAX_PURPOSE), NoControlCharacters(multiline=True)],
        description=_l("e.g. A demo of the sales pipeline for Hokuriku Bank's branch "
                       "managers, then a two-week trial."))
    # Not checked against its choices here: the service refuses another company's deal with
    # a message that says so.
    deal_id = SelectField(_l("For a deal (optional)"), validators=[Optional()], coerce=str,
                          validate_choice=False)
    days = IntegerField(_l("Days"), default=14, validators=[
        InputRequired(), NumberRange(1, rules.MAX_DAYS, _l("Ask for 1 to %(max)d days."))],
        description=_l("At most 30. The days count from when it is ready."))

    def validate_deal_id(self, field) -> None:
        value = field.data or ""
        if value and not (value.isascii() and value.isdigit() and len(value) <= 18):
            raise ValidationError(_("Choose one of your company's deals."))

    def chosen_deal(self) -> int | None:
        value = self.deal_id.data or ""
        return int(value) if value.isdigit() else None


class DecisionForm(PortalForm):
    note = TextAreaField(_l("Note to the partner"), validators=[
        Optional(), Length(max=MAX_NOTE), NoControlCharacters(multiline=True)],
        description=_l("Required to decline: the partner reads it."))


class DetailsForm(PortalForm):
    url = StringField(_l("Web address"), validators=[
        DataRequired(_l("Enter the address, starting with https://.")),
        Length(max=rules.MAX_URL), NoControlCharacters()],
        description=_l("e.g. https://demo-0142.nimbus-crm.example"))
    credentials = TextAreaField(_l("Sign-in details"), validators=[
        DataRequired(_l("Enter the sign-in details.")), Length(max=rules.MAX_CREDENTIALS)],
        description=_l("Stored encrypted, shown once to the requester, then erased."))


class ExtensionForm(PortalForm):
    days = IntegerField(_l("More days"), default=7, validators=[
        InputRequired(), NumberRange(1, rules.MAX_DAYS, _l("Ask for 1 to %(max)d days."))])
    reason = TextAreaField(_l("Why?"), validators=[
        DataRequired(_l("Say why it needs longer.")), Length(max=MAX_NOTE),
        NoControlCharacters(multiline=True)])
