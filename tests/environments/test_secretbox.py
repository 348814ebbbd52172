"""Secrets at rest (lms.secretbox): what is sealed opens again and is not the clear text; a
token sealed with an old key opens while LMS_SECRET_BOX_KEY lists "new,old" and `rotated`
re-encrypts it for the new key alone; a setting that is not a Fernet key stops the app at
start; production never makes a key and says what to set; `lms secret-key` prints a usable
key and `lms secret-key --rotate` re-encrypts the stored rows."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import text

from lms import secretbox
from lms.config import ConfigError
from lms.extensions import db
from lms.models import Tier
from lms.secretbox import SecretBoxError
from tests.environments.support import SECRET, URL, make_cast, ready

TEXT = "user: 管理者\npassword: Tr0ub4dor&3"


def box_of(setting: str) -> MultiFernet:
    return secretbox.load({"LMS_SECRET_BOX_KEY": setting}, create=False)


def test_what_is_sealed_opens_again_and_is_not_the_text():
    box = box_of(secretbox.new_key())
    token = secretbox.seal(box, TEXT)
    assert token.isascii() and "Tr0ub4dor" not in token and "管理者" not in token
    assert secretbox.open_sealed(box, token) == TEXT
    assert secretbox.seal(box, TEXT) != token  # a fresh IV each time


def test_a_token_does_not_open_with_another_key_nor_when_tampered():
    box = box_of(secretbox.new_key())
    token = secretbox.seal(box, TEXT)
    with pytest.raises(SecretBoxError, match="cannot be decrypted"):
        secretbox.open_sealed(box_of(secretbox.new_key()), token)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(SecretBoxError):
        secretbox.open_sealed(box, tampered)


def test_rotation_opens_old_tokens_with_new_old_and_rotated_ones_with_new_alone():
    old, new = secretbox.new_key(), secretbox.new_key()
    token = secretbox.seal(box_of(old), TEXT)
    both = box_of(f" {new} , {old} ")  # spaces around the keys are ignored
    assert secretbox.open_sealed(both, token) == TEXT
    with pytest.raises(SecretBoxError):
        secretbox.open_sealed(box_of(new), token)
    again = secretbox.rotated(both, token)
    assert again != token
    assert secretbox.open_sealed(box_of(new), again) == TEXT
    # The first key encrypts: what is sealed now needs no old key.
    assert secretbox.open_sealed(box_of(new), secretbox.seal(both, "fresh")) == "fresh"
    with pytest.raises(SecretBoxError):
        secretbox.rotated(box_of(secretbox.new_key()), token)


@pytest.mark.parametrize("setting", ["not-a-key", "Zm9v", secretbox.new_key() + ",broken",
                                     "ｋｅｙ" * 11])
def test_a_setting_that_is_not_a_fernet_key_stops_the_app_at_start(make_app, setting):
    with pytest.raises(ConfigError, match="LMS_SECRET_BOX_KEY holds a value that is not a "
                                          "Fernet key"):
        make_app(LMS_SECRET_BOX_KEY=setting)
    assert secretbox.setting_problem(secretbox.new_key()) is None
    assert secretbox.setting_problem("") is None


def test_production_without_a_key_refuses_saying_what_to_set(make_app, tmp_path):
    key_file = tmp_path / "production-box.key"
    app = make_app(LMS_ENV="production", LMS_SECRET_BOX_KEY="",
                   LMS_SECRET_BOX_KEY_FILE=str(key_file))
    with pytest.raises(SecretBoxError) as caught:
        secretbox.current(app)
    assert "LMS_SECRET_BOX_KEY" in str(caught.value)
    assert "lms secret-key" in str(caught.value)
    assert not key_file.exists()  # never made while serving


def test_development_makes_a_private_key_file_once_and_production_then_reads_it(
        make_app, tmp_path):
    key_file = tmp_path / "shared-box.key"
    development = make_app(LMS_SECRET_BOX_KEY_FILE=str(key_file))
    token = secretbox.seal(secretbox.current(development), TEXT)
    assert key_file.exists() and (os.stat(key_file).st_mode & 0o777) == 0o600
    production = make_app(LMS_ENV="production", LMS_SECRET_BOX_KEY_FILE=str(key_file))
    assert secretbox.open_sealed(secretbox.current(production), token) == TEXT
    key_file.chmod(0o644)
    with pytest.raises(SecretBoxError, match="open to every user"):
        secretbox.load(production.config, create=False)


def test_lms_secret_key_prints_a_new_usable_key_each_time(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["secret-key"])
    second = runner.invoke(args=["secret-key"])
    assert first.exit_code == 0 and second.exit_code == 0
    key = first.output.strip()
    assert key != second.output.strip()
    Fernet(key.encode())  # a valid key
    assert secretbox.setting_problem(key) is None


def test_lms_secret_key_rotate_re_encrypts_every_stored_secret(make_app):
    old, new = secretbox.new_key(), secretbox.new_key()
    before = make_app(LMS_SECRET_BOX_KEY=old)
    with before.app_context():
        cast = make_cast(Tier.SILVER)
        environment_id = ready(cast.sales, cast.manager).id
        sealed = db.session.execute(text(
            "SELECT url_box, credentials_box FROM demo_environments WHERE id = :id"),
            {"id": environment_id}).one()
        db.session.commit()

    after = make_app(LMS_SECRET_BOX_KEY=f"{new},{old}")
    with after.app_context():
        result = after.test_cli_runner().invoke(args=["secret-key", "--rotate"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 2 stored secret(s)" in result.output
        url_box, credentials_box = db.session.execute(text(
            "SELECT url_box, credentials_box FROM demo_environments WHERE id = :id"),
            {"id": environment_id}).one()
        db.session.commit()
    assert (url_box, credentials_box) != tuple(sealed)
    only_new = box_of(new)
    assert secretbox.open_sealed(only_new, url_box) == URL
    assert secretbox.open_sealed(only_new, credentials_box) == SECRET


def test_rotate_refuses_when_no_configured_key_opens_a_stored_secret(make_app):
    first = make_app(LMS_SECRET_BOX_KEY=secretbox.new_key())
    with first.app_context():
        cast = make_cast(Tier.SILVER)
        environment_id = ready(cast.sales, cast.manager).id
        db.session.commit()
    lost = make_app(LMS_SECRET_BOX_KEY=secretbox.new_key())  # the old key was dropped
    with lost.app_context():
        result = lost.test_cli_runner().invoke(args=["secret-key", "--rotate"])
        assert result.exit_code != 0
        assert "cannot be decrypted" in result.output
        kept = db.session.execute(text(
            "SELECT url_box FROM demo_environments WHERE id = :id"),
            {"id": environment_id}).scalar()
        db.session.commit()
    assert kept is not None
    assert secretbox.open_sealed(box_of(first.config["LMS_SECRET_BOX_KEY"]), kept) == URL


def test_a_setting_of_only_commas_stops_the_app_at_start(make_app):
    with pytest.raises(ConfigError, match="LMS_SECRET_BOX_KEY"):
        make_app(LMS_SECRET_BOX_KEY=" , ")
