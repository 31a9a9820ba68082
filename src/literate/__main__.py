"""Command line: `python -m literate tangle [--check]`."""

from __future__ import annotations

import argparse
import sys

from . import tangle
from .blocks import ChapterError
from .project import Project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m literate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    tangle_cmd = commands.add_parser("tangle", help="write the package from the chapters' #@save statements")
    tangle_cmd.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 with a diff if the package is out of step"
    )
    tangle_cmd.add_argument("--project", default=".", help="folder at or below the project's pyproject.toml")
    args = parser.parse_args(argv)

    project = Project.load(args.project)
    try:
        if args.check:
            diff = tangle.check(project)
            if diff:
                sys.stdout.write(diff)
                return 1
            print(f"{project.relative(project.package_dir)} is in step with the chapters")
            return 0
        changed = tangle.write(project)
    except (tangle.TangleError, ChapterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"{'wrote' if path.exists() else 'removed'} {project.relative(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
