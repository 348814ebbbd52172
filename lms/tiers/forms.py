"""The admin form of the tier program rules, and the tier review's decisions."""

from __future__ import annotations

from collections.abc import Mapping

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from lms.clock import program_today
from lms.formutil import NoControlCharacters, PortalForm
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.text import has_control_characters
from lms.tiers.benefits import MAX_DEMO_ENVIRONMENTS, MAX_ITEM_LENGTH, MAX_ITEMS, MAX_MDF
from lms.tiers.program import MAX_MIN, MAX_NAME, TIERS
from lms.tiers.service import ReviewDecision

KIND_CHOICES = (
    ("", _l("— none (remove) —")),
    ("won_deals", _l("Won deals in the review window")),
    ("won_revenue", _l("Won revenue in the review window")),
    ("registered_deals", _l("Deals registered in the review window")),
    ("approved_deals", _l("Deals approved in the review window")),
    ("certified_won_deals", _l("Won deals registered by certified people (any "
                               "certification, or the credential chosen)")),
    ("manual", _l("Recorded by the channel team (give it a name)")),
    ("certified_people", _l("People holding a valid credential")),
    ("trained_people", _l("People who completed a course (its lessons and quiz)")),
)
JOB_CHOICES = (("", _l("Anyone")), ("sales", _l("Sales people")),
               ("technical", _l("Technical people")))
EXTRA_ROWS = 2
SUPPORT_LABELS = {"standard": _l("Standard support"), "priority": _l("Priority support"),
                  "dedicated": _l("A dedicated support engineer")}
SUPPORT_CHOICES = (("", _l("— not listed —")), *SUPPORT_LABELS.items())
MDF_PERIOD_CHOICES = (("quarter", _l("A quarter")), ("half_year", _l("Six months")),
                      ("year", _l("A year")))


class RequirementForm(Form):
    """One requirement row (a plain Form: the outer form carries the CSRF token)."""

    kind = SelectField(_l("Requirement"), validators=[Optional()])
    credential = SelectField(_l("Credential"), validators=[Optional()])
    course = SelectField(_l("Course"), validators=[Optional()])
    job_function = SelectField(_l("Job function"), validators=[Optional()])
    min = IntegerField(_l("Minimum"), validators=[Optional(), NumberRange(min=1, max=MAX_MIN)])
    # A manual requirement's name, and the item it is recorded under (kept across edits).
    # (Not "name": a field inside a FormField has its own `name`.)
    requirement_name = StringField(_l("Name (manual requirements)"),
                       validators=[Optional(), Length(max=MAX_NAME),
                                   NoControlCharacters()])
    item = HiddenField()


class Finite:
    """Refuse NaN and infinities before NumberRange compares (a signalling NaN raises)."""

    def __call__(self, _form, field) -> None:
        if field.data is not None and not field.data.is_finite():
            raise StopValidation(_("Enter a number."))


class BenefitsForm(Form):
    """What one tier gives (a plain Form inside ProgramForm)."""

    margin_percent = DecimalField(_l("Margin on resale (%)"), places=None,
                                  validators=[Optional(), Finite(), NumberRange(min=0,
                                                                                max=99.99)])
    mdf = IntegerField(_l("MDF per period"),
                       validators=[Optional(), NumberRange(min=1, max=MAX_MDF)],
                       description=_l("In the revenue currency; empty for none."))
    support = SelectField(_l("Support"), validators=[Optional()])
    demo_environments = IntegerField(
        _l("Demo environments at once"),
        validators=[Optional(), NumberRange(min=1, max=MAX_DEMO_ENVIRONMENTS)],
        description=_l("Empty for none."))
    demo_auto_approve = BooleanField(_l("Approve demo environment requests at once"))
    items = TextAreaField(
        _l("Other benefits"),
        validators=[Length(max=MAX_ITEMS * (MAX_ITEM_LENGTH + 2)),
                    NoControlCharacters(multiline=True)],
        description=_l("One per line, at most %(n)d.", n=MAX_ITEMS))


class ManualRecordForm(PortalForm):
    """A manual requirement recorded as met (one form per requirement: prefixed by item)."""

    met_on = DateField(_l("Met on"), validators=[InputRequired()])
    evidence = TextAreaField(
        _l("Evidence"), validators=[DataRequired(), Length(max=1000),
                                    NoControlCharacters(multiline=True)],
        description=_l("What shows it, e.g. the agreement's reference and who signed it."))

    def validate_met_on(self, field) -> None:
        if field.data and field.data > program_today():
            raise ValidationError(_("A date in the future: record it once it is met."))


class ProgramForm(PortalForm):
    currency = SelectField(_l("Revenue currency"), validators=[DataRequired()])
    review_window_months = IntegerField(
        _l("Review window (months)"), validators=[InputRequired(), NumberRange(min=1, max=60)],
        description=_l("Deals won in this many months before the evaluation are counted."))
    grace_period_days = IntegerField(
        _l("Grace period (days)"), validators=[InputRequired(), NumberRange(min=0, max=730)],
        description=_l("How long a partner below its tier's requirements keeps the tier."))
    exchange_rates = TextAreaField(
        _l("Exchange rates"), validators=[Length(max=2000)],
        description=_l("One per line, e.g. USD = 150: what one unit of that currency is "
                       "worth in the revenue currency. Won deals in a currency without a "
                       "rate do not count toward revenue."))
    silver = FieldList(FormField(RequirementForm), label=_l("Silver"))
    gold = FieldList(FormField(RequirementForm), label=_l("Gold"))
    platinum = FieldList(FormField(RequirementForm), label=_l("Platinum"))
    mdf_period = SelectField(_l("MDF period"), validators=[DataRequired()],
                             description=_l("How long each tier's MDF allocation lasts."))
    bronze_benefits = FormField(BenefitsForm, label=_l("Bronze"))
    silver_benefits = FormField(BenefitsForm, label=_l("Silver"))
    gold_benefits = FormField(BenefitsForm, label=_l("Gold"))
    platinum_benefits = FormField(BenefitsForm, label=_l("Platinum"))
    note = TextAreaField(_l("What changed and why"),
                         validators=[DataRequired(), Length(max=1000),
                                     NoControlCharacters(multiline=True)],
                         description=_l("Kept with this version of the rules."))


# --- The tier review: a decision per partner ---------------------------------------------------

REVIEW_ACTIONS = ("apply", "hold", "override", "leave")
MAX_REASON = 500


def read_decisions(values: Mapping[str, str], rows: Mapping[int, tuple[str, str]]
                   ) -> tuple[dict[int, ReviewDecision], dict[int, str], list[str]]:
    """The review form's fields (`shown-<id>`, `action-<id>`, `tier-<id>`, `reason-<id>`) for
    the companies the review proposes to change (`rows`: id -> (name, tier)): the decisions
    that are not "apply", the proposals the page showed, and the problems, each beginning
    with the company's name."""
    decisions: dict[int, ReviewDecision] = {}
    shown: dict[int, str] = {}
    problems: list[str] = []
    for key, value in values.items():
        prefix, _sep, number = key.partition("-")
        if prefix == "shown" and number.isascii() and number.isdecimal():
            shown[int(number)] = value
    for org_id in shown:
        name, tier_now = rows.get(org_id, (str(org_id), ""))
        action = values.get(f"action-{org_id}", "apply")
        reason = " ".join((values.get(f"reason-{org_id}") or "").split())
        tier = values.get(f"tier-{org_id}") or None
        problem = None
        if action not in REVIEW_ACTIONS:
            problem = _("choose apply, hold or set another tier.")
        elif action == "apply":
            continue
        elif action == "leave":
            decisions[org_id] = ReviewDecision("leave")
            continue
        elif not reason or len(reason) > MAX_REASON or has_control_characters(reason):
            problem = _("say why (1 to %(n)d characters) when you hold a change or set "
                        "another tier.", n=MAX_REASON)
        elif action == "override" and (tier not in TIERS or tier == tier_now):
            problem = _("choose a tier other than the partner's own to set.")
        if problem is not None:
            problems.append(f"{name}: {problem}")
        else:
            decisions[org_id] = ReviewDecision(action, reason,
                                               tier if action == "override" else None)
    return decisions, shown, problems
