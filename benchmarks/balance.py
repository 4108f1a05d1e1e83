"""Benchmark: bulk load of 30 years of movements, then the yearly national report (issue 6).

``--size full``: 10,000 deposits × 3 commodities (Au and Ag in kg, Cu in t) × 4 categories
(A, B, C1, C2) × 30 years (1995–2024), one movement per line and year: an approval opening each
line in 1995, then production or exploration (3.6 million rows), in 100 districts of 10 regions.
``--size small``: 500 deposits (180,000 rows). Seeded (``--seed``).

The tables are written as CSV files first (not timed), then timed:

- **load**: ``orebook.balance.import_tables`` on the folder: read, check every row and every
  line's running balance, insert in one transaction (executemany on SQLite, COPY on
  PostgreSQL); wall seconds, and the CPU seconds of this process (on SQLite all the work; on
  PostgreSQL the server's share is not counted), which tell a busy machine from a slow load;
- **report**: the yearly national report, ``orebook.balance.reports.yearly_form(engine, 2024,
  by=("district", "commodity"))``, and ``totals(engine, 2025-01-01, by=("district",
  "commodity"))``, each checked against sums computed from the generated arrays with NumPy —
  first on the open ledger (``open_*``), then after closing 1995–2023 as a survey does each
  year (``close_years_s``: all 29 closings), when the reports start from the last frozen
  balance.

On SQLite (a file in ``--folder``) and on PostgreSQL: a throwaway server started with the
``initdb``/``pg_ctl`` on PATH (as the tests do), or ``--postgres URL`` of an empty database.
Targets: load under 60 s, report under 2 s.

Run: ``.venv/bin/python benchmarks/balance.py [--size small|full] [--backend sqlite|postgresql|both]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.balance import engine_from_url, import_tables, upgrade

SIZES = {"small": 500, "full": 10_000}
COMMODITIES = [("Au", "gold", "kg", "g/t"), ("Ag", "silver", "kg", "g/t"),
               ("Cu", "copper", "t", "%")]
CATEGORIES = ["A", "B", "C1", "C2"]
FIRST_YEAR, YEARS = 1995, 30


def generate(n_deposits: int, seed: int) -> dict:
    """The registry and its movements as arrays (signed as stored: production negative)."""
    rng = np.random.default_rng(seed)
    n_lines = n_deposits * len(COMMODITIES) * len(CATEGORIES)
    dep, com, cat = (a.ravel() for a in np.meshgrid(np.arange(n_deposits),
                                                     np.arange(len(COMMODITIES)),
                                                     np.arange(len(CATEGORIES)),
                                                     indexing="ij"))
    ore0 = rng.uniform(1e5, 1e7, n_lines).round(0)
    grade = np.array([3.0, 40.0, 0.8])[com] * rng.uniform(0.5, 1.5, n_lines)  # g/t, g/t, %
    per_t = np.array([1e-3, 1e-3, 1e-2])[com]  # metal unit per ore tonne per grade unit
    ore = np.empty((n_lines, YEARS))
    ore[:, 0] = ore0
    # later years: production (up to 1/40 of the opening figure) or exploration gains
    ore[:, 1:] = rng.uniform(0, 1 / 40, (n_lines, YEARS - 1)) * ore0[:, None]
    producing = rng.random((n_lines, YEARS - 1)) < 0.7
    sign = np.ones((n_lines, YEARS))
    sign[:, 1:] = np.where(producing, -1.0, 1.0)
    ore = ore.round(3)
    metal = (ore * (grade * per_t)[:, None]).round(6)
    kind = np.empty((n_lines, YEARS), dtype=object)
    kind[:, 0] = "approval"
    kind[:, 1:] = np.where(producing, "production", "exploration")
    years = FIRST_YEAR + np.arange(YEARS)
    return {"n_deposits": n_deposits, "dep": dep, "com": com, "cat": cat, "ore": ore,
            "metal": metal, "sign": sign, "kind": kind, "years": years}


def write_tables(g: dict, folder: Path) -> None:
    n = g["n_deposits"]
    folder.mkdir(parents=True, exist_ok=True)
    regions = [f"Region {r:02d}" for r in range(10)]
    districts = [f"Benchland/{regions[d // 10]}/District {d:03d}" for d in range(100)]
    pd.DataFrame({"path": districts}).to_csv(folder / "admin_units.csv", index=False)
    pd.DataFrame(COMMODITIES, columns=["code", "name", "component_unit", "grade_unit"]).to_csv(
        folder / "commodities.csv", index=False)
    names = np.array([f"Deposit {i:05d}" for i in range(n)], dtype=object)
    pd.DataFrame({"name": names, "district": [districts[i % 100] for i in range(n)],
                  "status": "developed", "fund": "distributed"}).to_csv(
        folder / "deposits.csv", index=False)
    n_lines, years = g["ore"].shape
    rows = n_lines * years
    line = np.repeat(np.arange(n_lines), years)
    year = np.tile(g["years"], n_lines)
    frame = pd.DataFrame({
        "deposit": names[g["dep"][line]],
        "commodity": np.array([c[0] for c in COMMODITIES], dtype=object)[g["com"][line]],
        "category": np.array(CATEGORIES, dtype=object)[g["cat"][line]],
        "group": "balance",
        "kind": g["kind"].ravel(),
        "ore": g["ore"].ravel(), "metal": g["metal"].ravel(),
        "date": np.array([f"{y}-07-01" for y in g["years"]], dtype=object)[year - FIRST_YEAR],
        "document": "form 5-GR",
    })
    assert len(frame) == rows
    frame.to_csv(folder / "movements.csv", index=False)


def expected_end(g: dict, year: int) -> dict[str, float]:
    """Metal per commodity at the end of ``year``, summed with NumPy from the arrays."""
    upto = g["years"] <= year
    signed = (g["metal"] * g["sign"])[:, upto].sum(axis=1)
    return {c[0]: float(signed[g["com"] == k].sum()) for k, c in enumerate(COMMODITIES)}


def report(engine, g: dict) -> tuple[float, float, str]:
    """Time the yearly national report and the totals; check them against NumPy sums."""
    try:
        from orebook.balance.reports import totals, yearly_form
    except ImportError:
        totals = yearly_form = None
    year = int(g["years"][-1])
    want = expected_end(g, year)
    if yearly_form is None:  # pragma: no cover - only before the reports module existed
        from sqlalchemy import text

        t = time.perf_counter()
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT d.admin_unit_id, c.code, sum(m.metal) FROM movements m "
                "JOIN deposits d ON d.id = m.deposit_id JOIN commodities c "
                "ON c.id = m.commodity_id WHERE m.effective_date < :end "
                "GROUP BY d.admin_unit_id, c.code"), {"end": f"{year + 1}-01-01"}).all()
        t_form = time.perf_counter() - t
        got = pd.DataFrame(rows, columns=["unit", "code", "metal"]).groupby("code").metal.sum()
        _check(got.to_dict(), want)
        return t_form, float("nan"), "own GROUP BY (no reports module)"
    t = time.perf_counter()
    form = yearly_form(engine, year, by=("district", "commodity"))
    t_form = time.perf_counter() - t
    t = time.perf_counter()
    tot = totals(engine, dt.date(year + 1, 1, 1), by=("district", "commodity"))
    t_totals = time.perf_counter() - t
    for df, col in ((form, "end_metal"), (tot, "metal")):
        top = df[df["total"]] if "total" in df else df
        got = top.groupby("commodity")[col].sum().to_dict()
        _check(got, want)
    return t_form, t_totals, "reports.yearly_form / reports.totals"


def _check(got: dict, want: dict) -> None:
    for code, value in want.items():
        assert abs(got.get(code, 0.0) - value) <= 1e-6 * abs(value), (code, got, want)


@contextlib.contextmanager
def postgres_server():
    """A throwaway PostgreSQL server (as ``tests/balance/conftest.py`` starts one)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise SystemExit("PostgreSQL not available: initdb/pg_ctl not on PATH "
                         "(or give --postgres URL)")
    base = Path(tempfile.mkdtemp(prefix="orebook-bench-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        prefix = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([*prefix, initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E",
                    "UTF8", "--no-sync"], check=True, capture_output=True)
    opts = (f"-k {sock} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB")
    subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(log), "-w", "-o", opts,
                    "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                       check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def run_backend(name: str, url: str, folder: Path, g: dict) -> dict:
    upgrade(url)
    engine = engine_from_url(url)
    try:
        t, c = time.perf_counter(), time.process_time()
        result = import_tables(engine, [folder])
        t_load, c_load = time.perf_counter() - t, time.process_time() - c
        open_form, open_totals, how = report(engine, g)
        # a survey closes each year as at 1 January: the report then starts from the last
        # frozen balance and reads one year of movements
        from orebook.balance import Ledger

        ledger = Ledger(engine)
        t = time.perf_counter()
        for year in range(FIRST_YEAR, int(g["years"][-1])):
            ledger.close_year(year)
        t_close = time.perf_counter() - t
        t_form, t_totals, how = report(engine, g)
    finally:
        engine.dispose()
    return {"backend": name, "movements": result.written["movements"], "load_s": t_load,
            "load_cpu_s": c_load, "open_form_s": open_form, "open_totals_s": open_totals,
            "close_years_s": t_close, "yearly_form_s": t_form, "totals_s": t_totals,
            "report": how}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=sorted(SIZES), default="full")
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--postgres", default=None, help="URL of an empty PostgreSQL database")
    ap.add_argument("--folder", type=Path, default=None, help="where to write the tables")
    ap.add_argument("--seed", type=int, default=20261127)
    args = ap.parse_args()
    own = args.folder is None
    folder = args.folder or Path(tempfile.mkdtemp(prefix="orebook-bench-balance-"))
    try:
        t = time.perf_counter()
        g = generate(SIZES[args.size], args.seed)
        write_tables(g, folder / "tables")
        size_mb = (folder / "tables" / "movements.csv").stat().st_size / 1e6
        print(f"generated {g['ore'].size:,} movements ({size_mb:,.0f} MB of CSV) in "
              f"{time.perf_counter() - t:.1f} s (not timed below)", flush=True)
        results = []
        if args.backend in ("sqlite", "both"):
            db = folder / "balance.sqlite"
            results.append(run_backend("sqlite", f"sqlite:///{db}", folder / "tables", g))
            print(results[-1], flush=True)
        if args.backend in ("postgresql", "both"):
            if args.postgres:
                results.append(run_backend("postgresql", args.postgres, folder / "tables", g))
            else:
                with postgres_server() as url:
                    results.append(run_backend("postgresql", url, folder / "tables", g))
            print(results[-1], flush=True)
        print(pd.DataFrame(results).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        print(f"targets: load < 60 s, report < 2 s; machine: {os.cpu_count()} CPUs, load "
              f"average {os.getloadavg()[0]:.1f}")
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
