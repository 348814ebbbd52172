"""The public application form and the channel team's decisions."""

from __future__ import annotations

from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from lms.applications.rules import corporate_number_problem, normalize_corporate_number
from lms.formutil import EmailAddress, NoControlCharacters, PortalForm, choices
from lms.i18n import lazy_gettext as _l
from lms.labels import JOB_LABELS, PARTNER_TYPE_LABELS, REGION_LABELS, TIER_LABELS
from lms.models import JobFunction, PartnerType, Tier

CORPORATE_NUMBER_PROBLEMS = {
    "digits": _l("A corporate number has digits only."),
    "length": _l("A corporate number has 13 digits."),
    "check": _l("This is not a valid corporate number: check the digits (the first one is a "
                "check digit)."),
}


def _text(label, max_length: int, required: bool = True, **kwargs) -> StringField:
    return StringField(label, validators=[DataRequired() if required else Optional(),
                                          Length(max=max_length), NoControlCharacters()],
                       **kwargs)


def _long_text(label, max_length: int, required: bool = True, **kwargs) -> TextAreaField:
    return TextAreaField(label, validators=[
        DataRequired() if required else Optional(), Length(max=max_length),
        NoControlCharacters(multiline=True)], **kwargs)


class ApplicationForm(PortalForm):
    company_name = _text(_l("Company name"), 200,
                         description=_l("As registered, e.g. Sakura Systems K.K."))
    corporate_number = StringField(
        _l("Corporate number"), validators=[Optional(), Length(max=40)],
        filters=[lambda value: normalize_corporate_number(value) if value else value],
        description=_l("The 13-digit number the National Tax Agency gives every company in "
                       "Japan. Leave it empty for a company registered abroad."))
    contact_name = _text(_l("Your name"), 120)
    contact_email = EmailField(_l("Your work email"), validators=[
        DataRequired(), EmailAddress(), Length(max=254)],
        description=_l("Once approved, your invitation to the portal goes here."))
    contact_phone = _text(_l("Phone"), 40, required=False)
    partner_type = SelectField(_l("How you would sell"),
                               choices=choices(PARTNER_TYPE_LABELS.items()),
                               default=PartnerType.RESALE.value)
    region = SelectField(_l("Where you sell"), choices=choices(REGION_LABELS.items()),
                         default="kanto")
    products = _long_text(_l("What you sell today"), 2000,
                          description=_l("Products and services, and to whom."))
    message = _long_text(_l("Anything else"), 2000, required=False)
    # A field people never see (hidden by the stylesheet, skipped by the keyboard): a form
    # that fills it in was sent by a program.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])

    def validate_corporate_number(self, field) -> None:
        if field.data:
            problem = corporate_number_problem(field.data)
            if problem is not None:
                raise ValidationError(CORPORATE_NUMBER_PROBLEMS[problem])


class ApproveForm(PortalForm):
    name = _text(_l("Company name"), 200)
    slug = _text(_l("Short name"), 80,
                 description=_l("In the company's addresses: lower-case letters, digits and "
                                "dashes."))
    partner_type = SelectField(_l("Partner type"), choices=choices(PARTNER_TYPE_LABELS.items()))
    tier = SelectField(_l("Starting tier"), choices=choices(TIER_LABELS.items()),
                       default=Tier.BRONZE.value)
    job_function = SelectField(
        _l("The applicant works in"), choices=choices(JOB_LABELS.items()),
        default=JobFunction.SALES.value,
        description=_l("It decides the applicant's onboarding path."))


class DeclineForm(PortalForm):
    reason = _long_text(_l("Reason"), 2000,
                        description=_l("Mailed to the applicant, in their language."))
