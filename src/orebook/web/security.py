"""Session cookies and CSRF tokens of the balance service.

(Passwords and API tokens are the accounts' business: ``orebook.balance.accounts``.)

- Sessions are signed, timestamped cookies (``itsdangerous``) carrying the user id and the
  account's ``session_version``; a password change, role change or deactivation bumps the
  version and so ends every session of the account.
- CSRF: each session carries a random ``csrf`` value; every form posts it back and
  :func:`csrf_ok` compares in constant time (the synchroniser-token pattern).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from orebook.errors import ParameterError

__all__ = ["SessionData", "SessionSigner", "csrf_ok"]


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
        if not isinstance(secret_key, str) or len(secret_key) < 32:
            raise ParameterError("the secret key has at least 32 characters (e.g. "
                                 "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
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
                or not all(type(v) is t for v, t in zip(value, (int, int, str)))):
            return None
        return SessionData(*value)


def csrf_ok(session: SessionData | None, submitted: str | None) -> bool:
    """Whether a form's CSRF value matches its session's (constant-time)."""
    if session is None or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode(), submitted.encode("utf-8", "replace"))
