"""Forms of MDF requests, decisions, claims, payments and allocation adjustments."""

from __future__ import annotations

import unicodedata

from flask_wtf.file import MultipleFileField
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from lms.deals.validation import parse_amount
from lms.formutil import NoControlCharacters, PortalForm, choices
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.labels import MDF_ACTIVITY_LABELS
from lms.mdf.service import ClaimData, RequestData
from lms.models import MdfActivityType

MAX_NOTE = 2000
MAX_LEADS = 1_000_000


class MoneyField(StringField):
    """Whole units of the program currency, with or without thousands separators
    ("1,500,000", full-width digits too); `signed` accepts a leading + or -."""

    def __init__(self, *args, signed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.signed = signed

    def process_formdata(self, valuelist) -> None:
        self.data = None
        text = unicodedata.normalize("NFKC", str(valuelist[0]) if valuelist else "")
        text = text.strip().replace(" ", "")
        if not text:
            return
        sign = 1
        if self.signed and text[0] in "+-":
            sign, text = (-1 if text[0] == "-" else 1), text[1:]
        digits = text.replace(",", "")
        if digits.isascii() and digits.isdigit() and int(digits) == 0:
            raise ValueError(_("Enter an amount above zero."))
        self.data = sign * parse_amount(text)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:,}" if isinstance(self.data, int) else ""


def _note(label, required: bool = False, description=None) -> TextAreaField:
    return TextAreaField(label, description=description, validators=[
        *([DataRequired()] if required else [Optional()]), Length(max=MAX_NOTE),
        NoControlCharacters(multiline=True)])


class RequestForm(PortalForm):
    activity_type = SelectField(_l("Activity"), choices=choices(MDF_ACTIVITY_LABELS.items()),
                                default=MdfActivityType.EVENT.value)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200),
                                                 NoControlCharacters()],
                        description=_l("e.g. Nimbus CRM seminar for Osaka manufacturers"))
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired()])
    planned_cost = MoneyField(_l("Planned cost"), validators=[InputRequired()],
                              description=_l("The whole activity, in the program currency."))
    requested_amount = MoneyField(
        _l("Amount requested"), validators=[Optional()],
        description=_l("At most the planned cost; leave it empty to ask for all of it."))
    expected_leads = IntegerField(_l("Expected leads"), default=0,
                                  validators=[Optional(), NumberRange(0, MAX_LEADS)])
    description = _note(_l("Description"), description=_l(
        "Audience, channels, what the channel team should know to decide."))

    def request_data(self) -> RequestData:
        planned = self.planned_cost.data or 0
        return RequestData(MdfActivityType(self.activity_type.data), self.title.data or "",
                           self.description.data or "", self.starts_on.data,
                           self.ends_on.data, planned, self.requested_amount.data or planned,
                           self.expected_leads.data or 0)


class DecisionForm(PortalForm):
    action = SelectField(choices=choices([("approve", _l("Approve")),
                                          ("reject", _l("Reject"))]))
    amount = MoneyField(_l("Amount approved"), validators=[Optional()],
                        description=_l("Less than asked approves in part."))
    note = _note(_l("Note for the partner"), description=_l(
        "Required to reject or to approve in part."))


class ClaimForm(PortalForm):
    actual_cost = MoneyField(_l("Actual cost"), validators=[InputRequired()])
    claimed_amount = MoneyField(_l("Amount claimed"), validators=[InputRequired()],
                                description=_l("At most the amount approved and the actual "
                                               "cost."))
    actual_leads = IntegerField(_l("Leads generated"),
                                validators=[Optional(), NumberRange(0, MAX_LEADS)])
    files = MultipleFileField(_l("Proof of performance"), description=_l(
        "Invoices, photos, attendee lists: PDF, Office documents or images."))
    note = _note(_l("Note"))

    def claim_data(self) -> ClaimData:
        return ClaimData(self.actual_cost.data or 0, self.claimed_amount.data or 0,
                         self.actual_leads.data, self.note.data or "")


class ClaimDecisionForm(PortalForm):
    action = SelectField(choices=choices([("approve", _l("Approve")),
                                          ("return", _l("Return to the partner"))]))
    amount = MoneyField(_l("Amount to pay"), validators=[Optional()],
                        description=_l("At most the amount claimed."))
    note = _note(_l("Note for the partner"), description=_l(
        "Required to return the claim or to pay less than claimed."))


class PaymentForm(PortalForm):
    paid_on = DateField(_l("Paid on"), validators=[InputRequired()])
    reference = StringField(_l("Payment reference"),
                            validators=[DataRequired(), Length(max=100),
                                        NoControlCharacters()])


class AdjustForm(PortalForm):
    delta = MoneyField(_l("Change"), signed=True, validators=[InputRequired()],
                       description=_l("+500,000 adds, -500,000 takes away."))
    note = _note(_l("Why"), required=True, description=_l("The partner reads it."))
