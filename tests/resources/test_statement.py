"""Resource statements: a hand-computed case, totals equal to the sums of their parts (exact
and as printed), the files read back (CSV, XLSX with openpyxl, Markdown), and the 115 USGS
porphyry deposits through the statement with metal = ore × grade."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orebook.errors import ParameterError
from orebook.estimate.blockmodel import BlockModel
from orebook.estimate.grid import BlockGrid
from orebook.resources.statement import apportion, resource_statement, write_statement
from orebook.resources.tonnage import (
    ALL,
    NONE_LABEL,
    BlockTonnage,
    Density,
    block_tonnage,
    group_codes,
)

DATA = Path(__file__).parent / "tonnage_data"


def tiny_blocks() -> BlockTonnage:
    """Four blocks of 500 m³ × 2.0 t/m³ = 1000 t: (domain 1, A, 2 g/t), (1, C1, 0.5),
    (2, C1, unestimated), (2, no class, 4 g/t)."""
    grid = BlockGrid((0, 0, 0), (10, 10, 5), (2, 2, 1))
    m = BlockModel.from_grid(grid, {"au": np.array([2.0, 0.5, np.nan, 4.0]),
                                    "domain": np.array([1, 1, 2, 2]),
                                    "cls": np.array(["A", "C1", "C1", ""], dtype=object)})
    return block_tonnage(m, "au", Density(value=2.0), domain_column="domain",
                         class_column="cls")


def test_statement_by_hand():
    s = resource_statement(tiny_blocks(), 1.0, metal_units=("kg", "g"))
    t = s.table
    rows = list(zip(t["domain"], t["class"], t["level"]))
    assert rows == [("1", "A", "part"), ("1", "C1", "part"), ("1", ALL, "subtotal"),
                    ("2", NONE_LABEL, "part"), ("2", ALL, "subtotal"),
                    (ALL, "A", "class total"), (ALL, "C1", "class total"),
                    (ALL, NONE_LABEL, "class total"), (ALL, ALL, "total")]
    # above 1 g/t: (1, A) 1000 t at 2 g/t = 2 kg; (1, C1) nothing; (2, none) 1000 t at 4 = 4 kg
    assert t["tonnes_t"].tolist() == [1000, 0, 1000, 1000, 1000, 1000, 0, 1000, 2000]
    assert t["metal_kg"].tolist() == pytest.approx([2, 0, 2, 4, 4, 2, 0, 4, 6], rel=1e-15)
    assert t["metal_g"].tolist() == pytest.approx([2000, 0, 2000, 4000, 4000, 2000, 0, 4000,
                                                   6000], rel=1e-15)
    g = t["grade_gpt"].tolist()
    assert math.isnan(g[1]) and math.isnan(g[6])
    assert g[8] == pytest.approx(6.0 / 2.0, rel=1e-15)  # 6 kg / 2000 t = 3 g/t
    assert t["blocks"].tolist() == [1, 0, 1, 1, 1, 1, 0, 1, 2]
    assert s.parameters["cutoff"] == 1.0 and s.parameters["unestimated_blocks"] == 1


def test_statement_without_groups_is_one_total():
    b = tiny_blocks()
    plain = BlockTonnage(b.tonnes, b.grade)
    s = resource_statement(plain, 0.0)
    assert s.table["level"].tolist() == ["total"]
    assert s.table["tonnes_t"].iloc[0] == 3000.0
    assert "domain" not in s.table and "class" not in s.table


def test_apportion():
    assert apportion([1.4, 1.4, 1.2], 4).tolist() == [2, 1, 1]
    assert apportion([0.5, 0.5], 1).tolist() == [1, 0]  # a tie goes to the earlier row
    assert apportion([], 0).tolist() == []


def _random_blocks(seed: int, n: int, ndom: int, ncls: int) -> BlockTonnage:
    rng = np.random.default_rng(seed)
    g = rng.lognormal(0, 1, n)
    g[rng.random(n) < 0.1] = np.nan
    t = np.where(np.isfinite(g), rng.uniform(0, 5e4, n) * rng.integers(1, 4, n), 0.0)
    d = rng.integers(0, ndom, n)
    c = rng.integers(0, ncls, n)
    return BlockTonnage(t, g, {"domain": group_codes(d)[0], "class": group_codes(c)[0]},
                        {"domain": group_codes(d)[1], "class": group_codes(c)[1]})


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 80), ndom=st.integers(1, 4),
       ncls=st.integers(1, 4), cutoff=st.floats(0, 3),
       dec=st.tuples(st.integers(-3, 2), st.integers(0, 3), st.integers(-1, 3)))
def test_totals_are_the_sums_of_their_parts(seed, n, ndom, ncls, cutoff, dec):
    b = _random_blocks(seed, n, ndom, ncls)
    s = resource_statement(b, cutoff, metal_units=("kg", "oz"),
                           decimals=dict(zip(("tonnes", "grade", "metal"), dec)))
    t, d = s.table, s.display
    level = t["level"].to_numpy()
    parts = level == "part"
    ok = np.isfinite(b.grade) & (b.grade >= cutoff)
    for col, digits in (("tonnes_t", dec[0]), ("metal_kg", dec[2]), ("metal_oz", dec[2])):
        exact = t[col].to_numpy()
        # exact: each total is the correctly rounded sum of its parts
        total = exact[level == "total"][0]
        assert total == math.fsum(exact[parts])
        for i in np.flatnonzero(level == "subtotal"):
            mine = parts & (t["domain"].to_numpy() == t["domain"].iloc[i])
            assert exact[i] == math.fsum(exact[mine])
        for i in np.flatnonzero(level == "class total"):
            mine = parts & (t["class"].to_numpy() == t["class"].iloc[i])
            assert exact[i] == math.fsum(exact[mine])
        # and the parts are the blocks' own sums, counted by brute force
        # 1 t × 1 g/t = 1 g = 0.001 kg = 1 / 31.1034768 troy oz
        factor = {"tonnes_t": None, "metal_kg": 1e-3, "metal_oz": 1 / 31.1034768}[col]
        blockwise = b.tonnes[ok] if factor is None else b.tonnes[ok] * b.grade[ok] * factor
        assert total == pytest.approx(blockwise.sum(), rel=1e-9, abs=1e-9)
        # printed: in whole units of display, the totals are the sums of the rows under them
        units = np.round(d[col].to_numpy() * 10.0 ** digits).astype(np.int64)
        assert units[level == "total"][0] == round(total * 10.0 ** digits)
        assert units[level == "total"][0] == units[parts].sum()
        for i in np.flatnonzero(level == "subtotal"):
            mine = parts & (t["domain"].to_numpy() == t["domain"].iloc[i])
            assert units[i] == units[mine].sum()
            assert abs(units[i] - exact[i] * 10.0 ** digits) < 1 + 1e-6
        for i in np.flatnonzero(level == "class total"):
            mine = parts & (t["class"].to_numpy() == t["class"].iloc[i])
            assert units[i] == units[mine].sum()
        assert (np.abs(units[parts] - exact[parts] * 10.0 ** digits) < 1 + 1e-6).all()
    # grade: the row's metal over its tonnes
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(t["grade_gpt"], t["metal_kg"] * 1e3 / t["tonnes_t"],
                                   rtol=1e-12)


def test_statement_options_are_checked():
    b = tiny_blocks()
    for kw in ({"metal_units": ()}, {"metal_units": ("kg", "kg")},
               {"decimals": {"tonnes": 1.5}}, {"decimals": {"x": 1}}):
        with pytest.raises(ParameterError):
            resource_statement(b, 1.0, **kw)
    with pytest.raises(ParameterError):
        resource_statement(b, math.nan)
    with pytest.raises(ParameterError, match=".txt"):
        write_statement(resource_statement(b, 1.0), "x.txt")


# -- files ------------------------------------------------------------------------------------

def _statement():
    return resource_statement(_random_blocks(7, 60, 2, 3), 1.0, metal_units=("kg", "oz"),
                              parameters={"model": "m.parquet", "model_sha256": "ab" * 32})


def test_xlsx_reads_back(tmp_path):
    from openpyxl import load_workbook

    s = _statement()
    path = write_statement(s, tmp_path / "st.xlsx")
    wb = load_workbook(path)
    ws = wb["Statement"]
    assert "≥ 1 g/t" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert header == ["Domain", "Class", "Row", "Blocks", "Tonnes (t)", "Grade (g/t)",
                      "Metal (kg)", "Metal (troy oz)"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == len(s.display)
    for r, (_, want) in zip(ws.iter_rows(min_row=3), s.display.iterrows()):
        assert r[0].value == want["domain"] and r[2].value == want["level"]
        assert r[4].value == pytest.approx(want["tonnes_t"])
        assert r[6].value == pytest.approx(want["metal_kg"])
        # totals and subtotals in bold, parts not
        assert r[4].font.bold == (want["level"] != "part")
        assert r[4].number_format == "#,##0"
        assert r[6].number_format == "#,##0.0"
    total = next(r for r in rows if r[2] == "total")
    parts = [r for r in rows if r[2] == "part"]
    assert round(sum(r[4] for r in parts)) == round(total[4])
    params = dict(wb["Parameters"].iter_rows(min_row=2, values_only=True))
    assert params["cutoff"] == "1.0" and params["model_sha256"] == "ab" * 32
    assert params["grade_unit"] == "g/t"


def test_csv_reads_back(tmp_path):
    s = _statement()
    path = write_statement(s, tmp_path / "st.csv")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Resource statement")
    assert "# model_sha256: " + "ab" * 32 in text
    df = pd.read_csv(path, comment="#", dtype={"domain": str, "class": str})
    np.testing.assert_array_equal(df["tonnes_t_exact"], s.table["tonnes_t"])
    np.testing.assert_array_equal(df["metal_oz_exact"], s.table["metal_oz"])
    np.testing.assert_array_equal(df["tonnes_t"], s.display["tonnes_t"])
    assert df["level"].tolist() == s.table["level"].tolist()


def test_markdown(tmp_path):
    s = _statement()
    text = write_statement(s, tmp_path / "st.md").read_text(encoding="utf-8")
    assert "| Domain | Class | Blocks | Tonnes (t) | Grade (g/t) | Metal (kg) |" in text
    total = s.display[s.display["level"] == "total"].iloc[0]
    assert f"**{total['tonnes_t']:,.0f}**" in text
    assert "- model_sha256: `" + "ab" * 32 + "`" in text
    assert not list(tmp_path.glob(".*part"))  # nothing half-written left behind


# -- real grade-tonnage data ------------------------------------------------------------------

def test_usgs_porphyry_deposits_metal_is_ore_times_grade():
    """115 deposits, each one 'block' of its own domain: every part's metal is ore × grade
    exactly, agrees with the contained metal USGS publishes (to its 5 significant digits), and
    the total is the sum of the deposits."""
    df = pd.read_csv(DATA / "usgs_porphyry_cu_au_subtype_115.csv")
    assert len(df) == 115
    codes, labels = group_codes(df["deposit"].to_numpy(dtype=object))
    for grade_col, unit, metal_col in (("cu_pct", "%", "cu_t"), ("au_gpt", "g/t", "au_t")):
        b = BlockTonnage(df["ore_t"].to_numpy(float), df[grade_col].to_numpy(float),
                         {"domain": codes}, {"domain": labels})
        s = resource_statement(b, 0.0, grade_unit=unit, metal_units=("t",))
        parts = s.table[s.table["level"] == "part"].set_index("domain")
        mine = df.set_index("deposit").loc[parts.index]
        factor = 0.01 if unit == "%" else 1e-6  # % → t of metal per t; g/t → t per t
        np.testing.assert_array_equal(parts["metal_t"], mine["ore_t"] * mine[grade_col] * factor)
        np.testing.assert_allclose(parts["metal_t"], mine[metal_col], rtol=2e-5)
        np.testing.assert_array_equal(parts["tonnes_t"], mine["ore_t"])
        total = s.table[s.table["level"] == "total"].iloc[0]
        assert total["tonnes_t"] == math.fsum(df["ore_t"])
        assert total["metal_t"] == math.fsum(parts["metal_t"])
        assert total[f"grade_{'pct' if unit == '%' else 'gpt'}"] == pytest.approx(
            math.fsum(df["ore_t"] * df[grade_col]) / math.fsum(df["ore_t"]), rel=1e-12)
