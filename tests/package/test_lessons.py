"""The claims of chapters 13 (why minibatches) and 14 (common bugs), over 20 seeds (chapter 11: test_deeper_loss_surface.py).

Each test names the chapter and quotes the prose it checks. Timing claims (13) are inequalities
between best-of-several measurements on this machine; they are measured once, not per seed.
"""

from __future__ import annotations

import math
import random
import time

import pytest
import torch

from linreg import data_iter, linreg, sgd, squared_loss, synthetic_data, tensor_data_iter, train

from package.book import SEEDS, TRUE_B, TRUE_W, mean_loss


def make_data(seed, n=1000):
    torch.manual_seed(seed)
    random.seed(seed)
    return synthetic_data(TRUE_W, TRUE_B, n)


def zeros():
    return torch.zeros(2, 1, requires_grad=True), torch.zeros(1, requires_grad=True)


# --- chapter 13: why minibatches --------------------------------------------------------


def test_7b_one_epoch_batch_1_trains_batch_1000_barely_moves():
    """'批量大小为 1 时一轮就训练好了，批量大小为 1000 时一轮只走了一步，损失几乎没变'"""
    for seed in SEEDS:
        features, labels = make_data(seed)
        w, b = zeros()
        initial = mean_loss(features, labels, w, b)
        assert train(features, labels, w, b, lr=0.03, num_epochs=1, batch_size=1)["epoch_losses"][0] < 1e-4
        w, b = zeros()
        after = train(features, labels, w, b, lr=0.03, num_epochs=1, batch_size=1000)["epoch_losses"][0]
        assert after > 0.9 * initial, f"seed {seed}"


def best_of(repeats, run):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def step_seconds(features, labels, batch_size, repeats=10):
    """Chapter 13's step_seconds: the fastest of `repeats` SGD steps on the first batch_size rows."""
    w, b = zeros()
    X, y = features[:batch_size], labels[:batch_size]

    def step():
        squared_loss(linreg(X, w, b), y).sum().backward()
        sgd([w, b], 0.03, batch_size)

    return best_of(repeats, step)


@pytest.fixture(scope="module")
def step_cost():
    features, labels = make_data(0, 10**6)
    return {size: step_seconds(features, labels, size) for size in [1, 10, 1000, 10**6]}


def test_7b_step_cost_flat_up_to_1000_then_grows(step_cost):
    """'从 1 到 1000 ... 一步的时间却增加不到 3 倍', '一步全数据 ... 比批量 10 的一步慢十倍以上'"""
    assert step_cost[1000] < 3 * step_cost[1], step_cost
    assert step_cost[10**6] > 10 * step_cost[10], step_cost


def loss_after_steps(features, labels, batch_size, num_steps):
    """Chapter 13's loss_after_steps."""
    w, b = zeros()
    steps_done = 0
    while steps_done < num_steps:
        for X, y in tensor_data_iter(batch_size, features, labels):
            squared_loss(linreg(X, w, b), y).sum().backward()
            sgd([w, b], 0.03, batch_size)
            steps_done += 1
            if steps_done == num_steps:
                break
    return mean_loss(features, labels, w, b)


def test_7b_in_a_fixed_budget_minibatches_beat_the_full_batch(step_cost):
    """'批量 1000（也就是全数据梯度下降）的损失同样低于 1e-4' (n = 1000), and on 10^6 examples
    '批量 10 的损失低于 1e-4；全数据梯度下降 ... 损失至少是批量 10 的 10 倍'

    Three seeds, not twenty: each needs 10^6 examples and full-batch steps over them, and the
    seed changes only the data; the step counts come from the timing, measured once. The
    full-batch steps skip the shuffle the page does: the gradient of a sum is the same in any order.
    """
    budget = 0.2
    steps = {size: int(budget / step_cost[size]) for size in [10, 1000, 10**6]}
    for seed in SEEDS[:3]:
        features, labels = make_data(seed, 10**6)
        small = loss_after_steps(features[:1000], labels[:1000], 1000, steps[1000])
        assert small < 1e-4, f"seed {seed}: n = 1000, full batch: {small} after {steps[1000]} steps"
        minibatch = loss_after_steps(features, labels, 10, steps[10])
        w, b = zeros()
        for _ in range(steps[10**6]):
            squared_loss(linreg(features, w, b), labels).sum().backward()
            sgd([w, b], 0.03, len(features))
        full = mean_loss(features, labels, w, b)
        assert minibatch < 1e-4, f"seed {seed}: {minibatch} after {steps[10]} steps"
        assert full > 10 * minibatch, f"seed {seed}: {full} after {steps[10**6]} steps"


# --- chapter 14: common bugs ------------------------------------------------------------


def sgd_without_zeroing(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size


def run_loop(
    features,
    labels,
    *,
    lr=0.03,
    batch_size=10,
    num_epochs=3,
    update=sgd,
    loss=squared_loss,
    reduce="sum",
    max_steps=None,
    every_step=False,
):
    """Chapter 14's loop with one piece swapped; returns w, b and the loss on all data.

    The loss after every step if every_step, else only after the last one (the page records
    every step; the tests need only what they check).
    """
    random.seed(1)
    w, b = zeros()
    losses, steps = [], 0
    for _ in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            example_losses = loss(linreg(X, w, b), y)
            (example_losses.sum() if reduce == "sum" else example_losses.mean()).backward()
            update([w, b], lr, batch_size)
            steps += 1
            if every_step:
                losses.append(mean_loss(features, labels.reshape(-1, 1), w, b))
            if steps == max_steps:
                break
        if steps == max_steps:
            break
    if not every_step:
        losses.append(mean_loss(features, labels.reshape(-1, 1), w, b))
    return w, b, losses


@pytest.fixture(scope="module")
def bug_runs():
    runs = []
    for seed in SEEDS:
        features, labels = make_data(seed)
        w0, b0 = zeros()
        run = {"labels": labels, "initial": mean_loss(features, labels, w0, b0)}
        run["correct"] = run_loop(features, labels)
        run["no_zero"] = run_loop(features, labels, update=sgd_without_zeroing)
        run["no_reshape"] = run_loop(features, labels.reshape(-1), loss=lambda y_hat, y: (y_hat - y) ** 2 / 2)
        run["twice"] = run_loop(features, labels, reduce="mean")
        run["twice_100"] = run_loop(features, labels, reduce="mean", batch_size=100, num_epochs=10, max_steps=100)
        run["twice_10"] = run_loop(features, labels, reduce="mean", max_steps=100)
        run["large_lr"] = run_loop(features, labels, lr=3.0, every_step=True)
        runs.append(run)
    return runs


def test_7c_correct_loop_reaches_the_noise_floor(bug_runs):
    for seed, run in zip(SEEDS, bug_runs, strict=True):
        assert run["correct"][2][-1] < 1e-4, f"seed {seed}"


def test_7c_forgetting_zero_grad_ends_far_worse_with_a_large_grad(bug_runs):
    """'到最后远高于正确循环的损失', '`w.grad` 的范数一直很大'"""
    for seed, run in zip(SEEDS, bug_runs, strict=True):
        w, _, losses = run["no_zero"]
        assert losses[-1] > 1000 * run["correct"][2][-1], f"seed {seed}"
        assert w.grad.norm() > 10, f"seed {seed}: {w.grad.norm()}"


def test_7c_missing_reshape_stalls_at_half_the_label_variance(bug_runs):
    """'三轮之后的损失停在标签方差的一半左右（0.5 到 1.5 倍之间）', and w nearer w_true / 10 than the truth"""
    for seed, run in zip(SEEDS, bug_runs, strict=True):
        w, b, losses = run["no_reshape"]
        half_variance = run["labels"].var(unbiased=False).item() / 2
        assert 0.5 < losses[-1] / half_variance < 1.5, f"seed {seed}: {losses[-1]} vs {half_variance}"
        w = w.detach().reshape(-1)
        assert ((w - TRUE_W / 10).abs() < (w - TRUE_W).abs()).all(), (
            f"seed {seed}: w = {w.tolist()} is nearer the truth"
        )


def test_7c_dividing_twice_is_slow_as_estimated(bug_runs):
    """'300 步之后损失约为训练前的 0.16 倍 ... 从十几只降到个位数'"""
    for seed, run in zip(SEEDS, bug_runs, strict=True):
        loss = run["twice"][2][-1]
        estimate = run["initial"] * (1 - 0.003) ** 600
        assert 0.8 < loss / estimate < 1.25, f"seed {seed}: {loss} vs {estimate}"
        assert 1 < loss < 10, f"seed {seed}: {loss}"


def test_7c_dividing_twice_bigger_batches_are_slower(bug_runs):
    """'换一个批量大小，训练速度也跟着变，批量越大越慢'"""
    for seed, run in zip(SEEDS, bug_runs, strict=True):
        assert run["twice_100"][2][-1] > run["twice_10"][2][-1], f"seed {seed}"


def test_7c_large_lr_grows_then_inf_then_nan(bug_runs):
    """'损失在最初几步里增长好几个数量级，随后变成 inf，再变成 nan'"""
    for seed, run in zip(SEEDS, bug_runs, strict=True):
        losses = run["large_lr"][2]
        assert max(losses[:10]) > 100 * run["initial"], f"seed {seed}: {losses[:10]}"
        assert math.inf in losses and math.isnan(losses[-1]), f"seed {seed}"
        assert losses.index(math.inf) < next(i for i, loss in enumerate(losses) if math.isnan(loss))
