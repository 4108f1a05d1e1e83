"""The report of an ``orebook run``: one self-contained HTML file (CSS inline, pictures as
base64 ``data:`` URIs, no script, nothing fetched from a network), a PDF of the resource
statement, and a 3-D view of the drill holes and the blocks above the cut-off.

The 3-D view is rendered off-screen by PyVista (VTK) when it is installed and can render
here, else drawn by matplotlib's 3-D axes; the report says which.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from orebook.io.writing import atomic_output, write_text_atomic

__all__ = ["SECTIONS", "render_view3d", "write_report", "write_statement_pdf"]

SECTIONS = (("data", "Drill-hole data and validation"),
            ("statistics", "Statistics and declustering"),
            ("variography", "Variograms and model"),
            ("crossval", "Cross-validation"),
            ("swath", "Swath plots"),
            ("grade-tonnage", "Grade–tonnage curves"),
            ("statement", "Resource statement"),
            ("truth", "Estimate against the truth"),
            ("view3d", "3-D view"),
            ("runs", "Stages and run records"))
"""(id, title) of every section of the report, in order."""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2329;
       background: #f6f7f9; }
header { background: #23313f; color: #fff; padding: 1.2em 2em; }
header h1 { margin: 0 0 .2em 0; font-size: 1.6em; }
nav { padding: .5em 2em; background: #e4e8ec; font-size: .9em; }
nav a { margin-right: 1em; color: #23313f; }
main { padding: 0 2em 2em 2em; max-width: 1200px; }
section { background: #fff; margin: 1.2em 0; padding: .8em 1.4em; border-radius: 6px;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { border-bottom: 2px solid #c7a440; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .85em; }
th, td { border: 1px solid #d3d8dd; padding: .25em .6em; text-align: right; }
th { background: #eef1f4; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; height: auto; border: 1px solid #e0e3e6; margin: .4em 0; }
.note { color: #5a6570; font-size: .9em; }
.ok { color: #1b7a36; font-weight: bold; } .bad { color: #b3261e; font-weight: bold; }
</style></head>
<body>
<header><h1>{{ title }}</h1>
<div>{{ project_file }} · orebook {{ version }} · {{ created }}</div></header>
<nav>{% for id, name in sections %}<a href="#{{ id }}">{{ name }}</a>{% endfor %}</nav>
<main>
{% for s in content %}
<section id="{{ s.id }}"><h2>{{ s.title }}</h2>
{% if not s.parts %}<p class="note">{{ s.empty }}</p>{% endif %}
{% for kind, value, caption in s.parts %}
{% if kind == "text" %}<p>{{ value }}</p>
{% elif kind == "html" %}{{ value | safe }}
{% elif kind == "table" %}{% if caption %}<p class="note">{{ caption }}</p>{% endif %}{{ value | safe }}
{% elif kind == "image" %}<figure><img src="{{ value }}" alt="{{ caption }}"><figcaption class="note">{{ caption }}</figcaption></figure>
{% endif %}
{% endfor %}
</section>
{% endfor %}
</main></body></html>
"""


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _table(path: Path, *, max_rows: int = 40, digits: int = 4) -> str:
    df = pd.read_csv(path)
    if len(df) > max_rows:
        df = df.head(max_rows)
    return df.to_html(index=False, na_rep="", border=0, escape=True,
                      float_format=lambda v: f"{v:,.{digits}g}" if abs(v) < 1e6
                      else f"{v:,.0f}")


class _Section:
    def __init__(self, id_: str, title: str) -> None:
        self.id, self.title, self.parts = id_, title, []
        self.empty = "This stage was not run in this project."

    def text(self, value: str) -> None:
        self.parts.append(("text", value, ""))

    def html(self, value: str) -> None:
        self.parts.append(("html", value, ""))

    def table(self, path: Path, caption: str = "", **kw) -> None:
        if not path.is_file():
            return
        if pd.read_csv(path).empty:
            self.parts.append(("text", f"{caption}: none.", ""))
        else:
            self.parts.append(("table", _table(path, **kw), caption))

    def image(self, path: Path, caption: str) -> None:
        if path.is_file():
            self.parts.append(("image", _data_uri(path), caption))


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def render_view3d(traces: pd.DataFrame, centroids: np.ndarray, grades: np.ndarray,
                  block_size, rotation_deg: float, path: str | Path, *,
                  title: str = "", backend: str = "auto") -> tuple[Path, str]:
    """A PNG of drill-hole traces (``hole, x, y, z`` rows in depth order) and blocks (centroids
    (n, 3) m, sizes (3,) m, grid rotation in degrees) coloured by grade. ``backend``: "auto"
    (PyVista off-screen when it works, else matplotlib), "pyvista" or "matplotlib". Returns
    the path and the backend used."""
    path = Path(path)
    if backend in ("auto", "pyvista"):
        try:
            _view_pyvista(traces, centroids, grades, block_size, rotation_deg, path, title)
            return path, "pyvista"
        except Exception:
            if backend == "pyvista":
                raise
    _view_matplotlib(traces, centroids, grades, path, title)
    return path, "matplotlib"


def _view_pyvista(traces, centroids, grades, size, rotation, path: Path, title: str) -> None:
    import os

    if not os.environ.get("DISPLAY"):
        # no X server: render through EGL rather than try X first (and warn)
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    plotter = pv.Plotter(off_screen=True, window_size=(1200, 800))
    try:
        plotter.set_background("white")
        origin = centroids.mean(axis=0) if len(centroids) else traces[["x", "y", "z"]].mean()
        origin = np.asarray(origin, dtype=float)
        for _, h in traces.groupby("hole", sort=False):
            pts = h[["x", "y", "z"]].to_numpy(float) - origin
            if len(pts) >= 2:
                plotter.add_mesh(pv.lines_from_points(pts), color="#333333", line_width=2)
        if len(centroids):
            cube = pv.Cube(x_length=float(size[0]), y_length=float(size[1]),
                           z_length=float(size[2])).rotate_z(-float(rotation), inplace=False)
            cloud = pv.PolyData(np.asarray(centroids, float) - origin)
            cloud["grade"] = np.asarray(grades, float)
            glyphs = cloud.glyph(geom=cube, scale=False, orient=False)
            g = np.asarray(grades, float)
            clim = (float(np.nanmin(g)), float(max(np.nanpercentile(g, 95), np.nanmin(g) + 1e-9)))
            plotter.add_mesh(glyphs, scalars="grade", cmap="plasma", opacity=0.85, clim=clim,
                             scalar_bar_args={"title": title or "grade"})
        plotter.add_axes()
        plotter.view_isometric()
        image = plotter.screenshot(return_img=True)
    finally:
        plotter.close()
    from orebook.plotting import pyplot

    plt = pyplot()

    with atomic_output(path) as tmp:
        plt.imsave(tmp, image, format="png")


def _view_matplotlib(traces, centroids, grades, path: Path, title: str) -> None:
    from orebook.plotting import pyplot

    plt = pyplot()

    fig = plt.figure(figsize=(9, 7))
    try:
        ax = fig.add_subplot(projection="3d")
        for _, h in traces.groupby("hole", sort=False):
            ax.plot(h["x"], h["y"], h["z"], color="0.3", lw=0.8)
        if len(centroids):
            sc = ax.scatter(centroids[:, 0], centroids[:, 1], centroids[:, 2], c=grades,
                            cmap="plasma", s=6, marker="s")
            fig.colorbar(sc, ax=ax, shrink=0.6, label=title or "grade")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.set_zlabel("z (m)")
        with atomic_output(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
    finally:
        plt.close(fig)


def write_statement_pdf(table: pd.DataFrame, path: str | Path, *, title: str,
                        lines: list[str] = ()) -> Path:
    """A one-page PDF of a resource statement table (matplotlib's PDF backend), atomically."""
    from orebook.plotting import pyplot

    plt = pyplot()

    path = Path(path)
    shown = table.astype(object).where(table.notna(), "")
    fig = plt.figure(figsize=(11.69, 8.27))   # A4 landscape
    try:
        fig.text(0.05, 0.94, title, fontsize=15, weight="bold")
        for i, line in enumerate(lines):
            fig.text(0.05, 0.90 - 0.03 * i, line, fontsize=9)
        ax = fig.add_axes([0.05, 0.05, 0.9, 0.75 - 0.03 * len(lines)])
        ax.axis("off")
        cells = [[f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row]
                 for row in shown.itertuples(index=False)]
        t = ax.table(cellText=cells or [[""] * len(shown.columns)],
                     colLabels=[str(c) for c in shown.columns], loc="upper center")
        t.auto_set_font_size(False)
        t.set_fontsize(8)
        with atomic_output(path) as tmp:
            fig.savefig(tmp, format="pdf")
    finally:
        plt.close(fig)
    return path


def write_report(project, run: Path, folder: Path) -> list[Path]:
    """Write ``report.html``, ``statement.pdf`` and ``view3d.png`` into ``folder`` from the
    outputs of the other stages in the run folder ``run``. Returns the paths written."""
    import jinja2

    from orebook import __version__
    from orebook.estimate import BlockModel

    from .project_stages import grade_column

    run, folder = Path(run), Path(folder)
    res = project.resources
    var = project.variable
    secs = {i: _Section(i, t) for i, t in SECTIONS}
    written: list[Path] = []

    d = run / "drillholes"
    s = _json(d / "summary.json")
    if s:
        kind = "a seeded synthetic vein (orebook.synthetic.vein)" if s.get("synthetic") \
            else "the project's drill-hole files"
        secs["data"].text(f"{s['holes']:,} holes, {s['intervals']:,} intervals, "
                          f"{s['metres']:,.1f} m sampled, from {kind}; validation: "
                          f"{s['errors']:,} errors, {s['warnings']:,} warnings.")
    secs["data"].table(d / "rows.csv", "Rows read and used per file")
    secs["data"].table(d / "validation_summary.csv", "Validation findings (by code)")
    c = run / "composites"
    secs["data"].table(c / "caps.csv", "Top-cuts of the composites")

    st = run / "statistics"
    dec = _json(st / "declustering.json")
    if dec:
        secs["statistics"].text(
            f"Cell declustering: {dec['cell_size_m']:g} m cells; mean {dec['naive_mean']:.4g} "
            f"with equal weights, {dec['declustered_mean']:.4g} declustered.")
    secs["statistics"].table(st / "statistics.csv", f"{var}: composite statistics")
    secs["statistics"].image(st / "histogram.png", "Histogram (declustered weights)")
    secs["statistics"].image(st / "probability.png", "Probability plot")
    secs["statistics"].image(st / "declustering.png", "Declustered mean against cell size")

    v = run / "variography"
    secs["variography"].image(v / "variograms.png", "Experimental variograms and the model")
    secs["variography"].table(v / "fit.csv", "Fitted parameters")
    if (v / "model.toml").is_file():
        secs["variography"].html("<pre>" + _escape((v / "model.toml").read_text("utf-8"))
                                 + "</pre>")

    cv = run / "crossval"
    secs["crossval"].table(cv / "statistics.csv", "Cross-validation error statistics")
    secs["crossval"].image(cv / "scatter.png", "Estimate against the true value")

    r = run / "resources"
    secs["swath"].image(r / "swath.png", "Swaths: estimate, declustered composites, "
                                         "nearest neighbour")
    secs["swath"].table(r / "global_means.csv", "Global means")
    secs["grade-tonnage"].image(r / "grade_tonnage.png", "Grade–tonnage curves")
    secs["grade-tonnage"].table(r / "grade_tonnage.csv", "Grade–tonnage table", digits=6)
    statement = r / "statement_table.csv"
    summary = _json(r / "summary.json")
    secs["statement"].table(statement, f"{var} ≥ {res['cutoff']:g} {res['grade_unit']}",
                            digits=10)
    if summary.get("value") is not None:
        secs["statement"].text(f"In-situ value at {res['price']:g} {res['currency']} per "
                               f"{res['metal_unit']}: {summary['value']:,.0f} "
                               f"{res['currency']}.")
    lines = [f"Project: {project.name} ({project.path.name})",
             (f"Cut-off: {var} ≥ {res['cutoff']:g} {res['grade_unit']}; density "
              f"{res['density']} t/m³; orebook {__version__}")]
    if statement.is_file():
        written.append(write_statement_pdf(pd.read_csv(statement), folder / "statement.pdf",
                                           title=f"Resource statement: {project.name}",
                                           lines=lines))
        secs["statement"].text("The statement as PDF: statement.pdf beside this report.")
    truth = summary.get("truth")
    if truth:
        ok = truth["within"]
        secs["truth"].html(
            f"<p>Metal above the cut-off: estimate {truth['metal_diff_pct']:+.1f} % against "
            f"the generator's truth on the same grid (tonnes {truth['tonnes_diff_pct']:+.1f} "
            f"%); stated tolerance ±{truth['tolerance_pct']:g} % on metal: "
            f"<span class=\"{'ok' if ok else 'bad'}\">{'within' if ok else 'outside'}"
            "</span>.</p>")
        secs["truth"].table(r / "truth.csv", "Tonnes, grade and metal above each cut-off: "
                                             "estimate and truth", digits=6)
    else:
        secs["truth"].empty = "The truth is known only for a synthetic source."

    model_path = run / ("classify" if project.rules is not None else "estimate") / \
        "model.parquet"
    traces_path = c / "traces.csv"
    if model_path.is_file() and traces_path.is_file():
        m = BlockModel.load_parquet(model_path)
        g = m[grade_column(project)].astype(float)
        above = np.isfinite(g) & (g >= res["cutoff"])
        view, backend = render_view3d(pd.read_csv(traces_path), m.centroids()[above], g[above],
                                      m.grid.size, m.grid.rotation, folder / "view3d.png",
                                      title=f"{var} ({res['grade_unit']})")
        written.append(view)
        secs["view3d"].text(f"Drill holes and the {int(above.sum()):,} blocks with {var} ≥ "
                            f"{res['cutoff']:g} {res['grade_unit']} (rendered by {backend}).")
        secs["view3d"].image(view, "Drill holes and blocks above the cut-off")

    rows = []
    for name in ("drillholes", "composites", "statistics", "variography", "estimate",
                 "crossval", "classify", "resources", "export"):
        rec = run / name / "run.toml"
        rows.append({"stage": name, "record": f"{name}/run.toml" if rec.is_file()
                     else "(not run)"})
    secs["runs"].html(pd.DataFrame(rows).to_html(index=False, border=0))

    html = jinja2.Environment(autoescape=True).from_string(_TEMPLATE).render(
        title=f"orebook report: {project.name}", project_file=str(project.path),
        version=__version__,
        created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        sections=SECTIONS, content=list(secs.values()))
    written.append(write_text_atomic(folder / "report.html", html))
    return written


def _escape(text: str) -> str:
    import html

    return html.escape(text)
