"""The form of a webhook endpoint."""

from wtforms import BooleanField, SelectMultipleField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.events import EVENT_TYPES
from lms.formutil import NoControlCharacters, PortalForm, choices
from lms.i18n import lazy_gettext as _l
from lms.webhooks import rules

EVENT_LABELS = {
    "credential.awarded": _l("A badge or certification is awarded"),
    "credential.revoked": _l("A badge or certification is revoked"),
    "credential.expiring": _l("A certification is about to expire"),
    "deal.registered": _l("A deal is registered"),
    "deal.status_changed": _l("A deal is approved, rejected, won, lost or expires"),
    "tier.changed": _l("A partner company changes tier"),
    "course.completed": _l("Someone completes a course"),
}


class EndpointForm(PortalForm):
    url = URLField(_l("Address (URL)"), validators=[DataRequired(),
                                                    Length(max=rules.MAX_URL_LENGTH)],
                   description=_l("Where the receiver listens, e.g. "
                                  "https://crm.example.com/hooks/academy."))
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200),
                                                             NoControlCharacters()],
                              description=_l("What receives the events, for the admins."))
    all_events = BooleanField(_l("Every event, also those added later"))
    event_types = SelectMultipleField(
        _l("Events"), choices=choices((event, EVENT_LABELS[event]) for event in EVENT_TYPES),
        filters=[lambda values: [value for value in values or () if value]],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    enabled = BooleanField(_l("Enabled"), default=True)

    def chosen_events(self) -> list[str] | None:
        """The event types chosen; None for every event."""
        return None if self.all_events.data else list(self.event_types.data or [])
