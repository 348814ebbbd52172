"""The requirement kind "people who completed a course": active people of the company who
completed every active lesson of a language version of the course and, where the course has
a quiz, passed it (as the course pages count completion), optionally only sales people or
engineers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import JobFunction, Role, Tier, TierProgramVersion, User
from lms.tiers import rules, service
from lms.tiers.program import Program, Requirement, TierRule, program_from_dict, program_to_dict
from lms.tiers.rules import PartnerFacts, RequirementResult, evaluate
from tests.factories import count_queries, login, make_org, make_user, signed_in
from tests.factories.certification import (
    COURSE_TITLES,
    ESSENTIALS,
    ESSENTIALS_JA,
    IMPLEMENTATION,
    Walker,
    sync_program,
    write_program,
)
from tests.tiers.test_views import _form_from

TRAINED = Program(tiers=(TierRule("silver", (
    Requirement("trained_people", 2, course=ESSENTIALS),
    Requirement("trained_people", 1, job_function="technical", course=IMPLEMENTATION))),),
    currency="JPY")


# --- Pure: measuring, words, reading the program ------------------------------------------


def test_measured_for_anyone_or_one_job_function():
    facts = PartnerFacts(trained={(ESSENTIALS, "sales"): 2, (ESSENTIALS, None): 1,
                                  (IMPLEMENTATION, "sales"): 4})
    results = evaluate(facts, TRAINED).for_tier("silver").results
    # Anyone: the sales people and the one without a job function; engineers only: none.
    assert [(r.actual, r.met) for r in results] == [(3, True), (0, False)]
    assert evaluate(facts, TRAINED).qualified == "bronze"
    facts = PartnerFacts(trained={(ESSENTIALS, "technical"): 2, (IMPLEMENTATION, "technical"): 1})
    assert evaluate(facts, TRAINED).qualified == "silver"


def test_described_and_explained_with_the_course_name():
    names = {ESSENTIALS: "Partner Program Essentials"}
    describe = rules.describe
    assert describe(Requirement("trained_people", 2, course=ESSENTIALS), {}, "JPY",
                    course_names=names) == "People who completed Partner Program Essentials"
    assert describe(Requirement("trained_people", 2, job_function="sales", course=ESSENTIALS),
                    {}, "JPY", course_names=names) == (
        "Sales people who completed Partner Program Essentials")
    assert describe(Requirement("trained_people", 2, job_function="technical",
                                course="gone"), {}, "JPY") == "Engineers who completed gone"

    def gap(missing_of: int, job: str | None = None) -> str:
        requirement = Requirement("trained_people", missing_of, job_function=job,
                                  course=ESSENTIALS)
        return rules.gap_text(RequirementResult(requirement, 0, False), "JPY")

    assert gap(1) == "1 more person who completed the course"
    assert gap(3) == "3 more people who completed the course"
    assert gap(2, "sales") == "2 more sales people who completed the course"
    assert gap(1, "technical") == "1 more engineer who completed the course"


def test_the_course_is_required_and_must_exist():
    def parse(requirement: dict, courses: set[str] | None = {ESSENTIALS}):  # noqa: B006
        return program_from_dict({"tiers": [{"tier": "silver", "requirements": [requirement]}]},
                                 set(), courses)

    program, problems = parse({"kind": "trained_people", "course": ESSENTIALS, "min": 3,
                               "job_function": "sales"})
    assert problems == []
    requirement = program.rule("silver").requirements[0]
    assert (requirement.course, requirement.job_function, requirement.min) == (
        ESSENTIALS, "sales", 3)
    assert requirement.key == f"trained_people::sales::{ESSENTIALS}"
    assert program_from_dict(program_to_dict(program))[0] == program  # stored and read back
    where = "silver.requirements[1]"
    assert parse({"kind": "trained_people", "min": 3})[1] == [
        f"{where}.course: the slug of a course (its original version)"]
    assert parse({"kind": "trained_people", "course": 7, "min": 3})[1] == [
        f"{where}.course: the slug of a course (its original version)"]
    assert parse({"kind": "trained_people", "course": ESSENTIALS_JA, "min": 3})[1] == [
        f"{where}.course: no course {ESSENTIALS_JA!r}"]
    assert parse({"kind": "trained_people", "course": ESSENTIALS, "min": 0})[1] == [
        f"{where}.min: a whole number from 1 to 10,000,000,000,000"]
    assert parse({"kind": "won_deals", "course": ESSENTIALS, "min": 3})[1] == [
        f"{where}.course: not used by won_deals"]
    assert parse({"kind": "trained_people", "course": ESSENTIALS, "credential": "x",
                  "min": 3})[1] == [f"{where}.credential: not used by trained_people"]
    # The same course for anyone and for engineers are two requirements; twice is one too many.
    same = {"kind": "trained_people", "course": ESSENTIALS, "min": 3}
    assert program_from_dict({"tiers": [{"tier": "silver", "requirements": [same, same]}]}
                             )[1] == ["silver: the same requirement is listed twice"]
    assert program_from_dict({"tiers": [{"tier": "silver", "requirements": [
        same, same | {"job_function": "technical"}]}]})[1] == []


# --- Facts from the database, on the demo-like program ----------------------------------


@pytest.fixture
def program(make_app, tmp_path):
    """An app on the demo-like program (synced), its context pushed while the test runs."""
    app = make_app(**write_program(tmp_path))
    with app.app_context():
        sync_program()
        yield app


def walker(app, user: User) -> Walker:
    client = app.test_client()
    assert login(client, user).status_code == 302, user.email
    return Walker(client)


def trained_of(org, program: Program = TRAINED) -> dict:
    return dict(service.gather_facts(service.utcnow(), program, [org.id])[org.id].trained)


def test_a_person_counts_once_the_lessons_and_the_quiz_are_done(program):
    org = make_org()
    seller = make_user(Role.MEMBER, org, job=JobFunction.SALES)
    walk = walker(program, seller)
    walk.complete_lessons(ESSENTIALS, 2)
    assert trained_of(org) == {}  # started
    walk.complete_lessons(ESSENTIALS)
    assert trained_of(org) == {}  # every lesson, the quiz not passed yet
    walk.take("program-essentials-quiz", right=1)
    assert trained_of(org) == {}  # failed
    walk.take("program-essentials-quiz")
    assert trained_of(org) == {(ESSENTIALS, "sales"): 1}


def test_any_language_version_counts_and_a_person_counts_once(program):
    org = make_org()
    japanese = make_user(Role.MEMBER, org, job=JobFunction.TECHNICAL, locale="ja")
    both = make_user(Role.PARTNER_ADMIN, org, job=None)
    walker(program, japanese).complete_course(ESSENTIALS_JA)
    walk = walker(program, both)
    walk.complete_course(ESSENTIALS)
    walk.complete_lessons(ESSENTIALS_JA)
    assert trained_of(org) == {(ESSENTIALS, "technical"): 1, (ESSENTIALS, None): 1}
    results = evaluate(service.gather_facts(service.utcnow(), TRAINED, [org.id])[org.id],
                       TRAINED).for_tier("silver").results
    assert [r.actual for r in results] == [2, 0]


def test_only_active_people_of_the_company_count(program):
    org, other = make_org(), make_org()
    stayer = make_user(Role.MEMBER, org, job=JobFunction.SALES)
    leaver = make_user(Role.MEMBER, org, job=JobFunction.TECHNICAL)
    outsider = make_user(Role.MEMBER, other, job=JobFunction.TECHNICAL)
    vendor = make_user(Role.MANAGER)  # of no company
    walker(program, stayer).complete_course(ESSENTIALS)
    for person in (leaver, outsider, vendor):
        walk = walker(program, person)
        walk.complete_course(ESSENTIALS)
        walk.complete_course(IMPLEMENTATION)
    leaver.active = False
    db.session.commit()
    assert trained_of(org) == {(ESSENTIALS, "sales"): 1}
    assert trained_of(other) == {(ESSENTIALS, "technical"): 1,
                                 (IMPLEMENTATION, "technical"): 1}
    everyone = service.gather_facts(service.utcnow(), TRAINED)  # the report: every company
    assert {org_id: dict(facts.trained) for org_id, facts in everyone.items()} == {
        org.id: trained_of(org), other.id: trained_of(other)}


def test_a_lesson_added_or_archived_changes_who_has_completed(program, tmp_path):
    org = make_org()
    seller = make_user(Role.MEMBER, org, job=JobFunction.SALES)
    walker(program, seller).complete_course(ESSENTIALS)
    assert trained_of(org) == {(ESSENTIALS, "sales"): 1}
    course = tmp_path / "content" / ESSENTIALS
    (course / "04-renewals.md").write_text('+++\ntitle = "Renewals"\nminutes = 5\n+++\n\nText.\n',
                                           encoding="utf-8")
    sync_program()
    assert trained_of(org) == {}  # a new lesson to do, as the course page says
    (course / "04-renewals.md").unlink()
    sync_program()  # archived again: complete as before
    assert trained_of(org) == {(ESSENTIALS, "sales"): 1}


def test_the_facts_are_read_only_when_a_tier_asks_for_them_in_one_query(program):
    org = make_org()
    plain = Program(tiers=(TierRule("silver", (Requirement("won_deals", 1),)),))
    trained_of(org)  # the session's first statements, and the content's shape, not counted
    with count_queries() as without:
        trained_of(org, plain)
    with count_queries() as with_kind:
        trained_of(org)
    # One query either way: the progress is in it only when a tier asks for it.
    assert with_kind.n == without.n
    assert "lesson_progress" not in " ".join(without.statements)
    assert "lesson_progress" in " ".join(with_kind.statements)


# --- Through the pages ----------------------------------------------------------------------


def test_an_admin_asks_for_trained_people_and_partners_see_the_gap(program):
    service.seed_program(service.default_program())
    db.session.commit()
    admin = signed_in(program, make_user(Role.ADMIN))
    page = admin.get("/admin/tiers/edit").get_data(as_text=True)
    assert f'<option value="{ESSENTIALS}">{COURSE_TITLES[ESSENTIALS]}</option>' in page
    assert f'value="{ESSENTIALS_JA}"' not in page  # a course is named by its original
    data = _form_from(page)
    row = next(key.removesuffix("-kind") for key, value in data.items()
               if key.startswith("silver-") and key.endswith("-kind") and not value)
    data |= {f"{row}-kind": "trained_people", f"{row}-min": "2", f"{row}-course": ESSENTIALS,
             f"{row}-job_function": "sales", "note": "Silver partners know the program."}
    assert admin.post("/admin/tiers/edit", data=data).status_code == 302
    stored = db.session.scalar(select(TierProgramVersion).where(TierProgramVersion.number == 2))
    assert {"kind": "trained_people", "course": ESSENTIALS, "job_function": "sales",
            "min": 2} in stored.rules["tiers"][0]["requirements"]

    org = make_org("kumo", tier=Tier.BRONZE)
    seller = make_user(Role.MEMBER, org, job=JobFunction.SALES)
    walker(program, seller).complete_course(ESSENTIALS)
    member = signed_in(program, make_user(Role.MEMBER, org))
    page = member.get(f"/partners/{org.slug}").get_data(as_text=True)
    assert "Sales people who completed Partner Program Essentials" in page
    row = page[page.index("Sales people who completed"):]
    row = row[:row.index("</li>")] if "</li>" in row else row[:2000]
    assert "1 more sales person who completed the course" in row
    assert f'href="/courses/{ESSENTIALS}"' in row
    assert "whenever that was" in page  # the note under the scorecards
    japanese = signed_in(program, make_user(Role.MEMBER, org, locale="ja"))
    page = japanese.get(f"/partners/{org.slug}").get_data(as_text=True)
    assert "パートナープログラムの基本" in page and f'href="/courses/{ESSENTIALS_JA}"' in page

    manager = signed_in(program, make_user(Role.MANAGER))
    report = manager.get("/reports/tiers?tier=silver").get_data(as_text=True)
    assert "Trained sales people" in report and "Partner Program Essentials" in report
    # Another company's trained people are not this company's.
    other = make_org("ame", tier=Tier.BRONZE)
    for _ in range(2):
        walker(program, make_user(Role.MEMBER, other, job=JobFunction.SALES)
               ).complete_course(ESSENTIALS)
    page = member.get(f"/partners/{org.slug}").get_data(as_text=True)
    assert "1 more sales person who completed the course" in page
    assert member.get(f"/partners/{other.slug}").status_code == 404


def test_a_course_that_does_not_exist_is_refused_and_nothing_is_saved(program):
    service.seed_program(service.default_program())
    db.session.commit()
    admin = signed_in(program, make_user(Role.ADMIN))
    data = _form_from(admin.get("/admin/tiers/edit").get_data(as_text=True))
    row = next(key.removesuffix("-kind") for key, value in data.items()
               if key.startswith("gold-") and key.endswith("-kind") and not value)
    data |= {f"{row}-kind": "trained_people", f"{row}-min": "2", f"{row}-course": "",
             "note": "No course chosen."}
    response = admin.post("/admin/tiers/edit", data=data)
    assert response.status_code == 400
    assert "course: the slug of a course" in response.get_data(as_text=True)
    versions = db.session.scalars(select(TierProgramVersion.number)).all()
    assert versions == [1]


def test_a_course_the_rules_count_cannot_be_removed_until_the_rules_change(program, tmp_path):
    import shutil

    from lms.content import load_all

    service.save_program(TRAINED, None, "Silver partners know the program.")
    db.session.commit()
    shutil.rmtree(tmp_path / "content" / IMPLEMENTATION)
    problems = [str(p) for p in load_all().problems
                if "tier rules in force" in p.message]
    assert problems == [
        f"content/{IMPLEMENTATION}/course.toml:1: the tier rules in force (version 1) count "
        f"people who completed the course {IMPLEMENTATION!r}: change the rules at "
        "/admin/tiers/edit before removing it"]
    service.save_program(Program(tiers=(TierRule("silver", TRAINED.tiers[0].requirements[:1]),)),
                         None, "The implementation course is retired.")
    db.session.commit()
    assert not [p for p in load_all().problems if "tier rules in force" in p.message]


def test_a_course_no_longer_in_the_catalog_stays_in_the_editor_and_other_changes_save(
        program):
    from lms.models import Course, Lesson

    service.save_program(TRAINED, None, "Silver partners know the program.")
    db.session.commit()
    course = db.session.scalar(select(Course).where(Course.slug == IMPLEMENTATION))
    course.archived_at = service.utcnow()  # archived behind the rules' back
    for lesson in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)):
        lesson.archived_at = course.archived_at
    db.session.commit()
    org = make_org()
    assert trained_of(org) == {}  # counts nobody now
    admin = signed_in(program, make_user(Role.ADMIN))
    page = admin.get("/admin/tiers/edit").get_data(as_text=True)
    assert f"{IMPLEMENTATION} (no longer in the catalog)" in page
    data = _form_from(page)
    assert data["review_window_months"] == "12"
    data |= {"review_window_months": "6", "note": "A shorter window."}
    assert admin.post("/admin/tiers/edit", data=data).status_code == 302
    program_now = service.current_program()[0]
    assert program_now.review_window_months == 6
    assert program_now.rule("silver") == TRAINED.rule("silver")  # kept as it was


def test_program_toml_naming_an_unknown_course_is_a_problem_with_its_line(tmp_path):
    from lms.content import load_folders

    settings = write_program(tmp_path)
    content = tmp_path / "content"
    (content / "program.toml").write_text(
        'currency = "JPY"\n\n[[tiers]]\ntier = "silver"\nrequirements = [\n'
        f'  {{ kind = "trained_people", course = "{ESSENTIALS}", min = 2 }},\n'
        f'  {{ kind = "trained_people", course = "{ESSENTIALS_JA}", min = 2 }},\n]\n',
        encoding="utf-8")
    loaded = load_folders(content, tmp_path / "quizzes")
    assert settings and [str(p) for p in loaded.problems] == [
        f"content/program.toml:7: silver.requirements[2].course: no course {ESSENTIALS_JA!r}"]
