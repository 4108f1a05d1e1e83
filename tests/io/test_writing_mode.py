"""Outputs are readable as a plain open() would leave them (not the 0600 of a temp file)."""

import os
import stat

from orebook.io.writing import write_text_atomic


def test_outputs_get_the_umask_mode(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    p = write_text_atomic(tmp_path / "out.txt", "x")
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask
