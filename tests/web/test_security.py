"""Security primitives of the service: passwords, tokens, session cookies, CSRF, roles."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orebook.errors import ParameterError
from orebook.web.roles import ACTIONS, PERMISSIONS, ROLES, allowed
from orebook.web.security import SessionSigner, csrf_ok

KEY = "k" * 40


def test_session_cookies_round_trip_and_refuse_forgery():
    signer = SessionSigner(KEY)
    cookie, data = signer.dumps(7, 3)
    back = signer.loads(cookie)
    assert back == data and (back.user_id, back.version) == (7, 3)
    assert signer.loads(cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")) is None
    assert SessionSigner("z" * 40).loads(cookie) is None        # another key
    assert signer.loads("") is None and signer.loads(None) is None


def test_sessions_expire():
    signer = SessionSigner(KEY, max_age_s=1)
    cookie, _ = signer.dumps(1, 0)
    assert signer.loads(cookie) is not None
    time.sleep(2.1)
    assert signer.loads(cookie) is None


def test_short_secret_key_is_refused():
    with pytest.raises(ParameterError, match="at least 32"):
        SessionSigner("changethis")


def test_csrf():
    _, data = SessionSigner(KEY).dumps(1, 0)
    assert csrf_ok(data, data.csrf)
    assert not csrf_ok(data, data.csrf + "x")
    assert not csrf_ok(data, "") and not csrf_ok(None, data.csrf) and not csrf_ok(data, None)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_garbage_cookies_are_no_session(text):
    assert SessionSigner(KEY).loads(text) is None


# The role table of the issue, typed in independently of PERMISSIONS.
EXPECTED = {
    "viewer": {"read"},
    "geologist": {"read", "submit_estimate"},
    "commission": {"read", "approve_estimate"},
    "registrar": {"read", "record_movement", "close_year", "import_tables"},
    "admin": {"read", "manage_users"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_role_table(role, action):
    assert allowed(role, action) == (action in EXPECTED[role])


def test_anonymous_and_unknown():
    assert not allowed(None, "read")
    assert allowed(None, "read", public_read=True)
    assert not allowed(None, "submit_estimate", public_read=True)
    assert set(PERMISSIONS) == set().union(*EXPECTED.values())
    with pytest.raises(KeyError):
        allowed("viewer", "delete_everything")
