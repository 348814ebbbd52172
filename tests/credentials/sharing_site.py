"""A small site for the sharing and verification tests: one course in English and Japanese, a
quiz and an exam, a badge with an SVG image and a certification with a PNG one."""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask
from flask_babel import format_date
from sqlalchemy import select

from lms.content import load_all, sync_all
from lms.credentials import rules
from lms.extensions import db
from lms.models import Award, Credential, Role, User
from tests.factories import login, make_user

BASE = "https://academy.example"
SVG = ('<?xml version="1.0" encoding="UTF-8"?>\n'
       '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
       '<title>Demo badge</title><circle cx="32" cy="32" r="30" fill="#1d4ed8"/></svg>\n')
COURSE_EN = 'title = "Demo Course"\nsummary = "Learn the demo."\naudience = "all"\norder = 1\n'
COURSE_JA = ('title = "デモコース"\nsummary = "デモを学びます。"\naudience = "all"\norder = 1\n'
             'locale = "ja"\ntranslation_of = "demo-course"\n')
LESSON = '+++\ntitle = "Introduction"\nminutes = 5\n+++\n\nSome text about the demo.\n'
BADGE = {
    "slug": "demo-badge", "name": "Demo Badge", "kind": "badge",
    "description": "The holder knows the demo product.",
    "criteria": "Complete the Demo Course and pass the demo quiz.",
    "image": "badges/demo.svg", "courses": ["demo-course"], "quizzes": ["demo-quiz"],
}
CERT = {
    "slug": "demo-cert", "name": "Demo Certified Engineer", "kind": "certification",
    "description": "The holder passed the timed demo exam in a technical role.",
    "criteria": "Complete the Demo Course and pass the demo exam. For technical people.",
    "image": "badges/cert.png", "courses": ["demo-course"], "quizzes": ["demo-exam"],
    "job_function": "technical", "validity_months": 24, "renewal_quiz": "demo-exam",
}


def png(width: int = 2, height: int = 2) -> bytes:
    """A small valid RGB PNG, written by hand (signature, IHDR, IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + b"\x1d\x4e\xd8" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def quiz_file(title: str, kind: str) -> str:
    return (f'title = "{title}"\nkind = "{kind}"\nshuffle = false\n\n'
            '[[questions]]\nid = "t"\ntype = "true_false"\nprompt = "Is the demo easy?"\n'
            'answer = true\npoints = 1\n')


def credentials_toml(entries: list[dict]) -> str:
    lines: list[str] = []
    for entry in entries:
        lines += ["", "[[credentials]]"]
        lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}"
                  for key, value in entry.items()]
    return "\n".join(lines) + "\n"


@dataclass
class Site:
    app: Flask
    content_dir: Path

    def client(self, user: User | None = None, *, language: str | None = None):
        client = self.app.test_client()
        if language:
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        if user is not None:
            assert login(client, user).status_code == 302, f"{user.email} could not sign in"
        return client

    def give(self, user: User, slug: str, *, issued: datetime, validity_months: int | None = None
             ) -> Award:
        """An award row made directly, dated relative to whatever `issued` is."""
        credential = db.session.scalar(select(Credential).where(Credential.slug == slug))
        expires = rules.add_months(issued, validity_months) if validity_months else None
        award = Award(user_id=user.id, credential_id=credential.id, period=1,
                      issued_at=issued, expires_at=expires)
        db.session.add(award)
        db.session.commit()
        return award

    def local_date(self, moment: datetime) -> str:
        with self.app.test_request_context():
            return format_date(moment)


def build_site(make_app, tmp_path: Path) -> Site:
    """The app on the small content tree, synced; the caller pushes its context."""
    content, quizzes = tmp_path / "content", tmp_path / "quizzes"
    for folder, course in (("demo-course", COURSE_EN), ("demo-course-ja", COURSE_JA)):
        (content / folder).mkdir(parents=True)
        (content / folder / "course.toml").write_text(course, encoding="utf-8")
        (content / folder / "01-intro.md").write_text(LESSON, encoding="utf-8")
    (content / "badges").mkdir()
    (content / "badges" / "demo.svg").write_text(SVG, encoding="utf-8")
    (content / "badges" / "cert.png").write_bytes(png())
    (content / "credentials.toml").write_text(credentials_toml([BADGE, CERT]), encoding="utf-8")
    quizzes.mkdir()
    (quizzes / "demo-quiz.toml").write_text(quiz_file("Demo Quiz", "quiz"), encoding="utf-8")
    (quizzes / "demo-exam.toml").write_text(quiz_file("Demo Exam", "exam"), encoding="utf-8")
    app = make_app(LMS_CONTENT_DIR=str(content), LMS_QUIZZES_DIR=str(quizzes),
                   LMS_BASE_URL=BASE, BABEL_DEFAULT_TIMEZONE="Asia/Tokyo")
    with app.app_context():
        loaded = load_all()
        assert loaded.problems == [], [str(p) for p in loaded.problems]
        sync_all(loaded)
        db.session.commit()
    return Site(app, content)


def member(**kw) -> User:
    return make_user(Role.MEMBER, **kw)
