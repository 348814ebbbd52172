"""Forms of the administration pages."""

from wtforms import BooleanField, DateField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lms.auth.forms import LOCALE_CHOICES
from lms.formutil import EmailAddress, NoControlCharacters, PortalForm, choices
from lms.i18n import lazy_gettext as _l
from lms.labels import JOB_LABELS, PARTNER_TYPE_LABELS, TIER_LABELS
from lms.models import PartnerType

TIER_CHOICES = list(TIER_LABELS.items())
JOB_FUNCTION_CHOICES = [("", _l("— none (vendor staff) —")), *JOB_LABELS.items()]


class OrganizationForm(PortalForm):
    name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200),
                                                      NoControlCharacters()])
    slug = StringField(
        _l("Short name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("Used in addresses and logins: lower-case letters, digits and dashes."),
    )
    tier = SelectField(_l("Tier"), choices=choices(TIER_CHOICES))
    partner_type = SelectField(_l("Partner type"), choices=choices(PARTNER_TYPE_LABELS.items()),
                               default=PartnerType.RESALE.value)
    signed_on = DateField(_l("Signed on"), validators=[DataRequired()])
    active = BooleanField(_l("Active"), default=True)


class InvitationForm(PortalForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), EmailAddress(),
                                                Length(max=254)])
    role = SelectField(_l("Role"), choices=[])
    job_function = SelectField(
        _l("Job function"), choices=choices(JOB_FUNCTION_CHOICES),
        description=_l("Required for partner people: it decides their onboarding path and "
                       "which certifications count for them."))
    organization_id = SelectField(_l("Company"), choices=[], coerce=str,
                                  validators=[Optional()])


class PersonForm(PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200),
                                              NoControlCharacters()])
    role = SelectField(_l("Role"), choices=[])
    job_function = SelectField(_l("Job function"), choices=choices(JOB_FUNCTION_CHOICES))
    organization_id = SelectField(_l("Company"), choices=[], coerce=str,
                                  validators=[Optional()])
    locale = SelectField(_l("Language"), choices=choices(LOCALE_CHOICES))


class JobFunctionForm(PortalForm):
    job_function = SelectField(_l("Job function"), choices=choices(JOB_FUNCTION_CHOICES[1:]))
