"""Passwords, API tokens, session cookies and CSRF tokens for the balance service.

- Passwords are hashed with Argon2id (``argon2-cffi``'s defaults, RFC 9106 low-memory profile);
  a hash made with older parameters is re-hashed at the next successful login
  (:func:`needs_rehash`).
- API tokens are 32 random bytes shown once; only their SHA-256 is stored, so a leaked database
  does not leak usable tokens.
- Sessions are signed, timestamped cookies (``itsdangerous``) carrying the user id and the
  account's ``session_version``; bumping the version (password change, deactivation) ends every
  session of the account.
- CSRF: each session carries a random ``csrf`` value; every form posts it back and
  :func:`csrf_ok` compares in constant time (the synchroniser-token pattern).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

__all__ = [
    "SessionData",
    "SessionSigner",
    "csrf_ok",
    "hash_password",
    "hash_token",
    "needs_rehash",
    "new_token",
    "verify_password",
]

_HASHER = PasswordHasher()
MIN_PASSWORD = 10
MAX_PASSWORD = 1024


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (at least 10, at most 1024 characters)."""
    from orebook.errors import ParameterError

    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ParameterError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (never raises for a wrong password or a
    damaged hash)."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's defaults."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


def new_token() -> str:
    """A new API token (43 URL-safe characters, 256 bits), to show once to its owner."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of an API token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SessionData:
    """What a session cookie carries."""

    user_id: int
    version: int
    csrf: str


class SessionSigner:
    """Signs and reads session cookies with the service's secret key.

    ``max_age_s`` bounds a session's life (default 12 hours) whatever the cookie's own expiry.
    """

    def __init__(self, secret_key: str, *, max_age_s: int = 12 * 3600) -> None:
        from orebook.errors import ParameterError

        if not isinstance(secret_key, str) or len(secret_key) < 32:
            raise ParameterError("the secret key has at least 32 characters "
                                 "(e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
        self._s = URLSafeTimedSerializer(secret_key, salt="orebook-session")
        self.max_age_s = max_age_s

    def dumps(self, user_id: int, version: int) -> tuple[str, SessionData]:
        """A new cookie value for the user, and the session it carries (with a fresh CSRF
        value)."""
        data = SessionData(int(user_id), int(version), secrets.token_urlsafe(24))
        return self._s.dumps([data.user_id, data.version, data.csrf]), data

    def loads(self, cookie: str | None) -> SessionData | None:
        """The session in ``cookie``, or ``None`` if it is missing, forged, malformed or older
        than ``max_age_s``."""
        if not cookie or len(cookie) > 4096:
            return None
        try:
            value = self._s.loads(cookie, max_age=self.max_age_s)
        except (BadSignature, SignatureExpired, ValueError, TypeError):
            return None
        if (not isinstance(value, list) or len(value) != 3
                or not all(isinstance(v, t) for v, t in zip(value, (int, int, str)))):
            return None
        return SessionData(*value)


def csrf_ok(session: SessionData | None, submitted: str | None) -> bool:
    """Whether a form's CSRF value matches its session's (constant-time)."""
    if session is None or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode(), submitted.encode("utf-8", "replace"))
