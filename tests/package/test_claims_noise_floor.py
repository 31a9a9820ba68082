"""Claims about the floor the noise sets for the loss (chapters 5 and 7), over 20 seeds.

The pages print these numbers for seed 0; the prose says how they vary with the seed.
"""

from __future__ import annotations

import functools
import math
import random

import pytest
import torch

from linreg import linreg, squared_loss, synthetic_data, train

TRUE_W, TRUE_B = torch.tensor([2, -3.4]), 4.2
NOISE_FLOOR = 0.01**2 / 2  # sigma^2 / 2
SEEDS = range(20)


@functools.lru_cache(maxsize=None)
def chapter_7(seed):
    """Chapter 7's run with another seed: the true w, b's mean loss and the loss after 3 epochs."""
    torch.manual_seed(seed)
    random.seed(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    with torch.no_grad():
        y_hat_true = linreg(features, TRUE_W.reshape(-1, 1), TRUE_B)
        loss_true = squared_loss(y_hat_true, labels).mean().item()
    history = train(features, labels, w, b, lr=0.03, num_epochs=3, batch_size=10)
    return loss_true, history["epoch_losses"][-1]


@pytest.mark.parametrize("seed", SEEDS)
def test_ch5_the_true_parameters_loss_is_within_a_few_percent_of_the_floor(seed):
    """Chapter 5: '结果应当在 5e-5 附近，偏高或偏低几个百分点' (a few percent: under 10%)."""
    loss_true, _ = chapter_7(seed)
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
    loss_true, loss_trained = chapter_7(seed)
    assert abs(loss_trained / NOISE_FLOOR - 1) < 0.10
    assert abs(loss_trained / loss_true - 1) < 0.03
