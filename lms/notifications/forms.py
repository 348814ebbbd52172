"""The form of a person's notification mail choices."""

from wtforms import BooleanField, RadioField

from lms.formutil import PortalForm, choices
from lms.i18n import lazy_gettext as _l


class SettingsForm(PortalForm):
    # One box per category of lms.notifications.messages.CATEGORIES: checked = mailed.
    credentials = BooleanField(_l("Certifications and badges: reminders before expiry, "
                                  "credentials earned"))
    deals = BooleanField(_l("Deals: decisions, conflicts, registrations about to expire"))
    tiers = BooleanField(_l("Partner tiers: promotions, grace periods, requirements at risk"))
    learning = BooleanField(_l("Learning: onboarding not started or stalled"))
    assets = BooleanField(_l("Sales assets: new versions of files you downloaded"))
    mdf = BooleanField(_l("Market development funds: requests and claims decided, funds "
                          "about to expire"))
    terms = BooleanField(_l("Program terms: a new version to accept"))
    kb = BooleanField(_l("Questions to the channel team: new questions and answers"))
    environments = BooleanField(_l("Demo environments: requests decided, ready, about to end"))
    delivery = RadioField(_l("How often"), choices=choices([
        ("now", _l("One mail for each notification, as it happens")),
        ("digest", _l("One daily digest at 08:00 with everything new"))]), default="now")
