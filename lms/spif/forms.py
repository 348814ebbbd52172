"""The form of a SPIF campaign (channel team only)."""

from __future__ import annotations

from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.formutil import NoControlCharacters, PortalForm, choices
from lms.i18n import lazy_gettext as _l
from lms.labels import SPIF_RULE_LABELS, TIER_LABELS
from lms.mdf.forms import MoneyField, _note
from lms.models import SpifRule
from lms.spif.rules import MAX_BONUS
from lms.spif.service import CampaignData


class CampaignForm(PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120),
                                               NoControlCharacters()],
                       description=_l("e.g. New-logo bonus, second half"))
    rule = SelectField(_l("Pays for"), choices=choices(SPIF_RULE_LABELS.items()),
                       default=SpifRule.WON_DEAL.value)
    product = StringField(_l("Product"), validators=[Optional(), Length(max=200),
                                                     NoControlCharacters()],
                          description=_l("Only deals whose product mentions this, e.g. "
                                         "\"Enterprise\"; empty for every product."))
    bonus = MoneyField(_l("Bonus per deal"), validators=[InputRequired(),
                                                        NumberRange(1, MAX_BONUS)],
                       description=_l("In the program currency."))
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()],
                        description=_l("Deals won from the first day to the last count, "
                                       "in the program's time zone."))
    tiers = SelectMultipleField(
        _l("For partners at"), choices=choices(TIER_LABELS.items()),
        filters=[lambda values: [value for value in values or () if value]],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        description=_l("The tier held when the deal was won; none ticked: every tier."))
    description = _note(_l("Description"), description=_l(
        "What partners read: the goal, how the bonus is paid."))

    def campaign_data(self) -> CampaignData:
        return CampaignData(self.name.data or "", self.description.data or "",
                            SpifRule(self.rule.data), self.product.data or "",
                            self.bonus.data or 0, self.starts_on.data, self.ends_on.data,
                            tuple(self.tiers.data or ()))
