"""The demo program behind `lms demo`: believable partners and people, created once."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from werkzeug.security import generate_password_hash

from lms.extensions import db
from lms.models import JobFunction, Organization, Role, Tier, User
from lms.models.users import PASSWORD_METHOD

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published demo credential (DESIGN.md)


@dataclass(frozen=True)
class DemoPartner:
    slug: str
    name: str
    tier: Tier
    signed_on: date
    people: tuple[tuple[str, str, str | None], ...]  # (role prefix, name, locale)


@dataclass
class DemoReport:
    created: int = 0
    existing: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)


def _months_ago(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


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
GIVEN_NAMES = ["Haruto", "Yui", "Sota", "Mei", "Ren", "Aoi", "Daiki", "Hina", "Kenta", "Saki",
               "Takumi", "Rin", "Yuto", "Mio", "Kaito", "Nana", "Riku", "Emi", "Shun", "Ayaka"]
FAMILY_NAMES = ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto",
                "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Matsumoto",
                "Inoue", "Kimura", "Hayashi", "Shimizu", "Mori", "Ikeda"]


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
        people = tuple(
            (prefix, f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}", None)
            for prefix in ("admin", "sales", "engineer")
        )
        signed = _months_ago(today, rng.randint(2, 48))
        partners.append(DemoPartner(slug, name, tier, signed, people))
    return partners


ROLE_OF_PREFIX = {
    "admin": (Role.PARTNER_ADMIN, JobFunction.SALES),
    "sales": (Role.MEMBER, JobFunction.SALES),
    "engineer": (Role.MEMBER, JobFunction.TECHNICAL),
}


def load_demo(today: date | None = None) -> DemoReport:
    """Create whatever of the demo program is missing; never duplicates, never overwrites."""
    today = today or date.today()
    report = DemoReport()
    password_hash = generate_password_hash(DEMO_PASSWORD, method=PASSWORD_METHOD)
    existing_users = set(db.session.scalars(db.select(User.email)))
    existing_orgs = {o.slug: o for o in db.session.scalars(db.select(Organization))}

    def add_user(email: str, name: str, role: Role, org: Organization | None,
                 job: JobFunction | None, locale: str | None) -> None:
        if email in existing_users:
            report.existing += 1
            return
        db.session.add(User(email=email, name=name, role=role, organization=org,
                            job_function=job, locale=locale, password_hash=password_hash))
        existing_users.add(email)
        report.created += 1

    add_user("admin@demo.test", "Emiko Arai", Role.ADMIN, None, None, None)
    add_user("manager@demo.test", "Daisuke Okada", Role.MANAGER, None, None, None)
    report.logins += [("admin@demo.test", "administrator (vendor)"),
                      ("manager@demo.test", "channel manager (vendor)")]

    for partner in demo_partners(today):
        org = existing_orgs.get(partner.slug)
        if org is None:
            org = Organization(slug=partner.slug, name=partner.name, tier=partner.tier,
                               signed_on=partner.signed_on)
            db.session.add(org)
            existing_orgs[partner.slug] = org
            report.created += 1
        else:
            report.existing += 1
        for prefix, name, locale in partner.people:
            role, job = ROLE_OF_PREFIX[prefix]
            email = f"{prefix}@{partner.slug}.demo.test"
            add_user(email, name, role, org, job, locale)
            if partner.slug in {"sakura-systems", "aozora-consulting", "kumo-works"}:
                report.logins.append(
                    (email, f"{ROLE_LABEL[prefix]} at {partner.name} ({partner.tier.value})")
                )
    db.session.flush()
    report.logins.append(("<role>@<partner-slug>.demo.test",
                          "admin / sales / engineer at every other demo partner"))
    return report


ROLE_LABEL = {"admin": "partner admin", "sales": "sales", "engineer": "engineer"}

