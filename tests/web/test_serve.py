"""``orebook serve``: set-up on a fresh SQLite registry, and a real server answering HTTP."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request

from typer.testing import CliRunner

from orebook.balance import engine_from_url
from orebook.balance.accounts import authenticate
from orebook.cli import app


def test_setup_creates_the_registry_the_admin_and_a_private_key(tmp_path, monkeypatch):
    db = tmp_path / "reg.sqlite"
    monkeypatch.delenv("OREBOOK_SECRET_KEY", raising=False)
    monkeypatch.setenv("OREBOOK_ADMIN_PASSWORD", "correct horse battery")
    r = CliRunner().invoke(app, ["serve", "--db", f"sqlite:///{db}", "--create-admin", "chief",
                                 "--setup-only"])
    assert r.exit_code == 0, r.output
    key = tmp_path / "reg.sqlite.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) >= 32
    eng = engine_from_url(f"sqlite:///{db}")
    assert authenticate(eng, "chief", "correct horse battery").role == "admin"
    eng.dispose()
    # a second admin with the same name is refused with a clear message, exit 1
    r = CliRunner().invoke(app, ["serve", "--db", f"sqlite:///{db}", "--create-admin", "chief",
                                 "--setup-only"])
    assert r.exit_code == 1 and "taken" in r.output


def test_server_database_needs_a_key(monkeypatch):
    monkeypatch.delenv("OREBOOK_SECRET_KEY", raising=False)
    r = CliRunner().invoke(app, ["serve", "--db", "postgresql://nobody@127.0.0.1:1/none",
                                 "--setup-only"])
    assert r.exit_code == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_real_server_answers(tmp_path):
    port = _free_port()
    env = dict(os.environ, OREBOOK_SECRET_KEY="k" * 40)
    exe = os.path.join(os.path.dirname(sys.executable), "orebook")
    proc = subprocess.Popen([exe, "serve", "--db", f"sqlite:///{tmp_path / 'r.sqlite'}",
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        body = None
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health",
                                            timeout=2) as resp:
                    body = resp.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert body is not None and '"status":"ok"' in body
    finally:
        proc.terminate()
        proc.wait(timeout=30)
