"""What each kind of notification says, in the reader's language.

A notification stores its kind and parameters, never its text: the inbox shows it in the
reader's language of today, and its mail goes out in the recipient's. Add a kind by adding a
function here (and the code that notifies it in the feature that knows the event).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from lms.dates import format_date
from lms.i18n import gettext as _


@dataclass(frozen=True)
class Message:
    title: str  # one line: the inbox entry and the mail's subject
    body: str  # a paragraph or two of plain text: the mail, and the inbox's detail
    path: str  # where to act, inside the portal


def _name(names: dict, locale: str) -> str:
    """A content name in the reader's language, else in the original (`names["en"]`)."""
    return names.get(locale) or names.get("en") or next(iter(names.values()), "")


def credential_expiring(params: dict, locale: str) -> Message:
    name = _name(params["credential"], locale)
    expires = format_date(date.fromisoformat(params["expires"]))
    if params.get("holder_name"):  # to a partner admin, about one of their people
        return Message(
            _("%(person)s's %(credential)s expires on %(date)s",
              person=params["holder_name"], credential=name, date=expires),
            _("%(person)s's certification %(credential)s expires in %(days)d days, on "
              "%(date)s, and is not renewed yet. Certified people count toward your "
              "company's tier.", person=params["holder_name"], credential=name,
              days=params["days"], date=expires),
            "/credentials/expiring")
    return Message(
        _("Your %(credential)s expires on %(date)s", credential=name, date=expires),
        _("Your certification %(credential)s expires in %(days)d days, on %(date)s. Renew "
          "it before then to keep it valid: the credential page says how.",
          credential=name, days=params["days"], date=expires),
        "/credentials")


KINDS: dict[str, Callable[[dict, str], Message]] = {
    "credential_expiring": credential_expiring,
}

# Categories a person can turn off by mail (the inbox keeps everything).
CATEGORIES = ("credentials", "deals", "tiers", "learning", "assets")


def render(kind: str, params: dict, locale: str) -> Message:
    """The message of a notification, in the current (forced) locale `locale`."""
    return KINDS[kind](params, locale)
