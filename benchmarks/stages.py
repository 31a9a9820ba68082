"""Where a cold build's time goes, stage by stage, from one profiled `mkdocs build` (`make bench`).

cProfile counts the time spent inside each stage's entry point (its cumulative time), in the
build's own process; chapter execution runs in other processes, so its stage is the wall time
the build waited for them. Profiling slows pure-Python stages more than waiting ones: read the
shares, not the seconds, as the finding.
"""

from __future__ import annotations

import cProfile
import pstats
import sys

# Stage -> (file suffix, function name) of the entry points whose cumulative time is the stage's.
STAGES = {
    "execution (pool, cache)": [("literate/run/execute.py", "run_all")],
    "figures and notebooks handed to MkDocs": [
        ("literate/adapter/mkdocs_plugin.py", "_add_figures"),
        ("literate/adapter/mkdocs_plugin.py", "_add_notebooks"),
    ],
    "weaving outputs into pages": [("literate/render/weave.py", "weave")],
    "notebook pages (mkdocs-jupyter)": [("mkdocs_jupyter/plugin.py", "new_render")],
    "Markdown to HTML (chapters and other pages)": [("mkdocs/structure/pages.py", "render")],
    "link check (htmlproofer)": [("htmlproofer/plugin.py", "on_post_page")],
    "search index": [("search/plugin.py", "on_page_context"), ("search/plugin.py", "on_post_build")],
    "templates (theme)": [("mkdocs/commands/build.py", "_build_page")],
}


def profile_build(config_file: str, site_dir: str) -> tuple[float, dict[str, float]]:
    """Seconds of the whole build and of each stage."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    profiler = cProfile.Profile()
    profiler.enable()
    build(load_config(config_file, site_dir=site_dir, strict=True))
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(entry[3] for entry in stats.stats.values())  # the outermost cumulative time
    stages = {}
    for stage, points in STAGES.items():
        seconds = 0.0
        for (filename, _, function), entry in stats.stats.items():
            if any(filename.endswith(suffix) and function == name for suffix, name in points):
                seconds += entry[3]
        stages[stage] = seconds
    return total, stages


if __name__ == "__main__":
    total, stages = profile_build(sys.argv[1], sys.argv[2])
    for stage, seconds in stages.items():
        print(f"{stage}\t{seconds:.2f}\t{seconds / total:.0%}")
    print(f"total\t{total:.2f}")
