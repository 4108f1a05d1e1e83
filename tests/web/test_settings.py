"""The service's settings from the environment: defaults, the cache settings, bad values
refused with the variable's name."""

from __future__ import annotations

import pytest

from orebook.errors import ParameterError
from orebook.web.settings import Settings

KEY = "k" * 40


def test_defaults_and_environment(monkeypatch):
    for name in ("OREBOOK_PUBLIC", "OREBOOK_SECURE", "OREBOOK_REPORT_LAG_S",
                 "OREBOOK_AUTH_RECHECK_S", "OREBOOK_BALANCE_DB"):
        monkeypatch.delenv(name, raising=False)
    s = Settings.from_env(secret_key=KEY)
    assert (s.public_read, s.secure_cookies, s.report_lag_s, s.auth_recheck_s) == (
        False, False, 5.0, 1.0)
    assert s.db_url == "sqlite:///orebook-balance.sqlite"
    monkeypatch.setenv("OREBOOK_PUBLIC", "1")
    monkeypatch.setenv("OREBOOK_REPORT_LAG_S", "0")
    monkeypatch.setenv("OREBOOK_AUTH_RECHECK_S", "2.5")
    s = Settings.from_env(secret_key=KEY)
    assert (s.public_read, s.report_lag_s, s.auth_recheck_s) == (True, 0.0, 2.5)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("OREBOOK_REPORT_LAG_S", "soon", "expected a number of seconds, got 'soon'"),
    ("OREBOOK_REPORT_LAG_S", "-1", "expected 0 to 25 seconds"),
    ("OREBOOK_AUTH_RECHECK_S", "nan", "expected 0 to 25 seconds"),
    ("OREBOOK_AUTH_RECHECK_S", "30", "expected 0 to 25 seconds"),
])
def test_bad_values_name_the_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ParameterError, match=name) as err:
        Settings.from_env(secret_key=KEY)
    assert message in str(err.value)


def test_a_weak_key_is_refused():
    with pytest.raises(ParameterError, match="OREBOOK_SECRET_KEY"):
        Settings(db_url="sqlite://", secret_key="changeme")
