"""The server-rendered pages: every page for every role that may see it, 403 pages for the
others, sign-in with a double-submit CSRF cookie, forms with errors beside their fields, CSRF
refused, nothing written on bad input; figures checked against hand-computed values."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import openpyxl
import pytest
from helpers_web import (  # noqa: F401 (fixtures)
    PASSWORD,
    client,
    login,
    registry_template,
    service,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orebook.balance import queries
from orebook.balance import registry as reg
from orebook.balance.accounts import ROLES, list_audit
from orebook.balance.ledger import Ledger
from orebook.web.roles import PERMISSIONS


# ------------------------------------------------------------------ data
def seed(engine) -> dict:
    """Two districts, three deposits with coordinates, gold in kg: Golden Hill holds
    C1/balance 1000 t with 2 kg from an exploration report of 1 March 2020."""
    reg.add_admin_unit(engine, "Testland/East/Hill")
    reg.add_admin_unit(engine, "Testland/West/Dale")
    reg.add_commodity(engine, "Au", "gold", component_unit="kg", grade_unit="g/t")
    reg.add_organisation(engine, "State Reserves Commission", "commission")
    ids = {
        "golden": reg.add_deposit(engine, "Golden Hill", district="Testland/East/Hill",
                                  aliases=["Zolotaya Gorka"], longitude_deg=46.10,
                                  latitude_deg=40.10),
        "silver": reg.add_deposit(engine, "Silver Creek", district="Testland/East/Hill",
                                  longitude_deg=46.20, latitude_deg=40.05),
        "dale": reg.add_deposit(engine, "Dale Vein", district="Testland/West/Dale",
                                longitude_deg=44.0, latitude_deg=41.0),
    }
    Ledger(engine).record("Golden Hill", "Au", "C1", "balance", "exploration", ore=1000.0,
                          metal=2.0, document="report 1", effective_date=dt.date(2020, 3, 1))
    return ids


def record_csv(deposit: str = "Golden Hill", *, ore: float = 2000.0, grade: float = 1.5,
               metal_g: float = 3000.0, parameters_hash: str = "sha256:abc") -> bytes:
    """An estimate record (CSV) of one line: C1/balance gold, metal in g (2000 t × 1.5 g/t
    = 3000 g = 3 kg)."""
    head = ("deposit,commodity,category,group,ore,ore_unit,grade,grade_unit,metal,metal_unit,"
            "method,effective_date,parameters_hash\n")
    row = (f"{deposit},Au,C1,balance,{ore},t,{grade},g/t,{metal_g},g,ordinary kriging,"
           f"2021-01-01,{parameters_hash}\n")
    return (head + row).encode()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def error_beside(html: str, field: str) -> str | None:
    m = re.search(rf'<span class="field-error" id="error-{field}"[^>]*>(.*?)</span>', html,
                  re.DOTALL)
    return m.group(1) if m else None


def engine_of(client):
    return client.app.state.engine


def page_writes(client) -> list[str]:
    """The audit log's actions, newest first, less the accounts made by the fixture."""
    return [a["action"] for a in list_audit(engine_of(client)) if a["action"] != "create_user"]


@pytest.fixture
def seeded(client):
    return seed(engine_of(client))


def page_login(client, username: str, password: str = PASSWORD):
    """Sign in through the sign-in form (not the API)."""
    client.cookies.clear()
    r = client.get("/login")
    token = csrf_of(r.text)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf": token, "next": "/deposits"},
                       follow_redirects=False)


# ------------------------------------------------------------------ reading
READ_PAGES = ["/", "/districts", "/districts/{hill}", "/deposits", "/deposits?q=zolot",
              "/deposits/{golden}", "/estimates", "/reports/yearly?year=2020",
              "/reports/yearly?year=2020&by=deposit&district=Testland/East",
              "/reports/reconciliation"]


def _fill(path: str, ids: dict, engine) -> str:
    hill = next(u["id"] for u in queries.list_districts(engine)
                if u["path"] == "Testland/East/Hill")
    return path.format(hill=hill, **ids)


@pytest.mark.parametrize("role", ROLES)
def test_every_read_page_renders_for_every_role(client, seeded, role):
    login(client, role)
    for path in READ_PAGES:
        r = client.get(_fill(path, seeded, engine_of(client)))
        assert r.status_code == 200, (path, r.text[-2000:])
        assert r.headers["content-type"].startswith("text/html")
        assert f"({role})" in r.text  # who is signed in
        assert "http://" not in r.text.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_anonymous_visitors_are_sent_to_sign_in(client, seeded):
    for path in READ_PAGES + ["/estimates/new", "/balance/close"]:
        r = client.get(_fill(path, seeded, engine_of(client)), follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2F")


def test_public_read_mode_shows_pages_but_no_forms(client, seeded):
    client.app.state.settings = type(client.app.state.settings)(
        **{**client.app.state.settings.__dict__, "public_read": True})
    assert client.get("/deposits").status_code == 200
    r = client.get("/estimates/new", follow_redirects=False)
    assert r.status_code == 303


FORM_PAGES = {"/estimates/new": "submit_estimate", "/balance/close": "close_year",
              "/deposits/{golden}/movements/new": "record_movement"}


@pytest.mark.parametrize("role", ROLES)
def test_form_pages_follow_the_roles_table(client, seeded, role):
    login(client, role)
    for path, action in FORM_PAGES.items():
        r = client.get(_fill(path, seeded, engine_of(client)))
        if role in PERMISSIONS[action]:
            assert r.status_code == 200, (path, role)
            assert csrf_of(r.text)
        else:
            assert r.status_code == 403, (path, role)
            assert "Not allowed" in r.text and f"Your role ({role}) may not" in r.text


def test_unknown_records_and_bad_queries_are_readable_pages(client, seeded):
    login(client, "viewer")
    r = client.get("/deposits/9999")
    assert r.status_code == 404 and "no such deposit" in r.text and "<html" in r.text
    r = client.get("/deposits/abc")
    assert r.status_code == 422 and "<html" in r.text
    r = client.get("/reports/yearly?year=nineteen")
    assert r.status_code == 422 and "is not a year" in r.text
    r = client.get("/deposits?district=Atlantis")
    assert r.status_code == 404 and "Atlantis" in r.text
    assert client.get("/static/..%2Fpages.py").status_code == 404
    assert client.get("/static/orebook.css").headers["content-type"].startswith("text/css")


def test_the_dashboard_shows_the_national_totals(client, seeded):
    login(client, "viewer")
    r = client.get("/?as_of=2021-01-01")
    assert r.status_code == 200
    section = r.text.split('id="commodity-Au"')[1]
    assert "<svg" in section and 'data-value="2.0"' in section
    assert "1,000.00" in section and 'data-metal="2.0"' in section
    r = client.get("/?as_of=2020-01-01")  # before the exploration report
    assert 'id="no-reserves"' in r.text


def test_the_deposit_page(client, seeded):
    login(client, "viewer")
    r = client.get(f"/deposits/{seeded['golden']}")
    html = r.text
    assert "Zolotaya Gorka" in html and "Testland/East/Hill" in html
    # the map holds the two deposits of the district, this one highlighted
    assert 'class="site current"' in html and 'data-name="Silver Creek"' in html
    assert 'data-name="Dale Vein"' not in html
    assert 'data-metal="2.0"' in html and "report 1" in html
    assert 'class="series"' in html  # reserves over the years


def test_districts_roll_up(client, seeded):
    login(client, "viewer")
    html = client.get("/districts").text
    # East holds Hill's 2 kg; West holds none
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r'<a href="/districts/\d+">([^<]+)</a></td>.*?</tr>()', html, re.DOTALL)}
    assert {"Testland", "East", "Hill", "West", "Dale"} <= set(rows)
    assert html.count("2.00 kg") == 3  # Testland, East, Hill


# ------------------------------------------------------------------ signing in and out
def test_sign_in_form_with_double_submit_csrf(client, seeded):
    r = page_login(client, "geologist")
    assert r.status_code == 303 and r.headers["location"] == "/deposits"
    assert "orebook_session" in r.headers["set-cookie"]
    assert "(geologist)" in client.get("/deposits").text


def test_sign_in_refused_without_the_csrf_cookie_or_field(client, seeded):
    r = client.get("/login")
    token = csrf_of(r.text)
    body = {"username": "geologist", "password": PASSWORD, "csrf": "forged"}
    assert client.post("/login", data=body, follow_redirects=False).status_code == 403
    client.cookies.clear()
    body["csrf"] = token
    assert client.post("/login", data=body, follow_redirects=False).status_code == 403
    assert client.get("/deposits", follow_redirects=False).status_code == 303


def test_wrong_password_is_shown_beside_the_field(client, seeded):
    r = page_login(client, "geologist", "wrong password!")
    assert r.status_code == 401
    assert error_beside(r.text, "password") == "wrong user name or password"
    assert 'value="geologist"' in r.text  # the name is kept, the password is not
    assert "wrong password!" not in r.text


@pytest.mark.parametrize("nxt", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_sign_in_never_redirects_to_another_site(client, seeded, nxt):
    r = client.get("/login")
    r = client.post("/login", data={"username": "viewer", "password": PASSWORD,
                                    "csrf": csrf_of(r.text), "next": nxt},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_sign_out_needs_the_csrf_token(client, seeded):
    csrf = login(client, "viewer")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    r = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


# ------------------------------------------------------------------ submitting an estimate
def _upload(client, csrf, data: bytes, name: str = "record.csv"):
    return client.post("/estimates/new", data={"csrf": csrf},
                       files={"record": (name, data, "text/csv")}, follow_redirects=False)


def test_submit_an_estimate(client, seeded):
    csrf = login(client, "geologist")
    r = _upload(client, csrf, record_csv())
    assert r.status_code == 303, r.text
    items, total = queries.list_estimates(engine_of(client))
    assert total == 1 and items[0]["decision"] == "pending"
    # 3000 g of the record is 3 kg, the commodity's unit
    assert items[0]["lines"][0]["metal"] == pytest.approx(3.0)
    assert r.headers["location"] == f"/estimates/{items[0]['id']}?submitted=1"
    page = client.get(r.headers["location"]).text
    assert "awaits the commission" in page and "decision-form" not in page
    audit = list_audit(engine_of(client))
    assert audit[0]["action"] == "submit_estimate" and audit[0]["username"] == "geologist"


@pytest.mark.parametrize("data,name,status,says", [
    (record_csv(metal_g=9000.0), "record.csv", 422, "row 2"),       # metal ≠ ore × grade
    (record_csv("Atlantis"), "record.csv", 404, "Atlantis"),          # unknown deposit
    (b"", "record.csv", 422, "empty"),
    (record_csv(), "record.exe", 422, ".json or .csv"),
    (b"\xff\xfe\x00garbage", "record.json", 422, "record.json"),
])
def test_a_bad_record_is_shown_beside_the_field_and_nothing_is_written(
        client, seeded, data, name, status, says):
    csrf = login(client, "geologist")
    r = _upload(client, csrf, data, name)
    assert r.status_code == status, r.text[-1500:]
    message = error_beside(r.text, "record")
    assert message is not None and says in message
    assert queries.list_estimates(engine_of(client))[1] == 0
    assert page_writes(client) == []


def test_the_same_record_twice_is_a_conflict(client, seeded):
    csrf = login(client, "geologist")
    assert _upload(client, csrf, record_csv()).status_code == 303
    r = _upload(client, csrf, record_csv())
    assert r.status_code == 409 and "already estimate" in error_beside(r.text, "record")
    assert queries.list_estimates(engine_of(client))[1] == 1


def test_forms_refuse_a_missing_or_wrong_csrf_token(client, seeded):
    login(client, "geologist")
    for token in (None, "forged"):
        data = {"csrf": token} if token else {}
        r = client.post("/estimates/new", data=data,
                        files={"record": ("record.csv", record_csv(), "text/csv")})
        assert r.status_code == 403 and "CSRF" in r.text
    assert queries.list_estimates(engine_of(client))[1] == 0


def test_a_role_that_may_not_submit_gets_403_and_nothing_is_written(client, seeded):
    csrf = login(client, "commission")
    r = _upload(client, csrf, record_csv())
    assert r.status_code == 403
    assert queries.list_estimates(engine_of(client))[1] == 0


# ------------------------------------------------------------------ deciding
def _submitted(client) -> int:
    csrf = login(client, "geologist")
    assert _upload(client, csrf, record_csv()).status_code == 303
    return queries.list_estimates(engine_of(client))[0][0]["id"]


def test_the_commission_approves_and_the_balance_moves(client, seeded):
    eid = _submitted(client)
    csrf = login(client, "commission")
    page = client.get(f"/estimates/{eid}").text
    assert 'id="decision-form"' in page
    r = client.post(f"/estimates/{eid}/decision",
                    data={"csrf": csrf, "decision": "approved", "protocol": "GKZ 12",
                          "date": "2021-06-01", "commission": "State Reserves Commission"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[-1500:]
    lines = Ledger(engine_of(client)).balance(dt.date(2021, 6, 2), deposit="Golden Hill")
    assert [(b.category, b.group, b.ore, b.metal) for b in lines] == [
        ("C1", "balance", pytest.approx(2000.0), pytest.approx(3.0))]
    # the deposit page and the yearly report of 2021 show it (start 2 kg, end 3 kg)
    html = client.get(f"/deposits/{seeded['golden']}").text
    assert 'data-metal="3.0"' in html and "GKZ 12" in html
    html = client.get("/reports/yearly?year=2021&by=deposit").text
    ends = re.findall(r'data-end-metal="([^"]+)"', html)
    assert [float(x) for x in ends] == pytest.approx([3.0, 3.0])  # the line and the total
    assert list_audit(engine_of(client))[0]["action"] == "approve_estimate"


@pytest.mark.parametrize("data,field,says", [
    ({"decision": "approved", "protocol": "", "date": "2021-06-01"}, "protocol", "required"),
    ({"decision": "approved", "protocol": "P1", "date": "01/06/2021"}, "date", "not a date"),
    ({"decision": "maybe", "protocol": "P1", "date": "2021-06-01"}, "decision", "choose"),
    ({"decision": "approved", "protocol": "P1", "date": "2021-06-01",
      "commission": "Nobody"}, "commission", "no such organisation"),
])
def test_decision_errors_beside_their_fields_and_nothing_written(client, seeded, data, field,
                                                                 says):
    eid = _submitted(client)
    csrf = login(client, "commission")
    r = client.post(f"/estimates/{eid}/decision", data={"csrf": csrf, **data})
    assert r.status_code == 422
    assert says in (error_beside(r.text, field) or "")
    assert queries.list_estimates(engine_of(client))[0][0]["decision"] == "pending"
    assert len(Ledger(engine_of(client)).movements()) == 1


def test_a_geologist_may_not_approve(client, seeded):
    eid = _submitted(client)
    csrf = login(client, "geologist")
    r = client.post(f"/estimates/{eid}/decision", data={
        "csrf": csrf, "decision": "approved", "protocol": "P", "date": "2021-06-01"})
    assert r.status_code == 403
    assert queries.list_estimates(engine_of(client))[0][0]["decision"] == "pending"


# ------------------------------------------------------------------ movements, closing
def _movement(client, csrf, deposit_id, **fields):
    data = {"csrf": csrf, "commodity": "Au", "category": "C1", "group": "balance",
            "kind": "production", "ore": "100", "metal": "0.2", "document": "form 5-GR",
            "effective_date": "2020-09-01", "cause": ""} | fields
    return client.post(f"/deposits/{deposit_id}/movements/new", data=data,
                       follow_redirects=False)


def test_the_registrar_records_a_movement(client, seeded):
    csrf = login(client, "registrar")
    r = _movement(client, csrf, seeded["golden"])
    assert r.status_code == 303, r.text[-1500:]
    lines = Ledger(engine_of(client)).balance(dt.date(2021, 1, 1), deposit="Golden Hill")
    assert (lines[0].ore, lines[0].metal) == (pytest.approx(900.0), pytest.approx(1.8))
    assert list_audit(engine_of(client))[0]["action"] == "record_movement"


@pytest.mark.parametrize("fields,field,status,says", [
    ({"ore": "lots"}, "ore", 422, "not a number"),
    ({"ore": "-5"}, "ore", 422, "at least 0"),
    ({"ore": "5000", "metal": "1"}, "ore", 409, "ore"),     # more than the balance holds
    ({"commodity": "Xx"}, "commodity", 422, "Xx"),
    ({"effective_date": "2020-13-01"}, "effective_date", 422, "not a date"),
    ({"kind": "writeoff"}, "cause", 422, "required"),
    ({"kind": "theft"}, "kind", 422, "choose"),
    ({"document": "x" * 400}, "document", 422, "at most"),
])
def test_movement_errors_beside_their_fields_and_nothing_written(client, seeded, fields, field,
                                                                 status, says):
    csrf = login(client, "registrar")
    r = _movement(client, csrf, seeded["golden"], **fields)
    assert r.status_code == status, r.text[-1500:]
    assert says in (error_beside(r.text, field) or ""), r.text[-2500:]
    assert len(Ledger(engine_of(client)).movements()) == 1
    assert page_writes(client) == []


def test_movement_csrf_and_roles(client, seeded):
    login(client, "registrar")
    assert _movement(client, "forged", seeded["golden"]).status_code == 403
    csrf = login(client, "commission")
    assert _movement(client, csrf, seeded["golden"]).status_code == 403
    assert len(Ledger(engine_of(client)).movements()) == 1


def test_close_a_year(client, seeded):
    csrf = login(client, "registrar")
    r = client.post("/balance/close", data={"csrf": csrf, "year": "abc"})
    assert r.status_code == 422 and "not a year" in error_beside(r.text, "year")
    r = client.post("/balance/close", data={"csrf": csrf, "year": str(dt.date.today().year)})
    assert r.status_code == 422 and "ended" in error_beside(r.text, "year")
    assert Ledger(engine_of(client)).closed_years() == []
    r = client.post("/balance/close", data={"csrf": csrf, "year": "2020"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert Ledger(engine_of(client)).closed_years() == [2020]
    r = client.post("/balance/close", data={"csrf": csrf, "year": "2020"})
    assert r.status_code == 409 and "already closed" in error_beside(r.text, "year")
    # a movement dated inside a closed year is refused beside the date
    r = _movement(client, csrf, seeded["golden"])
    assert r.status_code == 409 and error_beside(r.text, "effective_date")
    assert page_writes(client) == ["close_year"]


# ------------------------------------------------------------------ reports
def link(html: str, anchor_id: str) -> str:
    m = re.search(rf'href="([^"]+)" id="{anchor_id}"', html)
    assert m, f"no link #{anchor_id}"
    return m.group(1).replace("&amp;", "&")


def test_the_yearly_report_and_its_downloads(client, seeded):
    login(client, "viewer")
    html = client.get("/reports/yearly?year=2020").text
    assert "@media print" not in html and "/static/orebook.css" in html
    # 2020: start 0, exploration +2 kg, end 2 kg, at every level and in the total
    ends = {float(x) for x in re.findall(r'data-end-metal="([^"]+)"', html)}
    assert ends == {2.0}
    # the download links (the API's) give the rows of the page
    html = client.get("/reports/yearly?year=2020&by=deposit&district=Testland/East").text
    r = client.get(link(html, "download-xlsx"))
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    values = [c for row in wb.active.iter_rows(values_only=True) for c in row]
    assert "Golden Hill" in values and 2.0 in values
    r = client.get(link(html, "download-csv"))
    assert r.status_code == 200 and "Golden Hill" in r.text


def test_the_reconciliation_report(client, seeded):
    reg.add_published_total(engine_of(client), commodity="Au", source="press 2021",
                            metal=4.0, unit="Testland/East", as_of_date="2021-01-01")
    login(client, "viewer")
    html = client.get("/reports/reconciliation").text
    row = html.split('id="rec-totals"')[1].split("</tr>")[1]
    assert "press 2021" in row and "4.00" in row and "2.00" in row  # 2 of 4 kg accounted
    assert "50.00" in row
    r = client.get(link(html, "download-xlsx"))
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert len(wb.sheetnames) == 3


# ------------------------------------------------------------------ fuzzing the upload

_CELLS = st.sampled_from(["Golden Hill", "Au", "C1", "balance", "2000", "t", "1.5", "g/t",
                          "3000", "g", "kriging", "2021-01-01", "x", "", "-1", "nan", "1e308",
                          "\"", "Zolotaya Gorka", "P1", "=cmd()", "2021-02-30"])


@st.composite
def record_files(draw):
    kind = draw(st.sampled_from(["csv-cells", "bytes", "json"]))
    if kind == "csv-cells":
        head = record_csv().decode().splitlines()[0]
        if draw(st.booleans()):
            head = ",".join(draw(st.permutations(head.split(","))))
        rows = [",".join(draw(st.lists(_CELLS, min_size=10, max_size=14)))
                for _ in range(draw(st.integers(0, 3)))]
        return "record.csv", "\n".join([head, *rows]).encode()
    if kind == "json":
        body = draw(st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=8),
                                 lambda c: st.lists(c, max_size=3)
                                 | st.dictionaries(st.sampled_from(
                                     ["format", "version", "deposit", "lines", "method",
                                      "effective_date", "parameters_hash", "ore"]), c,
                                     max_size=5), max_leaves=10))
        return "record.json", json.dumps(body).encode()
    return draw(st.sampled_from(["record.csv", "record.json"])), draw(st.binary(max_size=300))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(upload=record_files())
def test_any_uploaded_file_ends_in_an_estimate_or_an_error_beside_the_field(client, seeded,
                                                                            upload):
    """Never a 500 (TestClient re-raises server exceptions), never a half-written estimate:
    either the estimate is there, complete, or nothing was added."""
    if not client.cookies.get("orebook_session"):
        client.app.state.fuzz_csrf = login(client, "geologist")
    name, data = upload
    before = queries.list_estimates(engine_of(client))[1]
    r = _upload(client, client.app.state.fuzz_csrf, data, name)
    after = queries.list_estimates(engine_of(client))[1]
    if r.status_code == 303:
        assert after == before + 1
        assert queries.list_estimates(engine_of(client))[0][0]["lines"]
    else:
        assert r.status_code in (404, 409, 422), r.text[-1000:]
        assert after == before
        assert name in error_beside(r.text, "record")  # the message names the file
