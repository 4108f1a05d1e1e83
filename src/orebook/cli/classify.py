"""``orebook classify MODEL.parquet --rules PLAN.toml``: classify a block model's blocks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from orebook.errors import OrebookError

from ._app import app
from ._shared import console, fail, print_frame, steps

COLUMNS = ("class_state", "class_crirsco")
SMOOTHED = ("class_state_smoothed", "class_crirsco_smoothed")


@app.command()
def classify(
    model: Annotated[Path, typer.Argument(help="A block model (.parquet) with the estimation "
                                               "statistics.")],
    rules: Annotated[Path, typer.Option(
        "--rules", help="A plan or rules file (TOML) with a [classification] table; see "
                        "docs/classification.md.")],
    smooth: Annotated[int | None, typer.Option(
        "--smooth", help="Smoothing iterations (0: none); default: the rules file's.")] = None,
    crosswalk: Annotated[Path | None, typer.Option(
        "--crosswalk", help="Crosswalk table (CSV/XLSX) replacing the rules file's or "
                            "orebook's default.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Where to write the classified model (default: MODEL itself).")] = None,
) -> None:
    """Classify the blocks (A/B/C1/C2 and CRIRSCO), optionally smooth, and add the classes as
    columns of the block model."""
    from orebook.crosswalk import read_crosswalk
    from orebook.errors import ParameterError
    from orebook.estimate import BlockModel
    from orebook.io.runlog import file_sha256
    from orebook.resources.classify import STATE_CLASSES, labels_of, read_rules, to_crirsco
    from orebook.resources.classify import classify as run_classify
    from orebook.resources.smoothing import smooth as run_smooth

    try:
        if out is not None and out.suffix.lower() != ".parquet":
            raise ParameterError(f"--out: the classified model is a .parquet file, got "
                                 f"{out.name}")
        if smooth is not None and smooth < 0:
            raise ParameterError(f"--smooth: expected a whole number ≥ 0, got {smooth}")
        with steps(4) as step:
            step("Reading the rules")
            r = read_rules(rules)
            cw_path = crosswalk if crosswalk is not None else r.crosswalk
            cw = read_crosswalk(cw_path)
            step("Reading the block model")
            m = BlockModel.load_parquet(model)
            step("Classifying")
            result = run_classify(m, r, cw)
            iterations = r.smoothing.iterations if smooth is None else smooth
            smoothed = None
            if iterations > 0:
                step("Smoothing")
                domain = None
                if r.smoothing.within_domains and r.domain_column:
                    if r.domain_column not in m.columns:
                        raise ParameterError(f"the model has no domain column "
                                             f"{r.domain_column!r} to smooth within")
                    domain = m[r.domain_column]
                smoothed = run_smooth(result.state, m.grid, m.index, iterations=iterations,
                                      window=r.smoothing.window, max_same=r.smoothing.max_same,
                                      domain=domain)
        columns = {COLUMNS[0]: result.state_text(), COLUMNS[1]: result.crirsco_text()}
        changes = []
        if smoothed is not None:
            sc, sclasses = to_crirsco(smoothed.classes, cw)
            columns[SMOOTHED[0]] = labels_of(smoothed.classes, STATE_CLASSES)
            columns[SMOOTHED[1]] = labels_of(sc, sclasses)
            changes = [{"from": STATE_CLASSES[a], "to": STATE_CLASSES[b], "blocks": n}
                       for (a, b), n in smoothed.changes.items()]
        else:   # classes smoothed by an earlier run would no longer match: drop them
            kept = {k: v for k, v in m.columns.items() if k not in SMOOTHED}
            if len(kept) != len(m.columns):
                m = BlockModel(m.grid, m.index, kept, m.runs)
        params = {
            "command": "classify", "model": str(model), "rules_file": str(rules),
            "rules_sha256": file_sha256(rules), "rules": r.to_dict(),
            "crosswalk": cw.source,
            "crosswalk_sha256": file_sha256(cw.source) if Path(cw.source).is_file() else None,
            "smoothing": ({**r.smoothing.to_dict(), "iterations": iterations,
                           "changed_per_iteration": list(smoothed.changed_per_iteration),
                           "changes": changes} if smoothed is not None else None),
            "counts": result.counts, "crirsco_counts": result.crirsco_counts,
            "rule_blocks": list(result.rule_blocks),
        }
        target = out if out is not None else model
        m.add_columns(columns, params, overwrite=True).save_parquet(target)
    except OrebookError as exc:
        raise fail(exc) from None

    codes = np.array([*range(len(STATE_CLASSES)), -1])      # every class, unestimated last
    crirsco, classes = to_crirsco(codes, cw)
    table = pd.DataFrame({"state class": labels_of(codes, STATE_CLASSES),
                          "CRIRSCO": labels_of(crirsco, classes),
                          "blocks": list(result.counts.values())})
    if smoothed is not None:
        after = np.bincount(smoothed.classes.astype(np.int64) + 1, minlength=codes.size)
        table["smoothed"] = [int(after[c + 1]) for c in codes]
    print_frame(table, f"Blocks per class ({len(m):,} blocks)")
    print_frame(pd.DataFrame({
        "rule": range(1, len(r.rules) + 1), "line": [x.line or 0 for x in r.rules],
        "domain": [", ".join(map(str, x.domains)) if x.domains else "all" for x in r.rules],
        "category": [x.category for x in r.rules], "blocks": list(result.rule_blocks)}),
        "Blocks classified by each rule (first match wins)")
    if smoothed is not None:
        if changes:
            print_frame(pd.DataFrame(changes),
                        f"Smoothing: {smoothed.n_changed:,} blocks changed "
                        f"({len(smoothed.changed_per_iteration)} iterations)")
        else:
            console.print("Smoothing changed no block.")
    console.print(f"Classified model: {target} (columns "
                  f"{', '.join(columns)})", highlight=False)
