"""Accounts of the service on both databases: users, roles, passwords, tokens, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from orebook.balance.accounts import (
    ApiToken,
    User,
    authenticate,
    create_api_token,
    create_user,
    get_user,
    hash_password,
    hash_token,
    list_audit,
    list_users,
    record_audit,
    revoke_api_token,
    set_password,
    update_user,
    user_for_token,
    verify_password,
)
from orebook.errors import ConflictError, NotFoundError, ParameterError

PW = "correct horse battery"


def test_passwords_are_argon2id_and_salted():
    h = hash_password(PW)
    assert h.startswith("$argon2id$") and PW not in h
    assert verify_password(h, PW) and not verify_password(h, PW + "!")
    assert not verify_password("not a hash", PW)
    assert not verify_password(h, "x" * 5000)
    assert hash_password(PW) != h


@pytest.mark.parametrize("bad", ["short", "", "y" * 1025, None])
def test_password_length_is_checked(bad):
    with pytest.raises(ParameterError):
        hash_password(bad)


def test_users_log_in_by_password(engine):
    admin = create_user(engine, "admin", PW, "admin", full_name="First Admin")
    geo = create_user(engine, "geo.1", PW + "1", "geologist", by=admin)
    assert [u.username for u in list_users(engine)] == ["admin", "geo.1"]
    assert authenticate(engine, "geo.1", PW + "1") == geo
    assert authenticate(engine, "geo.1", PW) is None
    assert authenticate(engine, "nobody", PW) is None
    with Session(engine) as s:     # the password itself is nowhere in the database
        stored = s.scalar(select(User.password_hash).where(User.username == "geo.1"))
    assert stored.startswith("$argon2id$") and PW not in stored
    with pytest.raises(ConflictError, match="taken"):
        create_user(engine, "admin", PW, "viewer")
    for bad in [("x", PW, "viewer"), ("ok.name", PW, "king"), ("a b", PW, "viewer"),
                ("ok2", "short", "viewer"), ("'; drop table users; --", PW, "viewer")]:
        with pytest.raises(ParameterError):
            create_user(engine, *bad)
    assert len(list_users(engine)) == 2


def test_password_and_role_changes_end_sessions(engine):
    u = create_user(engine, "reg", PW, "registrar")
    assert u.session_version == 0
    set_password(engine, u.id, PW + "2")
    assert authenticate(engine, "reg", PW) is None
    assert authenticate(engine, "reg", PW + "2").session_version == 1
    assert update_user(engine, u.id, role="viewer").session_version == 2
    assert update_user(engine, u.id, full_name="R. Egistrar").session_version == 2
    off = update_user(engine, u.id, active=False)
    assert off.session_version == 3 and not off.active
    assert authenticate(engine, "reg", PW + "2") is None      # deactivated
    with pytest.raises(NotFoundError):
        update_user(engine, 9999, role="viewer")
    assert get_user(engine, 9999) is None


def test_api_tokens(engine):
    u = create_user(engine, "script", PW, "registrar")
    token, tid = create_api_token(engine, u.id, "nightly import")
    assert len(token) == 43
    assert user_for_token(engine, token) == u
    assert user_for_token(engine, token + "x") is None
    assert user_for_token(engine, "") is None
    with Session(engine) as s:
        row = s.get(ApiToken, tid)
        assert row.token_hash == hash_token(token) and token not in row.token_hash
        assert row.last_used_at is not None
    revoke_api_token(engine, tid)
    assert user_for_token(engine, token) is None
    token2, _ = create_api_token(engine, u.id, "other")
    update_user(engine, u.id, active=False)
    assert user_for_token(engine, token2) is None
    with pytest.raises(NotFoundError):
        revoke_api_token(engine, 424242)


def test_every_account_write_is_audited(engine):
    admin = create_user(engine, "admin", PW, "admin")
    v = create_user(engine, "viewer1", PW, "viewer", by=admin)
    update_user(engine, v.id, role="geologist", by=admin)
    with Session(engine) as s, s.begin():
        record_audit(s, admin, "approve_estimate", "estimate 7", "protocol 12")
    entries = list_audit(engine)
    assert [(e["username"], e["action"], e["target"]) for e in entries] == [
        ("admin", "approve_estimate", "estimate 7"),
        ("admin", "update_user", "user viewer1"),
        ("admin", "create_user", "user viewer1"),
        ("(command line)", "create_user", "user admin"),
    ]
    assert all(e["at"] is not None for e in entries)
    assert entries[1]["detail"] == "role geologist"
    # a failed write records nothing
    with pytest.raises(ConflictError):
        create_user(engine, "viewer1", PW, "viewer", by=admin)
    assert len(list_audit(engine)) == 4


def test_a_write_and_its_audit_entry_commit_together(engine_with_gold):
    import datetime as dt

    from helpers_balance import add_deposit, table_counts

    from orebook.balance import Ledger

    engine = engine_with_gold
    add_deposit(engine, "Golden Hill")
    registrar = create_user(engine, "registrar1", PW, "registrar")
    ledger = Ledger(engine)

    def hook(session, mid):
        record_audit(session, registrar, "record_movement", f"movement {mid}", "opening")

    mid = ledger.record("Golden Hill", "Au", "C1", "balance", "exploration", ore=100.0,
                        metal=0.3, document="p1", effective_date=dt.date(2025, 1, 1),
                        audit=hook)
    assert [(e["username"], e["action"], e["target"]) for e in list_audit(engine)][0] == (
        "registrar1", "record_movement", f"movement {mid}")
    # the audit entry fails: the movement is not written either
    before = table_counts(engine)

    def broken(session, result):
        raise RuntimeError("the audit log is full")

    with pytest.raises(RuntimeError, match="full"):
        ledger.record("Golden Hill", "Au", "C1", "balance", "production", ore=10.0,
                      metal=0.03, document="p2", effective_date=dt.date(2025, 2, 1),
                      audit=broken)
    with pytest.raises(RuntimeError, match="full"):
        ledger.close_year(2025, audit=broken)
    assert table_counts(engine) == before
    assert ledger.closed_years() == []
