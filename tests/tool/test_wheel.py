"""The package's wheel: a valid, reproducible archive of the tangled modules."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from literate.export.wheel import build_wheel, project_wheel
from literate.project import Project


@pytest.fixture
def package(tmp_path) -> Path:
    folder = tmp_path / "src" / "tiny"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text('"""tiny: a package."""\n\nfrom .core import double\n')
    (folder / "core.py").write_text("# %% docs/chapters/01-a.md:12\ndef double(x):\n    return 2 * x\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"not source")
    return folder


def test_the_wheel_holds_the_modules_and_its_record_matches(package):
    wheel = build_wheel(package, "tiny", "1.2.0", ("torch",), summary="A package.", requires_python=">=3.11")
    assert wheel.filename == "tiny-1.2.0-py3-none-any.whl"
    archive = zipfile.ZipFile(io.BytesIO(wheel.data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == [
        "tiny/__init__.py",
        "tiny/core.py",
        "tiny-1.2.0.dist-info/METADATA",
        "tiny-1.2.0.dist-info/WHEEL",
        "tiny-1.2.0.dist-info/RECORD",
    ]
    assert archive.read("tiny/core.py") == (package / "core.py").read_bytes()
    metadata = archive.read("tiny-1.2.0.dist-info/METADATA").decode()
    assert metadata.splitlines() == [
        "Metadata-Version: 2.1",
        "Name: tiny",
        "Version: 1.2.0",
        "Summary: A package.",
        "Requires-Python: >=3.11",
        "Requires-Dist: torch",
    ]
    assert "Tag: py3-none-any" in archive.read("tiny-1.2.0.dist-info/WHEEL").decode()
    record = archive.read("tiny-1.2.0.dist-info/RECORD").decode().splitlines()
    assert record[-1] == "tiny-1.2.0.dist-info/RECORD,,"
    for line in record[:-1]:
        path, digest, size = line.rsplit(",", 2)
        data = archive.read(path)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={expected}", len(data)), path
    assert len(record) == len(names)


def test_the_same_sources_give_the_same_bytes_whatever_the_files_times_and_modes(package):
    first = build_wheel(package, "tiny", "1.2.0").data
    os.utime(package / "core.py", (0, 0))
    (package / "core.py").chmod(0o600)
    assert build_wheel(package, "tiny", "1.2.0").data == first
    (package / "core.py").write_text("def double(x):\n    return x + x\n")
    assert build_wheel(package, "tiny", "1.2.0").data != first


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"name": "tiny-pkg"}, "name must be an importable name"),
        ({"version": "one"}, "version must be numbers"),
    ],
)
def test_bad_arguments_are_named(package, arguments, message):
    with pytest.raises(ValueError, match=message):
        build_wheel(package, **{"name": "tiny", "version": "1.0", **arguments})


def test_a_folder_without_init_is_not_a_package(tmp_path):
    with pytest.raises(ValueError, match="has no __init__.py"):
        build_wheel(tmp_path, "tiny", "1.0")


def test_the_project_wheel_takes_version_and_dependencies_from_pyproject(package):
    root = package.parents[1]
    (root / "pyproject.toml").write_text(
        '[project]\nname = "book"\nversion = "0.3.1"\nrequires-python = ">=3.11"\n\n'
        '[tool.literate]\npackage = "tiny"\npackage_dir = "src/tiny"\nwheel_requires = ["torch"]\n'
    )
    wheel = project_wheel(Project.load(root), home_page="https://example.org/")
    metadata = zipfile.ZipFile(io.BytesIO(wheel.data)).read("tiny-0.3.1.dist-info/METADATA").decode()
    assert wheel.filename == "tiny-0.3.1-py3-none-any.whl"
    assert "Summary: tiny: a package.\nHome-page: https://example.org/\n" in metadata
    assert metadata.endswith("Requires-Dist: torch\n")


def test_pip_installs_the_wheel(package, tmp_path):
    wheel = build_wheel(package, "tiny", "1.2.0")
    path = tmp_path / wheel.filename
    path.write_bytes(wheel.data)
    target = tmp_path / "target"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(path),
        ],
        check=True,
    )
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import tiny; print(tiny.double(21), tiny.__file__)",
            str(target),
        ],
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["42", str(target / "tiny" / "__init__.py")], result.stderr
