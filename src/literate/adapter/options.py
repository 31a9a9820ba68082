"""The MkDocs plugin's options (`plugins: literate:` in mkdocs.yml), and reading them without MkDocs.

`python -m literate execute` reads them with `plugin_options`: MkDocs' own loader imports every
plugin the config names, which would undo most of what starting the chapters early saves.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as opt
from mkdocs.exceptions import PluginError
from mkdocs.utils.yaml import yaml_load

from literate.cache import DEFAULT_KEEP_DAYS
from literate.project import Project
from literate.run.execute import DEFAULT_OUTPUT_LIMIT, DEFAULT_TIMEOUT, Executor
from literate.run.pool import KeptServer


class NotebookLinks(base.Config):
    """The link line put under each chapter's title; the book's own words, in its language."""

    download = opt.Type(str, default="Download this chapter as a Jupyter notebook")
    view = opt.Type(str, default="view it online")


class NotebookSetup(base.Config):
    """The words before a downloaded notebook's package cell (see standalone.py), in the book's language."""

    explanation = opt.Type(
        str,
        default=(
            "**This notebook runs on its own once downloaded.** Its first code cell (folded in Jupyter, "
            "left out of the web page) defines the code that earlier chapters saved into the `{package}` "
            "package and that this chapter imports ({modules}), so it runs from top to bottom with "
            "nothing but {needs} installed. That cell is generated from the package's source, and each "
            "definition names the chapter line it came from."
        ),
    )
    install = opt.Type(str, default="Or install the package and delete that cell: `pip install {wheel_url}`")
    separator = opt.Type(str, default=", ")


class LiterateConfig(base.Config):
    execute = opt.Type(bool, default=True)
    timeout = opt.Type((int, float), default=DEFAULT_TIMEOUT)  # seconds per chapter
    workers = opt.Optional(opt.Type(int))  # chapters run side by side; default: the usable cores
    preload = opt.ListOfItems(opt.Type(str), default=[])  # modules imported once, before any chapter
    output_limit = opt.Type(int, default=DEFAULT_OUTPUT_LIMIT)  # characters kept per block
    cache_dir = opt.Type(str, default=".cache/literate")  # every cache of the build, relative to the project root
    cache_days = opt.Type((int, float), default=DEFAULT_KEEP_DAYS)  # a cache entry no build used for this long goes
    # This edition's chapter pages, relative to docs_dir. Default: the project's chapters folder.
    chapters = opt.Optional(opt.Type(str))
    figures_dir = opt.Type(str, default="assets/figures")
    notebooks = opt.Type(bool, default=True)  # export each chapter as an executed .ipynb
    notebook_links = opt.SubConfig(NotebookLinks)
    notebook_setup = opt.SubConfig(NotebookSetup)
    wheel = opt.Type(bool, default=True)  # serve the tangled package as downloads/<name>-<version>-py3-none-any.whl


def make_executor(project: Project, config: LiterateConfig, servers: KeptServer | None = None) -> Executor:
    """The executor the options describe; with `servers`, its runs use (and leave running) that kept server."""
    workers = config.workers or len(os.sched_getaffinity(0))
    return Executor(
        project,
        project.root / config.cache_dir,
        config.timeout,
        workers,
        config.preload,
        config.output_limit,
        servers=servers,
    )


def plugin_options(config_file: Path) -> LiterateConfig:
    """This plugin's options in an MkDocs config file (`INHERIT` and `!ENV` resolved), validated.

    For `python -m literate execute`, which is there to start the chapters early: MkDocs' own
    `load_config` imports every plugin the file names, which takes longer than this whole command
    needs to start (ARCHITECTURE.md, Performance).
    """
    with open(config_file, encoding="utf-8") as stream:
        plugins = yaml_load(stream).get("plugins") or {}
    if isinstance(plugins, list):  # MkDocs also takes a list: names, or one-key mappings of options
        plugins = {k: v for item in plugins for k, v in (item.items() if isinstance(item, dict) else [(item, {})])}
    if "literate" not in plugins:
        raise PluginError(f"{config_file}: the `literate` plugin is not in its `plugins`")
    options = LiterateConfig(config_file_path=str(config_file))
    options.load_dict(plugins["literate"] or {})
    errors, _ = options.validate()
    if errors:
        raise PluginError(f"{config_file}: plugins.literate: " + "; ".join(f"{key}: {error}" for key, error in errors))
    return options
