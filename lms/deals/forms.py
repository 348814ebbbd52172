"""Forms of deal registration, decisions and the CSV import."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from lms.deals.validation import MAX_LENGTHS, check_date, parse_amount
from lms.formutil import NoControlCharacters, PortalForm, choices
from lms.i18n import lazy_gettext as _l
from lms.models.deals import CURRENCIES, DEFAULT_CURRENCY

CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]
ACTION_CHOICES = [("approve", _l("Approve")), ("reject", _l("Reject")),
                  ("won", _l("Mark won")), ("lost", _l("Mark lost"))]


class AmountField(StringField):
    """Whole currency units, typed with or without thousands separators ("30,000,000")."""

    def process_formdata(self, valuelist) -> None:
        self.data = None
        if valuelist and str(valuelist[0]).strip():
            # A ValueError here becomes the field's error message.
            self.data = parse_amount(valuelist[0])

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:,}" if isinstance(self.data, int) else ""


def deal_date(_form, field) -> None:
    """The date range the CSV import and the API accept (validation.check_date)."""
    if field.data is not None:
        try:
            check_date(field.data)
        except ValueError as problem:
            raise ValidationError(str(problem)) from problem


class DealForm(PortalForm):
    customer_name = StringField(
        _l("Customer company"),
        validators=[DataRequired(), Length(max=200), NoControlCharacters()],
        description=_l("The company you are selling to, e.g. 株式会社サクラ商事."))
    amount = AmountField(
        _l("Amount"), validators=[InputRequired(message=_l("Enter the amount."))],
        description=_l("Whole units of the currency, e.g. 30,000,000."))
    currency = SelectField(_l("Currency"), choices=choices(CURRENCY_CHOICES),
                           default=DEFAULT_CURRENCY)
    product = StringField(_l("Product"), validators=[Length(max=200), NoControlCharacters()])
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=MAX_LENGTHS["description"]),
                    NoControlCharacters(multiline=True)])
    expected_close_on = DateField(_l("Expected close date"), validators=[Optional(), deal_date])
    # Choices: the company's approved MDF activities (set by the view; "" for none).
    # Not checked against the choices: the service refuses an activity that is not the
    # company's or not approved (cancelled while the form was open) with a message.
    mdf_request = SelectField(_l("MDF activity"), choices=[], default="", validate_choice=False,
                              description=_l("The funded activity that brought this deal, "
                                             "if any: it counts in the return on MDF."))

    def deal_fields(self) -> dict:
        fields = {"customer_name": self.customer_name.data, "amount": self.amount.data,
                  "currency": self.currency.data, "product": self.product.data or "",
                  "description": self.description.data or "",
                  "expected_close_on": self.expected_close_on.data}
        value = (self.mdf_request.data or "").strip()
        # Offered when there is an activity to choose; a value posted without is refused.
        if len(self.mdf_request.choices) > 1 or value:
            fields["mdf_request_id"] = int(value) if value.isascii() and value.isdigit() \
                and len(value) < 11 else (None if not value else -1)
        return fields


class DecisionForm(PortalForm):
    action = SelectField(_l("Decision"), choices=choices(ACTION_CHOICES))
    reason = TextAreaField(
        _l("Reason or note"), validators=[Length(max=1000)],
        description=_l("Required to reject: the partner sees it. Kept in the history."))


class ImportForm(PortalForm):
    file = FileField(_l("CSV file"), validators=[
        FileRequired(message=_l("Choose the CSV file to import."))])
    skip_bad_rows = BooleanField(
        _l("Skip bad rows"),
        description=_l("Import the good rows and list the bad ones. Without it, one bad row "
                       "stops the whole import."))
    check = SubmitField(_l("Check only"))
    submit = SubmitField(_l("Import"))
