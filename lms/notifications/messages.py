"""What each kind of notification says, in the reader's language.

A notification stores its kind and parameters, never its text: the inbox shows it in the
reader's language of today, and its mail goes out in the recipient's. Add a kind by adding a
function here (and the code that notifies it in the feature that knows the event).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app

from lms.dates import format_date
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.i18n import ngettext
from lms.labels import TIER_LABELS
from lms.models import Tier


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


def _day(value: str) -> str:
    return format_date(date.fromisoformat(value))


def _tier(value: str) -> str:
    return str(TIER_LABELS[Tier(value)])


# --- Credentials -----------------------------------------------------------------------------


def credential_earned(params: dict, locale: str) -> Message:
    from lms.credentials.sharing import share_links

    name = _name(params["credential"], locale)
    config = current_app.config
    links = share_links(
        name=params["credential"].get("en", name), image=params.get("image", ""),
        verification_code=params["code"], issued_on=date.fromisoformat(params["issued"]),
        expires_on=date.fromisoformat(params["expires"]) if params.get("expires") else None,
        base_url=config["LMS_BASE_URL"], issuer=config["LMS_ISSUER_NAME"])
    links_of = {"credential": name, "verify": links.verify_url, "linkedin": links.linkedin_url}
    if params.get("renewal"):
        title = _("Your %(credential)s is renewed", credential=name)
        body = _("Your %(credential)s is renewed. Anyone can check it at %(verify)s\n\n"
                 "Update it on your LinkedIn profile: %(linkedin)s", **links_of)
    else:
        title = _("You earned %(credential)s", credential=name)
        body = _("Congratulations: %(credential)s is yours. Anyone can check it at "
                 "%(verify)s\n\nAdd it to your LinkedIn profile: %(linkedin)s", **links_of)
    return Message(
        title, body,
        "/credentials")


# --- Deals -----------------------------------------------------------------------------------


def deal_registered(params: dict, locale: str) -> Message:
    return Message(
        _("%(partner)s registered a deal for %(customer)s",
          partner=params["partner"], customer=params["customer"]),
        _("A new deal registration from %(partner)s for %(customer)s waits for your decision.",
          partner=params["partner"], customer=params["customer"]),
        f"/deals/{params['deal']}")


def deal_decided(params: dict, locale: str) -> Message:
    path = f"/deals/{params['deal']}"
    if params["status"] == "rejected":
        return Message(
            _("Deal for %(customer)s rejected", customer=params["customer"]),
            _("The channel team rejected the deal registration for %(customer)s. The "
              "reason: %(reason)s", customer=params["customer"], reason=params["reason"]),
            path)
    return Message(
        _("Deal for %(customer)s approved", customer=params["customer"]),
        _("The channel team approved the deal registration for %(customer)s: it is yours "
          "to work until it is won or lost.", customer=params["customer"]),
        path)


def deal_conflict(params: dict, locale: str) -> Message:
    return Message(
        _("Deal for %(customer)s conflicts with another registration",
          customer=params["customer"]),
        _("Another partner registered %(customer)s first. The channel team decides which "
          "registration stands; the deal page shows the state.", customer=params["customer"]),
        f"/deals/{params['deal']}")


def deal_expiring(params: dict, locale: str) -> Message:
    return Message(
        _("Deal registration for %(customer)s expires on %(date)s",
          customer=params["customer"], date=_day(params["expires"])),
        _("The registration for %(customer)s expires in %(days)d days, on %(date)s, unless "
          "it is won or lost before then.", customer=params["customer"],
          days=params["days"], date=_day(params["expires"])),
        f"/deals/{params['deal']}")


# --- Tiers -----------------------------------------------------------------------------------


def tier_changed(params: dict, locale: str) -> Message:
    names = {"partner": params["partner"], "tier": _tier(params["to"]),
             "previous": _tier(params["from"])}
    if params.get("by_hand"):  # a manager set it in the tier review, with a reason
        return Message(_("%(partner)s is now %(tier)s", **names),
                       _("The channel team set %(partner)s's tier from %(previous)s to "
                         "%(tier)s. The partner page says why.", **names), params["path"])
    if params["kind"] == "promotion":
        return Message(_("%(partner)s is now %(tier)s", **names),
                       _("%(partner)s moved up from %(previous)s to %(tier)s.", **names),
                       params["path"])
    return Message(_("%(partner)s moved down to %(tier)s", **names),
                   _("%(partner)s no longer meets the %(previous)s requirements and is now "
                     "%(tier)s. The scorecard shows what it takes to move up again.", **names),
                   params["path"])


def tier_held(params: dict, locale: str) -> Message:
    names = {"partner": params["partner"], "tier": _tier(params["to"]),
             "previous": _tier(params["from"]), "reason": params.get("reason") or ""}
    if params["kind"] == "promotion":
        return Message(_("%(partner)s stays %(previous)s for now", **names),
                       _("%(partner)s qualifies for %(tier)s, and the channel team held the "
                         "promotion back at this review. The reason: %(reason)s", **names),
                       params["path"])
    return Message(_("%(partner)s keeps %(previous)s for now", **names),
                   _("The rules would take %(partner)s from %(previous)s to %(tier)s; the "
                     "channel team held that back at this review. The reason: %(reason)s",
                     **names), params["path"])


def tier_recovered(params: dict, locale: str) -> Message:
    names = {"partner": params["partner"], "tier": _tier(params["tier"])}
    return Message(_("%(partner)s meets %(tier)s again", **names),
                   _("%(partner)s meets every %(tier)s requirement again: its grace period "
                     "is over and it keeps %(tier)s.", **names), params["path"])


def tier_at_risk(params: dict, locale: str) -> Message:
    names = {"partner": params["partner"], "tier": _tier(params["tier"]),
             "date": _day(params["demotion"])}
    return Message(_("%(partner)s no longer meets %(tier)s", **names),
                   _("%(partner)s no longer meets the %(tier)s requirements. Unless it meets "
                     "them again, it moves down on %(date)s. The scorecard shows what is "
                     "missing.", **names), params["path"])


def tier_promotion_due(params: dict, locale: str) -> Message:
    names = {"partner": params["partner"], "tier": _tier(params["to"])}
    if params.get("manager"):
        body = _("%(partner)s meets every %(tier)s requirement. Apply the promotion in the "
                 "tier review.", **names)
    else:
        body = _("%(partner)s meets every %(tier)s requirement. The channel team confirms "
                 "promotions in its tier review.", **names)
    return Message(_("%(partner)s qualifies for %(tier)s", **names), body, params["path"])


def tier_lapse(params: dict, locale: str) -> Message:
    names = {"date": _day(params["date"]), "tier": _tier(params["tier"]),
             "actual": params["actual"], "required": params["required"],
             "partner": params["partner"], "credential": _name(params["credential"], locale)}
    if params.get("job_function") == "sales":
        title = _("On %(date)s %(tier)s falls to %(actual)d of %(required)d certified sales "
                  "people", **names)
    elif params.get("job_function") == "technical":
        title = _("On %(date)s %(tier)s falls to %(actual)d of %(required)d certified "
                  "engineers", **names)
    else:
        title = _("On %(date)s %(tier)s falls to %(actual)d of %(required)d certified "
                  "people", **names)
    return Message(
        title,
        _("%(partner)s: certifications in %(credential)s expire on %(date)s and are not "
          "renewed yet. After that it has %(actual)d of the %(required)d that %(tier)s "
          "requires, and its grace period starts at the next tier review.", **names),
        params["path"])


# --- Learning --------------------------------------------------------------------------------


def learning_not_started(params: dict, locale: str) -> Message:
    if params.get("person_name"):
        return Message(
            _("%(person)s has not started onboarding", person=params["person_name"]),
            _("%(person)s joined a week ago and has not opened a lesson yet. A word from you "
              "helps.", person=params["person_name"]),
            "/progress?stalled=1")
    return Message(_("Your onboarding is waiting"),
                   _("You joined Partner Academy a week ago: your onboarding path starts with "
                     "a short course. Your home page shows the next step."), "/")


def onboarding_stalled(params: dict, locale: str) -> Message:
    return Message(
        _("%(person)s's onboarding has stalled", person=params["person_name"]),
        _("%(person)s has not learned anything for two weeks and has not finished the "
          "onboarding path.", person=params["person_name"]),
        "/progress?stalled=1")


# --- Sales assets ----------------------------------------------------------------------------


def asset_updated(params: dict, locale: str) -> Message:
    names = {"asset": params["title"], "version": params["version"]}
    note = params.get("note") or ""
    body = (_("A new version (v%(version)d) of %(asset)s, which you downloaded, is out. "
              "What changed: %(note)s", note=note, **names) if note else
            _("A new version (v%(version)d) of %(asset)s, which you downloaded, is out.",
              **names))
    return Message(_("%(asset)s has a new version", **names),
                   body + "\n\n" + _("Please replace the copy you have."),
                   f"/assets/{params['slug']}")


# --- Market development funds ------------------------------------------------------------------


def _money(amount: int | None, currency: str | None) -> str:
    from lms.numbers import format_amount

    return format_amount(int(amount or 0), str(currency or ""))


def mdf_to_decide(params: dict, locale: str) -> Message:
    names = {"partner": params["partner"], "title": params["title"],
             "amount": _money(params.get("amount"), params.get("currency"))}
    path = f"/mdf/requests/{params['request']}"
    if params["status"] == "claimed":
        return Message(_("MDF claim from %(partner)s: %(title)s", **names),
                       _("%(partner)s claims %(amount)s for “%(title)s”, with its proof of "
                         "performance. Approve the claim, or return it with what to fix.",
                         **names), path)
    return Message(_("MDF request from %(partner)s: %(title)s", **names),
                   _("%(partner)s asks for %(amount)s for “%(title)s”. Approve it in full or "
                     "in part, or reject it with a reason.", **names), path)


def mdf_decided(params: dict, locale: str) -> Message:
    names = {"title": params["title"],
             "amount": _money(params.get("amount"), params.get("currency"))}
    note = params.get("note") or ""
    path = f"/mdf/requests/{params['request']}"
    status = params["status"]
    if status == "rejected":
        return Message(_("MDF request rejected: %(title)s", **names),
                       _("The channel team rejected the request for “%(title)s”. The reason: "
                         "%(reason)s", reason=note, **names), path)
    if status == "returned":
        return Message(_("MDF claim returned: %(title)s", **names),
                       _("The channel team returned the claim for “%(title)s”. What to fix: "
                         "%(reason)s", reason=note, **names), path)
    if status == "claim_approved":
        return Message(_("MDF claim approved: %(title)s", **names),
                       _("The channel team approved the claim for “%(title)s”: %(amount)s "
                         "will be paid.", **names), path)
    if status == "paid":
        return Message(_("MDF paid: %(title)s", **names),
                       _("%(amount)s was paid for “%(title)s”.", **names), path)
    body = _("The channel team approved %(amount)s for “%(title)s”. Once the activity is "
             "over, claim what it cost with its proof of performance.", **names)
    return Message(_("MDF request approved: %(title)s", **names),
                   body + (f"\n\n{note}" if note else ""), path)


def mdf_expiring(params: dict, locale: str) -> Message:
    names = {"amount": _money(params["amount"], params.get("currency")),
             "day": format_date(date.fromisoformat(params["ends"])), "period": params["period"]}
    return Message(_("Unused MDF expires on %(day)s", **names),
                   _("%(amount)s of your market development funds for %(period)s is not "
                     "requested yet. What is not requested by %(day)s expires.", **names),
                   "/mdf")


def terms_to_accept(params: dict, locale: str) -> Message:
    names = {"version": params["version"], "day": _day(params["effective"]),
             "title": _name(params["title"], locale)}
    if params.get("in_force"):
        return Message(
            _("Accept the program terms: %(title)s", **names),
            _("Version %(version)s of the program terms (%(title)s) is in force since "
              "%(day)s and your company has not accepted it. Until a partner admin accepts "
              "it, your people cannot register deals or download material.", **names),
            "/terms")
    return Message(
        _("New program terms from %(day)s: %(title)s", **names),
        _("Version %(version)s of the program terms (%(title)s) takes effect on %(day)s. "
          "Read what changed and accept it for your company before then, so that your "
          "people can keep registering deals and downloading material.", **names),
        "/terms")


def kb_asked(params: dict, locale: str) -> Message:
    names = {"subject": params["subject"], "person": params["author"]}
    path = f"/kb/questions/{params['question']}"
    if params.get("follow_up"):
        return Message(_("Follow-up: %(subject)s", **names),
                       _("%(person)s wrote again about “%(subject)s”.", **names), path)
    return Message(_("New question: %(subject)s", **names),
                   _("%(person)s asked the channel team: “%(subject)s”.", **names), path)


def kb_answered(params: dict, locale: str) -> Message:
    names = {"subject": params["subject"], "person": params["author"]}
    return Message(_("Answered: %(subject)s", **names),
                   _("%(person)s of the channel team answered your question “%(subject)s”.",
                     **names), f"/kb/questions/{params['question']}")


def env_to_decide(params: dict, locale: str) -> Message:
    names = {"partner": params["partner"], "person": params["person"]}
    days = int(params.get("days") or 0)
    path = f"/environments/{params['environment']}"
    if params["what"] == "extension":
        return Message(_("Demo environment extension from %(partner)s", **names),
                       ngettext("%(person)s of %(partner)s asks to keep a demo environment "
                                "%(num)d more day. Approve it, or decline it with a reason.",
                                "%(person)s of %(partner)s asks to keep a demo environment "
                                "%(num)d more days. Approve it, or decline it with a reason.",
                                days, **names), path)
    if params["what"] == "setup":
        return Message(_("Demo environment to set up for %(partner)s", **names),
                       _("A demo environment for %(partner)s is approved: set it up and "
                         "enter its address and sign-in details.", **names), path)
    return Message(_("Demo environment request from %(partner)s", **names),
                   ngettext("%(person)s of %(partner)s asks for a demo environment for "
                            "%(num)d day. Approve it, or decline it with a reason.",
                            "%(person)s of %(partner)s asks for a demo environment for "
                            "%(num)d days. Approve it, or decline it with a reason.",
                            days, **names), path)


def _moment(value: str | None) -> str:
    from lms.dates import format_datetime

    return format_datetime(datetime.fromisoformat(value)) if value else ""


def env_decided(params: dict, locale: str) -> Message:
    path = f"/environments/{params['environment']}"
    names = {"expires": _moment(params.get("expires")), "reason": params.get("note") or ""}
    status = params["status"]
    if status == "declined":
        return Message(_("Demo environment request declined"),
                       _("The channel team declined your demo environment request. The "
                         "reason: %(reason)s", **names), path)
    if status == "extended":
        return Message(_("Demo environment extended"),
                       _("Your demo environment now runs until %(expires)s.", **names), path)
    if status == "extension_declined":
        return Message(_("Demo environment extension declined"),
                       _("The channel team declined the extension. The reason: %(reason)s",
                         **names), path)
    return Message(_("Your demo environment is ready"),
                   _("Your demo environment is ready until %(expires)s. Open it in the "
                     "portal to see its address and, once, its sign-in details.", **names),
                   path)


def env_expiring(params: dict, locale: str) -> Message:
    names = {"expires": _moment(params.get("expires"))}
    return Message(_("Your demo environment ends on %(expires)s", **names),
                   _("Your demo environment ends on %(expires)s and everything in it goes. "
                     "Ask for an extension in the portal if you need it longer.", **names),
                   f"/environments/{params['environment']}")


KINDS: dict[str, Callable[[dict, str], Message]] = {
    "credential_expiring": credential_expiring,
    "credential_earned": credential_earned,
    "deal_registered": deal_registered,
    "deal_decided": deal_decided,
    "deal_conflict": deal_conflict,
    "deal_expiring": deal_expiring,
    "tier_changed": tier_changed,
    "tier_at_risk": tier_at_risk,
    "tier_recovered": tier_recovered,
    "tier_held": tier_held,
    "tier_promotion_due": tier_promotion_due,
    "tier_lapse": tier_lapse,
    "learning_not_started": learning_not_started,
    "onboarding_stalled": onboarding_stalled,
    "asset_updated": asset_updated,
    "mdf_to_decide": mdf_to_decide,
    "mdf_decided": mdf_decided,
    "mdf_expiring": mdf_expiring,
    "terms_to_accept": terms_to_accept,
    "kb_asked": kb_asked,
    "kb_answered": kb_answered,
    "env_to_decide": env_to_decide,
    "env_decided": env_decided,
    "env_expiring": env_expiring,
}

# Categories a person can turn off by mail (the inbox keeps everything).
CATEGORIES = ("credentials", "deals", "tiers", "learning", "assets", "mdf", "terms", "kb",
              "environments")
CATEGORY_LABELS = {"credentials": _l("certifications and badges"), "deals": _l("deals"),
                   "tiers": _l("partner tiers"), "learning": _l("learning and onboarding"),
                   "assets": _l("sales assets"), "mdf": _l("market development funds"),
                   "terms": _l("program terms"), "kb": _l("questions to the channel team"),
                   "environments": _l("demo environments"),
                   "all": _l("everything")}


def render(kind: str, params: dict, locale: str) -> Message:
    """The message of a notification, in the current (forced) locale `locale`."""
    return KINDS[kind](params, locale)
