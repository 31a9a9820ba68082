"""Claims of chapter 7 (training) that its page states but does not print, and of the floor the
noise sets for the loss (chapters 5 and 7), over 20 seeds.

(`tests/package/test_claims.py` checks chapter 7's older claims; this file holds the ones added since.)
"""

from __future__ import annotations

import functools
import math
import random

import pytest
import torch

from linreg import synthetic_data, train
from linreg.loss import squared_loss
from linreg.model import linreg

TRUE_W, TRUE_B = torch.tensor([2, -3.4]), 4.2
NOISE_FLOOR = 0.01**2 / 2  # sigma^2 / 2
SEEDS = range(20)


@functools.lru_cache(maxsize=None)
def chapter_7(seed):
    """The page's run with another seed: features, labels, initial mean loss, train()'s history."""
    torch.manual_seed(seed)
    random.seed(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    with torch.no_grad():
        initial_loss = squared_loss(linreg(features, w, b), labels).mean().item()
    return features, labels, initial_loss, train(features, labels, w, b, lr=0.03, num_epochs=3, batch_size=10)


def true_loss(seed) -> float:
    """The mean loss of the true w, b on chapter 7's data for `seed`."""
    features, labels, _, _ = chapter_7(seed)
    return squared_loss(linreg(features, TRUE_W.reshape(-1, 1), TRUE_B), labels).mean().item()


@pytest.mark.parametrize("seed", SEEDS)
def test_hessian_of_the_mean_loss_is_close_to_the_identity(seed):
    """'H 非常接近单位矩阵' (the page prints H for seed 0)."""
    features, _, _, _ = chapter_7(seed)
    X_tilde = torch.cat([features, torch.ones(len(features), 1)], dim=1)
    H = X_tilde.T @ X_tilde / len(features)
    assert (H - torch.eye(3)).abs().max() < 0.15


@pytest.mark.parametrize("seed", SEEDS)
def test_first_two_epochs_fall_along_the_predicted_straight_line(seed):
    """'前两轮的损失几乎沿一条直线下降': every 10-step median of the minibatch loss in steps 1-200
    lies within a factor of 4 of initial_loss * (1 - lr)^(2 k), the line the chapter derives."""
    _, _, initial_loss, history = chapter_7(seed)
    losses = history["batch_losses"]
    for start in range(0, 200, 10):
        median = sorted(losses[start:start + 10])[5]
        predicted = initial_loss * (1 - 0.03) ** (2 * (start + 5))
        assert abs(math.log(median / predicted)) < math.log(4), f"steps {start + 1}-{start + 10}"


# --- the noise floor (chapters 5 and 7) ------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_ch5_the_true_parameters_loss_is_within_a_few_percent_of_the_floor(seed):
    """Chapter 5: '结果应当在 5e-5 附近，偏高或偏低几个百分点' (a few percent: under 10%)."""
    loss_true = true_loss(seed)
    assert abs(loss_true / NOISE_FLOOR - 1) < 0.10


def test_ch5_the_typical_deviation_is_sqrt_2_over_n():
    """Chapter 5: the relative deviation of the mean of 1000 halved squared noises is typically
    sqrt(2/1000) (4.5%): its spread over 100 draws is within a third of that."""
    generator = torch.Generator().manual_seed(0)
    noise = torch.normal(0, 0.01, (100, 1000), generator=generator)
    ratios = (noise**2 / 2).mean(dim=1) / NOISE_FLOOR
    assert abs(ratios.std().item() / math.sqrt(2 / 1000) - 1) < 1 / 3


@pytest.mark.parametrize("seed", SEEDS)
def test_ch7_the_loss_after_three_epochs_rests_on_the_floor(seed):
    """Chapter 7: '测试在 20 个种子下确认，三轮之后的损失都在 sigma^2/2 的 10% 以内，
    和真实参数的损失相差不到 3%'."""
    loss_true, loss_trained = true_loss(seed), chapter_7(seed)[3]["epoch_losses"][-1]
    assert abs(loss_trained / NOISE_FLOOR - 1) < 0.10
    assert abs(loss_trained / loss_true - 1) < 0.03
