"""The issuer's Ed25519 signing key (Open Badges 3.0) and compact JWS with it (joserfc).

Where the key comes from, first match wins:
1. `LMS_SIGNING_KEY`: an Ed25519 private key in PEM (PKCS#8, as `openssl genpkey -algorithm
   ed25519` writes it; `\\n` escapes are accepted for one-line values), or the path of a file
   holding one. Every server reads the same key, so every server signs alike.
2. The key file in the instance folder (`LMS_SIGNING_KEY_FILE`, `instance/signing-key.pem`),
   which `lms init` creates (mode 0600) when neither exists.
3. In development and tests only: that file, created on first use.

Production never makes a key while serving: each worker, container or host would make its
own, and credentials signed by one would not verify against the key another publishes. It
refuses instead (SigningKeyError, the message says what to set).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.errors import InvalidKeyCurveError, JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

ALGORITHM = "EdDSA"
CURVE = "Ed25519"
PEM_MARKER = "-----BEGIN"
EXTENSION_KEY = "lms.signing_key"
KEY_HOWTO = ("run `lms init` (it writes one into the instance folder), or set LMS_SIGNING_KEY "
             "to an Ed25519 private key in PEM (`openssl genpkey -algorithm ed25519`) or to "
             "the path of such a file")


class SigningKeyError(RuntimeError):
    """No usable signing key; the message says what to set."""


class _Ed25519EdDSA(EdDSAAlgorithm):
    """RFC 8037's "EdDSA", held to the Ed25519 curve.

    RFC 9864 deprecates "EdDSA" because the name alone does not say the curve, and joserfc
    warns on every use. Open Badges 3.0 verifiers know "EdDSA" and few know the newer
    "Ed25519" yet, so we keep the name and remove the ambiguity: any other curve is refused.
    """

    security_warning = ""  # joserfc warns only when this is set

    def check_key(self, key: Any) -> None:
        super().check_key(key)
        if getattr(key, "curve_name", None) != CURVE:
            raise InvalidKeyCurveError(f"{ALGORITHM} here is {CURVE} only.")


class _Registry(JWSRegistry):
    # Tables of its own: the default registry's stay as joserfc made them.
    algorithms = {}
    recommended = []


_Registry.register(_Ed25519EdDSA())
REGISTRY = _Registry(algorithms=[ALGORITHM])


@dataclass(frozen=True)
class SigningKey:
    """The private key and its id: the RFC 7638 thumbprint of the public key."""

    private: OKPKey
    kid: str

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK for a JWKS: never the private part ("d")."""
        public = self.private.as_dict(private=False)
        return {"kty": public["kty"], "crv": public["crv"], "x": public["x"],
                "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


def parse_private_key(pem: str | bytes) -> SigningKey:
    """The signing key of a PEM text; SigningKeyError unless it is an Ed25519 private key."""
    text = pem.decode() if isinstance(pem, bytes) else pem
    text = text.strip().replace("\\n", "\n") + "\n"
    try:
        key = OKPKey.import_key(text.encode())
    except (JoseError, ValueError, TypeError) as error:
        raise SigningKeyError("not an Ed25519 private key in PEM") from error
    if key.curve_name != CURVE:
        raise SigningKeyError(f"a {key.curve_name} key, not an Ed25519 one")
    if not key.is_private:
        raise SigningKeyError("a public key, not the private key")
    return SigningKey(private=key, kid=key.thumbprint())


def new_private_key_pem() -> bytes:
    """A new random Ed25519 private key in PEM (PKCS#8)."""
    return OKPKey.import_key(Ed25519PrivateKey.generate()).as_pem(private=True)


def create_key_file(path: Path) -> bool:
    """Write a new key to `path` (mode 0600) unless a file is there: True when written.

    Created beside the target and linked into place, so a concurrent caller never reads a
    half-written file and two callers never end up with different keys: the first link wins.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        return False
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # whatever the umask
        os.write(descriptor, new_private_key_pem())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink()
    return True


def _read_key_file(path: Path, origin: str) -> SigningKey:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise SigningKeyError(f"{origin} {path} cannot be read ({error}).") from error
    try:
        return parse_private_key(text)
    except SigningKeyError as error:
        raise SigningKeyError(f"{origin} {path} holds {error}.") from error


def _from_setting(value: str) -> SigningKey:
    if value.strip().startswith(PEM_MARKER):
        try:
            return parse_private_key(value)
        except SigningKeyError as error:
            raise SigningKeyError(f"LMS_SIGNING_KEY is {error}.") from error
    path = Path(value.strip()).expanduser()
    if not path.is_file():
        raise SigningKeyError(f"LMS_SIGNING_KEY is neither a PEM key nor the path of a file "
                              f"(no file at {path}); {KEY_HOWTO}.")
    return _read_key_file(path, "LMS_SIGNING_KEY names the file")


def setting_problem(value: str | None) -> str | None:
    """What is wrong with a LMS_SIGNING_KEY that is set (None: nothing, or not set)."""
    if not value or not value.strip():
        return None
    try:
        _from_setting(value)
    except SigningKeyError as error:
        return str(error)
    return None


def load(config: dict, *, create: bool) -> SigningKey:
    """The key the configuration names; with `create`, a missing key file is made first."""
    setting = config.get("LMS_SIGNING_KEY") or ""
    if setting.strip():
        return _from_setting(setting)
    path = Path(config["LMS_SIGNING_KEY_FILE"])
    if create:
        create_key_file(path)
    if not path.exists():
        raise SigningKeyError(f"No signing key for Open Badges 3.0 credentials: LMS_SIGNING_KEY "
                              f"is not set and there is no key file at {path}; {KEY_HOWTO}.")
    if stat.S_IMODE(path.stat().st_mode) & 0o007:
        # Refused rather than used: whoever else can read it can sign as the issuer.
        raise SigningKeyError(f"The signing key file {path} is open to every user of the "
                              f"machine; `chmod 600 {path}`.")
    return _read_key_file(path, "The signing key file")


def ensure_key_file(config: dict) -> str:
    """For `lms init`: make the key file unless a key is configured; what was done, in words."""
    if (config.get("LMS_SIGNING_KEY") or "").strip():
        load(config, create=False)
        return "Open Badges signing key: LMS_SIGNING_KEY."
    path = Path(config["LMS_SIGNING_KEY_FILE"])
    created = create_key_file(path)
    key = load(config, create=False)
    if created:
        return (f"Open Badges signing key created at {path} (mode 0600, key id {key.kid}). "
                "Back it up with the database; with several servers, give every one the "
                "same key (LMS_SIGNING_KEY).")
    return f"Open Badges signing key: {path} (key id {key.kid})."


def current(app: Any) -> SigningKey:
    """The application's signing key, read once per process; made on first use only in
    development and tests."""
    cached = app.extensions.get(EXTENSION_KEY)
    if cached is None:
        development = app.config["LMS_ENV"] in {"development", "test"}
        cached = load(app.config, create=development)
        app.extensions[EXTENSION_KEY] = cached
    return cached


def sign_compact(payload: dict[str, Any], key: SigningKey, *, kid: str, typ: str) -> str:
    """A compact JWS of `payload` (JSON) with the header {alg: EdDSA, kid, typ} only."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    header = {"alg": ALGORITHM, "kid": kid, "typ": typ}
    return jws.serialize_compact(header, body, key.private, algorithms=[ALGORITHM],
                                 registry=REGISTRY)


def verify_compact(token: str, public_jwk: dict[str, Any]) -> tuple[dict, dict]:
    """(header, payload) of a compact JWS whose signature `public_jwk` verifies;
    joserfc's BadSignatureError (a JoseError) when it does not."""
    key = OKPKey.import_key({name: public_jwk[name] for name in ("kty", "crv", "x")})
    signed = jws.deserialize_compact(token, key, algorithms=[ALGORITHM], registry=REGISTRY)
    return dict(signed.headers()), json.loads(signed.payload)
