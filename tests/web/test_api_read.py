"""The read endpoints of the balance API: values worked out by hand from the registry of
``test_api_setup`` (see its docstring), pages, the ETag, downloads read back."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from test_api_setup import api, api_template, assert_error, registry_template  # noqa: F401

READS = ["/api/deposits", "/api/deposits/{gh}", "/api/deposits/{gh}/movements",
         "/api/deposits/{gh}/history", "/api/districts", "/api/estimates",
         "/api/balance", "/api/reports/yearly?year=2020", "/api/reports/totals",
         "/api/reconciliation"]


def get(api, url, role="viewer", headers=None):
    return api.client.get(url.format(**api.ids), headers=api.auth(role) | (headers or {}))


@pytest.mark.parametrize("url", READS)
def test_every_read_needs_a_signed_in_caller(api, url):
    assert_error(api.client.get(url.format(**api.ids)), 401)
    for role in ("viewer", "geologist", "commission", "registrar", "admin"):
        assert get(api, url, role).status_code == 200, (url, role)


def test_public_read_mode_lets_anonymous_visitors_read(api):
    api.client.app.state.settings = type(api.client.app.state.settings)(
        db_url="sqlite://", secret_key="s" * 40, public_read=True)
    assert api.client.get("/api/deposits").status_code == 200
    assert_error(api.client.post("/api/years/2020/close"), 401)


def test_deposits_search_filters_and_pages(api):
    body = get(api, "/api/deposits").json()
    assert (body["total"], body["offset"], body["limit"]) == (2, 0, 50)
    assert [d["name"] for d in body["items"]] == ["Copper Vale", "Golden Hill"]
    gh = body["items"][1]
    assert gh == {"id": api.ids["gh"], "name": "Golden Hill", "district": "Testland/East/Hill",
                  "status": "developed", "fund": "distributed", "deposit_type": "vein",
                  "longitude_deg": 46.1, "latitude_deg": 40.2, "commodities": ["Au"]}
    names = lambda r: [d["name"] for d in r.json()["items"]]
    assert names(get(api, "/api/deposits?q=ZOLOT")) == ["Golden Hill"]
    assert names(get(api, "/api/deposits?district=Testland/East/Vale")) == ["Copper Vale"]
    assert names(get(api, "/api/deposits?district=Testland")) == ["Copper Vale", "Golden Hill"]
    assert names(get(api, "/api/deposits?commodity=cu")) == ["Copper Vale"]
    assert names(get(api, "/api/deposits?status=developed")) == ["Golden Hill"]
    assert names(get(api, "/api/deposits?q=%25")) == []
    # pages: the edges
    r = get(api, "/api/deposits?offset=1&limit=1").json()
    assert ([d["name"] for d in r["items"]], r["total"], r["offset"], r["limit"]) == (
        ["Golden Hill"], 2, 1, 1)
    assert get(api, "/api/deposits?offset=2").json()["items"] == []
    assert get(api, "/api/deposits?limit=500").json()["limit"] == 500
    assert_error(get(api, "/api/deposits?limit=501"), 422, "limit")
    assert_error(get(api, "/api/deposits?limit=0"), 422, "limit")
    assert_error(get(api, "/api/deposits?offset=-1"), 422, "offset")
    assert_error(get(api, "/api/deposits?limit=ten"), 422, "limit")
    assert_error(get(api, "/api/deposits?status=mined"), 422, "status")
    assert_error(get(api, "/api/deposits?q=" + "x" * 201), 422, "q")
    assert_error(get(api, "/api/deposits?district=Atlantis"), 404)
    assert_error(get(api, "/api/deposits?commodity=Zn"), 404)


def test_deposit_detail_has_the_version_as_etag(api):
    r = get(api, "/api/deposits/{gh}")
    body = r.json()
    assert r.headers["etag"] == f'"{body["version"]}"'
    assert (body["name"], body["aliases"], body["district"]) == (
        "Golden Hill", ["Zolotaya Gora"], "Testland/East/Hill")
    (est,) = body["estimates"]
    assert (est["id"], est["decision"], est["effective_date"]) == (
        api.ids["e1"], "pending", "2021-01-01")
    assert est["lines"][0] == {"commodity": "Au", "category": "C1", "group": "balance",
                               "ore": 1200.0, "metal": 6.0, "ore_unit": "t",
                               "metal_unit": "kg"}
    again = get(api, "/api/deposits/{gh}", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert_error(get(api, "/api/deposits/99999"), 404)
    assert_error(get(api, "/api/deposits/abc"), 422, "deposit_id")


def test_movements_and_history(api):
    r = get(api, "/api/deposits/{gh}/movements").json()
    assert r["total"] == 2
    assert [(m["kind"], m["ore"], m["metal"], m["effective_date"]) for m in r["items"]] == [
        ("exploration", 1000.0, 5.0, "2019-03-01"), ("production", -100.0, -0.5, "2020-06-01")]
    assert get(api, "/api/deposits/{gh}/movements?limit=1&offset=1").json()["items"][0][
        "kind"] == "production"
    assert get(api, "/api/deposits/{gh}/movements?commodity=Cu").json()["total"] == 0
    assert_error(get(api, "/api/deposits/{gh}/movements?commodity=Zn"), 404, "commodity")
    assert_error(get(api, "/api/deposits/99999/movements"), 404)
    h = get(api, "/api/deposits/{gh}/history").json()["items"]
    by_date = {i["as_of"]: (i["ore"], i["metal"]) for i in h}
    # 1 Jan 2019: nothing yet; 2020: +1000 / 5; 2021: −100 / 0.5 more
    assert by_date["2019-01-01"] == (0.0, 0.0)
    assert by_date["2020-01-01"] == (1000.0, 5.0)
    assert by_date["2021-01-01"] == (900.0, 4.5)
    assert_error(get(api, "/api/deposits/99999/history"), 404)


def test_districts_and_estimates(api):
    d = {u["path"]: u["deposits"] for u in get(api, "/api/districts").json()["items"]}
    assert d == {"Testland": 2, "Testland/East": 2, "Testland/East/Hill": 1,
                 "Testland/East/Vale": 1}
    assert get(api, "/api/districts?limit=1").json()["total"] == 4
    e = get(api, "/api/estimates").json()
    assert (e["total"], e["items"][0]["id"], e["items"][0]["deposit"]) == (
        1, api.ids["e1"], "Golden Hill")
    assert get(api, "/api/estimates?decision=approved").json()["total"] == 0
    assert get(api, "/api/estimates?decision=pending").json()["total"] == 1
    assert get(api, f"/api/estimates?deposit={api.ids['cv']}").json()["total"] == 0
    assert_error(get(api, "/api/estimates?decision=maybe"), 422, "decision")
    assert_error(get(api, "/api/estimates?deposit=99999"), 404)


def test_balance_as_at_a_date(api):
    b = get(api, "/api/balance?as_of=2020-01-01").json()
    # before the production of 2020-06-01 and the copper of 2020-02-02
    assert [(i["deposit"], i["ore"], i["metal"]) for i in b["items"]] == [
        ("Golden Hill", 1000.0, 5.0)]
    assert b["as_of"] == "2020-01-01"
    one = get(api, "/api/balance?as_of=2021-01-01&deposit=zolotaya gora").json()["items"]
    assert [(i["deposit"], i["ore"]) for i in one] == [("Golden Hill", 900.0)]
    assert get(api, "/api/balance?as_of=2021-01-01&commodity=Cu").json()["total"] == 1
    assert_error(get(api, "/api/balance?as_of=2021-13-01"), 422, "as_of")
    assert_error(get(api, "/api/balance?deposit=Atlantis"), 404, "deposit")
    assert_error(get(api, "/api/balance?commodity=Zn"), 404, "commodity")


def _csv(r) -> list[dict]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("true", "1")


def test_yearly_report_as_json_csv_and_xlsx(api):
    body = get(api, "/api/reports/yearly?year=2020").json()
    rows = [r for r in body["items"] if not r["total"]]
    gh = next(r for r in rows if r["deposit"] == "Golden Hill")
    # 2020: start 1000 / 5, production −100 / −0.5, end 900 / 4.5
    assert (gh["start_ore"], gh["production_ore"], gh["end_ore"]) == (1000.0, -100.0, 900.0)
    assert (gh["start_metal"], gh["end_metal"]) == (5.0, 4.5)
    assert "2020" in body["title"]
    rows = _csv(get(api, "/api/reports/yearly?year=2020&format=csv"))
    au_total = next(r for r in rows if _truthy(r["total"]) and r["commodity"] == "Au")
    assert float(au_total["end_ore"]) == 900.0 and float(au_total["production_metal"]) == -0.5
    cu = next(r for r in rows if not _truthy(r["total"]) and r["commodity"] == "Cu")
    assert float(cu["exploration_ore"]) == 5000.0 and float(cu["end_metal"]) == 25.0
    r = get(api, "/api/reports/yearly?year=2020&format=xlsx&commodity=Au")
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="yearly-2020.xlsx"' in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[5]]
    end_ore = next(i for i, h in enumerate(header) if h and "end" in h.lower()
                   and h.lower().startswith("ore"))
    values = [row[end_ore] for row in ws.iter_rows(min_row=6, values_only=True)
              if isinstance(row[end_ore], (int, float))]
    assert values and max(values) == 900.0
    assert_error(get(api, "/api/reports/yearly"), 422, "year")
    assert_error(get(api, "/api/reports/yearly?year=2020&format=pdf"), 422, "format")
    assert_error(get(api, "/api/reports/yearly?year=2020&by=colour"), 422)


def test_totals_report_as_json_csv_and_xlsx(api):
    url = "/api/reports/totals?as_of=2021-01-01&by=commodity,category"
    items = get(api, url).json()["items"]
    got = {(i["commodity"], i["category"]): (i["ore"], i["metal"]) for i in items
           if not i["total"]}
    assert got == {("Au", "C1"): (900.0, 4.5), ("Cu", "B"): (5000.0, 25.0)}
    rows = _csv(get(api, url + "&format=csv"))
    total = {r["commodity"]: float(r["metal"]) for r in rows if _truthy(r["total"])}
    assert total == {"Au": 4.5, "Cu": 25.0}
    r = get(api, url + "&format=xlsx&commodity=Au")
    assert 'filename="totals-2021-01-01.xlsx"' in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[5]]
    metal = next(i for i, h in enumerate(header) if h and h.lower().startswith("metal"))
    assert "kg" in header[metal]
    figures = [row[metal] for row in ws.iter_rows(min_row=6, values_only=True)
               if isinstance(row[metal], (int, float))]
    assert figures == [4.5, 4.5]  # the C1 line and the Au total
    unfc = get(api, url + "&system=unfc").json()["items"]
    assert {i["category"] for i in unfc if not i["total"]} <= {"112", "222", "unmapped",
                                                                  "111", "221"}
    assert_error(get(api, url + "&system=jorc"), 422, "system")
    assert_error(get(api, "/api/reports/totals?as_of=yesterday"), 422, "as_of")


def test_reconciliation_as_json_csv_and_xlsx(api):
    body = get(api, "/api/reconciliation").json()
    (t,) = body["totals"]
    # Press 2021: 4.5 kg of Au for Testland; the records hold 4.5 kg (Golden Hill) then
    assert (t["unit"], t["commodity"], t["quoted"]) == ("Testland", "Au", 4.5)
    assert t["records"] == pytest.approx(4.5)
    rows = _csv(get(api, "/api/reconciliation?format=csv"))
    assert [float(r["quoted"]) for r in rows] == [4.5]
    rows = _csv(get(api, "/api/reconciliation?format=csv&table=contributions"))
    assert {r["deposit"] for r in rows} >= {"Golden Hill"}
    r = get(api, "/api/reconciliation?format=xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["totals", "contributions", "disagreements"]
    assert_error(get(api, "/api/reconciliation?unit=Atlantis"), 404)


@pytest.mark.parametrize("attack", ["'; DROP TABLE deposits; --", "<script>alert(1)</script>",
                                    "%' OR '1'='1", "\x00"])
def test_attacks_in_query_parameters_find_nothing_and_change_nothing(api, attack):
    before = api.counts()
    for param in ("q", "district", "commodity", "status"):
        r = api.client.get("/api/deposits", params={param: attack}, headers=api.auth("viewer"))
        assert r.status_code in (200, 404, 422), r.text
        if r.status_code == 200:
            assert r.json()["items"] == []
        else:
            assert_error(r, r.status_code)
    for url in ("/api/balance", "/api/reports/totals", "/api/reconciliation"):
        for param in ("deposit", "commodity", "district", "unit"):
            r = api.client.get(url, params={param: attack}, headers=api.auth("viewer"))
            assert r.status_code < 500, (url, param, r.text)
            if r.status_code >= 400:
                assert_error(r, r.status_code)
    assert api.counts() == before
