"""Load test of the balance service (issue 7): readers of district reports and writers of
movements against one server process, then a check that nothing was lost.

One ``orebook serve`` process (uvicorn, one worker) on 127.0.0.1 over a registry of
``--districts`` districts × ``--deposits`` deposits of gold (each opened with an exploration
gain of 1,000,000 t / 3,000 kg in C1). For ``--seconds`` (after ``--warmup`` seconds that are
not counted):

- ``--readers`` clients (one keep-alive connection each, no pause between requests) ask in a
  loop for a district report,
  ``GET /api/reports/totals?by=district,commodity,category&district=<one district>``;
- ``--writers`` clients record productions of 10 t / 0.03 kg on random deposits,
  ``POST /api/movements`` with a registrar's API token.

The clients are coroutines of one asyncio loop speaking HTTP/1.1 over raw sockets: on a
two-core machine fifty-five ``http.client`` threads took half a core and, fighting over the
interpreter lock, added their own queueing to the latencies they measured.

Then: every answer was 2xx (no error), the movements in the registry are exactly the seeded
ones plus every accepted write (no lost movement), every line's balance equals its opening less
the productions written to it and is not below zero (the invariants hold), and each district's
report asked with ``Cache-Control: no-cache`` equals the ledger (and so does a plain one
``--lag`` seconds after the last write: the service's report lag). Printed: reads and writes
per second, the reads' latency percentiles (target p99 < 200 ms).

Run: ``.venv/bin/python benchmarks/web_load.py [--backend postgresql|sqlite] [--seconds 60]
[--lag S]`` (PostgreSQL: a throwaway server as in ``benchmarks/balance.py``, or
``--postgres URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OPEN_ORE, OPEN_METAL = 1_000_000.0, 3_000.0
TAKE_ORE, TAKE_METAL = 10.0, 0.03
SECRET = "load-test-secret-key-0123456789abcdef"


def seed(url: str, districts: int, deposits: int) -> dict:
    """A registry with the deposits opened (and the district of each), a registrar's and a
    viewer's API tokens."""
    from orebook.balance import Ledger, engine_from_url, upgrade
    from orebook.balance import registry as reg
    from orebook.balance.accounts import create_api_token, create_user

    upgrade(url)
    engine = engine_from_url(url)
    try:
        reg.add_commodity(engine, "Au", "gold", ore_unit="t", component_unit="kg",
                          grade_unit="g/t")
        ledger = Ledger(engine)
        names, district_of = [], {}
        for d in range(districts):
            path = f"Loadland/Region {d % 3}/District {d}"
            reg.add_admin_unit(engine, path, ["country", "region", "district"])
            for k in range(deposits):
                name = f"D{d:02d}-{k:03d}"
                reg.add_deposit(engine, name, district=path, status="developed",
                                fund="distributed")
                ledger.record(name, "Au", "C1", "balance", "exploration", ore=OPEN_ORE,
                              metal=OPEN_METAL, document="opening", effective_date=dt.date(2025, 1, 1))
                names.append(name)
                district_of[name] = f"District {d}"
        writer = create_user(engine, "registrar", "correct horse battery", "registrar")
        viewer = create_user(engine, "viewer", "correct horse battery", "viewer")
        wtoken, _ = create_api_token(engine, writer.id, "load writer")
        rtoken, _ = create_api_token(engine, viewer.id, "load reader")
    finally:
        engine.dispose()
    return {"deposits": names, "districts": [f"District {d}" for d in range(districts)],
            "district_of": district_of, "writer": wtoken, "reader": rtoken}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(url: str, lag_s: float | None = None):
    """``orebook serve`` on a free port; yields the port."""
    port = _free_port()
    exe = Path(sys.executable).with_name("orebook")
    env = dict(os.environ, OREBOOK_SECRET_KEY=SECRET)
    if lag_s is not None:
        env["OREBOOK_REPORT_LAG_S"] = str(lag_s)
    proc = subprocess.Popen([str(exe), "serve", "--db", url, "--port", str(port),
                             "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/api/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start: " + proc.stderr.read().decode()[-2000:])
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def _exchange(reader, writer, request: bytes) -> tuple[int, bytes]:
    """Send one HTTP/1.1 request on a kept-alive connection; the status and the body."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return int(head[9:12]), await reader.readexactly(length)


def _report_path(district: str) -> str:
    return ("/api/reports/totals?by=district,commodity,category&as_of=2026-06-01&district="
            + district.replace(" ", "%20"))


def _request(method: str, path: str, token: str, body: bytes = b"",
             extra: str = "") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}"
            f"\r\n{extra}")
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def _load(port: int, s: dict, *, seconds: float, warmup: float, readers: int,
                writers: int, rng_seed: int) -> dict:
    """The readers and writers for ``warmup + seconds``; latencies of reads that started
    after the warm-up and ended before the end."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    counted, stop = start + warmup, start + warmup + seconds
    reads: list[float] = []
    errors: list[str] = []
    written: dict[str, int] = {}
    n_writes = [0]

    async def reader(i: int) -> None:
        r = random.Random(rng_seed * 1000 + i)
        conn = await asyncio.open_connection("127.0.0.1", port)
        try:
            while loop.time() < stop:
                request = _request("GET", _report_path(r.choice(s["districts"])), s["reader"])
                t = loop.time()
                status, body = await _exchange(*conn, request)
                done = loop.time()
                if status != 200:
                    errors.append(f"read {status}: {body[:200]!r}")
                elif t >= counted and done <= stop:
                    reads.append(done - t)
        finally:
            conn[1].close()

    async def writer(i: int) -> None:
        r = random.Random(rng_seed * 2000 + i)
        conn = await asyncio.open_connection("127.0.0.1", port)
        try:
            while loop.time() < stop:
                dep = r.choice(s["deposits"])
                body = json.dumps({"deposit": dep, "commodity": "Au", "kind": "production",
                                   "category": "C1", "group": "balance", "ore": TAKE_ORE,
                                   "metal": TAKE_METAL, "effective_date": "2026-03-01",
                                   "document": f"load {i}"}).encode()
                t = loop.time()
                status, text = await _exchange(*conn, _request("POST", "/api/movements",
                                                               s["writer"], body))
                if status == 201:
                    written[dep] = written.get(dep, 0) + 1
                    n_writes[0] += t >= counted and loop.time() <= stop
                else:
                    errors.append(f"write {status}: {text[:200]!r}")
        finally:
            conn[1].close()

    await asyncio.gather(*(reader(i) for i in range(readers)),
                         *(writer(i) for i in range(writers)))
    return {"reads": reads, "errors": errors, "written": written, "counted_writes": n_writes[0]}


async def _district_reports(port: int, s: dict, *, exact: bool) -> dict[str, tuple]:
    """Each district's own row (ore, metal of C1) as the service reports it."""
    conn = await asyncio.open_connection("127.0.0.1", port)
    out = {}
    try:
        for district in s["districts"]:
            status, body = await _exchange(*conn, _request(
                "GET", _report_path(district), s["reader"],
                extra="Cache-Control: no-cache\r\n" if exact else ""))
            rows = json.loads(body)["items"] if status == 200 else []
            out[district] = next(((row["ore"], row["metal"]) for row in rows
                                  if row["level"] == "district" and row["category"] == "C1"),
                                 (status, body[:100]))
    finally:
        conn[1].close()
    return out


def run_load(url: str, *, seconds: float = 60.0, warmup: float = 3.0, readers: int = 50,
             writers: int = 5, districts: int = 10, deposits: int = 50, rng_seed: int = 1,
             lag_s: float | None = None) -> dict:
    """Seed, serve, load, check; returns the measurements and the checks."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from orebook.balance import Ledger, engine_from_url
    from orebook.balance.schema import Movement
    from orebook.web.settings import Settings

    lag = Settings.report_lag_s if lag_s is None else lag_s
    s = seed(url, districts, deposits)
    with server(url, lag_s) as port:
        t0 = time.monotonic()
        got = asyncio.run(_load(port, s, seconds=seconds, warmup=warmup, readers=readers,
                                writers=writers, rng_seed=rng_seed))
        elapsed = time.monotonic() - t0 - warmup
        exact = asyncio.run(_district_reports(port, s, exact=True))
        time.sleep(lag + 0.2)
        later = asyncio.run(_district_reports(port, s, exact=False))
    written = got["written"]
    # the checks, on the database itself
    engine = engine_from_url(url)
    try:
        with Session(engine) as ses:
            n_movements = ses.scalar(select(func.count()).select_from(Movement))
        lines = {b.deposit: (b.ore, b.metal)
                 for b in Ledger(engine).balance(dt.date(2027, 1, 1)) if b.category == "C1"}
    finally:
        engine.dispose()
    accepted = sum(written.values())
    mismatched = [d for d in s["deposits"]
                  if abs(lines.get(d, (0.0, 0.0))[0] - (OPEN_ORE - TAKE_ORE * written.get(d, 0)))
                  > 1e-6 or abs(lines.get(d, (0.0, 0.0))[1]
                                - (OPEN_METAL - TAKE_METAL * written.get(d, 0))) > 1e-6]
    negative = [d for d, (o, m) in lines.items() if o < 0 or m < 0]
    truth = {}
    for d, district in s["district_of"].items():
        ore, metal = truth.get(district, (0.0, 0.0))
        truth[district] = (ore + lines[d][0], metal + lines[d][1])
    stale = [f"{k} ({when})" for when, seen in (("no-cache", exact), ("after the lag", later))
             for k, v in truth.items()
             if not isinstance(seen[k][0], float) or abs(seen[k][0] - v[0]) > 1e-6
             or abs(seen[k][1] - v[1]) > 1e-6]
    lat = np.array(got["reads"]) if got["reads"] else np.array([np.nan])
    pct = {f"read_p{q}_ms": float(np.percentile(lat, q) * 1e3) for q in (50, 90, 99, 99.9)}
    return {"seconds": round(elapsed, 1), "readers": readers, "writers": writers,
            "report_lag_s": lag, "reads": len(got["reads"]),
            "reads_per_s": len(got["reads"]) / seconds, **pct,
            "read_max_ms": float(np.max(lat) * 1e3),
            "writes": accepted, "writes_per_s": got["counted_writes"] / seconds,
            "errors": got["errors"][:5], "n_errors": len(got["errors"]),
            "movements_expected": len(s["deposits"]) + accepted,
            "movements_found": int(n_movements), "lines_mismatched": mismatched[:5],
            "lines_negative": negative[:5], "reports_stale": stale[:5]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--postgres", default=None, help="URL of an empty PostgreSQL database")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--writers", type=int, default=5)
    ap.add_argument("--lag", type=float, default=None,
                    help="the service's report lag, s (default: its own default)")
    args = ap.parse_args()
    kw = {"seconds": args.seconds, "readers": args.readers, "writers": args.writers,
          "lag_s": args.lag}
    if args.backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="orebook-load-"))
        result = run_load(f"sqlite:///{folder / 'registry.sqlite'}", **kw)
    elif args.postgres:
        result = run_load(args.postgres, **kw)
    else:
        sys.path.insert(0, str(Path(__file__).parent))
        from balance import postgres_server

        with postgres_server() as url:
            result = run_load(url, **kw)
    print(json.dumps(result, indent=2))
    ok = (result["n_errors"] == 0 and result["movements_found"] == result["movements_expected"]
          and not result["lines_mismatched"] and not result["lines_negative"]
          and not result["reports_stale"])
    print(f"{args.backend}, report lag {result['report_lag_s']:g} s: "
          f"{result['reads_per_s']:.0f} district reports/s, p50 {result['read_p50_ms']:.0f} ms, "
          f"p99 {result['read_p99_ms']:.0f} ms (target < 200 ms); {result['writes_per_s']:.1f} "
          f"movements/s; checks {'passed' if ok else 'FAILED'}; machine: {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
