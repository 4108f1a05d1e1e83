"""orebook run on a small synthetic vein: the whole chain runs, a second run is all "up to
date", a changed parameter reruns only what depends on it, the estimate comes within the stated
tolerance of the generator's truth, and the report is self-contained."""

from __future__ import annotations

import json
import re
import tomllib

import numpy as np
import pandas as pd
import pytest
from helpers_project import SMALL, write_project
from typer.testing import CliRunner

from orebook.estimate import BlockModel
from orebook.project import STAGES, read_project, run_project
from orebook.project_stages import TRUTH_TOLERANCE
from orebook.report_html import SECTIONS
from orebook.synthetic.vein import VeinSpec, generate_vein, true_blocks

CUTOFF = 0.5          # g/t, as in helpers_project.SMALL
DENSITY = 2.68        # t/m³


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    project = read_project(write_project(folder))
    results = run_project(project)
    return project, results


def _status(results):
    return {r.stage: r.status for r in results}


def test_every_stage_runs_once(first):
    project, results = first
    assert [r.stage for r in results] == list(STAGES)
    st = _status(results)
    assert st.pop("balance") == "skipped"          # no [balance] url
    assert set(st.values()) == {"ran"}
    for stage in st:
        rec = tomllib.loads((project.out / stage / "run.toml").read_text("utf-8"))
        assert rec["parameters"]["stage"] == stage and rec["run"]["orebook_version"]
        for name in rec["parameters"]["outputs_sha256"]:
            assert (project.out / stage / name).is_file()


def test_the_estimate_comes_within_the_stated_tolerance_of_the_truth(first):
    project, _ = first
    run = project.out
    m = BlockModel.load_parquet(run / "classify" / "model.parquet")
    vein = tomllib.loads((run / "drillholes" / "vein.toml").read_text("utf-8"))
    assert vein["seed"] == 1
    deposit = generate_vein(VeinSpec(length_m=400.0, depth_extent_m=240.0, spacing_m=40.0,
                                     n_features=200), seed=1)
    truth = true_blocks(deposit, m.grid)
    volume = 5.0 * 10.0 * 5.0
    g_true = truth["true_Au_gpt"].to_numpy()[m.index]
    t_true = volume * truth["density_tpm3"].to_numpy()[m.index]
    above = g_true >= CUTOFF
    metal_true_kg = (t_true[above] * g_true[above]).sum() / 1000.0
    g = m["Au_gpt_estimate"]
    est = np.isfinite(g) & (g >= CUTOFF)
    metal_est_kg = (volume * DENSITY * g[est]).sum() / 1000.0
    assert metal_true_kg > 100          # the small vein holds real metal above the cut-off
    assert abs(metal_est_kg / metal_true_kg - 1) <= TRUTH_TOLERANCE
    # the run's own comparison table says the same
    table = pd.read_csv(run / "resources" / "truth.csv")
    row = table[np.isclose(table["cutoff"], CUTOFF)].iloc[0]
    assert row["metal_true_kg"] == pytest.approx(metal_true_kg, rel=1e-9)
    assert row["metal_est_kg"] == pytest.approx(metal_est_kg, rel=1e-9)
    summary = json.loads((run / "resources" / "summary.json").read_text("utf-8"))
    assert summary["truth"]["within"] is True
    # the statement's total is the sum over the estimated blocks at the cut-off
    assert summary["metal"] == pytest.approx(metal_est_kg, rel=1e-9)
    assert summary["value"] == pytest.approx(metal_est_kg * 75000.0, rel=1e-9)


def test_the_estimate_record_holds_the_state_categories(first):
    project, _ = first
    rec = json.loads((project.out / "resources" / "estimate_record.json").read_text("utf-8"))
    text = json.dumps(rec)
    assert "Small vein" in text and '"Au"' in text
    assert re.search(r'"(B|C2)"', text)


def test_the_report_is_self_contained_and_has_every_section(first):
    project, _ = first
    html = (project.out / "report" / "report.html").read_text("utf-8")
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//', html, re.IGNORECASE)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    imgs = re.findall(r"<img\b[^>]*>", html)
    assert len(imgs) >= 8
    for tag in imgs:
        assert re.search(r'src="data:image/png;base64,[A-Za-z0-9+/=]+"', tag), tag[:80]
    for sid, title in SECTIONS:
        assert f'<section id="{sid}">' in html
    for sid in ("data", "statistics", "variography", "crossval", "swath", "grade-tonnage",
                "statement", "truth", "view3d"):
        body = html.split(f'<section id="{sid}">', 1)[1].split("</section>", 1)[0]
        assert "not run" not in body and ("<img" in body or "<table" in body), sid
    assert (project.out / "report" / "statement.pdf").read_bytes().startswith(b"%PDF")


def test_exports_read_back(first):
    from orebook.io.omf_files import read_omf

    project, _ = first
    ex = project.out / "export"
    contents = read_omf(ex / "project.omf")
    assert contents is not None
    comps = pd.read_parquet(ex / "composites.parquet")
    assert len(comps) == len(pd.read_csv(project.out / "composites" / "composites.csv"))
    assert (ex / "blocks.dat").read_text().splitlines()[0]


def test_second_run_is_up_to_date_and_a_change_reruns_only_downstream(first, tmp_path):
    project, _ = first
    again = run_project(project)
    st = _status(again)
    assert st.pop("balance") == "skipped"
    assert set(st.values()) == {"up to date"}
    # a new cut-off: resources and the report only
    changed = SMALL.replace("cutoff = 0.5\n", "cutoff = 0.75\n", 1)
    path = write_project(project.path.parent, changed, name="changed.toml")
    p2 = read_project(path)
    st = _status(run_project(p2, out=project.out))
    assert {k for k, v in st.items() if v == "ran"} == {"resources", "report"}
    assert {k for k, v in st.items() if v == "up to date"} == {
        "drillholes", "composites", "statistics", "variography", "estimate", "crossval",
        "classify", "export"}
    # an output removed by hand: that stage runs again, and nothing else changes
    (project.out / "statistics" / "histogram.png").unlink()
    st = _status(run_project(p2, out=project.out))
    assert st["statistics"] == "ran" and st["variography"] == "up to date"
    # --force runs everything; --only runs just what is named
    st = _status(run_project(p2, out=project.out, only=["crossval"], force=True))
    assert st == {"crossval": "ran"}


def test_only_needs_the_upstream_stages(tmp_path):
    from orebook.errors import ParameterError

    project = read_project(write_project(tmp_path))
    with pytest.raises(ParameterError, match="needs the outputs of 'composites'"):
        run_project(project, only=["statistics"])
    with pytest.raises(ParameterError, match="not a stage"):
        run_project(project, only=["kriging"])


def test_the_cli_runs_a_project_and_reports_errors_with_the_line(first, tmp_path):
    import orebook.cli.run  # noqa: F401 - registers the command (until cli/__init__ imports it)
    from orebook.cli import app

    project, _ = first
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(project.path), "--out", str(project.out),
                              "--only", "report"])
    assert res.exit_code == 0, res.output
    assert "up to date" in res.output and "report.html" in res.output
    bad = write_project(tmp_path, SMALL.replace("length_m = 1.0", "length_m = 0.0", 1),
                        name="bad.toml")
    res = runner.invoke(app, ["run", str(bad)])
    assert res.exit_code == 1
    line = next(i for i, t in enumerate(SMALL.splitlines(), 1) if t == "length_m = 1.0")
    assert f"row {line}" in res.output and "length_m" in res.output


def test_a_project_of_drill_hole_files_gives_the_same_composites(first, tmp_path):
    import shutil

    project, _ = first
    for name in ("collar.csv", "survey.csv", "assay.csv"):
        shutil.copy(project.out / "drillholes" / name, tmp_path / name)
    text = SMALL.replace(
        "synthetic = {seed = 1, length_m = 400.0, depth_extent_m = 240.0, spacing_m = 40.0, "
        "n_features = 200}",
        'collars = "collar.csv"\nsurveys = "survey.csv"\nintervals = ["assay.csv"]', 1)
    p = read_project(write_project(tmp_path, text, name="files.toml"))
    assert p.synthetic is None and p.source["collars"] == tmp_path / "collar.csv"
    st = _status(run_project(p, only=["drillholes", "composites"]))
    assert st == {"drillholes": "ran", "composites": "ran"}
    ours = pd.read_csv(p.out / "composites" / "composites.csv")
    theirs = pd.read_csv(project.out / "composites" / "composites.csv")
    pd.testing.assert_frame_equal(ours, theirs)
    # an input file edited: the stages that read it run again
    assay = tmp_path / "assay.csv"
    assay.write_text(assay.read_text().replace("\n", "\r\n"))
    st = _status(run_project(p, only=["drillholes", "composites"]))
    assert st == {"drillholes": "ran", "composites": "ran"}
    rec = tomllib.loads((p.out / "drillholes" / "run.toml").read_text("utf-8"))
    assert {i["path"] for i in rec["input"]} == {str(tmp_path / n) for n in
                                                 ("collar.csv", "survey.csv", "assay.csv")}


def test_the_balance_stage_submits_the_estimate_record(first, tmp_path):
    from orebook.balance import engine_from_url, registry, upgrade

    project, _ = first
    url = f"sqlite:///{tmp_path / 'balance.db'}"
    upgrade(url)
    engine = engine_from_url(url)
    registry.add_commodity(engine, "Au", "gold", ore_unit="t", component_unit="kg",
                           grade_unit="g/t")
    registry.add_deposit(engine, "Small vein")
    engine.dispose()
    text = SMALL.replace("effective_date = 2026-01-01",
                         f'effective_date = 2026-01-01\nurl = "{url}"', 1)
    p = read_project(write_project(project.path.parent, text, name="balance.toml"))
    run_project(read_project(project.path), only=["resources"])   # an earlier test changed it
    st = _status(run_project(p, out=project.out, only=["resources", "balance"]))
    assert st == {"resources": "up to date", "balance": "ran"}   # the url is the balance's only
    done = json.loads((project.out / "balance" / "balance.json").read_text("utf-8"))
    assert done["estimate_id"] >= 1 and done["deposit"] == "Small vein"
    st = _status(run_project(p, out=project.out, only=["balance"]))
    assert st == {"balance": "up to date"}                     # never submitted twice


def test_a_failing_stage_leaves_no_record_and_names_the_problem(tmp_path):
    from orebook.errors import OrebookError

    text = SMALL.replace('variable = "Au_gpt"\ndecluster', 'variable = "Cu_pct"\ndecluster', 1)
    p = read_project(write_project(tmp_path, text))
    with pytest.raises(OrebookError, match="Cu_pct"):
        run_project(p, only=["drillholes", "composites"])
    assert (p.out / "drillholes" / "run.toml").is_file()
    assert not (p.out / "composites" / "run.toml").exists()
    assert not list(p.out.rglob("*.part"))


def test_a_plan_file_estimates_as_the_inline_plan(first, tmp_path):
    import shutil

    project, _ = first
    run = tmp_path / "run"
    shutil.copytree(project.out, run)
    plan = """\
[grid]
origin = [499844.44, 4399858.58, 932.15]
size = [5.0, 10.0, 5.0]
count = [28, 42, 45]
rotation = 45.0

[[estimate]]
variable = "Au_gpt"
method = "ok"
discretisation = [2, 2, 2]

[[estimate.pass]]
radii = [60.0, 60.0, 8.0]
angles = [135.0, -60.0, 0.0]
min_samples = 4
max_samples = 24

[[estimate.pass]]
radii = [120.0, 120.0, 12.0]
angles = [135.0, -60.0, 0.0]
min_samples = 2
max_samples = 24
"""
    (tmp_path / "plan.toml").write_text(plan, encoding="utf-8")
    start = SMALL.index("[estimate]\n")
    end = SMALL.index("[classification]")
    text = SMALL[:start] + '[estimate]\nplan = "plan.toml"\n\n' + SMALL[end:]
    p = read_project(write_project(tmp_path, text, name="planned.toml"))
    assert p.estimate == {"plan": tmp_path / "plan.toml"}
    st = _status(run_project(p, out=run, only=["estimate"]))
    assert st == {"estimate": "ran"}
    ours = BlockModel.load_parquet(run / "estimate" / "model.parquet")
    theirs = BlockModel.load_parquet(project.out / "estimate" / "model.parquet")
    np.testing.assert_array_equal(ours["Au_gpt_estimate"], theirs["Au_gpt_estimate"])
    assert "variography" in (run / "estimate" / "plan.toml").read_text("utf-8")   # its model


def test_the_report_renders_in_headless_chromium(first, tmp_path):
    """Every section of the HTML report renders in a real browser, every image loads, and the
    console stays clean; the screenshot is kept in the test's folder."""
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not shutil.os.path.exists(chromium):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    project, _ = first
    report = project.out / "report" / "report.html"
    errors = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            for key, _title in SECTIONS:
                section = page.locator(f"section#{key}")
                if section.count():
                    assert section.is_visible(), key
            broken = page.evaluate(
                "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
                ".length")
            assert broken == 0
            assert page.evaluate("document.images.length") >= 5
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests)   # nothing from a network
    assert (tmp_path / "report.png").read_bytes()[:8] == PNG_SIGNATURE


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_a_relative_run_folder_works(tmp_path, monkeypatch):
    """``orebook run … --out run`` (and ``orebook demo``) from the current folder."""
    project = read_project(write_project(tmp_path / "p"))
    monkeypatch.chdir(tmp_path)
    results = run_project(project, out="rel-run", only=["drillholes", "composites", "statistics",
                                                        "variography", "estimate"])
    assert [r.status for r in results] == ["ran"] * 5
    assert (tmp_path / "rel-run" / "estimate" / "run.toml").is_file()
