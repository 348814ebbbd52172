"""Secrets at rest: what the portal must keep but nobody reading the database may read (a
demo environment's address and sign-in details), encrypted with Fernet (AES-128-CBC and
HMAC-SHA256, from `cryptography`).

Where the key comes from, first match wins:
1. `LMS_SECRET_BOX_KEY`: one or more Fernet keys (`lms secret-key` prints a new one),
   separated by commas. The first encrypts; every one decrypts (MultiFernet): to rotate,
   put a new key first, keep the old one after it until `lms secret-key --rotate` has
   re-encrypted every stored secret, then drop it.
2. The key file in the instance folder (`LMS_SECRET_BOX_KEY_FILE`,
   `instance/secret-box.key`), which `lms init` creates (mode 0600).
3. In development and tests only: that file, created on first use.

Production never makes a key while serving (each server would make its own and could not
read the others' secrets): it refuses with SecretBoxError, whose message says what to set.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

EXTENSION_KEY = "lms.secretbox"
KEY_HOWTO = ("set LMS_SECRET_BOX_KEY to the key `lms secret-key` prints, or run `lms init` "
             "to create the key file")


class SecretBoxError(RuntimeError):
    """No usable key, or a stored secret that no configured key opens."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _keys_of_setting(setting: str) -> list[Fernet]:
    keys = []
    for part in setting.split(","):
        if not part.strip():
            continue
        try:
            keys.append(Fernet(part.strip().encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            raise SecretBoxError("LMS_SECRET_BOX_KEY holds a value that is not a Fernet key "
                                 "(32 bytes in URL-safe base64, as `lms secret-key` prints)"
                                 ) from None
    return keys


def setting_problem(setting: str | None) -> str | None:
    """What is wrong with LMS_SECRET_BOX_KEY (None: nothing, or not set)."""
    try:
        keys = _keys_of_setting(setting or "")
    except SecretBoxError as error:
        return str(error)
    if setting and setting.strip() and not keys:  # "${NEW},${OLD}" with both unset
        return ("LMS_SECRET_BOX_KEY holds only commas and spaces: give it at least one key "
                "(`lms secret-key` prints one), or leave it unset to use the key file")
    return None


def create_key_file(path: Path) -> bool:
    """Write a new key to `path` (mode 0600) unless it exists; whether one was written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile: use theirs
        return False
    with os.fdopen(descriptor, "w") as handle:
        handle.write(new_key() + "\n")
    return True


def load(config: dict, *, create: bool) -> MultiFernet:
    setting = config.get("LMS_SECRET_BOX_KEY") or ""
    if setting.strip():
        problem = setting_problem(setting)
        if problem:
            raise SecretBoxError(problem)
        return MultiFernet(_keys_of_setting(setting))
    path = Path(config["LMS_SECRET_BOX_KEY_FILE"])
    if create:
        create_key_file(path)
    if not path.exists():
        raise SecretBoxError(f"No key to encrypt secrets at rest: LMS_SECRET_BOX_KEY is not "
                             f"set and there is no key file at {path}; {KEY_HOWTO}.")
    if stat.S_IMODE(path.stat().st_mode) & 0o007:
        raise SecretBoxError(f"The secret box key file {path} is open to every user of the "
                             f"machine; `chmod 600 {path}`.")
    keys = _keys_of_setting(path.read_text(encoding="ascii", errors="replace"))
    if not keys:
        raise SecretBoxError(f"The secret box key file {path} is empty; {KEY_HOWTO}.")
    return MultiFernet(keys)


def ensure_key_file(config: dict) -> str:
    """For `lms init`: make the key file unless a key is configured; what was done."""
    if (config.get("LMS_SECRET_BOX_KEY") or "").strip():
        load(config, create=False)
        return "Secret box key: LMS_SECRET_BOX_KEY."
    path = Path(config["LMS_SECRET_BOX_KEY_FILE"])
    created = create_key_file(path)
    load(config, create=False)
    if created:
        return (f"Secret box key created at {path} (mode 0600). Back it up apart from the "
                "database: without it the stored demo environment details cannot be read; "
                "with several servers, give every one the same key (LMS_SECRET_BOX_KEY).")
    return f"Secret box key: {path}."


def current(app: Any) -> MultiFernet:
    """The application's keys, read once per process; made on first use only in
    development and tests."""
    cached = app.extensions.get(EXTENSION_KEY)
    if cached is None:
        development = app.config["LMS_ENV"] in {"development", "test"}
        cached = load(app.config, create=development)
        app.extensions[EXTENSION_KEY] = cached
    return cached


def seal(box: MultiFernet, text: str) -> str:
    """`text` encrypted (a Fernet token, ASCII)."""
    return box.encrypt(text.encode("utf-8")).decode("ascii")


def open_sealed(box: MultiFernet, token: str) -> str:
    try:
        return box.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise SecretBoxError("A stored secret cannot be decrypted with the configured keys "
                             "(LMS_SECRET_BOX_KEY changed without keeping the old key?)"
                             ) from None


def rotated(box: MultiFernet, token: str) -> str:
    """The token encrypted again with the first key (MultiFernet.rotate)."""
    try:
        return box.rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise SecretBoxError("A stored secret cannot be decrypted with the configured keys"
                             ) from None
