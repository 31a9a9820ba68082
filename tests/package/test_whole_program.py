"""Chapter 10's listing is the code part 1 teaches, and it runs on its own.

The listing (the only Python block of docs/chapters/10-whole-program.md) must
- define the five functions the chapters saved with `#@save`, statement for statement (ASTs
  compared, docstrings aside: the listing leaves them out to fit one screen);
- set up and train with chapter 7's seeds, data and hyperparameters (the same statements);
- run in a fresh Python that cannot import `linreg`, and print what the package's own functions
  print when they train from the same seeds with the hyperparameters in package/book.py.

Each check returns the problems it finds, so that `test_the_checks_catch_a_drifted_listing`
can show that a changed learning rate or function is caught.
"""

from __future__ import annotations

import ast
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from builds import ROOT

from linreg import synthetic_data, train
from literate.source.blocks import parse_file

from package.book import BATCH_SIZE, LR, NUM_EPOCHS, NUM_EXAMPLES, TRUE_B, TRUE_W

LISTING_CHAPTER = ROOT / "docs/chapters/10-whole-program.md"
PART_1 = sorted((ROOT / "docs/chapters").glob("0[1-9]-*.md"))
TRAINING_CHAPTER = ROOT / "docs/chapters/07-training.md"
TAUGHT = {"synthetic_data", "data_iter", "linreg", "squared_loss", "sgd"}  # the five parts of the loop
# The statements that fix the run: seeds, data, starting point, hyperparameters (chapter 7's first ones).
SETUP_TARGETS = {"true_w", "true_b", "features", "w", "b", "lr", "num_epochs", "batch_size"}
SEED = 0  # chapter 7's seeds
# Run the listing with `linreg` made unimportable: a None entry in sys.modules makes `import linreg` fail.
RUNNER = "import runpy, sys; sys.modules['linreg'] = None; runpy.run_path(sys.argv[1], run_name='__main__')"


def listing_source() -> tuple[str, int]:
    """The listing's code and the line of the chapter file it starts on."""
    blocks = parse_file(LISTING_CHAPTER).python_blocks
    assert len(blocks) == 1, f"{LISTING_CHAPTER.relative_to(ROOT)}: expected one Python block, found {len(blocks)}"
    return blocks[0].code, blocks[0].line


def _without_docstring(node: ast.FunctionDef) -> str:
    body = node.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    return ast.dump(ast.Module(body=[ast.FunctionDef(**{**node.__dict__, "body": body})], type_ignores=[]))


def saved_definitions() -> dict[str, tuple[str, str]]:
    """Every function part 1 saves with `#@save`: name -> (AST without docstring, 'file:line')."""
    found = {}
    for path in PART_1:
        for block in parse_file(path).python_blocks:
            lines = block.code.splitlines()
            for node in ast.parse(block.code).body:
                if isinstance(node, ast.FunctionDef) and "#@save" in lines[node.lineno - 1]:
                    found[node.name] = (
                        _without_docstring(node),
                        f"{path.relative_to(ROOT)}:{block.line + node.lineno - 1}",
                    )
    return found


def setup_statements(code: str, first_line: int, where: str) -> dict[str, tuple[str, str]]:
    """The first top-level assignment to each of SETUP_TARGETS, and the seeding calls: key -> (AST, 'file:line')."""
    found = {}
    for node in ast.parse(code).body:
        place = f"{where}:{first_line + node.lineno - 1}"
        if isinstance(node, ast.Assign):
            names = {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if names & SETUP_TARGETS:
                found.setdefault(",".join(sorted(names)), (ast.dump(node.value), place))
            for call in (n for n in ast.walk(node.value) if isinstance(n, ast.Call)):
                if ast.unparse(call.func) == "torch.manual_seed":
                    found.setdefault("torch.manual_seed", (ast.dump(call), place))
        elif (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) == "random.seed"
        ):
            found.setdefault("random.seed", (ast.dump(node.value), place))
    return found


def definition_problems(code: str, first_line: int) -> list[str]:
    where = LISTING_CHAPTER.relative_to(ROOT)
    saved = saved_definitions()
    defined = {node.name: node for node in ast.parse(code).body if isinstance(node, ast.FunctionDef)}
    problems = [f"{where}: the listing does not define {name}" for name in sorted(TAUGHT - defined.keys())]
    for name, node in defined.items():
        line = first_line + node.lineno - 1
        if name not in saved:
            problems.append(f"{where}:{line}: {name} is not a function part 1 saves")
        elif _without_docstring(node) != saved[name][0]:
            problems.append(f"{where}:{line}: {name} differs from its #@save definition at {saved[name][1]}")
    return problems


def setup_problems(code: str, first_line: int) -> list[str]:
    chapter_7 = {}
    for block in parse_file(TRAINING_CHAPTER).python_blocks:
        for key, value in setup_statements(block.code, block.line, str(TRAINING_CHAPTER.relative_to(ROOT))).items():
            chapter_7.setdefault(key, value)
    listing = setup_statements(code, first_line, str(LISTING_CHAPTER.relative_to(ROOT)))
    problems = [
        f"{LISTING_CHAPTER.relative_to(ROOT)}: the listing does not set {key} (chapter 7 does, at {place})"
        for key, (_, place) in chapter_7.items()
        if key not in listing
    ]
    for key, (tree, place) in listing.items():
        if key in chapter_7 and tree != chapter_7[key][0]:
            problems.append(f"{place}: {key} differs from chapter 7's, at {chapter_7[key][1]}")
    return problems


def run_listing(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "whole_program.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def expected_output() -> str:
    """What chapter 7 prints (its epoch losses, then the errors) when the package's functions train from SEED."""
    torch.manual_seed(SEED)
    random.seed(SEED)
    features, labels = synthetic_data(TRUE_W, TRUE_B, NUM_EXAMPLES)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    history = train(features, labels, w, b, LR, NUM_EPOCHS, BATCH_SIZE)
    lines = [f"epoch {epoch + 1}, loss {loss:f}" for epoch, loss in enumerate(history["epoch_losses"])]
    lines.append(f"error in estimating w: {TRUE_W - w.reshape(TRUE_W.shape)}")
    lines.append(f"error in estimating b: {TRUE_B - b}")
    return "\n".join(lines) + "\n"


def output_problems(code: str, tmp_path: Path) -> list[str]:
    result = run_listing(code, tmp_path)
    where = LISTING_CHAPTER.relative_to(ROOT)
    if result.returncode != 0:
        return [f"{where}: the listing failed in a fresh Python without linreg:\n{result.stderr}"]
    expected = expected_output()
    if result.stdout != expected:
        return [f"{where}: the listing printed\n{result.stdout}\nbut the package's functions print\n{expected}"]
    return []


def test_the_listing_defines_the_functions_the_chapters_save():
    assert definition_problems(*listing_source()) == []


def test_the_listing_uses_chapter_7s_seeds_data_and_hyperparameters():
    assert setup_problems(*listing_source()) == []


def test_the_listing_runs_without_linreg_and_prints_what_the_package_prints(tmp_path):
    assert output_problems(listing_source()[0], tmp_path) == []


def test_the_listing_fits_on_one_screen():
    """Chapter 10: '一屏之内的一段程序' (at most 50 lines)."""
    code, line = listing_source()
    assert len(code.splitlines()) <= 50, f"{LISTING_CHAPTER.relative_to(ROOT)}:{line}: {len(code.splitlines())} lines"


def test_the_listing_cannot_import_linreg(tmp_path):
    """The runner really hides the package: a listing that imports it fails."""
    result = run_listing("import linreg\n", tmp_path)
    assert result.returncode != 0 and "linreg" in result.stderr


@pytest.mark.parametrize(
    "old, new, check",
    [
        ("lr = 0.03", "lr = 0.05", "setup"),
        ("lr = 0.03", "lr = 0.05", "output"),
        ("num_epochs = 3", "num_epochs = 2", "output"),
        ("param.grad.zero_()", "param.grad.zero_()\n            param.grad.zero_()", "definitions"),
        ("/ batch_size", "/ (2 * batch_size)", "definitions"),
    ],
)
def test_the_checks_catch_a_drifted_listing(tmp_path, old, new, check):
    code, line = listing_source()
    assert old in code, f"{LISTING_CHAPTER.relative_to(ROOT)}: this test expects {old!r} in the listing"
    drifted = code.replace(old, new, 1)
    problems = {
        "setup": lambda: setup_problems(drifted, line),
        "output": lambda: output_problems(drifted, tmp_path),
        "definitions": lambda: definition_problems(drifted, line),
    }[check]()
    assert problems, f"{check} did not notice {old!r} -> {new!r}"
