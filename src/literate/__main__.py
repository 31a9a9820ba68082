"""Command line: `python -m literate tangle [--check]` and `python -m literate execute`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from literate.project import Project
from literate.source import tangle
from literate.source.blocks import ChapterError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m literate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    tangle_cmd = commands.add_parser("tangle", help="write the package from the chapters' #@save statements")
    tangle_cmd.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 with a diff if the package is out of step"
    )
    tangle_cmd.add_argument("--project", default=".", help="folder at or below the project's pyproject.toml")
    execute_cmd = commands.add_parser(
        "execute",
        help="run the chapters that miss the execution cache and store their outputs, as a build "
        "of that MkDocs config would (a build running beside it waits for them instead of running them)",
    )
    execute_cmd.add_argument("--config", default="mkdocs.yml", help="the MkDocs config whose `literate` options apply")
    args = parser.parse_args(argv)
    if args.command == "execute":
        return execute(Path(args.config))

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
    for path, text in changed.items():
        print(f"{'removed' if text is None else 'wrote'} {project.relative(path)}")
    return 0


def execute(config_file: Path) -> int:
    from mkdocs.exceptions import PluginError  # MkDocs is imported only here

    from literate.adapter.options import make_executor, plugin_options
    from literate.run.execute import ExecutionError

    try:
        options = plugin_options(config_file)
    except (OSError, PluginError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not options.execute:
        print(f"execution is off in {config_file}: nothing to run")
        return 0
    project = Project.load(config_file.parent)
    executor = make_executor(project, options)
    try:
        chapters = project.source_chapters()
        if diff := tangle.check(project, chapters):
            print(f"error: the package is out of step with the chapters (run `make tangle`):\n{diff}", file=sys.stderr)
            return 2
        runs = executor.fill_cache(chapters)
    except (tangle.TangleError, ChapterError, ExecutionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for run in runs:  # worded as a build logs it, which tests and `make bench` count
        print(f"literate: executed {run.chapter.name} in {run.seconds:.1f} s", file=sys.stderr)
    print(f"literate: {len(runs)} chapter(s) executed, {len(chapters) - len(runs)} found in the cache", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
