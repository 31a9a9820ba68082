"""Atomic writes: readers see the old or the new file, with an ordinary file's mode."""

from __future__ import annotations

import os
import stat

from literate.atomic import UMASK, write_atomic


def test_the_file_gets_the_mode_the_umask_gives_and_no_temporary_file_is_left(tmp_path):
    path = tmp_path / "sub" / "module.py"
    write_atomic(path, "x = 1\n")
    write_atomic(path, "x = 2\n")
    assert path.read_text() == "x = 2\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~UMASK
    assert [p.name for p in path.parent.iterdir()] == ["module.py"]
