"""Numbers and comparisons that part 1's chapters 1, 2 and 5 state without computing them on the
page, asserted here (chapter 7's are in test_claims_training.py). Each test quotes the sentence;
data claims hold for all 20 seeds of package/book.py, not only the seed the page shows."""

from __future__ import annotations

import random
import time

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from linreg import data_iter, linreg, synthetic_data, tensor_data_iter

from package.book import NOISE_STD, SEEDS, TRUE_B, TRUE_W

# --- chapter 1 --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_ch1_the_first_label_is_the_model_plus_a_little_noise(seed):
    """'可以手算验证：2 x_1 - 3.4 x_2 + 4.2 与标签只差一点噪声' (within 4 sigma)."""
    torch.manual_seed(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    x1, x2 = features[0]
    assert abs(labels[0, 0] - (2 * x1 - 3.4 * x2 + 4.2)) < 4 * NOISE_STD


# --- chapter 5: what the loss without reshape measures ----------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_ch5_without_reshape_the_mean_measures_how_the_labels_differ(seed):
    """'它的平均值衡量的是标签彼此差多少，与模型好坏无关': with the true parameters' predictions, the
    broadcast (10, 10) loss averages to the variance of the 10 labels (within 1%), far above the right loss."""
    torch.manual_seed(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    X, y_flat = features[:10], labels[:10].reshape(-1)
    y_hat_true = linreg(X, TRUE_W.reshape(-1, 1), TRUE_B)
    wrong = ((y_hat_true - y_flat) ** 2 / 2).mean()
    right = ((y_hat_true - y_flat.reshape(-1, 1)) ** 2 / 2).mean()
    variance = y_flat.var(unbiased=False)
    assert abs(wrong / variance - 1) < 0.01, f"seed {seed}: {wrong} vs {variance}"
    assert wrong > 1e4 * right, f"seed {seed}"


# --- chapter 2: the timing comparison (the page shows one measurement; these bounds are loose) ---


def _seconds(make_iter, num_batches=2000):
    """Seconds from the call to the first minibatch, and to the last of num_batches minibatches."""
    start = time.perf_counter()
    iterator = iter(make_iter())
    next(iterator)
    first = time.perf_counter()
    for _ in zip(range(num_batches - 1), iterator, strict=False):  # stops after num_batches - 1 batches
        pass
    return first - start, time.perf_counter() - start


@pytest.fixture(scope="module")
def timings():
    """The page's measurement: 10^6 examples, the first 2000 minibatches of size 10, from the call."""
    torch.manual_seed(0)
    random.seed(0)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 10**6)
    loader = DataLoader(TensorDataset(features, labels), batch_size=10, shuffle=True)
    return {
        "data_iter": _seconds(lambda: data_iter(10, features, labels)),
        "tensor_data_iter": _seconds(lambda: tensor_data_iter(10, features, labels)),
        "DataLoader": _seconds(lambda: loader),
    }


def test_ch2_tensor_iterator_is_several_times_faster(timings):
    """'tensor_data_iter 比 data_iter 快好几倍'"""
    assert timings["data_iter"][1] > 3 * timings["tensor_data_iter"][1]


def test_ch2_shuffling_the_list_is_most_of_data_iters_time(timings):
    """'data_iter 的大部分时间花在交出第一批之前，即用 random.shuffle 打乱 10^6 个 Python 整数'"""
    first, total = timings["data_iter"]
    assert first > 0.5 * total


def test_ch2_default_dataloader_is_between_the_two(timings):
    """'默认设置的 DataLoader 比 data_iter 快，却比 tensor_data_iter 慢'"""
    assert timings["DataLoader"][1] < timings["data_iter"][1]
    assert timings["DataLoader"][1] > 1.5 * timings["tensor_data_iter"][1]
