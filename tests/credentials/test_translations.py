"""A credential's name, description and criteria in Japanese ([credentials.ja]): loaded, synced
and shown to Japanese readers on the certificate, the verification page and the list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.config import project_path
from lms.content import load_all, load_folders, sync_all
from lms.credentials.loader import TRANSLATED_FIELDS, load_credentials
from lms.extensions import db
from lms.models import Credential, utcnow
from tests.credentials.sharing_site import SVG, build_site, member

ENTRY = '''
[[credentials]]
slug = "demo-badge"
name = "Demo Badge"
kind = "badge"
description = "The holder knows the demo."
criteria = "Pass the demo quiz."
image = "badges/demo.svg"
quizzes = ["demo-quiz"]
'''
JAPANESE = '''
[credentials.ja]
name = "デモバッジ"
description = "デモを理解していることを示します。"
criteria = "デモの確認テストに合格すること。"
'''


def load(tmp_path: Path, text: str):
    (tmp_path / "badges").mkdir(exist_ok=True)
    (tmp_path / "badges" / "demo.svg").write_text(SVG, encoding="utf-8")
    (tmp_path / "credentials.toml").write_text(text, encoding="utf-8")
    return load_credentials(tmp_path, set(), {"demo-quiz"})


def test_a_japanese_table_is_read_with_the_entry(tmp_path):
    loaded = load(tmp_path, ENTRY + JAPANESE)

    assert loaded.problems == []
    [spec] = loaded.credentials
    assert spec.name == "Demo Badge"
    assert spec.translations == {"ja": {"name": "デモバッジ",
                                        "description": "デモを理解していることを示します。",
                                        "criteria": "デモの確認テストに合格すること。"}}


def test_without_a_japanese_table_there_are_no_translations(tmp_path):
    [spec] = load(tmp_path, ENTRY).credentials

    assert spec.translations == {}


@pytest.mark.parametrize(("table", "message"), [
    ('[credentials.ja]\ntitle = "x"\n',
     "unknown key 'title' in [credentials.ja] (allowed: name, description, criteria)"),
    ('[credentials.ja]\nname = ""\n', "'name' of [credentials.ja] must be a text"),
    ('[credentials.ja]\nname = 3\n', "'name' of [credentials.ja] must be a text"),
])
def test_a_wrong_japanese_table_is_a_problem_and_nothing_is_loaded(tmp_path, table, message):
    loaded = load(tmp_path, ENTRY + table)

    assert loaded.credentials == []
    assert [problem.message for problem in loaded.problems] == [message]


def test_a_translation_changes_the_content_hash(tmp_path):
    plain = load(tmp_path, ENTRY).credentials[0]
    translated = load(tmp_path, ENTRY + JAPANESE).credentials[0]

    assert plain.content_hash != translated.content_hash


def test_every_credential_of_the_program_speaks_japanese():
    loaded = load_folders(project_path("content"), project_path("quizzes"))

    assert loaded.problems == []
    assert loaded.credentials.credentials
    for spec in loaded.credentials.credentials:
        assert set(spec.translations.get("ja", {})) == set(TRANSLATED_FIELDS), spec.slug


@pytest.fixture
def site(make_app, tmp_path):
    site = build_site(make_app, tmp_path)
    text = (site.content_dir / "credentials.toml").read_text(encoding="utf-8")
    (site.content_dir / "credentials.toml").write_text(
        text + '\n[credentials.ja]\nname = "デモ認定エンジニア"\n'
        'description = "制限時間付きのデモ試験に技術職として合格した方に与えられます。"\n'
        'criteria = "デモコースを修了し、デモ試験に合格すること。"\n', encoding="utf-8")
    with site.app.app_context():
        loaded = load_all()
        assert loaded.problems == [], [str(p) for p in loaded.problems]
        sync_all(loaded)
        db.session.commit()
        yield site


def test_sync_stores_the_translation(site):
    credential = db.session.scalar(select(Credential).where(Credential.slug == "demo-cert"))

    assert credential.translations["ja"]["name"] == "デモ認定エンジニア"
    assert credential.text("name", "ja") == "デモ認定エンジニア"
    assert credential.text("name", "en") == "Demo Certified Engineer"
    assert credential.text("name", None) == "Demo Certified Engineer"


def test_the_certificate_and_the_verification_page_speak_the_readers_language(site):
    holder = member(name="Hana Holder")
    award = site.give(holder, "demo-cert", issued=utcnow() - timedelta(days=3),
                      validity_months=24)

    japanese = site.client(holder, language="ja")
    certificate = japanese.get(f"/credentials/{award.id}/certificate").get_data(as_text=True)
    verify = japanese.get(f"/verify/{award.verification_code}").get_data(as_text=True)
    mine = japanese.get("/credentials").get_data(as_text=True)
    english = site.client(holder, language="en").get(
        f"/credentials/{award.id}/certificate").get_data(as_text=True)

    for page in (certificate, verify):
        assert "デモ認定エンジニア" in page
        assert "制限時間付きのデモ試験に技術職として合格した方に与えられます。" in page
        assert "The holder passed the timed demo exam" not in page
    assert "デモ認定エンジニア" in mine
    assert "Demo Certified Engineer" in english
    assert "The holder passed the timed demo exam in a technical role." in english
    assert "デモ認定エンジニア" not in english
