"""Cut the small real-data subsets in tests/data/ from the shared drill-hole sets.

Not run by the tests: run it by hand from the repository root to rebuild the subsets,

    python tests/data/make_subsets.py [path/to/shared/data/drillholes]

(default ``../shared/data/drillholes``). Every file keeps its header and exactly the lines of the
chosen holes, byte for byte and in the original order (BOM, CRLF line ends and quoting kept), so
the subsets carry the same mess as the full sets. The licence is copied next to each subset and a
README.md states the source and the holes taken.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = "cardinalgeo/drilldown @ 5d65814f"

# Each set: folder in the shared data, subset folder, source path, files (name, index of the hole
# id column), and the holes with the problems each one shows.
SETS = {
    "copper_creek": {
        "subset": "copper_creek_subset",
        "path": "drilldown/examples/data/copper_creek/",
        "files": [("collar.csv", 0), ("survey.csv", 0), ("assay.csv", 0)],
        "holes": {
            "NE-6": "141 exact duplicate intervals and 10 overlaps (a second assay run of the "
                    "hole), gaps, negative Mo codes, first survey at 30.48 m",
            "CA28_PLUS_8": "4 overlaps (re-assayed composites over 3 m samples), negative Mo",
            "AH-3": "2 dog-legs; negative Cu, Mo and Ag codes",
            "SB-2": "2 dog-legs",
            "RGC-08-043": "gaps; negative Mo, Ag and Au codes",
            "RPE-08-035": "gap; negative Mo, Ag and Au codes",
            "UB-2R": "gap; negative Cu codes",
            "A-11": "single survey at 441.96 m (below the collar), azimuth written 360",
            "EH1": "drilled upward (dip +5), survey at 12.8 m",
            "EH5": "drilled upward (dip +5), gaps",
            "EH10": "drilled upward (dip +5), two surveys from the collar",
            "UG7": "drilled upward (dip +45), survey at 30.48 m",
            "SP2": "horizontal hole (dip 0), survey below the collar, gap",
            "AR-1": "collar and survey but no assays (azimuth 360)",
            "BM-1": "collar and survey but no assays; survey below the collar, dip 0",
            "VIX34_PLUS_5": "collar and surveys but no assays; 2 dog-legs",
        },
    },
    "macpass_tom_zone": {
        "subset": "tom_zone_subset",
        "path": "drilldown/examples/data/macpass_project/tom_zone/",
        "files": [("collar.csv", 0), ("survey.csv", 0), ("assay.csv", 0),
                  ("interpretation.csv", 1)],
        "holes": {
            "TRC20-002": "9 dog-legs, first survey below the collar; 4 facies in interpretation",
            "TS17-001": "gaps, first survey below the collar; 4 facies",
            "TS054": "gap in assays and in interpretation, dog-leg; 2 facies",
            "TS018": "6 gaps, dog-leg; 4 facies",
            "TU009": "underground hole drilled upward (dip > 0), assay and interpretation gaps",
            "TU030": "drilled upward, assay and interpretation gaps",
            "TU005": "horizontal underground hole (dip 0), gaps",
            "TS015": "collar without data, drilled upward at one station, dog-leg",
            "TS023A": "collar without data, 3 dog-legs",
            "TU072": "collar without data, drilled upward",
        },
    },
    "forrestania": {
        "subset": "forrestania_subset",
        "path": "drilldown/examples/data/forrestania/",
        "files": [("collar.csv", 0), ("survey.csv", 0), ("assay.csv", 0)],
        "holes": {
            "NH12-01": "overlap (11–12 m inside 8–12 m), negative below-detection codes",
            "NH12-02": "overlap (3–4 m inside 0–4 m), negative below-detection codes",
            "ZK101-1": "survey repeated on two lines, survey below the collar, 9 gaps",
            "FSRC044": "first survey at 50 m, below the collar",
            "SFD008": "5 gaps",
            "BD053": "collar with no survey and no assays",
            "NMD161": "collar with no survey and no assays",
        },
    },
}


def hole_of(line: bytes, column: int) -> str:
    text = line.decode("utf-8-sig")
    return next(csv.reader([text]))[column].strip()


def cut(src: Path, dst: Path, column: int, holes: set[str]) -> tuple[int, int]:
    lines = src.read_bytes().splitlines(keepends=True)
    out = [lines[0]]
    for line in lines[1:]:
        if line.count(b'"') % 2:
            raise SystemExit(f"{src}: a quoted field spans lines; cut by hand")
        if line.strip() and hole_of(line, column) in holes:
            out.append(line)
    dst.write_bytes(b"".join(out))
    return len(lines) - 1, len(out) - 1


def main(root: Path) -> None:
    licence = root / "DRILLDOWN_LICENSE.txt"
    for folder, spec in SETS.items():
        dst = HERE / spec["subset"]
        dst.mkdir(exist_ok=True)
        shutil.copyfile(licence, dst / "LICENSE.txt")
        holes = set(spec["holes"])
        counts = []
        for name, column in spec["files"]:
            n_all, n_sub = cut(root / folder / name, dst / name, column, holes)
            counts.append(f"| `{name}` | {n_sub} | {n_all} |")
        rows = "\n".join(f"| `{h}` | {why} |" for h, why in spec["holes"].items())
        (dst / "README.md").write_text(
            f"# {folder} subset (real data, for tests)\n\n"
            f"Source: {SOURCE}, `{spec['path']}` (MIT licence, `LICENSE.txt`), as copied to "
            f"`../shared/data/drillholes/{folder}/`.\n\n"
            "Cut by `tests/data/make_subsets.py`: the header and every line of the holes below, "
            "byte for byte and in the original order (encoding, BOM, line ends and quoting "
            "unchanged). Nothing was edited or added; every problem here is in the original.\n\n"
            "| file | data rows here | data rows in the full set |\n|---|---|---|\n"
            + "\n".join(counts) + "\n\n"
            "| hole | why it is here |\n|---|---|\n" + rows + "\n",
            encoding="utf-8")
        sizes = ", ".join(c.split("|")[2].strip() for c in counts)
        print(f"{dst.relative_to(HERE.parents[1])}: {sizes} data rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared/data/drillholes")
