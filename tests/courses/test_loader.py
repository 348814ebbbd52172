"""The content loader: pure reading and validation of content/ (no app, no database).

Every problem names its file and line, and a broken tree reports all its problems at once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lms.courses.loader import load_content
from lms.problems import ContentProblem

REPO_CONTENT = Path(__file__).resolve().parents[2] / "content"

COURSE_TOML = 'title = "Basics"\nsummary = "The basics."\n'


def lesson_text(title: str = "Welcome", minutes: int = 5, body: str = "Hello.",
                extra: str = "") -> str:
    return f'+++\ntitle = "{title}"\nminutes = {minutes}\n{extra}+++\n\n{body}\n'


def write_course(root: Path, slug: str, course_toml: str = COURSE_TOML,
                 lessons: dict[str, str] | None = None,
                 files: dict[str, str | bytes] | None = None) -> Path:
    """A course folder under `root` with course.toml, lesson files and other files."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.toml").write_text(course_toml, encoding="utf-8")
    lessons = {"01-welcome.md": lesson_text()} if lessons is None else lessons
    for name, text in lessons.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, data in (files or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return folder


@pytest.fixture
def root(tmp_path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    return folder


def problems_of(root: Path) -> list[ContentProblem]:
    return load_content(root).problems


def only_problem(root: Path) -> ContentProblem:
    problems = problems_of(root)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def where(problem: ContentProblem) -> tuple[str, int]:
    return problem.path, problem.line


# --- The real content ---------------------------------------------------------------------


def test_the_repository_content_loads_without_problems():
    content = load_content(REPO_CONTENT)

    assert content.problems == []
    assert len(content.courses) == 4
    assert content.lesson_count == 20
    assert len(content.paths) == 2
    assert {p.job_function for p in content.paths} == {"sales", "technical"}
    by_slug = {c.slug: c for c in content.courses}
    assert by_slug["partner-program-essentials-ja"].translation_of == \
        "partner-program-essentials"
    assert by_slug["selling-nimbus-crm"].prerequisites == ("partner-program-essentials",)


# --- A valid course -----------------------------------------------------------------------


def test_a_minimal_course_loads_with_its_fields(root):
    write_course(root, "basics", 'title = "Basics"\n', lessons={
        "02-tiers.md": lesson_text("Tiers", minutes=12, body="See [welcome](01-welcome.md)."),
        "01-welcome.md": lesson_text("Welcome", minutes=3),
        "10-wrap-up.md": '+++\ntitle = "Wrap up"\n+++\nBye.\n',
    })

    content = load_content(root)

    assert content.problems == []
    (course,) = content.courses
    assert course.slug == "basics"
    assert course.title == "Basics"
    assert course.summary == ""
    assert course.audience == "all"
    assert course.locale == "en"
    assert course.order == 100
    assert course.prerequisites == ()
    assert course.translation_of is None
    assert course.group_slug == "basics"
    assert [(x.slug, x.position) for x in course.lessons] == [
        ("welcome", 1), ("tiers", 2), ("wrap-up", 10)]
    assert [x.minutes for x in course.lessons] == [3, 12, 5]
    assert [x.title for x in course.lessons] == ["Welcome", "Tiers", "Wrap up"]
    assert all(x.video is None for x in course.lessons)
    assert course.lessons[1].source_path == "basics/02-tiers.md"
    assert course.lessons[1].body.strip() == "See [welcome](01-welcome.md)."
    assert content.paths == []


def test_content_hashes_are_stable_and_change_with_an_edit(root):
    folder = write_course(root, "basics")
    first = load_content(root).courses[0]
    second = load_content(root).courses[0]

    assert first.content_hash == second.content_hash
    assert first.lessons[0].content_hash == second.lessons[0].content_hash

    (folder / "01-welcome.md").write_text(lesson_text(body="Hello again."), encoding="utf-8")
    edited_lesson = load_content(root).courses[0]
    assert edited_lesson.lessons[0].content_hash != first.lessons[0].content_hash

    (folder / "course.toml").write_text('title = "Basics, revised"\n', encoding="utf-8")
    edited_course = load_content(root).courses[0]
    assert edited_course.content_hash != first.content_hash


def test_a_video_link_and_a_local_video_file_are_accepted(root):
    write_course(root, "basics", lessons={
        "01-welcome.md": lesson_text(extra='video = "https://youtu.be/aqz-KE-bpKQ"\n'),
        "02-demo.md": lesson_text("Demo", extra='video = "media/demo.mp4"\n'),
    }, files={"media/demo.mp4": b"\x00\x00\x00\x18ftypmp42"})

    content = load_content(root)

    assert content.problems == []
    assert [x.video for x in content.courses[0].lessons] == [
        "https://youtu.be/aqz-KE-bpKQ", "media/demo.mp4"]


# --- Problems, each with its file and line ------------------------------------------------


def test_a_problem_reads_as_path_line_message():
    problem = ContentProblem("content/basics/course.toml", 3, "something is wrong")

    assert str(problem) == "content/basics/course.toml:3: something is wrong"


def test_a_missing_content_folder_is_a_problem(tmp_path):
    problem = only_problem(tmp_path / "nowhere")

    assert "does not exist" in problem.message


def test_unknown_key_in_course_toml_names_its_line(root):
    write_course(root, "basics", 'title = "Basics"\nsummary = "S"\nlevel = 3\n')

    problem = only_problem(root)

    assert where(problem) == ("content/basics/course.toml", 3)
    assert "unknown key 'level'" in problem.message
    assert str(problem).startswith("content/basics/course.toml:3: unknown key 'level'")


@pytest.mark.parametrize("where_key", ["course.toml", "front matter", "paths.toml"])
def test_the_line_of_a_key_after_a_blank_line(root, where_key):
    if where_key == "course.toml":
        write_course(root, "basics", 'title = "Basics"\n\n\nlevel = 3\n')
        expected = ("content/basics/course.toml", 4)
    elif where_key == "front matter":
        write_course(root, "basics", lessons={
            "01-welcome.md": '+++\ntitle = "Welcome"\n\nminutes = 0\n+++\nHi.\n'})
        expected = ("content/basics/01-welcome.md", 4)
    else:
        write_course(root, "basics")
        (root / "paths.toml").write_text(
            '[[paths]]\ntitle = "Sales"\ncourses = ["basics"]\n\njob_function = "legal"\n',
            encoding="utf-8")
        expected = ("content/paths.toml", 5)

    problem = only_problem(root)

    assert where(problem) == expected


def test_unknown_key_in_front_matter_counts_the_opening_fence(root):
    # Front matter line 3 ("difficulty") is line 4 of the file.
    write_course(root, "basics", lessons={
        "01-welcome.md": '+++\ntitle = "Welcome"\nminutes = 5\ndifficulty = "easy"\n+++\nHi.\n'})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 4)
    assert "unknown key 'difficulty'" in problem.message


def test_missing_title_in_course_toml(root):
    write_course(root, "basics", 'summary = "No title here."\n')

    problem = only_problem(root)

    assert where(problem) == ("content/basics/course.toml", 1)
    assert problem.message == "missing 'title'"


def test_missing_title_in_a_lesson(root):
    write_course(root, "basics", lessons={"01-welcome.md": "+++\nminutes = 5\n+++\nHi.\n"})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 2)
    assert problem.message == "missing 'title'"


def test_empty_course_title_is_a_problem(root):
    write_course(root, "basics", 'summary = "S"\ntitle = "   "\n')

    problem = only_problem(root)

    assert where(problem) == ("content/basics/course.toml", 2)
    assert "non-empty" in problem.message


def test_invalid_toml_in_front_matter_names_its_line(root):
    # Front matter line 2 is broken: file line 3.
    write_course(root, "basics", lessons={
        "01-welcome.md": '+++\ntitle = "Welcome"\nminutes = = 5\n+++\nHi.\n'})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 3)
    assert "front matter is not valid TOML" in problem.message


def test_invalid_toml_in_course_toml_names_its_line(root):
    write_course(root, "basics", 'title = "Basics"\n\nsummary = "unterminated\n')

    problem = only_problem(root)

    assert where(problem) == ("content/basics/course.toml", 3)
    assert "not valid TOML" in problem.message


@pytest.mark.parametrize("text", [
    "# Just Markdown\n\nNo front matter.\n",
    '+++\ntitle = "Never closed"\n\nBody.\n',
    'title = "No fences"\n+++\nBody.\n',
])
def test_missing_front_matter_fences(root, text):
    write_course(root, "basics", lessons={"01-welcome.md": text})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 1)
    assert "missing front matter" in problem.message


@pytest.mark.parametrize("name", ["welcome.md", "1-welcome.md", "01-Welcome.md",
                                  "01_welcome.md", "01-.md", "01-wel come.md"])
def test_lesson_file_names_must_be_nn_slug_md(root, name):
    write_course(root, "basics", lessons={"01-intro.md": lesson_text(), name: lesson_text()})

    problem = only_problem(root)

    assert where(problem) == (f"content/basics/{name}", 1)
    assert "NN-lesson-slug.md" in problem.message


def test_duplicate_lesson_slug(root):
    write_course(root, "basics", lessons={"01-intro.md": lesson_text(),
                                          "02-intro.md": lesson_text("Again")})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/02-intro.md", 1)
    assert "duplicate lesson slug 'intro'" in problem.message
    assert "01-intro.md" in problem.message


def test_duplicate_lesson_number(root):
    write_course(root, "basics", lessons={"01-intro.md": lesson_text(),
                                          "01-welcome.md": lesson_text("Again")})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 1)
    assert "duplicate lesson number 01" in problem.message


def test_a_course_without_lessons(root):
    write_course(root, "basics", lessons={})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/course.toml", 1)
    assert "no lessons" in problem.message


def test_a_course_folder_without_course_toml(root):
    (root / "basics").mkdir()
    (root / "basics" / "01-welcome.md").write_text(lesson_text(), encoding="utf-8")

    problem = only_problem(root)

    assert where(problem) == ("content/basics/course.toml", 1)
    assert "missing course.toml" in problem.message


def test_prerequisite_that_does_not_exist(root):
    write_course(root, "basics", 'title = "Basics"\nsummary = "S"\n'
                                 'prerequisites = ["nowhere"]\n')

    problem = only_problem(root)

    assert where(problem) == ("content/basics/course.toml", 3)
    assert problem.message == "prerequisite 'nowhere' does not exist"


def test_a_course_cannot_be_its_own_prerequisite(root):
    write_course(root, "basics", 'title = "Basics"\nprerequisites = ["basics"]\n')

    problems = problems_of(root)

    assert problems, "a self-prerequisite must be refused"
    assert {where(p) for p in problems} == {("content/basics/course.toml", 2)}
    assert any(p.message == "a course cannot be its own prerequisite" for p in problems)


def test_a_prerequisite_cycle_is_refused(root):
    write_course(root, "alpha", 'title = "A"\nprerequisites = ["beta"]\n')
    write_course(root, "beta", 'title = "B"\nsummary = "S"\nprerequisites = ["alpha"]\n')

    problem = only_problem(root)

    assert where(problem) == ("content/beta/course.toml", 3)
    assert "cycle" in problem.message
    assert "alpha -> beta -> alpha" in problem.message


def test_a_longer_prerequisite_chain_without_cycle_is_fine(root):
    write_course(root, "alpha", 'title = "A"\n')
    write_course(root, "beta", 'title = "B"\nprerequisites = ["alpha"]\n')
    write_course(root, "gamma", 'title = "C"\nprerequisites = ["alpha", "beta"]\n')

    assert problems_of(root) == []


def test_broken_link_to_another_lesson_names_the_line_of_the_link(root):
    body = "First paragraph.\n\nSecond paragraph.\n\nSee [x](07-nope.md) for more.\n"
    # 4 front matter lines (+++, title, minutes, +++), a blank line, then the body:
    # the link is on line 6 + 4 = 10.
    write_course(root, "basics", lessons={"01-welcome.md": lesson_text(body=body)})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 10)
    assert "broken link to '07-nope.md'" in problem.message


def test_links_to_existing_lessons_of_this_and_other_courses_are_fine(root):
    write_course(root, "alpha", lessons={
        "01-welcome.md": lesson_text(body="[next](02-next.md#top) and [b](../beta/01-start.md)"),
        "02-next.md": lesson_text("Next"),
    })
    write_course(root, "beta", lessons={"01-start.md": lesson_text("Start")})

    assert problems_of(root) == []


def test_broken_link_to_a_lesson_of_another_course(root):
    write_course(root, "alpha", lessons={
        "01-welcome.md": lesson_text(body="[b](../beta/09-missing.md)")})
    write_course(root, "beta", lessons={"01-start.md": lesson_text("Start")})

    problem = only_problem(root)

    assert where(problem) == ("content/alpha/01-welcome.md", 6)
    assert "broken link" in problem.message


def test_broken_image(root):
    write_course(root, "basics", lessons={
        "01-welcome.md": lesson_text(body="Intro.\n![d](images/missing.png)")})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 7)
    assert problem.message == "broken image 'images/missing.png': not in the course folder"


def test_an_existing_image_is_fine(root):
    write_course(root, "basics", lessons={
        "01-welcome.md": lesson_text(body='![d](images/tiers.png "Tiers")')},
        files={"images/tiers.png": b"\x89PNG\r\n\x1a\n"})

    assert problems_of(root) == []


@pytest.mark.parametrize("url", ["../../etc/passwd.png", "images/../../../etc/passwd.png",
                                 "..%2F..%2Fetc%2Fpasswd.png"])
def test_an_image_path_escaping_the_course_is_refused(root, tmp_path, url):
    # The escaping target exists, so only the escape itself can be refused.
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    write_course(root, "basics", lessons={"01-welcome.md": lesson_text(body=f"![d]({url})")})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 6)
    assert url in problem.message


def test_a_raw_html_image_is_checked_too(root):
    write_course(root, "basics", lessons={
        "01-welcome.md": lesson_text(body='<img src="images/missing.png" alt="">')})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 6)
    assert "broken image" in problem.message


@pytest.mark.parametrize("svg", [
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><SCRIPT>alert(1)</SCRIPT></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
])
def test_an_svg_with_script_or_event_handlers_is_refused(root, svg):
    write_course(root, "basics", lessons={
        "01-welcome.md": lesson_text(body="![d](images/evil.svg)")},
        files={"images/evil.svg": svg})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 6)
    assert "contains script or event handlers" in problem.message


def test_an_svg_with_a_prefixed_script_element_is_refused(root):
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:svg="http://www.w3.org/2000/svg">'
           b"<svg:script>alert(1)</svg:script></svg>")
    write_course(root, "basics", lessons={
        "01-welcome.md": lesson_text(body="![d](images/evil.svg)")},
        files={"images/evil.svg": svg})

    problem = only_problem(root)

    assert "contains script or event handlers" in problem.message


def test_a_harmless_svg_is_fine(root):
    svg = (REPO_CONTENT / "partner-program-essentials/images/tier-ladder.svg").read_bytes()
    write_course(root, "basics", lessons={
        "01-welcome.md": lesson_text(body="![d](images/tiers.svg)")},
        files={"images/tiers.svg": svg})

    assert problems_of(root) == []


@pytest.mark.parametrize("video", ["https://evil.example/watch?v=aqz-KE-bpKQ",
                                   "http://www.youtube.com/watch?v=aqz-KE-bpKQ",
                                   "https://www.youtube.com.evil.example/embed/aqz-KE-bpKQ",
                                   "javascript:alert(1)", "media/intro.mov"])
def test_a_video_from_a_host_not_allowed_is_refused(root, video):
    write_course(root, "basics", lessons={
        "01-welcome.md": f'+++\ntitle = "W"\nvideo = "{video}"\nminutes = 5\n+++\nHi.\n'})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 3)
    assert "YouTube or Vimeo" in problem.message


def test_a_local_video_file_that_does_not_exist(root):
    write_course(root, "basics", lessons={
        "01-welcome.md": '+++\ntitle = "W"\nminutes = 5\nvideo = "media/intro.mp4"\n+++\nHi.\n'})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 4)
    assert problem.message == "video file 'media/intro.mp4' is not in the course folder"


@pytest.mark.parametrize("minutes", ["0", "601", '"ten"', "2.5", "true"])
def test_minutes_must_be_a_whole_number_in_range(root, minutes):
    write_course(root, "basics", lessons={
        "01-welcome.md": f'+++\ntitle = "W"\nminutes = {minutes}\n+++\nHi.\n'})

    problem = only_problem(root)

    assert where(problem) == ("content/basics/01-welcome.md", 3)
    assert "'minutes'" in problem.message


def test_invalid_audience(root):
    write_course(root, "basics", 'title = "Basics"\naudience = "marketing"\n')

    problem = only_problem(root)

    assert where(problem) == ("content/basics/course.toml", 2)
    assert problem.message == "audience must be one of all, sales, technical"


def test_invalid_locale(root):
    write_course(root, "basics", 'title = "Basics"\nsummary = "S"\nlocale = "fr"\n')

    problem = only_problem(root)

    assert where(problem) == ("content/basics/course.toml", 3)
    assert problem.message == "locale must be one of en, ja"


def test_translation_of_a_missing_course(root):
    write_course(root, "basics-ja", 'title = "基本"\nlocale = "ja"\n'
                                    'translation_of = "basics"\n')

    problem = only_problem(root)

    assert where(problem) == ("content/basics-ja/course.toml", 3)
    assert problem.message == "translation_of 'basics' does not exist"


def test_a_translation_in_the_same_locale_as_its_original(root):
    write_course(root, "basics", 'title = "Basics"\n')
    write_course(root, "basics-2", 'title = "Basics again"\ntranslation_of = "basics"\n'
                                   'locale = "en"\n')

    problem = only_problem(root)

    assert where(problem) == ("content/basics-2/course.toml", 3)
    assert "locale other than its original" in problem.message


def test_a_translation_in_another_locale_is_fine(root):
    write_course(root, "basics", 'title = "Basics"\n')
    write_course(root, "basics-ja", 'title = "基本"\nlocale = "ja"\ntranslation_of = "basics"\n')

    content = load_content(root)

    assert content.problems == []
    ja = next(c for c in content.courses if c.slug == "basics-ja")
    assert ja.group_slug == "basics"


def test_paths_with_an_unknown_job_function(root):
    write_course(root, "basics")
    (root / "paths.toml").write_text(
        '[[paths]]\njob_function = "sales"\ntitle = "Sales"\ncourses = ["basics"]\n\n'
        '[[paths]]\ntitle = "Marketing"\njob_function = "marketing"\ncourses = ["basics"]\n',
        encoding="utf-8")

    problem = only_problem(root)

    assert where(problem) == ("content/paths.toml", 8)
    assert problem.message == "job_function must be one of sales, technical"


def test_paths_with_a_course_that_does_not_exist(root):
    write_course(root, "basics")
    (root / "paths.toml").write_text(
        '[[paths]]\njob_function = "sales"\ntitle = "Sales"\ncourses = ["basics"]\n\n'
        '[[paths]]\njob_function = "technical"\ntitle = "Tech"\n'
        'courses = ["basics", "nowhere"]\n',
        encoding="utf-8")

    problem = only_problem(root)

    assert where(problem) == ("content/paths.toml", 9)
    assert problem.message == "path course 'nowhere' does not exist"


def test_a_valid_paths_file(root):
    write_course(root, "basics")
    write_course(root, "advanced", 'title = "Advanced"\nprerequisites = ["basics"]\n')
    (root / "paths.toml").write_text(
        '[[paths]]\njob_function = "sales"\ntitle = "Sales onboarding"\n'
        'courses = ["basics", "advanced"]\n', encoding="utf-8")

    content = load_content(root)

    assert content.problems == []
    (path,) = content.paths
    assert (path.job_function, path.title, path.courses) == (
        "sales", "Sales onboarding", ("basics", "advanced"))


def test_all_problems_of_a_broken_tree_are_reported_at_once(root):
    write_course(root, "alpha", 'title = "A"\nlevel = 1\n')                       # unknown key
    write_course(root, "beta", 'title = "B"\naudience = "everyone"\n', lessons={
        "01-start.md": lesson_text(body="[x](07-nope.md)"),                     # broken link
        "02-more.md": "no front matter\n",                                       # no fences
        "notes.md": lesson_text(),                                               # bad name
    })
    write_course(root, "gamma", 'summary = "no title"\n', lessons={
        "01-start.md": "+++\nminutes = 5\n+++\nHi.\n",                           # no title
    })
    (root / "paths.toml").write_text(
        '[[paths]]\njob_function = "legal"\ntitle = "Legal"\ncourses = []\n', encoding="utf-8")

    problems = problems_of(root)

    assert {where(p) for p in problems} >= {
        ("content/alpha/course.toml", 2),
        ("content/beta/course.toml", 2),
        ("content/beta/01-start.md", 6),
        ("content/beta/02-more.md", 1),
        ("content/beta/notes.md", 1),
        ("content/gamma/course.toml", 1),
        ("content/gamma/01-start.md", 2),
        ("content/paths.toml", 2),
    }
    assert len({p.path for p in problems}) == 8
    assert load_content(root).courses == []


# --- `lms content check` ------------------------------------------------------------------


def test_content_check_lists_every_problem_and_fails(make_app, tmp_path):
    broken = tmp_path / "broken"
    write_course(broken, "alpha", 'title = "A"\nlevel = 1\n')
    write_course(broken, "beta", lessons={
        "01-start.md": lesson_text(body="Text.\n![d](images/missing.png)")})
    expected = load_content(broken).problems
    assert len(expected) == 2
    app = make_app(LMS_CONTENT_DIR=str(broken), LMS_QUIZZES_DIR=str(broken / "no-quizzes"))

    result = app.test_cli_runner().invoke(args=["content", "check"])

    assert result.exit_code != 0
    for problem in expected:
        assert str(problem) in result.output
    assert re.search(r"^broken/alpha/course\.toml:2: unknown key 'level'", result.output,
                     re.MULTILINE)
    assert re.search(r"^broken/beta/01-start\.md:7: broken image", result.output, re.MULTILINE)
    assert "2 problem(s) found." in result.output


def test_content_check_passes_on_the_real_content(runner):
    result = runner.invoke(args=["content", "check"])

    assert result.exit_code == 0, result.output
    assert "Content is valid: 4 courses, 20 lessons, 6 quizzes and exams" in result.output


# --- Covers and translated path titles ------------------------------------------------------

HARMLESS_SVG = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'


def test_a_cover_image_of_the_course_folder_is_kept(root):
    write_course(root, "basics", COURSE_TOML + 'cover = "images/cover.svg"\n',
                 files={"images/cover.svg": HARMLESS_SVG})

    content = load_content(root)

    assert content.problems == []
    assert content.courses[0].cover == "images/cover.svg"


@pytest.mark.parametrize(("cover", "files", "message"), [
    ("images/missing.svg", {}, "cover 'images/missing.svg' is not a file of the course folder"),
    ("../other/cover.svg", {}, "cover '../other/cover.svg' is not a file of the course folder"),
    ("notes.txt", {"notes.txt": "hi"}, "cover 'notes.txt' must be an image: .jpeg, .jpg, "
                                       ".png, .svg, .webp"),
    ("bad.svg", {"bad.svg": '<svg onload="alert(1)"></svg>'},
     "cover 'bad.svg' contains script or event handlers"),
])
def test_a_bad_cover_is_reported_on_its_line(root, cover, files, message):
    write_course(root, "basics", COURSE_TOML + f'cover = "{cover}"\n', files=files)

    problem = only_problem(root)

    assert where(problem) == ("content/basics/course.toml", 3)
    assert problem.message == message


def test_a_path_may_carry_its_japanese_title(root):
    write_course(root, "basics")
    (root / "paths.toml").write_text(
        '[[paths]]\njob_function = "sales"\ntitle = "Sales onboarding"\n'
        'courses = ["basics"]\n\n[paths.ja]\ntitle = "営業オンボーディング"\n', encoding="utf-8")

    (path,) = load_content(root).paths

    assert path.titles == (("ja", "営業オンボーディング"),)


@pytest.mark.parametrize("table", ['[paths.ja]\nname = "営業"\n', '[paths.ja]\ntitle = ""\n'])
def test_a_bad_japanese_path_title_is_reported(root, table):
    write_course(root, "basics")
    (root / "paths.toml").write_text(
        '[[paths]]\njob_function = "sales"\ntitle = "Sales"\ncourses = ["basics"]\n\n' + table,
        encoding="utf-8")

    problem = only_problem(root)

    assert where(problem) == ("content/paths.toml", 7)  # the key at fault, under [paths.ja]
    assert "[paths.ja]" in problem.message
