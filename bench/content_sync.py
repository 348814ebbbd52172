"""Benchmark: sync 500 generated lessons into a fresh database and print the times.

    python bench/content_sync.py [--lessons 500] [--database-url URL]

Reports the check (load + validate), the first sync (render + insert), the second sync
(nothing changes) and a sync after editing one lesson, each in one run so ratios compare.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

LESSON_BODY = """## Why it matters

Partners who run **discovery** before a demo win more often. This lesson walks through the
questions to ask, with a worked example from lesson {n}.

| Question | What it tells you |
| --- | --- |
| Who signs the order? | The economic buyer |
| What happens if nothing changes? | The cost of doing nothing |
| Which tools do you use today? | Integration and migration scope |

```http
POST /api/v1/deals HTTP/1.1
Content-Type: application/json

{{"customer": "Hokuto Machinery", "amount": 2880000}}
```

> Tip: write the answers down in the deal registration; see [the next lesson]({next}).

- Confirm the budget window
- Confirm the decision date
- Agree the next step before you hang up
"""


def generate(root: Path, lessons: int, per_course: int = 20) -> None:
    courses = max(1, lessons // per_course)
    for c in range(courses):
        folder = root / f"course-{c:03d}"
        folder.mkdir(parents=True)
        (folder / "course.toml").write_text(
            f'title = "Generated course {c}"\nsummary = "Benchmark course"\n'
            f'audience = "all"\norder = {c}\n', encoding="utf-8")
        for n in range(1, per_course + 1):
            following = f"{n + 1:02d}-lesson-{n + 1}.md" if n < per_course else \
                "01-lesson-1.md"
            (folder / f"{n:02d}-lesson-{n}.md").write_text(
                f'+++\ntitle = "Lesson {n}"\nminutes = 7\n+++\n\n'
                + LESSON_BODY.format(n=n, next=following), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lessons", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    os.environ.setdefault("LMS_ENV", "development")
    from lms import create_app
    from lms.cli import upgrade_database
    from lms.content import load_all, sync_all
    from lms.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "content"
        generate(root, args.lessons)
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LMS_CONTENT_DIR": str(root)})
        with app.app_context():
            upgrade_database()

            def timed(label: str):
                start = time.perf_counter()
                content = load_all()
                loaded = time.perf_counter()
                report = sync_all(content)
                db.session.commit()
                done = time.perf_counter()
                print(f"{label:<28} check {loaded - start:6.2f} s   sync {done - loaded:6.2f} s"
                      f"   total {done - start:6.2f} s   ({report.summary()})")

            print(f"{args.lessons} lessons in {args.lessons // 20} courses, database "
                  f"{db.engine.dialect.name}")
            timed("first sync")
            timed("second sync (no change)")
            lesson = root / "course-000" / "01-lesson-1.md"
            lesson.write_text(lesson.read_text(encoding="utf-8") + "\nEdited.\n",
                              encoding="utf-8")
            timed("after editing one lesson")
            if args.database_url:  # leave a shared database as it was
                db.session.remove()
                db.drop_all()
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.engine.dispose()


if __name__ == "__main__":
    main()
