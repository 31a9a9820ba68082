"""What a reader downloads from the built site works away from this project.

Each chapter's downloaded notebook runs top to bottom in a Jupyter kernel whose Python sees
torch and matplotlib but not the project (its editable `linreg`, its `src/`), in an empty
folder, and prints what the page shows. The package's wheel installs into a throwaway
virtualenv and its public functions run there.

The notebooks share one kernel, started once for the module, as a reader's JupyterLab does when
notebooks are run one after another: a kernel start costs its own start and the torch and
matplotlib imports, once per notebook otherwise. Before each notebook a hidden cell gives it
the state of a kernel just started (`FRESH_START`): no names, no `linreg` module nor the
importer a package cell installs, no open figure, matplotlib's, NumPy's and torch's settings and
torch's seed as they were, the warning filters as they were, and an empty folder of its own. A
notebook that uses a name, a module or a file only an earlier one made fails here as it would
alone.

The kernel's environment: a virtualenv made without pip whose `.pth` file adds the project
virtualenv's site-packages folder as a plain path entry. The `.pth` files inside that folder
(among them the editable install's, which adds `src/`) are then not processed, so third-party
packages import and the project does not. The kernel runs with `python -I`, which ignores
PYTHONPATH and the user's site-packages.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import time
import venv
from html import unescape
from pathlib import Path

import nbformat
import pytest
from builds import ROOT
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from literate.export.notebook import PACKAGE_TAG
from literate.project import Project
from literate.source.blocks import parse_file
from literate.source.imports import third_party

PROJECT = Project.load(ROOT)
CHAPTERS = PROJECT.chapter_files()
SITE_PACKAGES = sysconfig.get_paths()["purelib"]  # the project virtualenv's: torch, matplotlib, ipykernel

pytestmark = pytest.mark.slow


def bare_python(folder: Path) -> Path:
    """A virtualenv that imports the project's third-party packages but not the project."""
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "third_party.pth").write_text(SITE_PACKAGES + "\n", encoding="utf-8")
    return python


@pytest.fixture(scope="session")
def isolated_kernel(tmp_path_factory) -> KernelSpecManager:
    """A kernel spec `isolated` for a Python that cannot import the project's package."""
    folder = tmp_path_factory.mktemp("kernel")
    python = bare_python(folder / "venv")
    check = [
        python,
        "-I",
        "-c",
        f"import importlib.util as u, torch, matplotlib; print(u.find_spec({PROJECT.package!r}))",
    ]
    assert subprocess.run(check, capture_output=True, text=True, check=True).stdout.strip() == "None"
    spec = folder / "kernels" / "isolated"
    spec.mkdir(parents=True)
    argv = [str(python), "-I", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    # One math thread, as the build computes (literate.run.pool): a sum split over several threads
    # rounds differently, and a printed number on a rounding boundary would then differ.
    threads = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "isolated", "language": "python", "env": threads}),
        encoding="utf-8",
    )
    return KernelSpecManager(kernel_dirs=[str(folder / "kernels")])


# Run first in the shared kernel: what a kernel is at its start, recorded in a module of its own
# (which `%reset` does not clear) before any notebook runs; then, before each notebook, that state
# again. The notebook's own folder is FOLDER; SCRATCH holds every notebook's folder, so a module a
# notebook wrote and imported there is forgotten. Third-party modules stay imported: torch cannot
# be imported twice in one process. It prints nothing.
FRESH_START = """
import sys as _sys
if "_kernel_start" not in _sys.modules:
    import copy, types, warnings
    import matplotlib, matplotlib.pyplot, numpy, torch
    _start = _sys.modules["_kernel_start"] = types.ModuleType("_kernel_start")
    _start.meta_path = list(_sys.meta_path)
    _start.path = list(_sys.path)
    _start.rc = copy.deepcopy(dict(matplotlib.rcParams))
    _start.numpy = numpy.get_printoptions()
    _start.torch_seed = torch.initial_seed()
    _start.dtype = torch.get_default_dtype()
    _start.warnings = list(warnings.filters)
_start = _sys.modules["_kernel_start"]
for _name, _module in list(_sys.modules.items()):
    if _name.partition(".")[0] == PACKAGE or str(getattr(_module, "__file__", None)).startswith(SCRATCH):
        del _sys.modules[_name]
_sys.meta_path[:] = _start.meta_path
_sys.path[:] = _start.path
import os, warnings, matplotlib, matplotlib.pyplot, numpy, torch
matplotlib.pyplot.close("all")
dict.update(matplotlib.rcParams, _start.rc)
numpy.set_printoptions(**_start.numpy)
torch.set_printoptions(profile="default")
torch.set_default_dtype(_start.dtype)
torch.set_grad_enabled(True)
torch.manual_seed(_start.torch_seed)
warnings.filters[:] = _start.warnings
os.chdir(FOLDER)
get_ipython().run_line_magic("reset", "-f")
assert {n for n in dir() if not n.startswith("_")} <= {"In", "Out", "exit", "quit", "open", "get_ipython"}, dir()
"""


def run_fresh(notebook, kernel: KernelManager, folder: Path, scratch: Path) -> None:
    """Run `notebook` in `kernel` in `folder`, FRESH_START first (as its first cell)."""
    fresh = {"FOLDER": str(folder), "SCRATCH": str(scratch), "PACKAGE": PROJECT.package}
    start = re.sub("|".join(fresh), lambda m: repr(fresh[m[0]]), FRESH_START)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(start))
    client = NotebookClient(notebook, km=kernel, timeout=300)
    try:
        client.execute()
    finally:  # the kernel is the module's; this notebook's connection to it ends here
        if client.kc is not None:
            client.kc.stop_channels()


def test_a_notebook_sees_nothing_an_earlier_one_left_in_the_shared_kernel(kernel, tmp_path_factory):
    """The first notebook leaves a name, the package (from an importer like a package cell's), a
    module of its own folder on the path, an open figure and changed settings; the next one finds
    none of them."""
    scratch = tmp_path_factory.getbasetemp()
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    leave = f"""
import importlib.abc, importlib.util, pathlib, sys, matplotlib.pyplot as plt, numpy, torch

class _SourceImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        return importlib.util.spec_from_loader(fullname, self) if fullname == {PROJECT.package!r} else None
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        module.LEFT = True

sys.meta_path.insert(0, _SourceImporter())
import {PROJECT.package}
pathlib.Path("left_module.py").write_text("LEFT = True")
sys.path.insert(0, ".")  # the kernel runs `python -I`: its folder is not on the path
import left_module
left_name = 1
plt.figure()
plt.rcParams["lines.linewidth"] = 7
numpy.set_printoptions(precision=2)
torch.set_printoptions(precision=1)
torch.set_grad_enabled(False)
torch.manual_seed(123)
"""
    gone = f"""
import importlib.util, sys, matplotlib, matplotlib.pyplot as plt, numpy, torch
assert "left_name" not in globals()
assert importlib.util.find_spec({PROJECT.package!r}) is None
assert importlib.util.find_spec("left_module") is None and "left_module" not in sys.modules
assert plt.get_fignums() == [] and matplotlib.rcParams["lines.linewidth"] != 7
assert numpy.get_printoptions()["precision"] == 8 and str(torch.tensor(0.123456)) == "tensor(0.1235)"
assert torch.is_grad_enabled() and torch.initial_seed() != 123
"""
    run_fresh(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(leave)]), kernel, first, scratch)
    run_fresh(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(gone)]), kernel, second, scratch)


@pytest.fixture(scope="module")
def shared_kernel(isolated_kernel, tmp_path_factory):
    """One `isolated` kernel for the module's notebooks (each test gets it through `kernel`)."""
    manager = KernelManager(kernel_name="isolated", kernel_spec_manager=isolated_kernel)
    manager.start_kernel(cwd=str(tmp_path_factory.mktemp("kernel-cwd")))
    yield manager
    manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel(shared_kernel):
    """The shared kernel, started again if a notebook before ended it (its state is reset in FRESH_START)."""
    if not shared_kernel.is_alive():
        shared_kernel.restart_kernel(now=True)
    return shared_kernel


def text_outputs(cell) -> tuple[str, list[str]]:
    """Everything printed (a kernel may split it into several chunks) and the displayed values."""
    printed = "".join(o["text"] for o in cell["outputs"] if o["output_type"] == "stream" and o["name"] == "stdout")
    values = [o["data"]["text/plain"] for o in cell["outputs"] if o["output_type"] == "execute_result"]
    return printed, values


def read_notebook(path: Path):
    notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(notebook)
    return notebook


def is_package_cell(cell) -> bool:
    return PACKAGE_TAG in cell.metadata.get("tags", [])


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_downloaded_notebook_runs_alone_and_prints_what_the_page_shows(
    built_site, kernel, tmp_path, tmp_path_factory, chapter
):
    exported = read_notebook(built_site / "zh" / "downloads" / f"{chapter.stem}.ipynb")
    code = [c for c in exported.cells if c.cell_type == "code" and not is_package_cell(c)]
    blocks = parse_file(chapter).python_blocks
    assert [c.source for c in code] == [b.code.rstrip("\n") for b in blocks], "code cells are the page's blocks"
    if code:  # a chapter of prose only (the summary) exports a notebook of prose only
        assert any(c.outputs for c in code), "the exported notebook carries the executed outputs"
    # The kernel below has more than these installed (ipykernel needs it); what the code imports does not.
    needs = third_party([c.source for c in exported.cells if c.cell_type == "code"], PROJECT.package)
    assert set(needs) <= {"torch", "matplotlib"}, f"{chapter.name} needs {needs}"
    package_cells = [c for c in exported.cells if is_package_cell(c)]
    imports_package = any(re.search(rf"\b(from|import) {PROJECT.package}\b", b.code) for b in blocks)
    assert len(package_cells) == (1 if imports_package else 0)

    rerun = nbformat.from_dict(json.loads(json.dumps(exported)))
    for cell in rerun.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    # Before anything else, the kernel proves it cannot import the package on its own.
    probe = f"import importlib.util, sys\nassert importlib.util.find_spec({PROJECT.package!r}) is None, sys.path"
    rerun.cells.insert(0, nbformat.v4.new_code_cell(probe))
    start = time.perf_counter()
    run_fresh(rerun, kernel, tmp_path, tmp_path_factory.getbasetemp())
    print(f"{chapter.name}: ran in {time.perf_counter() - start:.1f} s")

    assert rerun.cells[0].outputs == [], "the fresh start prints nothing"
    assert [c.outputs for c in rerun.cells if is_package_cell(c)] in ([], [[]]), "the package cell prints nothing"
    after = [c for c in rerun.cells[2:] if c.cell_type == "code" and not is_package_cell(c)]
    for block, before, now in zip(blocks, code, after, strict=True):
        if "varying" in block.options:
            continue
        assert text_outputs(now) == text_outputs(before), f"{chapter.name}:{block.line}: outputs differ"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_every_edition_downloads_the_same_code(built_site, chapter):
    """So the English notebooks run wherever the Chinese ones do (tested above)."""
    source = read_notebook(built_site / "zh" / "downloads" / f"{chapter.stem}.ipynb")
    english = read_notebook(built_site / "en" / "downloads" / f"{chapter.stem}.ipynb")
    assert [c.source for c in english.cells if c.cell_type == "code"] == [
        c.source for c in source.cells if c.cell_type == "code"
    ]


def wheel_path(built_site: Path) -> Path:
    wheels = sorted((built_site / "zh" / "downloads").glob("*.whl"))
    assert [w.name for w in wheels] == [f"{PROJECT.package}-{project_version()}-py3-none-any.whl"]
    return wheels[0]


def project_version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)[1]


USE_THE_WHEEL = """
import importlib.metadata, pathlib, random, sys
import torch
import linreg
from linreg import Node, data_iter, linreg as model, sgd, squared_loss, synthetic_data, tensor_data_iter, train

assert pathlib.Path(linreg.__file__).is_relative_to(sys.prefix), linreg.__file__
assert importlib.metadata.requires("linreg") == ["torch"]
for module in ("data", "model", "loss", "optim", "training", "autograd", "checked"):
    text = pathlib.Path(linreg.__file__).with_name(module + ".py").read_text()
    assert "# %% docs/chapters/" in text, module + ".py no longer names the chapter lines it came from"

_ = torch.manual_seed(0)
random.seed(0)
features, labels = synthetic_data(torch.tensor([2, -3.4]), 4.2, 1000)
X, y = next(data_iter(10, features, labels))
assert X.shape == (10, 2) and y.shape == (10, 1)
assert sum(len(Xb) for Xb, _ in tensor_data_iter(64, features, labels)) == 1000
w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
squared_loss(model(X, w, b), y).sum().backward()
sgd([w, b], 0.03, 10)
assert w.grad.abs().sum() == 0 and b.grad.abs().sum() == 0, "sgd zeroes the gradients"
history = train(features, labels, w, b)
assert history["epoch_losses"][-1] < 1e-3, history["epoch_losses"]
node = Node(torch.tensor([[1.0, 2.0]]))
(node @ Node(torch.tensor([[3.0], [4.0]]))).sum().backward()
assert node.grad.tolist() == [[3.0, 4.0]]
print("final loss", history["epoch_losses"][-1])
"""


def test_the_wheel_installs_in_a_clean_virtualenv_and_works(built_site, tmp_path):
    wheel = wheel_path(built_site)
    python = bare_python(tmp_path / "venv")
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-cache-dir",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
        env={**os.environ, "PIP_REQUIRE_VIRTUALENV": "0"},
    )
    installed = time.perf_counter()
    result = subprocess.run([python, "-I", "-c", USE_THE_WHEEL], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    print(
        f"wheel {wheel.stat().st_size} bytes: pip install {installed - start:.1f} s, "
        f"use {time.perf_counter() - installed:.1f} s; {result.stdout.strip()}"
    )


def default_site_url(config: str) -> str:
    """The address an edition is built for unless SITE_URL says otherwise (`make site`, `make serve`)."""
    return re.search(r'^site_url: !ENV \[SITE_URL, "([^"]+)"\]', (ROOT / config).read_text(encoding="utf-8"), re.M)[1]


@pytest.mark.parametrize(
    "config, sources, edition",
    [("mkdocs.yml", ["docs/making.md"], "zh"), ("mkdocs.en.yml", ["docs-en/making.md", "README.md"], "en")],
)
def test_the_pages_and_readme_give_the_line_that_installs_the_wheel(built_site, config, sources, edition):
    line = f"pip install {default_site_url(config)}downloads/{wheel_path(built_site).name}"
    for source in sources:
        assert line in (ROOT / source).read_text(encoding="utf-8"), f"{source} should say: {line}"
    html = (built_site / edition / "making/index.html").read_text(encoding="utf-8")
    assert line in unescape(re.sub(r"<[^>]+>", "", html)), f"{edition}/making/ should say: {line}"
    assert re.search(rf'href="[./]*downloads/{re.escape(wheel_path(built_site).name)}"', html), edition
