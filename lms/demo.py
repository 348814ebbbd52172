"""The demo program behind `lms demo`: believable partners and people, created once."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from werkzeug.security import generate_password_hash

from lms.extensions import db
from lms.models import (
    Attempt,
    Award,
    Course,
    JobFunction,
    Lesson,
    LessonProgress,
    Organization,
    Quiz,
    Role,
    Tier,
    User,
)
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
    created: int = 0  # partner companies and people
    existing: int = 0
    progress_created: int = 0
    attempts_created: int = 0
    deals_created: int = 0
    assets_created: bool = False
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
    report.progress_created = _demo_progress(today)
    report.attempts_created = _demo_attempts(today)
    from lms.credentials.service import award_all

    award_all()
    _demo_credential_states(today)
    from lms.tiers.demo import seed_tier_demo

    report.deals_created, staff = seed_tier_demo(today)
    report.created += staff
    report.assets_created = _demo_assets(today)
    from lms.reports.demo import seed_activity

    report.deals_created += seed_activity(today)
    report.logins.append(("<role>@<partner-slug>.demo.test",
                          "admin / sales / engineer at every other demo partner"))
    return report


def _demo_assets(today: date) -> bool:
    from lms.assets.demo import seed_assets
    from lms.models import Asset

    if db.session.scalar(db.select(Asset.id).limit(1)) is not None:
        return False
    manager = db.session.scalar(db.select(User).where(User.email == "manager@demo.test"))
    seed_assets(datetime.combine(today, time(9), tzinfo=UTC), manager)
    return True


def _is_core_demo_person(user: User) -> bool:
    """The three people of each demo partner (not the certified staff lms.tiers.demo adds,
    whose training is not simulated)."""
    return user.email.split("@")[0] in ROLE_OF_PREFIX


ROLE_LABEL = {"admin": "partner admin", "sales": "sales", "engineer": "engineer"}

# How far the named partners' people are: {email prefix@slug: {course: lessons completed}}.
# Lessons past the completed ones are left opened but unfinished, for "continue".
NAMED_PROGRESS = {
    "admin@sakura-systems": {"partner-program-essentials-ja": 5},
    "sales@sakura-systems": {"partner-program-essentials-ja": 5, "selling-nimbus-crm": 3},
    "engineer@sakura-systems": {"partner-program-essentials": 5,
                                "nimbus-crm-implementation": 5},
    "admin@aozora-consulting": {"partner-program-essentials": 2},
    "sales@aozora-consulting": {"partner-program-essentials": 5, "selling-nimbus-crm": 1},
    "engineer@aozora-consulting": {"partner-program-essentials": 5,
                                   "nimbus-crm-implementation": 2},
    "engineer@kumo-works": {"partner-program-essentials": 1},
}
JOB_COURSE = {"sales": "selling-nimbus-crm", "technical": "nimbus-crm-implementation"}


def _demo_progress(today: date) -> int:
    """Lesson progress for the demo people (only rows that do not exist yet)."""
    lessons: dict[str, list[Lesson]] = {}
    for lesson, slug in db.session.execute(
        db.select(Lesson, Course.slug).join(Course).where(
            Lesson.archived_at.is_(None), Course.archived_at.is_(None))
        .order_by(Lesson.position)
    ):
        lessons.setdefault(slug, []).append(lesson)
    if not lessons:
        return 0
    existing = {tuple(row) for row in db.session.execute(
        db.select(LessonProgress.user_id, LessonProgress.lesson_id))}
    users = [u for u in db.session.scalars(db.select(User).where(
        User.email.like("%.demo.test"))) if _is_core_demo_person(u)]
    now = datetime.combine(today, time(9, 0), tzinfo=UTC)
    created = 0
    for user in sorted(users, key=lambda u: u.email):
        key = user.email.removesuffix(".demo.test")
        # One generator per person: the plan never depends on what earlier runs created.
        rng = random.Random(user.email)  # noqa: S311 - reproducible demo data
        plan = NAMED_PROGRESS.get(key)
        if plan is None and user.job_function is not None and key.split("@")[1] not in {
                "sakura-systems", "aozora-consulting", "kumo-works"}:
            plan = {"partner-program-essentials": rng.choice([0, 2, 5, 5, 5])}
            if plan["partner-program-essentials"] == 5:
                plan[JOB_COURSE[user.job_function.value]] = rng.choice([0, 1, 3, 5])
        for course_slug, done in (plan or {}).items():
            course_lessons = lessons.get(course_slug, [])
            for index, lesson in enumerate(course_lessons[:done + 1]):
                if (user.id, lesson.id) in existing or (index >= done and done == 0):
                    continue
                when = now - timedelta(days=rng.randint(3, 60), minutes=index)
                db.session.add(LessonProgress(
                    user_id=user.id, lesson_id=lesson.id, started_at=when, last_viewed_at=when,
                    completed_at=when if index < done else None))
                created += 1
    db.session.flush()
    return created



EXAM_OF_COURSE = {"nimbus-crm-implementation": "nimbus-certified-engineer-exam",
                  "selling-nimbus-crm": "nimbus-certified-sales-exam"}
# Named people whose exam story the demo tells: (attempts, last one passes).
NAMED_EXAMS = {"engineer@sakura-systems.demo.test": (1, True),
               "engineer@aozora-consulting.demo.test": (2, False)}


def _demo_answers(questions: list[dict], ability: float, rng: random.Random) -> dict:
    """Answers of a person who knows the right one with probability `ability`."""
    answers = {}
    for q in questions:
        right = rng.random() < ability
        if q["type"] == "single":
            wrong = [o for o in q["options"] if o != q["answer"]]
            answers[q["id"]] = q["answer"] if right else rng.choice(wrong)
        elif q["type"] == "multiple":
            wrong = [o for o in q["options"] if o not in q["answers"]]
            answers[q["id"]] = list(q["answers"]) if right or not wrong else \
                [q["answers"][0], rng.choice(wrong)]
        elif q["type"] == "true_false":
            answers[q["id"]] = q["answer"] if right else (
                "false" if q["answer"] == "true" else "true")
        elif q["type"] == "numeric":
            answers[q["id"]] = q["answer"] if right else str(float(q["answer"]) * 2 + 1)
        else:
            answers[q["id"]] = q["answers"][0] if right else "not sure"
    return answers


def _take(user: User, quiz: Quiz, when: datetime, ability: float, rng: random.Random) -> None:
    from lms.quizzes.service import start_attempt, submit_attempt

    attempt = start_attempt(user, quiz, now=when, rng=rng)
    attempt.answers = _demo_answers(attempt.questions, ability, rng)
    db.session.flush()
    submit_attempt(user, attempt.id, None, now=when + timedelta(minutes=rng.randint(6, 25)))


def _demo_attempts(today: date) -> int:
    """Quiz and exam attempts of the demo people, so results and statistics show (once)."""
    from lms.courses.service import progress_table
    from lms.quizzes.service import QuizError

    quizzes = {q.slug: q for q in db.session.scalars(db.select(Quiz).where(
        Quiz.archived_at.is_(None)))}
    if not quizzes:
        return 0
    tried = {tuple(row) for row in db.session.execute(
        db.select(Attempt.user_id, Attempt.quiz_id).distinct())}
    people = sorted((u for u in db.session.scalars(db.select(User).where(
        User.email.like("%.demo.test"), User.job_function.is_not(None)))
        if _is_core_demo_person(u)), key=lambda u: u.email)
    table = progress_table([u.id for u in people])
    now = datetime.combine(today, time(9, 0), tzinfo=UTC)
    created = 0
    for user in people:
        rng = random.Random(user.email + "/quizzes")  # noqa: S311 - reproducible demo data
        ability = rng.uniform(0.65, 0.99)
        done_courses = set()
        for course in table.courses:
            facts = table.facts(user.id, course)
            if facts.lessons_total and facts.lessons_done >= facts.lessons_total:
                done_courses.add(course.group_slug)
        plan: list[tuple[Quiz, int, bool | None]] = []
        for quiz in quizzes.values():
            if quiz.course_slug in done_courses:
                plan.append((quiz, 1 if ability > 0.8 else 2, None))
        for course_slug, exam_slug in EXAM_OF_COURSE.items():
            if course_slug in done_courses and exam_slug in quizzes:
                times, last_passes = NAMED_EXAMS.get(user.email, (rng.choice([1, 1, 2]), None))
                plan.append((quizzes[exam_slug], times, last_passes))
        for quiz, times, last_passes in plan:
            if (user.id, quiz.id) in tried:
                continue
            for n in range(times):
                when = now - timedelta(days=40 - 3 * n, hours=rng.randint(0, 8))
                skill = ability
                if last_passes is not None and n == times - 1:
                    skill = 1.0 if last_passes else 0.45
                elif n < times - 1:
                    skill = min(ability, 0.5)
                try:
                    _take(user, quiz, when, skill, rng)
                    created += 1
                except QuizError:
                    break
    db.session.flush()
    return created


def _demo_credential_states(today: date) -> None:
    """Make the demo show every credential state: expiring soon, expired, one revoked badge.

    Done once: skipped when any award is already revoked."""
    from lms.credentials.service import revoke

    if db.session.scalar(db.select(Award.id).where(Award.revoked_at.is_not(None)).limit(1)):
        return
    now = datetime.combine(today, time(9, 0), tzinfo=UTC)
    named = {"sakura-systems", "aozora-consulting", "kumo-works"}
    awards = [a for a in db.session.scalars(db.select(Award).order_by(Award.id))
              if a.user.organization and a.user.organization.slug not in named]
    certifications = [a for a in awards if a.expires_at is not None]
    # Two expiring within 60 days, one expired last month (issued two years before that).
    for award, days in zip(certifications[:3], (21, 45, -30), strict=False):
        award.expires_at = now + timedelta(days=days)
        award.issued_at = award.expires_at - timedelta(days=730)
    badge = next((a for a in awards if a.expires_at is None), None)
    admin = db.session.scalar(db.select(User).where(User.email == "admin@demo.test"))
    if badge is not None and admin is not None:
        revoke(admin, badge, "Issued in error: the quiz was taken on a shared account.")
    db.session.flush()
