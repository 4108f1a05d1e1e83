"""Classification rules: every bound, first match, domains, the crosswalk, the reader's errors
(line and key, fuzzed), a block-by-block reference, and ``orebook classify`` end to end."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orebook.cli import app
from orebook.crosswalk import read_crosswalk
from orebook.errors import InputError, ParameterError
from orebook.estimate import BlockGrid, BlockModel
from orebook.resources.classify import CONDITIONS, Rule, Rules, classify, read_rules, to_crirsco

NAN = np.nan


def _states(cols, rules, **kw):
    return classify(cols, rules, **kw).state_text().tolist()


# -- rules on hand-made blocks ----------------------------------------------------------------

# condition, bound, statistic values of three blocks, expected classes (bounds are inclusive)
BOUNDARIES = [
    ("max_pass", 2, [1, 2, 3], ["B", "B", "unclassified"]),
    ("min_pass", 2, [1, 2, 3], ["unclassified", "B", "B"]),
    ("min_holes", 3, [2, 3, 4], ["unclassified", "B", "B"]),
    ("min_samples", 8, [7, 8, 30], ["unclassified", "B", "B"]),
    ("max_distance_m", 25.0, [24.99, 25.0, 25.01], ["B", "B", "unclassified"]),
    ("max_variance", 0.3, [0.2999, 0.3, NAN], ["B", "B", "unclassified"]),
    ("min_slope", 0.8, [0.8, 0.7999, NAN], ["B", "unclassified", "unclassified"]),
    ("min_efficiency", -0.5, [-0.5, -0.51, 0.0], ["B", "unclassified", "B"]),
]


@pytest.mark.parametrize("key, bound, values, want", BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_each_bound_is_inclusive_and_nan_fails(key, bound, values, want):
    stat = CONDITIONS[key][0]
    cols = {"estimate": np.ones(3), stat: np.array(values)}
    assert _states(cols, Rules((Rule("B", conditions={key: bound}),))) == want


def test_every_condition_of_a_rule_must_hold():
    cols = {"estimate": np.ones(4), "pass": np.array([1, 1, 2, 1]),
            "nholes": np.array([3, 2, 3, 5]), "slope": np.array([0.9, 0.9, 0.9, 0.5])}
    rules = Rules((Rule("A", conditions={"max_pass": 1, "min_holes": 3, "min_slope": 0.85}),))
    assert _states(cols, rules) == ["A", "unclassified", "unclassified", "unclassified"]


def test_the_first_matching_rule_wins():
    cols = {"estimate": np.ones(3), "nholes": np.array([5, 3, 1])}
    strict, loose = Rule("B", conditions={"min_holes": 4}), Rule("C1", conditions={"min_holes": 2})
    assert _states(cols, Rules((strict, loose, Rule("C2")))) == ["B", "C1", "C2"]
    assert _states(cols, Rules((loose, strict, Rule("C2")))) == ["C1", "C1", "C2"]
    stop = Rule("unclassified", conditions={"min_holes": 3})
    assert _states(cols, Rules((stop, Rule("C2")))) == ["unclassified", "unclassified", "C2"]
    r = classify(cols, Rules((strict, loose, Rule("C2"))))
    assert r.rule_blocks == (1, 1, 1)


def test_unestimated_blocks_see_no_rule():
    cols = {"cu_estimate": np.array([NAN, 1.0, 2.0]), "cu_nholes": np.array([9, 9, 0])}
    rules = Rules((Rule("A", conditions={"min_holes": 1}),), prefix="cu_")
    r = classify(cols, rules)
    assert r.state_text().tolist() == ["unestimated", "A", "unclassified"]
    assert r.state.tolist() == [-1, 0, 4]
    assert r.counts == {"A": 1, "B": 0, "C1": 0, "C2": 0, "unclassified": 1, "unestimated": 1}
    everything = Rules((Rule("C2"),), prefix="cu_")
    assert _states(cols, everything) == ["unestimated", "C2", "C2"]


def test_rules_per_domain():
    cols = {"estimate": np.ones(6), "nholes": np.array([4, 4, 4, 1, 4, 4]),
            "zone": np.array(["ox", "sx", "tr", "ox", "", "ox"], dtype=object)}
    rules = Rules((Rule("B", ("ox",), {"min_holes": 3}),
                   Rule("C1", ("sx", "tr"), {"min_holes": 3}),
                   Rule("C2", ("ox",))), domain_column="zone")
    # ox with 4 holes → B; sx, tr → C1; ox with 1 hole → C2; "" matches no domain rule
    assert _states(cols, rules) == ["B", "C1", "C1", "C2", "unclassified", "B"]
    # numeric domain codes: 1 matches 1, 1.0 and "1"
    for values in (np.array([1, 2, 1]), np.array([1.0, 2.0, NAN]),
                   np.array(["1", "2", "1"], dtype=object)):
        cols = {"estimate": np.ones(3), "zone": values}
        rules = Rules((Rule("C1", (1,)), Rule("C2")), domain_column="zone")
        want = ["C1", "C2", "C1" if values.dtype.kind != "f" else "C2"]
        assert _states(cols, rules) == want, values
    # a rule without a domain applies to every domain, at its place in the order
    cols = {"estimate": np.ones(2), "zone": np.array(["ox", "sx"], dtype=object)}
    rules = Rules((Rule("C1"), Rule("B", ("ox",))), domain_column="zone")
    assert _states(cols, rules) == ["C1", "C1"]


def test_the_crosswalk_gives_the_crirsco_class(tmp_path):
    cols = {"estimate": np.array([1, 1, 1, 1, 1, NAN]),
            "nholes": np.array([9, 7, 5, 3, 0, 0])}
    rules = Rules((Rule("A", conditions={"min_holes": 9}), Rule("B", conditions={"min_holes": 7}),
                   Rule("C1", conditions={"min_holes": 5}),
                   Rule("C2", conditions={"min_holes": 3})))
    r = classify(cols, rules)
    # CONVENTIONS.md: A, B → Measured; C1 → Indicated; C2 → Inferred
    assert r.crirsco_text().tolist() == ["Measured", "Measured", "Indicated", "Inferred",
                                         "unclassified", "unestimated"]
    assert r.crirsco_counts == {"Measured": 2, "Indicated": 1, "Inferred": 1,
                                "unclassified": 1, "unestimated": 1}
    # a user's table: C1 is Measured, C2 has no resource class
    (tmp_path / "cw.csv").write_text(
        "state,crirsco_resource,crirsco_reserve,unfc_reserve,unfc_resource\n"
        "A,Measured,Proved,111,221\nB,Measured,Proved,111,221\nC1,Measured,Probable,112,222\n"
        "C2,,,,223\n")
    r = classify(cols, rules, tmp_path / "cw.csv")
    assert r.state_text().tolist()[:4] == ["A", "B", "C1", "C2"]
    assert r.crirsco_text().tolist() == ["Measured"] * 3 + ["unmapped", "unclassified",
                                                             "unestimated"]
    assert r.crirsco_classes == ("Measured", "unmapped", "unclassified")
    # named in the rules
    r2 = classify(cols, Rules(rules.rules, crosswalk=tmp_path / "cw.csv"))
    assert r2.crirsco_text().tolist() == r.crirsco_text().tolist()
    codes, classes = to_crirsco(np.array([3, -1, 2]), read_crosswalk())
    assert [(["unestimated"] + list(classes))[c + 1] for c in codes] == [
        "Inferred", "unestimated", "Indicated"]


def test_a_block_model_is_classified_and_missing_columns_are_named():
    grid = BlockGrid((0, 0, 0), (10, 10, 5), (2, 2, 1))
    m = BlockModel.from_grid(grid, {"cu_estimate": [1.0, 2.0, NAN, 3.0],
                                    "cu_pass": [1, 2, 0, 1]}, {"source": "test"})
    rules = Rules((Rule("C1", conditions={"max_pass": 1}), Rule("C2")), prefix="cu_")
    assert _states(m, rules) == ["C1", "C2", "unestimated", "C1"]
    with pytest.raises(ParameterError, match="cu_nholes"):
        classify(m, Rules((Rule("B", conditions={"min_holes": 2}),), prefix="cu_"))
    with pytest.raises(ParameterError, match="'estimate'"):
        classify(m, rules.__class__(rules.rules))
    with pytest.raises(ParameterError, match="domain column 'zone'"):
        classify(m, Rules((Rule("B", ("ox",)),), prefix="cu_", domain_column="zone"))
    with pytest.raises(ParameterError, match="category"):
        Rule("D")
    with pytest.raises(ParameterError, match="unknown condition"):
        Rule("B", conditions={"min_hole": 2})
    with pytest.raises(ParameterError, match="domain_column"):
        Rules((Rule("B", ("ox",)),))


def _reference(cols, rules):
    """Block by block: the first rule whose domain and conditions all hold; the class of each
    block and the number of blocks each rule classified."""
    out = []
    used = [0] * len(rules.rules)
    dom = cols.get(rules.domain_column) if rules.domain_column else None
    for i in range(len(cols[rules.column("estimate")])):
        if np.isnan(cols[rules.column("estimate")][i]):
            out.append("unestimated")
            continue
        cat = "unclassified"
        for j, r in enumerate(rules.rules):
            if r.domains is not None and dom[i] not in r.domains:
                continue
            ok = True
            for key, bound in r.conditions.items():
                v = float(cols[rules.column(CONDITIONS[key][0])][i])
                ok &= (v <= bound) if CONDITIONS[key][1] == "<=" else (v >= bound)
            if ok:
                cat = r.category
                used[j] += 1
                break
        out.append(cat)
    return out, tuple(used)


@settings(deadline=None, max_examples=60, derandomize=True)
@given(data=st.data())
def test_agrees_with_a_block_by_block_reference(data):
    n = data.draw(st.integers(1, 30))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    est = rng.random(n)
    est[rng.random(n) < 0.2] = NAN
    cols = {"g_estimate": est, "g_pass": rng.integers(1, 4, n),
            "g_nholes": rng.integers(0, 6, n), "g_nsamples": rng.integers(0, 20, n),
            "g_mean_distance_m": np.round(rng.random(n) * 50),
            "g_variance": np.where(rng.random(n) < 0.2, NAN, np.round(rng.random(n), 1)),
            "g_slope": np.round(rng.random(n), 1), "g_efficiency": np.round(rng.random(n), 1),
            "dom": rng.choice(np.array(["a", "b", "c"], dtype=object), n)}
    bounds = {"max_pass": st.integers(1, 3), "min_pass": st.integers(1, 3),
              "min_holes": st.integers(0, 5), "min_samples": st.integers(0, 19),
              "max_distance_m": st.integers(0, 50).map(float),
              "max_variance": st.sampled_from([0.1, 0.5, 0.9]),
              "min_slope": st.sampled_from([0.2, 0.5, 0.8]),
              "min_efficiency": st.sampled_from([0.2, 0.5, 0.8])}
    rules = []
    for _ in range(data.draw(st.integers(1, 5))):
        keys = data.draw(st.lists(st.sampled_from(sorted(bounds)), max_size=3, unique=True))
        dom = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(["a", "b", "c"]),
                                                      min_size=1, max_size=2)))
        rules.append(Rule(data.draw(st.sampled_from(["A", "B", "C1", "C2", "unclassified"])),
                          tuple(dom) if dom else None,
                          {k: data.draw(bounds[k]) for k in keys}))
    r = Rules(tuple(rules), prefix="g_", domain_column="dom")
    got = classify(cols, r)
    want, used = _reference(cols, r)
    assert got.state_text().tolist() == want
    assert got.rule_blocks == used
    assert sum(got.counts.values()) == n


# -- reading rules ----------------------------------------------------------------------------

RULES = '''# rules for the tests
[classification]
prefix = "cu_"
domain_column = "zone"

[[classification.rule]]
domain = "ox"
category = "B"
max_pass = 1
min_holes = 3
min_slope = 0.8

[[classification.rule]]
domain = ["ox", "sx"]
category = "c1"
max_distance_m = 50.0

[[classification.rule]]
category = "C2"

[classification.smoothing]
iterations = 2
window = [3, 3, 1]
max_same = 1
'''


def _write(folder: Path, text: str, name: str = "rules.toml") -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_rules(tmp_path):
    rules = read_rules(_write(tmp_path, RULES))
    assert [r.category for r in rules.rules] == ["B", "C1", "C2"]
    assert [r.line for r in rules.rules] == [6, 13, 18]
    assert rules.rules[0].domains == ("ox",) and rules.rules[1].domains == ("ox", "sx")
    assert rules.rules[2].domains is None and rules.rules[2].conditions == {}
    assert rules.rules[0].conditions == {"max_pass": 1, "min_holes": 3, "min_slope": 0.8}
    assert rules.column("nholes") == "cu_nholes" and rules.domain_column == "zone"
    assert rules.smoothing.iterations == 2 and rules.smoothing.window == (3, 3, 1)
    assert rules.smoothing.max_same == 1 and rules.crosswalk is None
    d = rules.to_dict()
    assert d["rules"][1] == {"category": "C1", "domain": ["ox", "sx"], "max_distance_m": 50.0,
                             "line": 13}


PLAN_HEAD = '''[samples]
file = "comp.csv"

[grid]
origin = [0.0, 0.0, 0.0]
size = [10.0, 10.0, 5.0]
count = [4, 4, 4]
'''


def test_the_prefix_comes_from_the_plan(tmp_path):
    one = PLAN_HEAD + '[[estimate]]\nvariable = "Cu_pct"\n\n[classification]\n' \
        '[[classification.rule]]\ncategory = "C2"\n'
    assert read_rules(_write(tmp_path, one)).column("pass") == "Cu_pct_pass"
    two = PLAN_HEAD + '[[estimate]]\nvariable = "Cu_pct"\n[[estimate]]\nvariable = "Au_gpt"\n' \
        'prefix = "au_"\n\n[classification]\n[[classification.rule]]\ncategory = "C2"\n'
    with pytest.raises(InputError, match="several variables"):
        read_rules(_write(tmp_path, two))
    named = two.replace("[classification]\n", '[classification]\nvariable = "Au_gpt"\n')
    assert read_rules(_write(tmp_path, named)).column("slope") == "au_slope"
    wrong = two.replace("[classification]\n", '[classification]\nvariable = "Zn"\n')
    with pytest.raises(InputError, match="not estimated") as e:
        read_rules(_write(tmp_path, wrong))
    assert e.value.row == 15 and e.value.column == "classification.variable"
    alone = '[classification]\n[[classification.rule]]\ncategory = "C2"\n'
    assert read_rules(_write(tmp_path, alone)).column("estimate") == "estimate"
    cols = alone.replace("[classification]\n", '[classification]\nprefix = "x_"\n') + \
        '[classification.columns]\nnholes = "NHOLES"\n'
    r = read_rules(_write(tmp_path, cols))
    assert r.column("nholes") == "NHOLES" and r.column("pass") == "x_pass"


@pytest.mark.parametrize("old, new, row, key, message", [
    ('category = "B"', 'category = "D"', 8, "classification.rule.category", "category must be"),
    ("min_holes = 3", "min_hole = 3", 10, "classification.rule.min_hole", "unknown key"),
    ("min_holes = 3", "min_holes = 2.5", 10, "classification.rule.min_holes", "whole number"),
    ("max_pass = 1", "max_pass = 0", 9, "classification.rule.max_pass", "≥ 1"),
    ("max_distance_m = 50.0", "max_distance_m = -1.0", 16,
     "classification.rule.max_distance_m", "≥ 0"),
    ("min_slope = 0.8", 'min_slope = "high"', 11, "classification.rule.min_slope", "a number"),
    ('domain = ["ox", "sx"]', "domain = []", 14, "classification.rule.domain", "domain"),
    ('domain_column = "zone"\n', "", 6, "classification.rule.domain", "domain_column"),
    ('category = "C2"', "max_pass = 2", 18, "classification.rule", "missing category"),
    ('prefix = "cu_"', 'prefixx = "cu_"', 3, "classification.prefixx", "unknown key"),
    ('prefix = "cu_"', "prefix = 3", 3, "classification.prefix", "text"),
    ("window = [3, 3, 1]", "window = [3, 2, 1]", 23, "classification.smoothing.window", "odd"),
    ("iterations = 2", "iterations = -2", 22, "classification.smoothing.iterations",
     "iterations"),
    ("max_same = 1", "max_sam = 1", 24, "classification.smoothing.max_sam", "unknown key"),
    ("[classification]\n", '[classification]\ncrosswalk = "none.csv"\n', 3,
     "classification.crosswalk", "not found"),
])
def test_errors_name_line_and_key(tmp_path, old, new, row, key, message):
    assert old in RULES
    p = _write(tmp_path, RULES.replace(old, new, 1))
    with pytest.raises(InputError) as e:
        read_rules(p)
    assert message in str(e.value), str(e.value)
    assert e.value.file == str(p) and e.value.column == key and e.value.row == row, \
        (e.value.row, e.value.column)


def test_missing_table_and_syntax_errors(tmp_path):
    with pytest.raises(InputError, match="no \\[classification\\] table") as e:
        read_rules(_write(tmp_path, PLAN_HEAD))
    assert e.value.column == "classification"
    with pytest.raises(InputError, match="needs at least one") as e:
        read_rules(_write(tmp_path, '[classification]\nprefix = ""\n'))
    with pytest.raises(InputError, match="not valid TOML") as e:
        read_rules(_write(tmp_path, RULES.replace("max_pass = 1", "max_pass = ")))
    assert e.value.row == 9
    with pytest.raises(InputError, match="not found"):
        read_rules(tmp_path / "nothing.toml")


@settings(deadline=None, max_examples=100, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_rules_end_in_input_errors(data):
    lines = RULES.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        choice = data.draw(st.integers(0, 2))
        if choice == 0:
            del lines[i]
        elif choice == 1 and "=" in lines[i]:
            key = lines[i].split("=")[0]
            lines[i] = key + "= " + data.draw(st.sampled_from(
                ['"x"', '""', "1", "-1", "0", "1.5", "[]", "[1, 2, 3]", "[3, 3, 3, 3]", "true",
                 "inf", "nan", '["a", "b"]', "[1, 2]", "{a = 1}", '"C1"', '"none.csv"',
                 "1e400", "[true]"]))
        else:
            lines.insert(i, data.draw(st.sampled_from(
                ["[[classification.rule]]", "[classification.smoothing]",
                 "[classification.columns]", "[classification]", "nholes = 'N'", "x = 1",
                 "[", "=", "", "[[estimate]]", "variable = 'cu'", "rule = 1",
                 "smoothing = 2", "columns = []"])))
    fd, name = tempfile.mkstemp(suffix=".toml")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        rules = read_rules(name)
        assert isinstance(rules, Rules) and rules.rules
    except InputError as exc:
        assert exc.file == name
    finally:
        os.unlink(name)


# -- the command line -------------------------------------------------------------------------

CLI_RULES = '''[classification]
prefix = "cu_"

[[classification.rule]]
category = "B"
max_pass = 1
min_holes = 3

[[classification.rule]]
category = "C2"
'''


@pytest.fixture
def tiny(tmp_path) -> Path:
    # four blocks in a row along X: estimate, pass, holes
    grid = BlockGrid((100.0, 200.0, 0.0), (10.0, 10.0, 5.0), (4, 1, 1))
    m = BlockModel.from_grid(grid, {"cu_estimate": [1.2, 0.8, 0.5, NAN],
                                    "cu_pass": [1, 1, 2, 0], "cu_nholes": [3, 2, 5, 0]},
                             {"source": "hand-made"})
    m.save_parquet(tmp_path / "model.parquet")
    _write(tmp_path, CLI_RULES)
    return tmp_path


def test_cli_classify_end_to_end(tiny):
    res = CliRunner().invoke(app, ["classify", str(tiny / "model.parquet"), "--rules",
                                   str(tiny / "rules.toml"), "--out", str(tiny / "out.parquet")])
    assert res.exit_code == 0, res.output
    m = BlockModel.load_parquet(tiny / "out.parquet")
    # block 0: pass 1, 3 holes → B; block 1: 2 holes → C2; block 2: pass 2 → C2; 3: no estimate
    assert m["class_state"].tolist() == ["B", "C2", "C2", "unestimated"]
    assert m["class_crirsco"].tolist() == ["Measured", "Inferred", "Inferred", "unestimated"]
    assert "class_state_smoothed" not in m.columns
    run = m.runs[-1]
    assert run["columns"] == ["class_state", "class_crirsco"]
    assert run["parameters"]["counts"]["B"] == 1 and run["parameters"]["rule_blocks"] == [1, 2]
    assert run["parameters"]["rules"]["rules"][0]["min_holes"] == 3
    assert "Blocks per class" in res.output

    # smoothing: block 0 (B) has one neighbour, block 1 (C2): a majority of one → C2; block 1
    # has B and C2 beside it: a tie, it stays; block 3 is unestimated
    res = CliRunner().invoke(app, ["classify", str(tiny / "out.parquet"), "--rules",
                                   str(tiny / "rules.toml"), "--smooth", "1"])
    assert res.exit_code == 0, res.output
    m = BlockModel.load_parquet(tiny / "out.parquet")
    assert m["class_state_smoothed"].tolist() == ["C2", "C2", "C2", "unestimated"]
    assert m["class_crirsco_smoothed"].tolist() == ["Inferred", "Inferred", "Inferred",
                                                    "unestimated"]
    assert m["class_state"].tolist() == ["B", "C2", "C2", "unestimated"]
    sm = m.runs[-1]["parameters"]["smoothing"]
    assert sm["changes"] == [{"from": "B", "to": "C2", "blocks": 1}]
    assert "1 blocks changed" in res.output

    # a user's crosswalk: B is Indicated here; no smoothing drops the smoothed columns
    (tiny / "cw.csv").write_text(
        "state,crirsco_resource,crirsco_reserve,unfc_reserve,unfc_resource\n"
        "B,Indicated,Probable,112,222\nC2,Inferred,,,223\n")
    res = CliRunner().invoke(app, ["classify", str(tiny / "out.parquet"), "--rules",
                                   str(tiny / "rules.toml"), "--crosswalk",
                                   str(tiny / "cw.csv")])
    assert res.exit_code == 0, res.output
    m = BlockModel.load_parquet(tiny / "out.parquet")
    assert m["class_crirsco"].tolist() == ["Indicated", "Inferred", "Inferred", "unestimated"]
    assert "class_state_smoothed" not in m.columns


@pytest.mark.parametrize("args, message", [
    (["--rules", "{d}/bad.toml"], "bad.toml, row 7"),
    (["--rules", "{d}/rules.toml", "--out", "{d}/out.csv"], ".parquet"),
    (["--rules", "{d}/rules.toml", "--smooth", "-1"], "--smooth"),
    (["--rules", "{d}/rules.toml", "--crosswalk", "{d}/none.csv"], "none.csv"),
])
def test_cli_errors_exit_with_a_message(tiny, args, message):
    _write(tiny, CLI_RULES.replace("min_holes = 3", "min_holes = three"), "bad.toml")
    before = (tiny / "model.parquet").read_bytes()
    res = CliRunner().invoke(app, ["classify", str(tiny / "model.parquet"),
                                   *[a.format(d=tiny) for a in args]])
    assert res.exit_code == 1
    assert "error" in res.output and message in res.output.replace("\n", ""), res.output
    assert (tiny / "model.parquet").read_bytes() == before
    assert not (tiny / "out.csv").exists()


def test_a_plan_holds_its_classification(tmp_path):
    from orebook.estimate.plan import read_plan

    plan = PLAN_HEAD + '''
[[estimate]]
variable = "cu"
method = "idw"

[[estimate.pass]]
radii = [40.0, 40.0, 15.0]

[output]
file = "model.parquet"

[classification]

[[classification.rule]]
category = "C1"
max_pass = 1
'''
    p = _write(tmp_path, plan, "plan.toml")
    assert read_plan(p).steps[0].prefix == "cu_"      # the plan reader leaves the table alone
    rules = read_rules(p)
    assert rules.column("pass") == "cu_pass" and rules.rules[0].line == 21
