"""The claims of chapter 12 (noise and generalization), over the 20 seeded runs of chapter 7
(`book_runs`, tests/package/conftest.py), each judged on 100,000 new examples of its own."""

from __future__ import annotations

import pytest
import torch

from linreg import synthetic_data

from package.book import NOISE_STD, TRUE_B, TRUE_W, TRUTH, mean_loss

FLOOR = NOISE_STD**2 / 2  # sigma^2 / 2


def params(theta):
    return theta[:2].reshape(-1, 1), theta[2].item()


def expected_loss(theta):
    """Chapter 12's exact expected loss on a new example (features from N(0, I))."""
    return FLOOR + ((theta - TRUTH) ** 2).sum().item() / 2


@pytest.fixture(scope="module")
def losses(book_runs):
    """Per seed: {name: (training loss, held-out loss, expected loss)} for the page's three candidates."""
    out = []
    for run in book_runs:
        torch.manual_seed(1000 + run.seed)
        held_out = synthetic_data(TRUE_W, TRUE_B, 100_000)
        out.append(
            {
                name: (
                    mean_loss(run.features, run.labels, *params(theta)),
                    mean_loss(*held_out, *params(theta)),
                    expected_loss(theta),
                )
                for name, theta in [("true", TRUTH), ("lstsq", run.lstsq), ("sgd", run.learned)]
            }
        )
    return out


def test_least_squares_beats_the_true_parameters_on_the_training_set(losses):
    """'在训练集上它比真实参数还好（这对任何数据都成立）'"""
    for seed, run in enumerate(losses):
        assert run["lstsq"][0] <= run["true"][0] * (1 + 1e-6), f"seed {seed}: {run}"


def test_the_training_loss_can_dip_below_the_floor(losses):
    """'训练集上的损失可以低于 σ²/2'"""
    assert any(run["lstsq"][0] < FLOOR for run in losses)


def test_held_out_the_true_parameters_are_best(losses):
    """'在没见过的数据上，真实参数最好'; the true parameters' held-out loss is sigma^2 / 2
    up to sampling error (2%, more than 4 times sqrt(2 / 100000))"""
    for seed, run in enumerate(losses):
        held_out = {name: values[1] for name, values in run.items()}
        assert abs(held_out["true"] / FLOOR - 1) < 0.02, f"seed {seed}: {held_out}"
        assert held_out["true"] < min(held_out["lstsq"], held_out["sgd"]), f"seed {seed}: {held_out}"


def test_the_expected_loss_never_dips_below_the_floor(losses):
    """'σ²/2 是新样本上的期望损失的下限，只有真实参数能达到'; '留出集上的损失与精确的期望损失相差不到 1.5%'"""
    for seed, run in enumerate(losses):
        assert run["true"][2] == FLOOR
        for name in ["lstsq", "sgd"]:
            assert run[name][2] > FLOOR, f"seed {seed}"
            assert abs(run[name][1] / run[name][2] - 1) < 0.015, f"seed {seed}: {run[name]}"
