"""The write endpoints of the balance API: who may call each (role × action), what each
writes (and records in the audit log), bad input refused with nothing written, and the
ETag / If-Match flow that keeps two editors from overwriting each other."""

from __future__ import annotations

import json

import pytest
from helpers_web import login
from test_api_setup import (  # noqa: F401 (fixtures)
    api,
    api_template,
    assert_error,
    registry_template,
)

from orebook.balance import Ledger
from orebook.balance.accounts import ROLES, list_audit

RECORD = {"format": "orebook-estimate-record", "version": 1, "deposit": "Copper Vale",
          "method": "ordinary kriging", "effective_date": "2021-01-01",
          "parameters_hash": "sha256:cv", "author": "B. Geologist", "document": "report 9",
          "lines": [{"commodity": "Cu", "category": "B", "group": "off-balance", "ore": 6000.0,
                     "ore_unit": "t", "grade": 0.5, "grade_unit": "%", "metal": 30.0,
                     "metal_unit": "t"}]}

#: who may take each write, as docs/web.md states it (not read from the code's table)
MAY = {"submit": {"geologist"}, "approve": {"commission"}, "reject": {"commission"},
       "movement": {"registrar"}, "correct": {"registrar"}, "close": {"registrar"},
       "patch": {"registrar"}}


def _movement_id(api, deposit="Copper Vale") -> int:
    return Ledger(api.engine).movements(deposit=deposit)[0].id


def _version(api) -> str:
    return api.client.get(f"/api/deposits/{api.ids['gh']}",
                          headers=api.auth("viewer")).json()["version"]


def call(api, action: str, role: str | None, **over):
    """Make the write ``action`` as ``role`` (None: anonymous) with a valid body."""
    h = api.auth(role)
    c, ids = api.client, api.ids
    if action == "submit":
        return c.post("/api/estimates", json=over.get("body", RECORD), headers=h)
    if action == "approve":
        return c.post(f"/api/estimates/{ids['e1']}/approve", headers=h,
                      json=over.get("body", {"protocol": "P-1", "date": "2021-03-01"}))
    if action == "reject":
        return c.post(f"/api/estimates/{ids['e1']}/reject", headers=h,
                      json=over.get("body", {"protocol": "P-2", "date": "2021-03-01"}))
    if action == "movement":
        body = {"deposit": "Golden Hill", "commodity": "Au", "kind": "production",
                "category": "C1", "group": "balance", "ore": 10, "metal": 0.05,
                "effective_date": "2021-02-01", "document": "form 5-gr"}
        return c.post("/api/movements", json=body | over.get("body", {}), headers=h)
    if action == "correct":
        return c.post(f"/api/movements/{_movement_id(api)}/correct", headers=h,
                      json=over.get("body", {"document": "fix 1"}))
    if action == "close":
        return c.post("/api/years/2019/close", headers=h)
    if action == "patch":
        return c.patch(f"/api/deposits/{ids['gh']}", headers=h | {"If-Match": _version(api)},
                       json=over.get("body", {"status": "conserved"}))
    raise AssertionError(action)


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("action", list(MAY))
def test_role_by_action(api, action, role):
    before = api.counts()
    r = call(api, action, role)
    if role is None:
        assert_error(r, 401)
    elif role in MAY[action]:
        assert 200 <= r.status_code < 300, (action, role, r.text)
        assert api.counts()["audit_log"] == before["audit_log"] + 1
        entry = list_audit(api.engine, limit=1)[0]
        assert entry["username"] == role
        return
    else:
        assert_error(r, 403)
    assert api.counts() == before


def test_submit_then_approve_changes_the_balance(api):
    r = call(api, "submit", "geologist")
    assert r.status_code == 201, r.text
    est = r.json()
    assert (est["deposit"], est["decision"], est["lines"][0]["ore"]) == (
        "Copper Vale", "pending", 6000.0)
    assert_error(call(api, "submit", "geologist"), 409)  # the same record twice
    r = api.client.post(f"/api/estimates/{est['id']}/approve", headers=api.auth("commission"),
                        json={"protocol": "P-9", "date": "2021-03-01"})
    assert r.status_code == 200, r.text
    assert len(r.json()["movements"]) == 1  # B off-balance 5000 -> 6000 t: one movement
    b = api.client.get("/api/balance?as_of=2021-03-02&commodity=Cu",
                       headers=api.auth("viewer")).json()["items"]
    assert [(i["ore"], i["metal"]) for i in b] == [(6000.0, 30.0)]
    assert_error(api.client.post(f"/api/estimates/{est['id']}/approve",
                                 headers=api.auth("commission"),
                                 json={"protocol": "P-10", "date": "2021-03-05"}), 409)
    actions = [(a["username"], a["action"], a["target"]) for a in list_audit(api.engine)]
    assert actions[:2] == [("commission", "approve_estimate", f"estimate {est['id']}"),
                           ("geologist", "submit_estimate", f"estimate {est['id']}")]


def test_submit_as_an_uploaded_file(api):
    h = api.auth("geologist")
    files = {"file": ("cv.json", json.dumps(RECORD).encode(), "application/json")}
    r = api.client.post("/api/estimates", files=files, headers=h)
    assert r.status_code == 201, r.text
    header = "deposit,commodity,category,group,ore,ore_unit,grade,grade_unit,metal,metal_unit," \
             "method,effective_date,parameters_hash\n"
    row = "Golden Hill,Au,C2,balance,100,t,2,g/t,0.2,kg,blocks,2021-01-01,sha256:csv\n"
    r = api.client.post("/api/estimates", headers=h,
                        files={"file": ("gh.csv", (header + row).encode(), "text/csv")})
    assert r.status_code == 201, r.text
    assert r.json()["lines"][0]["metal"] == pytest.approx(0.2)
    before = api.counts()
    bad_row = row.replace(",2,g/t,0.2,", ",2,g/t,5.0,").replace("sha256:csv", "sha256:x")
    body = assert_error(api.client.post("/api/estimates", headers=h, files={
        "file": ("bad.csv", (header + bad_row).encode(), "text/csv")}), 422)
    assert body["message"].startswith("bad.csv, row 2")  # the upload named, not a temp file
    assert_error(api.client.post("/api/estimates", headers=h, files={
        "file": ("r.txt", b"{}", "text/plain")}), 422, "file")
    assert_error(api.client.post("/api/estimates", headers=h, files={
        "other": ("r.json", b"{}", "application/json")}), 422, "file")
    assert_error(api.client.post("/api/estimates", headers=h, content=b"x",
                                 ), 415, "file")
    unknown = dict(RECORD, deposit="Atlantis", parameters_hash="sha256:a")
    assert_error(api.client.post("/api/estimates", headers=h, json=unknown), 422, "deposit")
    line = dict(RECORD["lines"][0], commodity="Zn")
    assert_error(api.client.post("/api/estimates", headers=h,
                                 json=dict(RECORD, lines=[line], parameters_hash="sha256:z")),
                 422, "commodity")
    assert api.counts() == before


def test_upload_size_is_limited(api):
    limit = api.client.app.state.settings.max_upload_bytes
    big = b'{"pad": "' + b"x" * limit + b'"}'
    before = api.counts()
    h = api.auth("geologist")
    assert_error(api.client.post("/api/estimates", headers=h,
                                 files={"file": ("big.json", big, "application/json")}), 413)
    assert_error(api.client.post("/api/estimates", content=big,
                                 headers=h | {"Content-Type": "application/json"}), 413)
    # no Content-Length (a chunked body): still cut off at the limit
    chunks = (big[i:i + 65536] for i in range(0, len(big), 65536))
    assert_error(api.client.post("/api/estimates", content=chunks,
                                 headers=h | {"Content-Type": "application/json"}), 413)
    # a broken form is a 4xx too
    r = api.client.post("/api/estimates", content=b"--x\r\nnonsense",
                        headers=h | {"Content-Type": "multipart/form-data; boundary=x"})
    assert 400 <= r.status_code < 500 and set(r.json()) == {"status", "message", "field"}
    assert api.counts() == before


def test_movements_transfers_corrections_and_closing(api):
    h = api.auth("registrar")
    r = api.client.post("/api/movements", headers=h, json={
        "deposit": api.ids["gh"], "commodity": "Au", "kind": "transfer",
        "source": {"category": "C1", "group": "balance"},
        "target": {"category": "C1", "group": "off-balance"},
        "ore": 100, "metal": 0.5, "effective_date": "2021-02-01", "document": "protocol 3"})
    assert r.status_code == 201, r.text
    legs = r.json()["ids"]
    assert len(legs) == 2
    bal = api.client.get("/api/balance?as_of=2021-03-01&deposit=Golden Hill",
                         headers=h).json()["items"]
    assert {(i["group"], i["ore"], i["metal"]) for i in bal} == {
        ("balance", 800.0, 4.0), ("off-balance", 100.0, 0.5)}
    r = api.client.post(f"/api/movements/{legs[0]}/correct", headers=h,
                        json={"document": "fix 2"})
    assert r.status_code == 201 and len(r.json()["ids"]) == 2
    assert_error(api.client.post(f"/api/movements/{legs[0]}/correct", headers=h,
                                 json={"document": "fix 3"}), 409)
    assert_error(api.client.post("/api/movements/99999/correct", headers=h,
                                 json={"document": "fix"}), 404)
    # more than there is: the ledger refuses, 409, nothing written
    before = api.counts()
    r = call(api, "movement", "registrar", body={"ore": 5000, "metal": 1})
    assert "below zero" in assert_error(r, 409)["message"]
    assert api.counts() == before
    assert api.client.post("/api/years/2019/close", headers=h).status_code == 200
    assert_error(api.client.post("/api/years/2021/close", headers=h), 409)  # 2020 first
    assert api.client.post("/api/years/2020/close", headers=h).status_code == 200
    assert_error(api.client.post("/api/years/2020/close", headers=h), 409)
    r = call(api, "movement", "registrar", body={"effective_date": "2020-12-31"})
    assert "closed year" in assert_error(r, 409)["message"]


TEXT_ATTACKS = ["'; DROP TABLE deposits; --", "<script>alert(1)</script>",
                "Robert\"); DELETE FROM movements; --", "x" * 5000, "\x00"]


def _stored_text(api, action, r) -> list[str]:
    """The texts of the record a write made, read back."""
    if action in ("movement", "correct"):
        ids = set(r.json()["ids"])
        texts = []
        for dep in ("gh", "cv"):
            got = api.client.get(f"/api/deposits/{api.ids[dep]}/movements",
                                 headers=api.auth("viewer")).json()["items"]
            texts += [t for m in got if m["id"] in ids for t in (m["document"], m["cause"])]
        return texts
    return [v for v in r.json().values() if isinstance(v, str)]


@pytest.mark.parametrize("attack", TEXT_ATTACKS)
def test_attacks_in_text_fields_write_nothing_or_exactly_the_text(api, attack):
    """A name that must match the registry (deposit, commodity, kind, category) is refused;
    a free text (document, cause, protocol) is refused when too long and otherwise stored
    as it is: the queries are parameterised, so it stays text."""
    bodies = [("movement", {"deposit": attack}), ("movement", {"commodity": attack}),
              ("movement", {"kind": attack}), ("movement", {"category": attack}),
              ("movement", {"group": attack}), ("movement", {"document": attack}),
              ("movement", {"cause": attack}),
              ("approve", {"body": {"protocol": attack, "date": "2021-03-01"}}),
              ("approve", {"body": {"protocol": "P", "date": attack}}),
              ("approve", {"body": {"protocol": "P", "date": "2021-03-01",
                                    "commission": attack}}),
              ("submit", {"body": dict(RECORD, method=attack, parameters_hash="sha256:m")}),
              ("submit", {"body": dict(RECORD, author=attack, parameters_hash="sha256:a")}),
              ("patch", {"body": {"deposit_type": attack}}),
              ("patch", {"body": {"status": attack}}),
              ("correct", {"body": {"document": attack}})]
    role = {"movement": "registrar", "approve": "commission", "submit": "geologist",
            "patch": "registrar", "correct": "registrar"}
    for action, over in bodies:
        if action == "movement":
            over = {"body": over}
        before = api.counts()
        r = call(api, action, role[action], **over)
        assert r.status_code < 500, (action, over, r.text)
        if r.status_code >= 400:
            assert_error(r, r.status_code)
            assert api.counts() == before, (action, over)
        else:
            assert api.counts()["deposits"] == 2
            assert attack in _stored_text(api, action, r), (action, over)
    assert api.counts()["deposits"] == 2


@pytest.mark.parametrize("body, field", [
    ({"ore": "lots"}, "ore"), ({"metal": None}, "metal"), ({"ore": float("inf")}, None),
    ({"effective_date": "2021-02-30"}, "effective_date"), ({"category": "P1"}, "category"),
    ({"kind": "approval"}, "kind"), ({"document": ""}, "document"),
    ({"document": "d" * 301}, "document"), ({"extra": 1}, "extra"),
    ({"deposit": "Atlantis"}, "deposit"), ({"deposit": 99999}, "deposit"),
    ({"commodity": "Zn"}, "commodity"), ({"ore": -5}, "ore"),
    ({"kind": "writeoff", "cause": None}, "cause"),
    ({"kind": "transfer"}, "source"), ({"category": None}, "category"),
])
def test_bad_movements_are_422_and_write_nothing(api, body, field):
    before = api.counts()
    if body == {"ore": float("inf")}:
        r = api.client.post("/api/movements", headers=api.auth("registrar"),
                            content=b'{"deposit": "Golden Hill", "commodity": "Au", '
                                    b'"kind": "production", "category": "C1", "group": '
                                    b'"balance", "ore": 1e999, "metal": 0, "effective_date": '
                                    b'"2021-02-01", "document": "d"}',
                            )
        assert_error(r, 422)
    else:
        assert_error(call(api, "movement", "registrar", body=body), 422, field)
    assert api.counts() == before


@pytest.mark.parametrize("url, body, status", [
    ("/api/estimates/99999/approve", {"protocol": "P", "date": "2021-01-01"}, 404),
    ("/api/estimates/abc/approve", {"protocol": "P", "date": "2021-01-01"}, 422),
    ("/api/estimates/{e1}/approve", {"protocol": "", "date": "2021-01-01"}, 422),
    ("/api/estimates/{e1}/approve", {"protocol": "P", "date": "soon"}, 422),
    ("/api/estimates/{e1}/approve", {"protocol": "P" * 101, "date": "2021-01-01"}, 422),
    ("/api/estimates/{e1}/approve", {"protocol": "P", "date": "2021-01-01",
                                     "commission": "Nobody"}, 422),
    ("/api/estimates/{e1}/reject", {"protocol": "P", "date": "2021-01-01",
                                    "decision": "approved"}, 422),
    ("/api/estimates/{e1}/approve", [1, 2], 422),
])
def test_bad_decisions_write_nothing(api, url, body, status):
    before = api.counts()
    assert_error(api.client.post(url.format(**api.ids), json=body,
                                 headers=api.auth("commission")), status)
    assert api.counts() == before


def test_writes_with_a_session_cookie_need_the_csrf_token(api):
    csrf = login(api.client, "registrar")
    body = {"deposit": "Golden Hill", "commodity": "Au", "kind": "production",
            "category": "C1", "group": "balance", "ore": 1, "metal": 0.005,
            "effective_date": "2021-02-01", "document": "form"}
    before = api.counts()
    assert_error(api.client.post("/api/movements", json=body), 403)
    assert api.counts() == before
    r = api.client.post("/api/movements", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text


def test_two_editors_cannot_overwrite_each_other(api):
    url = f"/api/deposits/{api.ids['gh']}"
    h = api.auth("registrar")
    tag_a = api.client.get(url, headers=h).headers["etag"]
    tag_b = api.client.get(url, headers=h).headers["etag"]
    assert tag_a == tag_b
    r = api.client.patch(url, headers=h | {"If-Match": tag_a}, json={"status": "conserved"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "conserved"
    new_tag = r.headers["etag"]
    assert new_tag != tag_a and new_tag == f'"{r.json()["version"]}"'
    before = api.counts()
    body = assert_error(api.client.patch(url, headers=h | {"If-Match": tag_b},
                                         json={"fund": "undistributed"}), 412, "If-Match")
    assert "changed" in body["message"]
    assert_error(api.client.patch(url, headers=h, json={"fund": "undistributed"}), 428)
    assert_error(api.client.patch(url, headers=h | {"If-Match": "*"},
                                  json={"fund": "undistributed"}), 412)
    assert api.counts() == before
    now = api.client.get(url, headers=h).json()
    assert (now["status"], now["fund"]) == ("conserved", "distributed")
    # the second editor reads again and then succeeds
    r = api.client.patch(url, headers=h | {"If-Match": new_tag},
                         json={"fund": "undistributed", "latitude_deg": -12.5})
    assert r.status_code == 200 and (r.json()["fund"], r.json()["latitude_deg"]) == (
        "undistributed", -12.5)
    entries = [e for e in list_audit(api.engine) if e["action"] == "update_deposit"]
    assert len(entries) == 2 and all(e["username"] == "registrar" for e in entries)
    assert "conserved" in entries[1]["detail"]


@pytest.mark.parametrize("body, status", [
    ({"status": "mined"}, 422), ({"latitude_deg": 91}, 422), ({"longitude_deg": "east"}, 422),
    ({"name": "New name"}, 422), ({}, 422), ({"status": None}, 422),
    ({"deposit_type": "t" * 101}, 422),
])
def test_bad_deposit_changes_write_nothing(api, body, status):
    before, version = api.counts(), _version(api)
    assert_error(call(api, "patch", "registrar", body=body), status)
    assert api.counts() == before and _version(api) == version


def test_patch_of_an_unknown_deposit_is_404(api):
    assert_error(api.client.patch("/api/deposits/99999", json={"status": "reserve"},
                                  headers=api.auth("registrar") | {"If-Match": '"x"'}), 404)
