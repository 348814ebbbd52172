"""LocalStorage: content-addressed, atomic, nothing left behind on failure."""

from __future__ import annotations

import hashlib
import io

import pytest

from lms.assets.storage import LocalStorage
from tests.factories.assets import PDF, publish, stored_files


def _accept(_stream) -> str:
    return "ok"


def test_files_are_stored_by_their_sha256(tmp_path):
    storage = LocalStorage(tmp_path / "files")
    stored, result = storage.save(io.BytesIO(PDF), _accept)
    sha = hashlib.sha256(PDF).hexdigest()
    assert (stored.sha256, stored.size, result) == (sha, len(PDF), "ok")
    assert stored_files(tmp_path / "files") == [tmp_path / "files" / sha[:2] / sha]
    with storage.open(sha) as handle:
        assert handle.read() == PDF
    assert storage.exists(sha)


def test_identical_content_is_stored_once(tmp_path):
    storage = LocalStorage(tmp_path)
    first, _ = storage.save(io.BytesIO(PDF), _accept)
    second, _ = storage.save(io.BytesIO(PDF), _accept)
    assert first == second
    assert len(stored_files(tmp_path)) == 1


def test_the_check_sees_the_whole_file_and_a_refusal_keeps_nothing(tmp_path):
    storage = LocalStorage(tmp_path)
    seen = []

    def refuse(stream):
        stream.seek(0)
        seen.append(stream.read())
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        storage.save(io.BytesIO(PDF), refuse)
    assert seen == [PDF]
    assert stored_files(tmp_path) == []


def test_a_failing_upload_stream_leaves_no_temporary_file(tmp_path):
    class Broken(io.RawIOBase):
        calls = 0

        def read(self, size=-1):
            self.calls += 1
            if self.calls > 2:
                raise OSError("connection reset")
            return b"x" * 1024

    with pytest.raises(OSError, match="connection reset"):
        LocalStorage(tmp_path).save(Broken(), _accept)
    assert stored_files(tmp_path) == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab", "A" * 64, "/" + "a" * 63, ""])
def test_files_are_opened_by_sha_only(tmp_path, bad):
    storage = LocalStorage(tmp_path)
    with pytest.raises(ValueError):
        storage.open(bad)
    with pytest.raises(ValueError):
        storage.exists(bad)


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError):
        LocalStorage(tmp_path).open("0" * 64)


def test_lms_assets_check_reports_versions_without_their_file(app, runner, upload_dir):
    publish()
    result = runner.invoke(args=["assets", "check"])
    assert result.exit_code == 0 and "Every asset version has its file." in result.output
    sha = hashlib.sha256(PDF).hexdigest()
    (upload_dir / sha[:2] / sha).unlink()
    result = runner.invoke(args=["assets", "check"])
    assert result.exit_code == 1
    assert f"nimbus-crm-overview version 1: file {sha} is missing" in result.output
