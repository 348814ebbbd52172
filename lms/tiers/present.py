"""Tier results in people's words and with links: scorecards, report rows (view helpers)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import format_percent, get_locale
from sqlalchemy import func, literal, select, union_all

from lms.clock import program_today
from lms.content_cache import cached
from lms.courses.structure import CourseInfo, structure
from lms.credentials.rules import add_months
from lms.deals.permissions import can_register
from lms.extensions import db
from lms.i18n import gettext, ngettext
from lms.i18n import lazy_gettext as _l
from lms.models import Asset, Course, Credential, Quiz
from lms.numbers import format_decimal
from lms.tiers import rules
from lms.tiers.benefits import TIERS, TierBenefits, added
from lms.tiers.forms import SUPPORT_LABELS
from lms.tiers.program import Program, Requirement
from lms.tiers.rules import RequirementResult
from lms.tiers.service import PartnerStanding, standing_of


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass(frozen=True)
class RequirementRow:
    label: str
    actual: int
    required: int
    met: bool
    percent: int
    gap: str
    kind: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Scorecard:
    tier: str
    met: bool
    rows: tuple[RequirementRow, ...]

    @property
    def met_count(self) -> int:
        return sum(1 for row in self.rows if row.met)


@dataclass
class Vocabulary:
    """Names and links the texts need (from the workers' copy of the content)."""

    credential_names: dict[str, str] = field(default_factory=dict)
    credential_links: dict[str, tuple[Link, ...]] = field(default_factory=dict)
    # Course groups' titles in the reader's language, and (with links) their version's page.
    course_names: dict[str, str] = field(default_factory=dict)
    course_links: dict[str, tuple[Link, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Names:
    """What the vocabulary is made of: content, the same for everyone."""

    # (slug, name, the courses and the quizzes that earn it) of every credential
    credentials: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]
    # Titles of the active courses and quizzes, by slug
    course_titles: dict[str, str]
    quiz_titles: dict[str, str]


def _names() -> _Names:
    credentials = tuple((slug, name, tuple(courses or ()), tuple(quizzes or ()))
                        for slug, name, courses, quizzes in db.session.execute(
        select(Credential.slug, Credential.name, Credential.courses, Credential.quizzes)))
    titles: dict[str, dict[str, str]] = {"course": {}, "quiz": {}}
    for kind, slug, title in db.session.execute(union_all(
            select(literal("course"), Course.slug, Course.title)
            .where(Course.archived_at.is_(None)),
            select(literal("quiz"), Quiz.slug, Quiz.title).where(Quiz.archived_at.is_(None)))):
        titles[kind][slug] = title
    return _Names(credentials, titles["course"], titles["quiz"])


def _number(n: int) -> str:
    return format_decimal(n)


def _courses_in(locale: str) -> dict[str, CourseInfo]:
    """Each course group's version in `locale` (else its original)."""
    groups: dict[str, list[CourseInfo]] = {}
    for course in structure().courses:
        groups.setdefault(course.group_slug, []).append(course)
    return {group: next((c for c in versions if c.locale == locale),
                        next((c for c in versions if c.slug == group), versions[0]))
            for group, versions in groups.items()}


def vocabulary(with_links: bool = False) -> Vocabulary:
    names = cached("tiers.vocabulary", _names)
    in_language = _courses_in(str(get_locale() or "en"))
    vocab = Vocabulary({slug: name for slug, name, _c, _q in names.credentials},
                       course_names={group: c.title for group, c in in_language.items()})
    if not with_links:
        return vocab
    vocab.course_links = {group: (Link(url_for("courses.course", course_slug=c.slug),
                                       c.title),)
                          for group, c in in_language.items()}
    for slug, _name, courses, quizzes in names.credentials:
        links = [Link(url_for("courses.course", course_slug=c), names.course_titles[c])
                 for c in courses if c in names.course_titles]
        links += [Link(url_for("quizzes.quiz", slug=q), names.quiz_titles[q])
                  for q in quizzes if q in names.quiz_titles]
        vocab.credential_links[slug] = tuple(links)
    return vocab


def label(requirement: Requirement, program: Program, vocab: Vocabulary) -> str:
    return rules.describe(requirement, vocab.credential_names, program.currency, gettext,
                          course_names=vocab.course_names)


def heading(requirement: Requirement, program: Program, vocab: Vocabulary
            ) -> tuple[str, str]:
    """A compact column heading and the credential it counts ("" for deals and revenue)."""
    if requirement.kind == "won_deals":
        return gettext("Won deals"), ""
    if requirement.kind == "won_revenue":
        return gettext("Won revenue (%(currency)s)", currency=program.currency), ""
    if requirement.kind in ("registered_deals", "approved_deals", "manual"):
        return label(requirement, program, vocab), ""
    if requirement.kind == "trained_people":
        short = {"sales": gettext("Trained sales people"),
                 "technical": gettext("Trained engineers")}.get(
            requirement.job_function or "", gettext("Trained people"))
        return short, vocab.course_names.get(requirement.course or "", requirement.course or "")
    name = vocab.credential_names.get(requirement.credential or "", requirement.credential or "")
    abbreviation = re.search(r"\(([^()]+)\)\s*$", name)  # "... (NCSP)" → "NCSP"
    if abbreviation:
        name = abbreviation.group(1)
    if requirement.kind == "certified_won_deals":
        return gettext("Won by certified people"), name
    short = {"sales": gettext("Certified sales people"),
             "technical": gettext("Certified engineers")}.get(
        requirement.job_function or "", gettext("Certified people"))
    return short, name


def gap(result: RequirementResult, program: Program) -> str:
    return rules.gap_text(result, program.currency, ngettext, gettext, _number)


def requirement_row(result: RequirementResult, program: Program, vocab: Vocabulary,
                    deal_link: Link | None = None) -> RequirementRow:
    requirement = result.requirement
    links: tuple[Link, ...] = ()
    if not result.met:
        if requirement.kind == "certified_people":
            links = vocab.credential_links.get(requirement.credential or "", ())
        elif requirement.kind == "trained_people":
            links = vocab.course_links.get(requirement.course or "", ())
        elif deal_link is not None and requirement.kind != "manual":
            links = (deal_link,)
    return RequirementRow(label(requirement, program, vocab), result.actual, result.required,
                          result.met, round(result.progress * 100), gap(result, program),
                          requirement.kind, links)


def scorecard(standing: PartnerStanding, tier: str, program: Program, vocab: Vocabulary,
              deal_link: Link | None = None) -> Scorecard:
    result = standing.evaluation.for_tier(tier)
    rows = tuple(requirement_row(r, program, vocab, deal_link) for r in result.results)
    return Scorecard(tier, bool(program.rule(tier).requirements) and result.met, rows)


def scorecards(standing: PartnerStanding, program: Program, vocab: Vocabulary,
               deal_link: Link | None = None) -> list[Scorecard]:
    """The partner's own tier (to keep) and the next one (to reach); Bronze needs nothing."""
    cards = []
    if standing.current != "bronze":
        cards.append(scorecard(standing, standing.current, program, vocab, deal_link))
    upcoming = standing.next_tier
    if upcoming and program.rule(upcoming).requirements:
        cards.append(scorecard(standing, upcoming, program, vocab, deal_link))
    return cards


def status_text(status: str) -> str:
    return {
        rules.PROMOTION_DUE: gettext("Qualifies — promotion due"),
        rules.HOLDS: gettext("Holds"),
        rules.AT_RISK: gettext("At risk"),
        rules.BELOW: gettext("Below"),
    }[status]


def format_count(result: RequirementResult, program: Program) -> str:
    """ "X of Y" for one requirement (amounts with the currency)."""
    return gettext("%(actual)s of %(required)s", actual=_number(result.actual),
                   required=_number(result.required))


def window_since(program: Program):
    """The first day whose won deals count toward a tier (the review window), shown beside
    every scorecard figure so it never seems to disagree with an all-time count."""
    return add_months(program_today(), -program.review_window_months)


def partner_overview(organization, viewer) -> dict:
    """A partner's tier, its scorecards (with the way to close each gap this viewer may take)
    and when a pending demotion happens: the partner page and the partner's home page."""
    standing, program = standing_of(organization)
    vocab = vocabulary(with_links=True)
    deal_link = Link(url_for("deals.new"), gettext("Register a deal")) \
        if can_register(viewer) else None  # sales members and partner admins
    return {
        "standing": standing,
        "program": program,
        "cards": scorecards(standing, program, vocab, deal_link),
        "demotion_on": rules.demotion_date(organization.at_risk_since,
                                           program.grace_period_days),
        # The first day whose won deals count (the review window), shown with the scorecards.
        "window_since": window_since(program),
    }


# --- Benefits -------------------------------------------------------------------------------

MDF_LABELS = {"quarter": _l("%(amount)s of market development funds a quarter"),
              "half_year": _l("%(amount)s of market development funds every six months"),
              "year": _l("%(amount)s of market development funds a year")}


@dataclass(frozen=True)
class BenefitLine:
    text: str
    now: str | None = None  # what the partner has today, where this line improves on it


@dataclass(frozen=True)
class BenefitsView:
    """A partner's benefits: what its tier gives, and what the next tier would add."""

    tier: str
    lines: tuple[BenefitLine, ...]
    next_tier: str | None = None
    next_lines: tuple[BenefitLine, ...] = ()


def _margin(percent: float) -> str:
    return format_percent(percent / 100, format="#,##0.##%")


def _mdf(amount: int, program: Program) -> str:
    return str(MDF_LABELS[program.benefits.mdf_period]) % {
        "amount": f"{program.currency} {format_decimal(amount)}"}


def _asset_line(count: int, more: bool) -> str:
    if more:
        return ngettext("%(num)d more asset in the sales library",
                        "%(num)d more assets in the sales library", count)
    return ngettext("%(num)d asset in the sales library",
                    "%(num)d assets in the sales library", count)


def _environments_line(benefits: TierBenefits) -> str:
    count = benefits.demo_environments or 0
    if benefits.demo_auto_approve:
        return ngettext("%(num)d demo environment at a time, approved at once",
                        "%(num)d demo environments at a time, approved at once", count)
    return ngettext("%(num)d demo environment at a time",
                    "%(num)d demo environments at a time", count)


def benefit_lines(benefits: TierBenefits, program: Program, assets: int = 0,
                  now: TierBenefits | None = None, more: bool = False
                  ) -> tuple[BenefitLine, ...]:
    """A tier's benefits in words; with `now`, each line also says what the partner has."""
    lines = []
    if benefits.margin_percent is not None:
        lines.append(BenefitLine(
            gettext("%(percent)s margin on resale", percent=_margin(benefits.margin_percent)),
            _margin(now.margin_percent) if now and now.margin_percent is not None else None))
    if benefits.mdf is not None:
        lines.append(BenefitLine(_mdf(benefits.mdf, program),
                                 f"{program.currency} {format_decimal(now.mdf)}"
                                 if now and now.mdf is not None else None))
    if benefits.support is not None:
        lines.append(BenefitLine(str(SUPPORT_LABELS[benefits.support]),
                                 str(SUPPORT_LABELS[now.support])
                                 if now and now.support is not None else None))
    if benefits.demo_environments is not None:
        lines.append(BenefitLine(_environments_line(benefits), str(now.demo_environments)
                                 if now and now.demo_environments is not None else None))
    elif benefits.demo_auto_approve:  # what a higher tier adds: the same number, at once
        lines.append(BenefitLine(gettext("Demo environment requests approved at once")))
    if assets:
        lines.append(BenefitLine(_asset_line(assets, more)))
    lines.extend(BenefitLine(item) for item in benefits.items)
    return tuple(lines)


def assets_by_tier() -> dict[str, int]:
    """How many library assets a partner of each tier may open (one grouped count)."""
    rows = {tier.value: count for tier, count in db.session.execute(
        select(Asset.min_tier, func.count()).where(
            Asset.archived_at.is_(None), Asset.current_version > 0).group_by(Asset.min_tier))}
    counts, total = {}, 0
    for tier in TIERS:
        total += rows.get(tier, 0)
        counts[tier] = total
    return counts


def benefits_view(standing: PartnerStanding, program: Program) -> BenefitsView:
    """What the partner's tier gives, and what the next reachable tier would add."""
    assets = assets_by_tier()
    current = program.benefits.of(standing.current)
    lines = benefit_lines(current, program, assets[standing.current])
    upcoming = standing.next_tier
    if not upcoming or not program.rule(upcoming).requirements:
        return BenefitsView(standing.current, lines)
    extra = added(current, program.benefits.of(upcoming))
    return BenefitsView(standing.current, lines, upcoming, benefit_lines(
        extra, program, assets[upcoming] - assets[standing.current], now=current, more=True))


def program_benefits(program: Program) -> dict[str, tuple[BenefitLine, ...]]:
    """Every tier's benefits in words (the program page, the rules page)."""
    assets = assets_by_tier()
    return {tier: benefit_lines(program.benefits.of(tier), program, assets[tier])
            for tier in TIERS}
