"""Build a wheel of the tangled package: the same bytes from the same sources, without network.

A wheel is a zip archive of the package's files plus a `<name>-<version>.dist-info` folder
(METADATA, WHEEL, RECORD; see the binary distribution format in the Python Packaging User
Guide). Building it here with `zipfile` takes milliseconds and needs no build backend; fixed
timestamps and permissions make the bytes depend on the sources alone.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import re
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from literate.project import Project

TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # an importable name, which is also a valid project name
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*$")


@dataclass(frozen=True)
class Wheel:
    filename: str  # e.g. linreg-0.1.0-py3-none-any.whl
    data: bytes


def build_wheel(
    package_dir: Path,
    name: str,
    version: str,
    requires: tuple[str, ...] = (),
    summary: str = "",
    requires_python: str | None = None,
    home_page: str | None = None,
) -> Wheel:
    """A pure-Python wheel holding every `*.py` file of `package_dir` as the package `name`."""
    if not NAME.match(name):
        raise ValueError(f"name must be an importable name such as 'linreg', got {name!r}")
    if not VERSION.match(version):
        raise ValueError(f"version must be numbers separated by dots such as '0.1.0', got {version!r}")
    modules = sorted(Path(package_dir).glob("*.py"))
    if not any(p.name == "__init__.py" for p in modules):
        raise ValueError(f"package_dir {package_dir} has no __init__.py: not a package")
    dist_info = f"{name}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if summary:
        metadata.append(f"Summary: {summary}")
    if home_page:
        metadata.append(f"Home-page: {home_page}")
    if requires_python:
        metadata.append(f"Requires-Python: {requires_python}")
    metadata += [f"Requires-Dist: {r}" for r in requires]
    entries = [(f"{name}/{p.name}", p.read_bytes()) for p in modules]
    entries += [
        (f"{dist_info}/METADATA", ("\n".join(metadata) + "\n").encode()),
        (
            f"{dist_info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: literate\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ]
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in entries]
    entries.append((f"{dist_info}/RECORD", ("\n".join(record + [f"{dist_info}/RECORD,,"]) + "\n").encode()))

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=TIMESTAMP)
            info.external_attr = 0o644 << 16  # rw-r--r--, whatever the source files' modes
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return Wheel(f"{name}-{version}-py3-none-any.whl", buffer.getvalue())


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _first_line_of_docstring(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) if path.exists() else None
    return doc.strip().split("\n")[0] if doc else ""


def project_wheel(project: Project, home_page: str | None = None) -> Wheel:
    """The project's tangled package as a wheel: version and Python range from `[project]` in
    pyproject.toml, dependencies from `[tool.literate] wheel_requires` (default: none)."""
    pyproject = tomllib.loads((project.root / "pyproject.toml").read_text(encoding="utf-8"))
    table = pyproject.get("project", {})
    requires = pyproject.get("tool", {}).get("literate", {}).get("wheel_requires", [])
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise ValueError(f"{project.root / 'pyproject.toml'}: [tool.literate] wheel_requires must be a list of strings")
    return build_wheel(
        project.package_dir,
        project.package,
        str(table.get("version", "0.1.0")),
        tuple(requires),
        summary=_first_line_of_docstring(project.package_dir / "__init__.py"),
        requires_python=table.get("requires-python"),
        home_page=home_page,
    )
