"""``run_gamv``: GSLIB's gamv.par run unchanged, its output file in gamv's layout, and every
number compared with a line-by-line transcription of gamv's pair loop written here in plain
Python (independent of orebook's kernels)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from orebook.errors import InputError
from orebook.gslib import run_gamv
from orebook.io.geoeas import read_geoeas

DATA = Path(__file__).parent / "data"
EPS = 1e-20


def gamv_reference(x, y, z, vr, nlag, xlag, xltol, dirs, tail, head, it, isill=False):
    """gamv 2.905's loops for one variogram (types 1, 2, ±3, ±4, 6), float64.

    ``vr``: (nd, nvar) with NaN for values outside the trimming limits. Returns per direction
    an (nlag + 2, 7) array: distance, value, pairs, tail mean, head mean, tail var, head var.
    """
    nd = len(x)
    sills = np.nanvar(vr, axis=0)
    out = []
    dismxs = ((nlag + 0.5 - EPS) * xlag) ** 2
    for azm, atol, bandh, dip, dtol, bandv in dirs:
        a = math.radians(90.0 - azm)
        uvx, uvy = math.cos(a), math.sin(a)
        csatol = math.cos(math.radians(45.0 if atol <= 0 else atol))
        d = math.radians(90.0 - dip)
        uvz, uvh = math.cos(d), math.sin(d)
        csdtol = math.cos(math.radians(45.0 if dtol <= 0 else dtol))
        omni = atol >= 90.0
        acc = np.zeros((nlag + 2, 7))  # np, dis, gam, hm, tm, hv, tv
        for i in range(nd):
            for j in range(i, nd):
                dx, dy, dz = x[j] - x[i], y[j] - y[i], z[j] - z[i]
                hs = dx * dx + dy * dy + dz * dz
                if hs > dismxs:
                    continue
                h = math.sqrt(hs)
                if h <= EPS:
                    lags = [1]
                else:
                    lags = [il for il in range(2, nlag + 3)
                            if xlag * (il - 2) - xltol <= h <= xlag * (il - 2) + xltol]
                    if not lags:
                        continue
                dxy = math.sqrt(dx * dx + dy * dy)
                dcazm = 1.0 if dxy < EPS else (dx * uvx + dy * uvy) / dxy
                if abs(dcazm) < csatol - 1e-12:
                    continue
                if abs(uvx * dy - uvy * dx) > bandh:
                    continue
                if dcazm < 0:
                    dxy = -dxy
                if lags == [1]:
                    dcdec = 0.0
                else:
                    dcdec = (dxy * uvh + dz * uvz) / h
                    if abs(dcdec) < csdtol - 1e-12:
                        continue
                if abs(uvh * dz - uvz * dxy) > bandv:
                    continue
                if dcazm >= 0 and dcdec >= 0:
                    vrh, vrt, vrtpr, vrhpr = vr[i, tail], vr[j, head], vr[i, head], vr[j, tail]
                else:
                    vrh, vrt, vrtpr, vrhpr = vr[j, tail], vr[i, head], vr[j, head], vr[i, tail]
                if np.isnan(vrh) or np.isnan(vrt):
                    continue
                if it == 2 and (np.isnan(vrtpr) or np.isnan(vrhpr)):
                    continue
                terms = []
                if it == 2:
                    terms.append(((vrt + vrtpr) / 2, (vrh + vrhpr) / 2,
                                  (vrhpr - vrh) * (vrt - vrtpr)))
                else:
                    pairs = [(vrt, vrh)]
                    if omni and not (np.isnan(vrtpr) or np.isnan(vrhpr)):
                        pairs.append((vrtpr, vrhpr))
                    for t, hh in pairs:
                        if it == 1:
                            g = (hh - t) ** 2
                        elif abs(it) in (3, 4):
                            g = hh * t
                        else:  # 6
                            if abs(t + hh) <= EPS:
                                continue
                            g = (2 * (t - hh) / (t + hh)) ** 2
                        terms.append((t, hh, g))
                for il in lags:
                    for t, hh, g in terms:
                        acc[il - 1] += [1, h, g, hh, t, hh * hh, t * t]
        res = np.zeros((nlag + 2, 7))
        for k in range(nlag + 2):
            n = acc[k, 0]
            if n == 0:
                continue
            dis, gam, hm, tm, hv, tv = acc[k, 1:] / n
            if isill and tail == head and it == 1 and sills[tail] > 0:
                gam /= sills[tail]
            if it in (1, 2, 6):
                gam *= 0.5
            elif abs(it) == 3:
                gam -= hm * tm
                if it < 0:
                    gam = math.sqrt(sills[tail]) * math.sqrt(sills[head]) - gam
            elif abs(it) == 4:
                hv = math.sqrt(max(hv - hm * hm, 0.0))
                tv = math.sqrt(max(tv - tm * tm, 0.0))
                gam = 0.0 if hv * tv < EPS else (gam - hm * tm) / (hv * tv)
                if it < 0:
                    gam = 1.0 - gam
                hv, tv = hv * hv, tv * tv
            res[k] = [dis, gam, n, hm, tm, hv, tv]
        out.append(res)
    return out


@pytest.fixture
def layout(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "data").mkdir()
    shutil.copy(DATA / "gamv.par", tmp_path / "run" / "gamv.par")
    shutil.copy(DATA / "cluster.dat", tmp_path / "data" / "cluster.dat")
    return tmp_path


@pytest.fixture(scope="module")
def cluster():
    d = read_geoeas(DATA / "cluster.dat").data.to_numpy()
    return d[:, 0], d[:, 1], np.zeros(len(d)), d[:, 2:4]


GAMV_DIRS = [(0.0, 90.0, 50.0, 0.0, 90.0, 50.0), (0.0, 22.5, 25.0, 0.0, 22.5, 25.0),
             (90.0, 22.5, 25.0, 0.0, 22.5, 25.0)]


def _blocks(path: Path, nlag: int):
    lines = path.read_text().splitlines()
    size = nlag + 3
    assert len(lines) % size == 0
    return [(lines[k], lines[k + 1:k + size]) for k in range(0, len(lines), size)]


def _check_block(rows, ref, corr):
    for il, (line, r) in enumerate(zip(rows, ref), start=1):
        f = line.split()
        assert len(f) == (8 if corr else 6) and len(line) == (99 if corr else 69)
        assert int(f[0]) == il and int(f[3]) == int(r[2])
        assert float(f[1]) == pytest.approx(r[0], abs=6e-4)
        for k, col in ((2, 1), (4, 3), (5, 4)) + (((6, 5), (7, 6)) if corr else ()):
            assert float(f[k]) == pytest.approx(r[col], abs=6e-6)


def test_gamv_par_unchanged(layout, cluster):
    [path] = run_gamv(layout / "run" / "gamv.par")
    assert path == layout / "run" / "gamv.out"
    blocks = _blocks(path, 10)
    assert len(blocks) == 9  # 3 variograms × 3 directions, directions fastest
    x, y, z, vr = cluster
    specs = [(0, 0, 1, "Primary"), (0, 0, -4, "Primary"), (1, 1, 1, "Secondary")]
    titles = {1: "Semivariogram", -4: "Correlogram"}
    for b, (title, rows) in enumerate(blocks):
        tail, head, it, name = specs[b // 3]
        d = b % 3 + 1
        assert title == (f"{titles[it]:<24}tail:{name:<12} head:{name:<12}  "
                         f"direction {d:2d} ")
        assert len(title) == 74
        ref = gamv_reference(x, y, z, vr, 10, 5.0, 3.0, [GAMV_DIRS[d - 1]], tail, head, it,
                             isill=True)[0]
        _check_block(rows, ref, corr=abs(it) == 4)
    # facts that hold whatever the implementation: omnidirectional pairs count twice, so
    # class 1 holds every sample twice; directional class 1 once
    assert blocks[0][1][0].split()[3] == "280" and blocks[1][1][0].split()[3] == "140"
    # the zero-distance class, in GSLIB's own number formats
    assert blocks[0][1][0] == ("   1         .000       .00000      280        4.35043"
                               "        4.35043")


@pytest.mark.parametrize("types", [(2, 3, -3), (6, 4, 1)])
def test_other_types_two_variables(layout, cluster, types):
    par = layout / "run" / "gamv.par"
    text = par.read_text().replace("1                                 \\standardize",
                                   "0                                 \\standardize")
    lines = text.splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.startswith("1   1   1"))
    lines[k:k + 3] = [f"1   2   {types[0]}", f"2   1   {types[1]}", f"1   2   {types[2]}"]
    par.write_text("\n".join(lines) + "\n")
    [path] = run_gamv(par)
    x, y, z, vr = cluster
    blocks = _blocks(path, 10)
    for b, (title, rows) in enumerate(blocks):
        tail, head = ((0, 1), (1, 0), (0, 1))[b // 3]
        it = types[b // 3]
        ref = gamv_reference(x, y, z, vr, 10, 5.0, 3.0, [GAMV_DIRS[b % 3]], tail, head, it)[0]
        _check_block(rows, ref, corr=abs(it) == 4)


def test_empty_classes_are_zeros_and_trimming(tmp_path):
    (tmp_path / "d.dat").write_text("line\n3\nx\nv\nw\n0 1 5\n1 2 -999\n10 4 6\n3 -999 -999\n")
    (tmp_path / "g.par").write_text(
        "START OF PARAMETERS:\nd.dat\n1 0 0\n1 2\n-998 1e21\nout/g.out\n3\n1.0\n0.5\n1\n"
        "0 90 1e9 0 90 1e9\n0\n1\n1 1 1\n")
    [path] = run_gamv(tmp_path / "g.par", leading_zero=True)
    rows = path.read_text().splitlines()
    assert rows[0] == f"{'Semivariogram':<24}tail:{'v':<12} head:{'v':<12}  direction  1 "
    zero = " " + "{:3d}" + " " + "0.000".rjust(12) + " " + "0.00000".rjust(12) + " " \
        + "0".rjust(8) + (" " + "0.00000".rjust(14)) * 2
    # the row at x = 3 has no value inside the limits and is dropped; x = 1 pairs with x = 0
    # only (h = 1, class 3); 3 samples with themselves, twice (omnidirectional) in class 1
    assert rows[1].split()[:4] == ["1", "0.000", "0.00000", "6"]
    assert rows[2] == zero.format(2) and rows[4] == zero.format(4)
    assert rows[3].split() == ["3", "1.000", "0.50000", "2", "1.50000", "1.50000"]


@pytest.mark.parametrize("code, match", [
    ("9  2.5", "indicator variograms are not supported"),
    ("10 1", "indicator variograms are not supported"),
    ("5", r"type 5 \(general relative semivariogram\) is not supported"),
    ("-1", "only to -3"),
    ("11", "not a gamv variogram type"),
])
def test_unsupported_types(layout, code, match):
    par = layout / "run" / "gamv.par"
    par.write_text(par.read_text().replace("2   2   1       ", f"2   2   {code}      "))
    with pytest.raises(InputError, match=match) as e:
        run_gamv(par)
    assert e.value.file == str(par) and e.value.row == 21
    assert not (layout / "run" / "gamv.out").exists()


def test_column_out_of_range(layout):
    par = layout / "run" / "gamv.par"
    par.write_text(par.read_text().replace("2   3   4    ", "2   3   9    "))
    with pytest.raises(InputError, match="has 5 variables") as e:
        run_gamv(par)
    assert e.value.row == 7
