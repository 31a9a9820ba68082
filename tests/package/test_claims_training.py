"""Claims of chapter 7 (training) that its page states but does not print, over 20 seeds.

(`tests/test_claims.py` checks chapter 7's older claims; this file holds the ones added since.)
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
SEEDS = range(20)


@functools.lru_cache(maxsize=None)
def chapter_7(seed):
    """The page's run with another seed: features, initial mean loss, train()'s history."""
    torch.manual_seed(seed)
    random.seed(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    with torch.no_grad():
        initial_loss = squared_loss(linreg(features, w, b), labels).mean().item()
    return features, initial_loss, train(features, labels, w, b, lr=0.03, num_epochs=3, batch_size=10)


@pytest.mark.parametrize("seed", SEEDS)
def test_hessian_of_the_mean_loss_is_close_to_the_identity(seed):
    """'H 非常接近单位矩阵' (the page prints H for seed 0)."""
    features, _, _ = chapter_7(seed)
    X_tilde = torch.cat([features, torch.ones(len(features), 1)], dim=1)
    H = X_tilde.T @ X_tilde / len(features)
    assert (H - torch.eye(3)).abs().max() < 0.15


@pytest.mark.parametrize("seed", SEEDS)
def test_first_two_epochs_fall_along_the_predicted_straight_line(seed):
    """'前两轮的损失几乎沿一条直线下降': every 10-step median of the minibatch loss in steps 1-200
    lies within a factor of 4 of initial_loss * (1 - lr)^(2 k), the line the chapter derives."""
    _, initial_loss, history = chapter_7(seed)
    losses = history["batch_losses"]
    for start in range(0, 200, 10):
        median = sorted(losses[start:start + 10])[5]
        predicted = initial_loss * (1 - 0.03) ** (2 * (start + 5))
        assert abs(math.log(median / predicted)) < math.log(4), f"steps {start + 1}-{start + 10}"
