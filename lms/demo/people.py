"""The demo's partner companies and people (DESIGN.md: the demo logins), and how to find them."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from lms.extensions import db
from lms.models import JobFunction, Organization, PartnerType, Role, Tier, User
from lms.models.users import PASSWORD_METHOD

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published demo credential (DESIGN.md)
DEMO_DOMAIN = "demo.test"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
MANAGER_EMAIL = f"manager@{DEMO_DOMAIN}"
PARTNER_EMAILS = f"%.{DEMO_DOMAIN}"  # LIKE pattern: the people of the demo partners
# The three partners whose story the demo tells in detail (and whose logins it prints).
NAMED_PARTNERS = ("sakura-systems", "aozora-consulting", "kumo-works")

ROLE_OF_PREFIX = {
    "admin": (Role.PARTNER_ADMIN, JobFunction.SALES),
    "sales": (Role.MEMBER, JobFunction.SALES),
    "engineer": (Role.MEMBER, JobFunction.TECHNICAL),
}
ROLE_LABEL = {"admin": "partner admin", "sales": "sales", "engineer": "engineer"}

GENERATED_PARTNERS = [
    ("hoshino-digital", "Hoshino Digital K.K."),
    ("minato-cloud", "Minato Cloud Partners"),
    ("kitaguni-it", "Kitaguni IT Service"),
    ("umi-solutions", "Umi Solutions"),
    ("tsubasa-consulting", "Tsubasa Consulting"),
    ("nagare-systems", "Nagare Systems"),
    ("hikari-tech", "Hikari Tech Integration"),
    ("midori-data", "Midori Data Works"),
    ("fuji-crm-lab", "Fuji CRM Lab"),
    ("kaze-software", "Kaze Software"),
    ("orion-bizsys", "Orion Business Systems"),
    ("bluepeak-partners", "BluePeak Partners Pte. Ltd."),
    ("northwind-advisory", "Northwind Advisory GmbH"),
    ("harbor-lane", "Harbor Lane Consulting Inc."),
    ("yamabiko-net", "Yamabiko Net"),
    ("sora-integration", "Sora Integration"),
    ("kasumi-works", "Kasumi Works"),
    ("tenbin-analytics", "Tenbin Analytics"),
    ("akatsuki-sales", "Akatsuki Sales Partners"),
    ("riverstone-it", "Riverstone IT Ltd."),
]
# Most demo partners resell; a consultancy and two advisers refer customers, two software
# houses build the product into their own (OEM).
PARTNER_TYPES = {
    "aozora-consulting": PartnerType.REFERRAL,
    "northwind-advisory": PartnerType.REFERRAL,
    "tsubasa-consulting": PartnerType.REFERRAL,
    "fuji-crm-lab": PartnerType.OEM,
    "tenbin-analytics": PartnerType.OEM,
}
GIVEN_NAMES = ["Haruto", "Yui", "Sota", "Mei", "Ren", "Aoi", "Daiki", "Hina", "Kenta", "Saki",
               "Takumi", "Rin", "Yuto", "Mio", "Kaito", "Nana", "Riku", "Emi", "Shun", "Ayaka"]
FAMILY_NAMES = ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto",
                "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Matsumoto",
                "Inoue", "Kimura", "Hayashi", "Shimizu", "Mori", "Ikeda"]


@dataclass(frozen=True)
class DemoPartner:
    slug: str
    name: str
    tier: Tier
    signed_on: date
    people: tuple[tuple[str, str, str | None], ...]  # (role prefix, name, locale)


@dataclass
class PeopleSeeded:
    """What `seed_people` did: records created and found, and the logins to print."""

    created: int = 0  # partner companies and people
    existing: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)


def partner_email(prefix: str, slug: str) -> str:
    """The demo login of a partner's admin, sales or engineer."""
    return f"{prefix}@{slug}.{DEMO_DOMAIN}"


def random_name(rng: random.Random) -> str:
    """A Japanese given and family name, in the English order."""
    return f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"


@functools.cache
def password_hash() -> str:
    """The demo password's scrypt hash, computed once (it is slow on purpose)."""
    return generate_password_hash(DEMO_PASSWORD, method=PASSWORD_METHOD)


def _months_ago(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


def demo_partners(today: date) -> list[DemoPartner]:
    """The three named partners of DESIGN.md, then twenty generated ones (stable: seeded)."""
    partners = [
        DemoPartner("sakura-systems", "Sakura Systems K.K.", Tier.GOLD, _months_ago(today, 40),
                    (("admin", "Yuki Tanaka", "ja"), ("sales", "Haruto Sato", "ja"),
                     ("engineer", "Aiko Suzuki", None))),
        DemoPartner("aozora-consulting", "Aozora Consulting", Tier.SILVER,
                    _months_ago(today, 22),
                    (("admin", "Kenji Watanabe", None), ("sales", "Mika Ito", None),
                     ("engineer", "Takeshi Yamamoto", None))),
        DemoPartner("kumo-works", "Kumo Works", Tier.BRONZE, _months_ago(today, 1),
                    (("admin", "Sayaka Mori", None), ("sales", "Ryo Kimura", None),
                     ("engineer", "Naoki Hayashi", None))),
    ]
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data, not security
    tiers = [Tier.BRONZE] * 9 + [Tier.SILVER] * 7 + [Tier.GOLD] * 3 + [Tier.PLATINUM]
    rng.shuffle(tiers)
    for (slug, name), tier in zip(GENERATED_PARTNERS, tiers, strict=True):
        people = tuple((prefix, random_name(rng), None)
                       for prefix in ("admin", "sales", "engineer"))
        signed = _months_ago(today, rng.randint(2, 48))
        partners.append(DemoPartner(slug, name, tier, signed, people))
    return partners


def seed_people(today: date) -> PeopleSeeded:
    """The vendor's admin and manager, and every demo partner with its three people: whatever
    is missing (never duplicates, never overwrites). Flushes."""
    seeded = PeopleSeeded()
    existing_users = set(db.session.scalars(select(User.email)))
    existing_orgs = {o.slug: o for o in db.session.scalars(select(Organization))}

    def add_user(email: str, name: str, role: Role, org: Organization | None,
                 job: JobFunction | None, locale: str | None) -> None:
        if email in existing_users:
            seeded.existing += 1
            return
        db.session.add(User(email=email, name=name, role=role, organization=org,
                            job_function=job, locale=locale, password_hash=password_hash()))
        existing_users.add(email)
        seeded.created += 1

    add_user(ADMIN_EMAIL, "Emiko Arai", Role.ADMIN, None, None, None)
    add_user(MANAGER_EMAIL, "Daisuke Okada", Role.MANAGER, None, None, None)
    seeded.logins += [(ADMIN_EMAIL, "administrator (vendor)"),
                      (MANAGER_EMAIL, "channel manager (vendor)")]

    for partner in demo_partners(today):
        org = existing_orgs.get(partner.slug)
        if org is None:
            org = Organization(slug=partner.slug, name=partner.name, tier=partner.tier,
                               signed_on=partner.signed_on,
                               partner_type=PARTNER_TYPES.get(partner.slug, PartnerType.RESALE))
            db.session.add(org)
            existing_orgs[partner.slug] = org
            seeded.created += 1
        else:
            seeded.existing += 1
        for prefix, name, locale in partner.people:
            role, job = ROLE_OF_PREFIX[prefix]
            email = partner_email(prefix, partner.slug)
            add_user(email, name, role, org, job, locale)
            if partner.slug in NAMED_PARTNERS:
                seeded.logins.append(
                    (email, f"{ROLE_LABEL[prefix]} at {partner.name} ({partner.tier.value})")
                )
    db.session.flush()
    return seeded


def is_core_demo_person(user: User) -> bool:
    """One of the three people of a demo partner (not the certified staff lms.demo.tiers
    adds, whose training is not simulated)."""
    return user.email.split("@")[0] in ROLE_OF_PREFIX


def demo_orgs() -> list[Organization]:
    """The demo partners, oldest record first."""
    return list(db.session.scalars(select(Organization).where(Organization.id.in_(
        select(User.organization_id).where(User.email.like(PARTNER_EMAILS))))
        .order_by(Organization.id)))


def person(email: str) -> User | None:
    """The demo person with this email, if loaded."""
    return db.session.scalar(select(User).where(User.email == email))


def seller(org: Organization) -> User | None:
    """The partner's demo sales person, who registers its deals."""
    return person(partner_email("sales", org.slug))
