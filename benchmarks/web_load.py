"""Load test of the balance service (issue 7): readers of district reports and writers of
movements against one server process, then a check that nothing was lost.

One ``orebook serve`` process (uvicorn, one worker) on 127.0.0.1 over a registry of
``--districts`` districts × ``--deposits`` deposits of gold (each opened with an exploration
gain of 1,000,000 t / 3,000 kg in C1). For ``--seconds``:

- ``--readers`` clients (threads, one keep-alive connection each) ask in a loop for a district
  report, ``GET /api/reports/totals?by=district,commodity,category&district=<one district>``;
- ``--writers`` clients record productions of 10 t / 0.03 kg on random deposits,
  ``POST /api/movements`` with a registrar's API token.

Then: every answer was 2xx (no error), the movements in the registry are exactly the seeded
ones plus every accepted write (no lost movement), and every line's balance equals its opening
less the productions written to it and is not below zero (the invariants hold). Printed: reads
and writes per second, the reads' median and 99th-percentile latency (target p99 < 200 ms).

Run: ``.venv/bin/python benchmarks/web_load.py [--backend postgresql|sqlite] [--seconds 60]``
(PostgreSQL: a throwaway server as in ``benchmarks/balance.py``, or ``--postgres URL``).
"""

from __future__ import annotations

import argparse
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
import threading
import time
from pathlib import Path

import numpy as np

OPEN_ORE, OPEN_METAL = 1_000_000.0, 3_000.0
TAKE_ORE, TAKE_METAL = 10.0, 0.03
SECRET = "load-test-secret-key-0123456789abcdef"


def seed(url: str, districts: int, deposits: int) -> dict:
    """A registry with the deposits opened, a registrar's and a viewer's API tokens."""
    from orebook.balance import Ledger, engine_from_url, upgrade
    from orebook.balance import registry as reg
    from orebook.balance.accounts import create_api_token, create_user

    upgrade(url)
    engine = engine_from_url(url)
    try:
        reg.add_commodity(engine, "Au", "gold", ore_unit="t", component_unit="kg",
                          grade_unit="g/t")
        ledger = Ledger(engine)
        names = []
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
        writer = create_user(engine, "registrar", "correct horse battery", "registrar")
        viewer = create_user(engine, "viewer", "correct horse battery", "viewer")
        wtoken, _ = create_api_token(engine, writer.id, "load writer")
        rtoken, _ = create_api_token(engine, viewer.id, "load reader")
    finally:
        engine.dispose()
    return {"deposits": names, "districts": [f"District {d}" for d in range(districts)],
            "writer": wtoken, "reader": rtoken}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(url: str):
    """``orebook serve`` on a free port; yields the port."""
    port = _free_port()
    exe = Path(sys.executable).with_name("orebook")
    env = dict(os.environ, OREBOOK_SECRET_KEY=SECRET)
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


def run_load(url: str, *, seconds: float = 60.0, readers: int = 50, writers: int = 5,
             districts: int = 10, deposits: int = 50, rng_seed: int = 1) -> dict:
    """Seed, serve, load, check; returns the measurements and the checks."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from orebook.balance import Ledger, engine_from_url
    from orebook.balance.schema import Movement

    s = seed(url, districts, deposits)
    reads: list[float] = []
    errors: list[str] = []
    written: dict[str, int] = {}
    lock = threading.Lock()
    with server(url) as port:
        stop = time.monotonic() + seconds

        def reader(i: int) -> None:
            r = random.Random(rng_seed * 1000 + i)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            h = {"Authorization": f"Bearer {s['reader']}"}
            while time.monotonic() < stop:
                district = r.choice(s["districts"]).replace(" ", "%20")
                t = time.perf_counter()
                c.request("GET", f"/api/reports/totals?by=district,commodity,category"
                                 f"&district={district}&as_of=2026-06-01", headers=h)
                resp = c.getresponse()
                body = resp.read()
                took = time.perf_counter() - t
                with lock:
                    if resp.status != 200:
                        errors.append(f"read {resp.status}: {body[:200]!r}")
                    else:
                        reads.append(took)

        def writer(i: int) -> None:
            r = random.Random(rng_seed * 2000 + i)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            h = {"Authorization": f"Bearer {s['writer']}", "Content-Type": "application/json"}
            while time.monotonic() < stop:
                dep = r.choice(s["deposits"])
                body = json.dumps({"deposit": dep, "commodity": "Au", "kind": "production",
                                   "category": "C1", "group": "balance", "ore": TAKE_ORE,
                                   "metal": TAKE_METAL, "effective_date": "2026-03-01",
                                   "document": f"load {i}"})
                c.request("POST", "/api/movements", body=body, headers=h)
                resp = c.getresponse()
                text = resp.read()
                with lock:
                    if resp.status == 201:
                        written[dep] = written.get(dep, 0) + 1
                    else:
                        errors.append(f"write {resp.status}: {text[:200]!r}")

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(readers)]
        threads += [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
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
    lat = np.array(reads) if reads else np.array([np.nan])
    return {"seconds": round(elapsed, 1), "readers": readers, "writers": writers,
            "reads": len(reads), "reads_per_s": len(reads) / elapsed,
            "read_p50_ms": float(np.percentile(lat, 50) * 1e3),
            "read_p99_ms": float(np.percentile(lat, 99) * 1e3),
            "writes": accepted, "writes_per_s": accepted / elapsed, "errors": errors[:5],
            "n_errors": len(errors),
            "movements_expected": len(s["deposits"]) + accepted,
            "movements_found": int(n_movements), "lines_mismatched": mismatched[:5],
            "lines_negative": negative[:5]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--postgres", default=None, help="URL of an empty PostgreSQL database")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--writers", type=int, default=5)
    args = ap.parse_args()
    kw = dict(seconds=args.seconds, readers=args.readers, writers=args.writers)
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
          and not result["lines_mismatched"] and not result["lines_negative"])
    print(f"{args.backend}: {result['reads_per_s']:.1f} district reports/s, p99 "
          f"{result['read_p99_ms']:.0f} ms (target < 200 ms); {result['writes_per_s']:.1f} "
          f"movements/s; checks {'passed' if ok else 'FAILED'}; machine: {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
