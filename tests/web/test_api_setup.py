"""The registry the balance-API tests run on, built with the registry services, and the
helpers they share (the other ``test_api_*`` modules import the fixtures from here).

The registry, by hand:

- units Testland/East/Hill and Testland/East/Vale;
- Au (ore t, metal kg, g/t) and Cu (ore t, metal t, %);
- Golden Hill (Hill; alias Zolotaya Gora; developed, distributed; 46.1° E 40.2° N) and
  Copper Vale (Vale; being explored, undistributed);
- movements: Golden Hill Au C1/balance +1000 t / 5 kg on 2019-03-01 (exploration) and
  −100 t / 0.5 kg on 2020-06-01 (production); Copper Vale Cu B/off-balance +5000 t / 25 t on
  2020-02-02 (exploration);
- one pending estimate of Golden Hill: Au C1/balance 1200 t, 5 g/t, 6 kg;
- a published total: Au of Testland, 4.5 kg as at 2021-01-01.

So as at 2021-01-01: Golden Hill Au C1 balance 900 t / 4.5 kg, Copper Vale Cu B off-balance
5000 t / 25 t.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from fastapi.testclient import TestClient
from helpers_web import PASSWORD, registry_template  # noqa: F401 (fixture)

from orebook.balance import Ledger, engine_from_url
from orebook.balance import registry as reg
from orebook.balance.accounts import ROLES, create_api_token, list_users
from orebook.io.estimate_record import EstimateRecord, RecordLine
from orebook.web.app import create_app
from orebook.web.settings import Settings

D = dt.date
TABLES = ("deposits", "deposit_aliases", "estimates", "estimate_lines", "approvals",
          "movements", "closed_years", "year_balances", "audit_log", "licences")


def gold_record(deposit="Golden Hill", ore=1200.0, metal_kg=6.0, hash_="sha256:1",
                category="C1"):
    return EstimateRecord(deposit=deposit, method="geological blocks",
                          effective_date=D(2021, 1, 1), parameters_hash=hash_,
                          lines=(RecordLine("Au", category, "balance", ore,
                                            metal_kg / ore * 1000, metal_kg, "t", "g/t",
                                            "kg"),),
                          author="A. Geologist", document="report 7")


@pytest.fixture(scope="module")
def api_template(tmp_path_factory, registry_template):
    """The accounts' registry with the data above and one API token per role."""
    path = tmp_path_factory.mktemp("api") / "registry.sqlite"
    shutil.copy(registry_template, path)
    engine = engine_from_url(f"sqlite:///{path}")
    reg.add_admin_unit(engine, "Testland/East/Hill")
    reg.add_admin_unit(engine, "Testland/East/Vale")
    reg.add_commodity(engine, "Au", "gold", component_unit="kg")
    reg.add_commodity(engine, "Cu", "copper", component_unit="t", grade_unit="%")
    gh = reg.add_deposit(engine, "Golden Hill", district="Testland/East/Hill",
                         aliases=["Zolotaya Gora"], status="developed", fund="distributed",
                         deposit_type="vein", longitude_deg=46.1, latitude_deg=40.2)
    cv = reg.add_deposit(engine, "Copper Vale", district="Testland/East/Vale")
    led = Ledger(engine)
    led.record("Golden Hill", "Au", "C1", "balance", "exploration", ore=1000, metal=5,
               document="r1", effective_date=D(2019, 3, 1))
    led.record("Golden Hill", "Au", "C1", "balance", "production", ore=100, metal=0.5,
               document="f1", effective_date=D(2020, 6, 1))
    led.record("Copper Vale", "Cu", "B", "off-balance", "exploration", ore=5000, metal=25,
               document="r3", effective_date=D(2020, 2, 2))
    e1 = reg.submit_estimate(engine, gold_record())
    reg.add_published_total(engine, commodity="Au", source="Press 2021", metal=4.5,
                            unit="Testland", as_of_date="2021-01-01")
    users = {u.username: u.id for u in list_users(engine)}
    tokens = {role: create_api_token(engine, users[role], "tests")[0] for role in ROLES}
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return {"path": path, "tokens": tokens, "gh": gh, "cv": cv, "e1": e1}


@pytest.fixture
def api(tmp_path, api_template):
    """A service on a fresh copy of the template: ``api.client``, ``api.engine``,
    ``api.auth(role)`` (Bearer headers), ``api.ids``."""
    path = tmp_path / "registry.sqlite"
    shutil.copy(api_template["path"], path)
    url = f"sqlite:///{path}"
    engine = engine_from_url(url)
    app = create_app(Settings(db_url=url, secret_key="s" * 40), engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, engine, api_template)
    engine.dispose()


class Api:
    def __init__(self, client, engine, template) -> None:
        self.client, self.engine = client, engine
        self.tokens = template["tokens"]
        self.ids = {k: template[k] for k in ("gh", "cv", "e1")}

    def auth(self, role: str | None) -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    def counts(self) -> dict:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                    for t in TABLES}


def assert_error(r, status: int, field: str | None = ...) -> dict:
    """``r`` is the one error body with ``status`` (and ``field``, when given)."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"status", "message", "field"} and body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    if field is not ...:
        assert body["field"] == field, body
    return body


def test_the_registry_is_as_described(api):
    r = api.client.get("/api/balance?as_of=2021-01-01", headers=api.auth("viewer"))
    assert r.status_code == 200
    got = {(i["deposit"], i["commodity"], i["category"], i["group"]): (i["ore"], i["metal"])
           for i in r.json()["items"]}
    assert got == {("Copper Vale", "Cu", "B", "off-balance"): (5000.0, 25.0),
                   ("Golden Hill", "Au", "C1", "balance"): (900.0, 4.5)}


def test_openapi_lists_every_route(api):
    paths = api.client.get("/api/openapi.json").json()["paths"]
    for p in ("/api/deposits", "/api/deposits/{deposit_id}", "/api/deposits/{deposit_id}/movements",
              "/api/deposits/{deposit_id}/history", "/api/districts", "/api/estimates",
              "/api/balance", "/api/reports/yearly", "/api/reports/totals",
              "/api/reconciliation", "/api/estimates/{estimate_id}/approve",
              "/api/estimates/{estimate_id}/reject", "/api/movements",
              "/api/movements/{movement_id}/correct", "/api/years/{year}/close"):
        assert p in paths, p
    assert "patch" in paths["/api/deposits/{deposit_id}"]
    assert "post" in paths["/api/estimates"]
