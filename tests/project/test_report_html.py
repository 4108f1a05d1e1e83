"""The report's pieces on their own: the 3-D view by either backend, the statement PDF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orebook.report_html import render_view3d, write_statement_pdf

PNG = b"\x89PNG\r\n\x1a\n"


def _traces():
    return pd.DataFrame({"hole": ["A", "A", "B", "B"], "x": [0.0, 10.0, 20.0, 30.0],
                         "y": [0.0, 0.0, 5.0, 5.0], "z": [100.0, 50.0, 100.0, 50.0]})


@pytest.mark.parametrize("backend", ["matplotlib", "auto"])
def test_the_3d_view_is_a_png(tmp_path, backend):
    xyz = np.array([[5.0, 0.0, 75.0], [25.0, 5.0, 75.0]])
    path, used = render_view3d(_traces(), xyz, np.array([1.0, 2.0]), (5.0, 10.0, 5.0), 45.0,
                               tmp_path / "view.png", backend=backend)
    assert path.read_bytes().startswith(PNG)
    assert used in ("pyvista", "matplotlib") and (backend == "auto" or used == backend)
    assert [p.name for p in tmp_path.iterdir()] == ["view.png"]     # no temporary file left


def test_the_statement_pdf(tmp_path):
    table = pd.DataFrame({"domain": ["(all)"], "class": ["B"], "tonnes_t": [1234.0],
                          "grade_g_t": [2.5], "metal_kg": [3.085]})
    path = write_statement_pdf(table, tmp_path / "s.pdf", title="Statement <x>",
                               lines=["cut-off 0.5 g/t"])
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
