"""Sharing a credential: LinkedIn's "Add to profile" link, and what a public verification page
says a credential takes. Pure: plain values in, plain values out (no Flask, no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode

from lms.credentials.baking import image_format

# LinkedIn's add-certification link (https://addtoprofile.linkedin.com): opens the
# "Licenses & certifications" form of the signed-in member's profile, filled in.
LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


@dataclass(frozen=True)
class Certification:
    """What LinkedIn's form asks for; the dates are calendar days where the program runs."""

    name: str
    organization_name: str
    issued_on: date
    expires_on: date | None
    url: str  # the public verification page
    credential_id: str
    organization_id: str | None = None  # the issuer's LinkedIn company page, if it has one


def linkedin_add_url(certification: Certification) -> str:
    """The "Add to profile" link: name, issuing organization (its LinkedIn page when known,
    else its name), issue and expiry month, credential URL and id."""
    c = certification
    params: list[tuple[str, str]] = [("startTask", "CERTIFICATION_NAME"), ("name", c.name)]
    if c.organization_id:
        params.append(("organizationId", c.organization_id))
    else:
        params.append(("organizationName", c.organization_name))
    params += [("issueYear", str(c.issued_on.year)), ("issueMonth", str(c.issued_on.month))]
    if c.expires_on is not None:
        params += [("expirationYear", str(c.expires_on.year)),
                   ("expirationMonth", str(c.expires_on.month))]
    params += [("certUrl", c.url), ("certId", c.credential_id)]
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(params, quote_via=quote)}"


@dataclass(frozen=True)
class ShareLinks:
    """The share actions of one award, as its holder's pages offer them."""

    verify_url: str
    linkedin_url: str
    badge_format: str | None  # "png" or "svg": the baked badge to download


def share_links(*, name: str, image: str, verification_code: str, issued_on: date,
                expires_on: date | None, base_url: str, issuer: str,
                issuer_linkedin_id: str | None = None) -> ShareLinks:
    """The share actions of an award: its public verification URL (absolute, under
    `base_url`), LinkedIn's "Add to profile" link, the format of its baked badge."""
    url = f"{base_url}/verify/{verification_code}"
    certification = Certification(
        name=name, organization_name=issuer, issued_on=issued_on, expires_on=expires_on,
        url=url, credential_id=verification_code, organization_id=issuer_linkedin_id)
    return ShareLinks(url, linkedin_add_url(certification), image_format(image))


@dataclass(frozen=True)
class Named:
    """A course or quiz by its title; the title's language when the content says it."""

    title: str
    locale: str | None = None


@dataclass(frozen=True)
class PublicCriteria:
    """What a credential takes, by name, in the reader's language where the content has it."""

    courses: tuple[Named, ...]
    quizzes: tuple[str, ...]
    job_function: str | None
    validity_months: int | None
    renewal_quiz: str | None


def public_criteria(courses: Sequence[str], quizzes: Sequence[str], job_function: str | None,
                    validity_months: int | None, renewal_quiz: str | None,
                    course_titles: Mapping[str, Named], quiz_titles: Mapping[str, str]
                    ) -> PublicCriteria:
    """The definition's slugs named by their titles (a slug stands in for a retired one)."""
    renewal = None
    if validity_months and renewal_quiz:
        renewal = quiz_titles.get(renewal_quiz, renewal_quiz)
    return PublicCriteria(
        courses=tuple(course_titles.get(slug) or Named(slug) for slug in courses),
        quizzes=tuple(quiz_titles.get(slug, slug) for slug in quizzes),
        job_function=job_function or None,
        validity_months=validity_months or None,
        renewal_quiz=renewal,
    )
