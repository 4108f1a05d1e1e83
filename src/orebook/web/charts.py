"""Charts of the balance pages as inline SVG, drawn in Python (no JavaScript library, no
external request): a horizontal bar chart, a line chart over years, and a point map of
deposits from their longitude and latitude (no map tiles).

Each function returns SVG markup (a ``str``) safe to put into a page as is: every label is
escaped. Values are plain numbers in the unit given (the unit is only printed).

>>> svg = bar_chart(["A", "B"], [1.0, 3.0], unit="t")
>>> svg.startswith("<svg") and svg.count('class="bar"')
2
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

from orebook.errors import ParameterError

__all__ = ["bar_chart", "line_chart", "nice_ticks", "point_map"]

#: colours of the series, in order (the palette of the pages' CSS)
PALETTE = ("#1f5f8b", "#c0712c", "#3c8d4f", "#8b3a62", "#6b6b6b", "#b59b16")
_FONT = 12  # px


def _finite(values: Sequence[float], what: str) -> list[float]:
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ParameterError(f"{what}: {v!r} is not a number") from None
        if not math.isfinite(f):
            raise ParameterError(f"{what}: {v!r} is not a finite number")
        out.append(f)
    return out


def _fmt(v: float) -> str:
    """A number for a label: thousands separated, at most 3 significant decimals."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values (1, 2 or 5 × 10^k apart) covering ``[lo, hi]``.

    >>> nice_ticks(0, 97)
    [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ParameterError(f"ticks: the range {lo}..{hi} is not finite")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step)
    last = math.ceil(hi / step)
    return [float(round(i * step, 12)) for i in range(first, last + 1)]


def _svg(width: float, height: float, body: list[str], title: str, css_class: str) -> str:
    label = escape(title) if title else "chart"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" '
            f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
            f'role="img" aria-label="{label}">')
    parts = [head]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    return "".join(parts + body + ["</svg>"])


def bar_chart(labels: Sequence[str], values: Sequence[float], *, unit: str = "",
              title: str = "", width: int = 480, bar_height: int = 22,
              label_width: int = 120) -> str:
    """Horizontal bars, one per label, lengths proportional to the values (≥ 0).

    The longest bar spans ``width - label_width - 70`` px; each bar carries its value in
    ``data-value`` and a text label ``value unit``.
    """
    vals = _finite(values, "bar chart")
    if len(vals) != len(labels):
        raise ParameterError(f"bar chart: {len(labels)} labels for {len(vals)} values")
    if any(v < 0 for v in vals):
        raise ParameterError("bar chart: values must be ≥ 0")
    span = width - label_width - 70
    top = max(vals, default=0.0)
    height = max(len(vals), 1) * (bar_height + 6) + 8
    body = []
    if not vals:
        body.append(f'<text x="8" y="{height / 2 + 4:g}" class="empty">no data</text>')
    for i, (name, v) in enumerate(zip(labels, vals)):
        y = 4 + i * (bar_height + 6)
        w = span * v / top if top > 0 else 0.0
        colour = PALETTE[i % len(PALETTE)]
        body.append(f'<text x="{label_width - 6}" y="{y + bar_height / 2 + 4:g}" '
                    f'text-anchor="end" font-size="{_FONT}">{escape(str(name))}</text>')
        body.append(f'<rect class="bar" x="{label_width}" y="{y}" width="{w:.3f}" '
                    f'height="{bar_height}" fill="{colour}" data-value="{v!r}">'
                    f"<title>{escape(str(name))}: {_fmt(v)} {escape(unit)}</title></rect>")
        body.append(f'<text x="{label_width + w + 4:.3f}" y="{y + bar_height / 2 + 4:g}" '
                    f'font-size="{_FONT}">{_fmt(v)} {escape(unit)}</text>')
    return _svg(width, height, body, title, "bar-chart")


def line_chart(x: Sequence[float], series: Mapping[str, Sequence[float]], *, unit: str = "",
               title: str = "", width: int = 560, height: int = 260) -> str:
    """One line per series over ``x`` (e.g. years), a y axis from 0 (or the lowest value, if
    negative) with round ticks, and a legend. Each line is a ``<polyline class="series">``
    whose points are in pixels: x maps linearly from ``[min x, max x]`` onto the plot width,
    y from the axis range onto the plot height (up is larger)."""
    xs = _finite(x, "line chart x")
    data = {str(k): _finite(v, f"line chart {k!r}") for k, v in series.items()}
    for k, v in data.items():
        if len(v) != len(xs):
            raise ParameterError(f"line chart: series {k!r} has {len(v)} values for "
                                 f"{len(xs)} x values")
    left, right, top, bottom = 64, 16, 12, 40 + 16 * ((len(data) + 2) // 3)
    pw, ph = width - left - right, height - top - bottom
    body: list[str] = []
    if not xs or not data:
        body.append(f'<text x="{width / 2:g}" y="{height / 2:g}" text-anchor="middle" '
                    f'class="empty">no data</text>')
        return _svg(width, height, body, title, "line-chart")
    allv = [v for vals in data.values() for v in vals]
    ticks = nice_ticks(min(0.0, min(allv)), max(allv) if max(allv) > 0 else 1.0)
    y0, y1 = ticks[0], ticks[-1]
    x0, x1 = min(xs), max(xs)

    def px(v: float) -> float:
        return left + (pw * (v - x0) / (x1 - x0) if x1 > x0 else pw / 2)

    def py(v: float) -> float:
        return top + ph * (1 - (v - y0) / (y1 - y0))

    for t in ticks:
        body.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{py(t):.3f}" '
                    f'y2="{py(t):.3f}" stroke="#ddd"/>')
        body.append(f'<text x="{left - 4}" y="{py(t) + 4:.3f}" text-anchor="end" '
                    f'font-size="{_FONT - 1}">{_fmt(t)}</text>')
    xticks = sorted(set(xs))
    if len(xticks) > 8:
        stride = math.ceil(len(xticks) / 8)
        xticks = xticks[::stride]
    for t in xticks:
        body.append(f'<text x="{px(t):.3f}" y="{top + ph + 14}" text-anchor="middle" '
                    f'font-size="{_FONT - 1}">{_fmt(t) if t % 1 else int(t)}</text>')
    body.append(f'<text x="4" y="{top + 10}" font-size="{_FONT - 1}">{escape(unit)}</text>')
    body.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#444"/>')
    body.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" '
                f'stroke="#444"/>')
    for i, (name, vals) in enumerate(data.items()):
        colour = PALETTE[i % len(PALETTE)]
        pts = " ".join(f"{px(a):.3f},{py(b):.3f}" for a, b in zip(xs, vals))
        body.append(f'<polyline class="series" data-name="{escape(name)}" points="{pts}" '
                    f'fill="none" stroke="{colour}" stroke-width="2"/>')
        for a, b in zip(xs, vals):
            body.append(f'<circle cx="{px(a):.3f}" cy="{py(b):.3f}" r="2.5" fill="{colour}">'
                        f"<title>{escape(name)} {_fmt(a)}: {_fmt(b)} {escape(unit)}</title>"
                        "</circle>")
        lx = left + (i % 3) * (pw / 3)
        ly = top + ph + 30 + 16 * (i // 3)
        body.append(f'<rect x="{lx:.1f}" y="{ly - 9}" width="12" height="4" fill="{colour}"/>')
        body.append(f'<text x="{lx + 16:.1f}" y="{ly - 4}" font-size="{_FONT - 1}">'
                    f"{escape(name)}</text>")
    return _svg(width, height, body, title, "line-chart")


def point_map(points: Sequence[Mapping], *, title: str = "", width: int = 420,
              height: int = 320, margin: int = 28) -> str:
    """Deposits as points at their longitude and latitude (degrees), in an equirectangular
    projection scaled by cos(mean latitude) so distances look right; north is up.

    Each point is a mapping with ``name``, ``longitude_deg``, ``latitude_deg`` and optionally
    ``href`` (a link) and ``current`` (drawn larger, highlighted). Points without coordinates
    are left out. Each marker is a ``<circle class="site">`` carrying ``data-name``.
    """
    pts = []
    for p in points:
        lon, lat = p.get("longitude_deg"), p.get("latitude_deg")
        if lon is None or lat is None:
            continue
        lon, lat = _finite([lon, lat], f"map point {p.get('name')!r}")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ParameterError(f"map point {p.get('name')!r}: ({lon}, {lat}) is not a "
                                 "longitude and latitude in degrees")
        pts.append((p, lon, lat))
    frame = (f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f6f2" '
             'stroke="#bbb"/>')
    body: list[str] = [frame]
    if not pts:
        body.append(f'<text x="{width / 2:g}" y="{height / 2:g}" text-anchor="middle" '
                    'class="empty">no coordinates</text>')
        return _svg(width, height, body, title, "point-map")
    mid_lat = sum(lat for _, _, lat in pts) / len(pts)
    k = math.cos(math.radians(mid_lat))
    xs = [lon * k for _, lon, _ in pts]
    ys = [lat for _, _, lat in pts]
    spanx = max(max(xs) - min(xs), 1e-3)
    spany = max(max(ys) - min(ys), 1e-3)
    scale = min((width - 2 * margin) / spanx, (height - 2 * margin) / spany)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    # a scale bar: 1, 2, 5 × 10^k km, about a quarter of the width
    km_per_px = 111.32 / scale
    target = km_per_px * width / 4
    bar_km = next(m * 10 ** math.floor(math.log10(target)) for m in (1, 2, 5, 10)
                  if m * 10 ** math.floor(math.log10(target)) >= target / 2.5)
    bar_px = bar_km / km_per_px
    body.append(f'<line class="scale" x1="10" x2="{10 + bar_px:.2f}" y1="{height - 12}" '
                f'y2="{height - 12}" stroke="#333" stroke-width="2"/>')
    body.append(f'<text x="10" y="{height - 16}" font-size="{_FONT - 2}">{_fmt(bar_km)} km'
                "</text>")
    body.append(f'<text x="{width - 12}" y="18" text-anchor="middle" '
                f'font-size="{_FONT}">N</text>')
    for p, lon, lat in sorted(pts, key=lambda t: bool(t[0].get("current"))):
        x = width / 2 + (lon * k - cx) * scale
        y = height / 2 - (lat - cy) * scale
        name = escape(str(p.get("name", "")))
        current = bool(p.get("current"))
        r = 7 if current else 4.5
        fill = "#c0392b" if current else PALETTE[0]
        marker = (f'<circle class="site{" current" if current else ""}" cx="{x:.3f}" '
                  f'cy="{y:.3f}" r="{r}" fill="{fill}" stroke="#fff" data-name="{name}">'
                  f"<title>{name} ({lat:.4f}° N, {lon:.4f}° E)</title></circle>"
                  + (f'<text x="{x - r - 2:.3f}" y="{y + 4:.3f}" text-anchor="end" '
                     if x > width * 0.6 else f'<text x="{x + r + 2:.3f}" y="{y + 4:.3f}" ')
                  + f'font-size="{_FONT - 1}">{name}</text>')
        href = p.get("href")
        if href:
            marker = f'<a href="{escape(str(href))}">{marker}</a>'
        body.append(marker)
    return _svg(width, height, body, title, "point-map")
