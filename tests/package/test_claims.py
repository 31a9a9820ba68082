"""Every number the chapters' prose states but does not compute on the page, asserted here.

Each test names the chapter whose prose makes the claim. Training claims are checked over many
seeds, not only the seed the page happens to show.
"""

from __future__ import annotations

import math
import random
import time

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from linreg import data_iter, linreg, sgd, squared_loss, synthetic_data, tensor_data_iter, train

TRUE_W = torch.tensor([2, -3.4])
TRUE_B = 4.2
SEEDS = range(20)


def mean_loss(features, labels, w, b) -> float:
    with torch.no_grad():
        return squared_loss(linreg(features, w, b), labels).mean().item()


def run_book(seed, *, lr=0.03):
    """Chapter 7 as the page runs it, with another seed: data, initial parameters, train()."""
    torch.manual_seed(seed)
    random.seed(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    initial_loss = mean_loss(features, labels, w, b)
    history = train(features, labels, w, b, lr=lr, num_epochs=3, batch_size=10)
    X_ones = torch.cat([features, torch.ones(len(features), 1)], dim=1)
    solution = torch.linalg.lstsq(X_ones, labels).solution.reshape(-1)  # w1, w2, b
    return {
        "initial_loss": initial_loss,
        "history": history,
        "learned": torch.cat([w.detach().reshape(-1), b.detach()]),
        "lstsq": solution,
        "lstsq_loss": mean_loss(features, labels, solution[:2].reshape(-1, 1), solution[2]),
    }


@pytest.fixture(scope="module")
def runs():
    return [run_book(seed) for seed in SEEDS]


TRUTH = torch.tensor([2, -3.4, 4.2])


def test_ch7_recovers_w_and_b_within_001_for_every_seed(runs):
    for seed, run in zip(SEEDS, runs):
        errors = (run["learned"] - TRUTH).abs()
        assert errors.max() < 0.01, f"seed {seed}: errors {errors.tolist()}"


def test_ch7_errors_are_about_a_thousandth(runs):
    """'参数误差在千分之一左右'"""
    worst = max((run["learned"] - TRUTH).abs().max().item() for run in runs)
    assert worst < 0.003


def test_ch7_epoch_3_loss_below_1e_minus_4(runs):
    """'第三轮之后低于 10^-4'"""
    for seed, run in zip(SEEDS, runs):
        assert run["history"]["epoch_losses"][2] < 1e-4, f"seed {seed}"


def test_ch7_first_epoch_goes_from_tens_to_hundredths(runs):
    """'第一轮的 100 步就把损失从训练前的十几降到了百分之几'"""
    for seed, run in zip(SEEDS, runs):
        assert 10 <= run["initial_loss"] < 20, f"seed {seed}"
        assert 0.01 <= run["history"]["epoch_losses"][0] < 0.1, f"seed {seed}"


def test_ch7_loss_floor_is_the_noise_and_lstsq_sits_on_it(runs):
    """'平均损失也约为 0.01^2 / 2 = 5e-5'; '解析解的损失同样停在这个水平'; SGD too."""
    for seed, run in zip(SEEDS, runs):
        assert 3.5e-5 < run["lstsq_loss"] < 6.5e-5, f"seed {seed}"
        assert run["lstsq_loss"] <= run["history"]["epoch_losses"][2] + 1e-9  # nothing beats lstsq
        assert run["history"]["epoch_losses"][2] < 1.5 * run["lstsq_loss"], f"seed {seed}"


def test_ch7_sgd_and_lstsq_differ_by_about_a_thousandth(runs):
    """'三轮随机梯度下降得到的参数和解析解只相差千分之一左右'"""
    for seed, run in zip(SEEDS, runs):
        gap = (run["learned"] - run["lstsq"]).abs().max().item()
        assert gap < 2e-3, f"seed {seed}: {gap}"


def test_ch7_third_epoch_fluctuates_around_the_noise_level(runs):
    """'到了第三轮，它不再下降，而是在噪声决定的水平附近上下波动'"""
    for seed, run in zip(SEEDS, runs):
        third = sorted(run["history"]["batch_losses"][200:300])
        assert third[50] < 1e-4, f"seed {seed}: median {third[50]}"


def test_ch7_first_epoch_shrinks_the_loss_about_as_predicted(runs):
    """'第一轮的实际结果和这个预测相当接近': (1 - lr)^200."""
    predicted = (1 - 0.03) ** 200
    for seed, run in zip(SEEDS, runs):
        observed = run["history"]["epoch_losses"][0] / run["initial_loss"]
        assert predicted / 2 < observed < predicted * 2, f"seed {seed}: {observed} vs {predicted}"


@pytest.mark.parametrize("lr", [1.9, 2.1])
def test_ch7_large_learning_rates_diverge(lr):
    """'当 η > 2 时……训练必然发散。小批量梯度的噪声还会让这个界限来得更早一些'."""
    for seed in range(3):
        run = run_book(seed, lr=lr)
        final = run["history"]["epoch_losses"][2]
        assert not final < run["initial_loss"], f"lr={lr}, seed {seed}: {final}"


# --- chapter 2: the timing comparison (the page shows one measurement; these bounds are loose) ---


def _seconds(make_iter, num_batches):
    """Seconds from the call to the first minibatch, and to the last of num_batches minibatches."""
    start = time.perf_counter()
    iterator = iter(make_iter())
    next(iterator)
    first = time.perf_counter()
    for _, (X, y) in zip(range(num_batches - 1), iterator):
        pass
    return first - start, time.perf_counter() - start


@pytest.fixture(scope="module")
def timings():
    torch.manual_seed(0)
    random.seed(0)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 10**6)
    dataset = TensorDataset(features, labels)
    result = {}
    for batch_size, num_batches in [(10, 2000), (1000, 50)]:
        result[batch_size] = {
            "data_iter": _seconds(lambda: data_iter(batch_size, features, labels), num_batches),
            "tensor_data_iter": _seconds(lambda: tensor_data_iter(batch_size, features, labels), num_batches),
            "DataLoader": _seconds(
                lambda: iter(DataLoader(dataset, batch_size=batch_size, shuffle=True)), num_batches
            ),
        }
    return result


@pytest.mark.parametrize("batch_size", [10, 1000])
def test_ch2_tensor_iterator_is_several_times_faster(timings, batch_size):
    """'tensor_data_iter 比 data_iter 快得多……两种批量大小下都在数倍以上'"""
    t = timings[batch_size]
    assert t["data_iter"][1] > 3 * t["tensor_data_iter"][1]


@pytest.mark.parametrize("batch_size", [10, 1000])
def test_ch2_shuffling_the_list_is_most_of_data_iters_time(timings, batch_size):
    """'data_iter 的大部分时间花在交出第一个小批量之前，也就是用 random.shuffle 打乱 10^6 个 Python 整数上'"""
    first, total = timings[batch_size]["data_iter"]
    assert first > 0.5 * total


@pytest.mark.parametrize("batch_size", [10, 1000])
def test_ch2_default_dataloader_is_slower_than_tensor_slicing(timings, batch_size):
    """'默认设置的 DataLoader 在这里比 tensor_data_iter 慢得多'"""
    t = timings[batch_size]
    assert t["DataLoader"][1] > 1.5 * t["tensor_data_iter"][1]


# --- chapter 6: one minibatch step against the full gradient -----------------------------------


def test_ch6_the_full_gradient_points_to_the_true_values_after_the_first_step():
    """'换成在全部 1000 个样本上平均的梯度，三个分量就都指向真实值了', at the chapter's point: after one
    minibatch step from the initial parameters. The page also shows one step moving w_1 away."""
    for seed in SEEDS:
        torch.manual_seed(seed)
        features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
        w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        squared_loss(linreg(features[:10], w, b), labels[:10]).sum().backward()
        sgd([w, b], 0.03, 10)
        grad_w, grad_b = torch.autograd.grad(squared_loss(linreg(features, w, b), labels).mean(), [w, b])
        downhill = -torch.cat([grad_w.reshape(-1), grad_b])
        now = torch.cat([w.reshape(-1), b]).detach()
        assert torch.equal(torch.sign(downhill), torch.sign(TRUTH - now)), f"seed {seed}"


# --- chapter 8: MSELoss with optim.SGD needs half the learning rate -----------------------------


def _framework_run(seed, framework_lr, ours_lr=0.03, steps=20):
    """Chapter 8's experiment: ours and nn.Linear + MSELoss + SGD(framework_lr) on the same minibatches."""
    torch.manual_seed(seed)
    random.seed(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    net = torch.nn.Linear(2, 1)
    with torch.no_grad():
        net.weight.copy_(w.T)
        net.bias.copy_(b)
    optimizer = torch.optim.SGD(net.parameters(), lr=framework_lr)
    for _, (X, y) in zip(range(steps), data_iter(10, features, labels)):
        squared_loss(linreg(X, w, b), y).sum().backward()
        sgd([w, b], ours_lr, 10)
        optimizer.zero_grad()
        torch.nn.MSELoss()(net(X), y).backward()
        optimizer.step()
    ours = torch.cat([w.reshape(-1), b]).detach()
    return (torch.cat([net.weight.reshape(-1), net.bias]).detach() - ours).abs().max().item()


def test_ch8_half_the_learning_rate_gives_our_steps_and_the_same_rate_does_not():
    """'学习率取一半时，两边的参数相同，差别只在浮点数舍入的量级；学习率不变时……20 步之后已经明显不同'"""
    for seed in SEEDS:
        assert _framework_run(seed, 0.03 / 2) < 1e-5, f"seed {seed}"
        assert _framework_run(seed, 0.03) > 0.1, f"seed {seed}"


def test_ch8_the_originals_concise_settings_are_our_sgd_at_lr_0_06():
    """'原书 3.3 节……MSELoss 和 SGD(lr=0.03)，相当于这里的 sgd 用学习率 0.06'"""
    for seed in SEEDS:
        assert _framework_run(seed, 0.03, ours_lr=0.06) < 1e-5, f"seed {seed}"
