"""The scratch code of chapters 4-7 against PyTorch's own: nn.Linear, mse_loss, optim.SGD.

The reference comparisons run on both the taught functions (`linreg.model.linreg`, ...) and the
checked functions the package exports (the appendix), which must give exactly the same results.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import linreg as package
from linreg import data, data_iter, linreg, loss, model, optim, sgd, squared_loss, synthetic_data, train

from package.book import TRUE_B, TRUE_W

LINREGS = [model.linreg, linreg]
LOSSES = [loss.squared_loss, squared_loss]
SGDS = [optim.sgd, sgd]


def name(function) -> str:
    return f"{function.__module__}.{function.__name__}"


# --- linreg (chapter 4) against nn.Linear ---------------------------------------------


@pytest.mark.parametrize("linreg", LINREGS, ids=name)
@settings(max_examples=30, deadline=None)
@given(batch_size=st.integers(1, 50), num_inputs=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_linreg_matches_nn_linear(linreg, batch_size, num_inputs, seed):
    torch.manual_seed(seed)
    layer = torch.nn.Linear(num_inputs, 1)
    X = torch.randn(batch_size, num_inputs)
    w = layer.weight.detach().T.clone()  # (num_inputs, 1): nn.Linear stores (out, in)
    b = layer.bias.detach().clone()  # (1,)
    y_hat = linreg(X, w, b)
    assert y_hat.shape == (batch_size, 1)
    torch.testing.assert_close(y_hat, layer(X).detach())


@pytest.mark.parametrize("linreg", LINREGS, ids=name)
def test_linreg_gradients_match_nn_linear(linreg):
    torch.manual_seed(0)
    layer = torch.nn.Linear(2, 1)
    w = layer.weight.detach().T.clone().requires_grad_()
    b = layer.bias.detach().clone().requires_grad_()
    X, y = torch.randn(16, 2), torch.randn(16, 1)
    ((linreg(X, w, b) - y) ** 2).sum().backward()
    ((layer(X) - y) ** 2).sum().backward()
    torch.testing.assert_close(w.grad, layer.weight.grad.T)
    torch.testing.assert_close(b.grad, layer.bias.grad)


@pytest.mark.parametrize("linreg", LINREGS, ids=name)
def test_bias_gradient_is_the_sum_over_rows(linreg):
    """Chapter 4: the broadcast b gets the sum of every example's gradient."""
    torch.manual_seed(0)
    X = torch.randn(10, 2)
    w = torch.randn(2, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    y_hat = linreg(X, w, b)
    upstream = torch.randn(10, 1)
    y_hat.backward(upstream)
    torch.testing.assert_close(b.grad, upstream.sum().reshape(1))


@pytest.mark.parametrize(
    "X, w, match",
    [
        (torch.ones(3), torch.ones(3, 1), r"^X must be a 2-D tensor"),
        (torch.ones(2, 3, 4), torch.ones(4, 1), r"^X must be a 2-D tensor"),
        (torch.ones(5, 3), torch.ones(2, 1), r"^X has 3 columns but w has 2 rows"),
    ],
)
def test_linreg_names_X_and_w(X, w, match):
    with pytest.raises(ValueError, match=match):
        linreg(X, w, torch.zeros(1))


# --- squared_loss (chapter 5) against mse_loss -------------------------------------------


@pytest.mark.parametrize("squared_loss", LOSSES, ids=name)
@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), flat_labels=st.booleans(), seed=st.integers(0, 2**16))
def test_squared_loss_value_and_gradient_match_mse_loss(squared_loss, n, flat_labels, seed):
    torch.manual_seed(seed)
    y_hat = torch.randn(n, 1, requires_grad=True)
    y = torch.randn(n, 1)
    y_arg = y.reshape(-1) if flat_labels else y  # squared_loss reshapes; mse_loss needs equal shapes

    ours = squared_loss(y_hat, y_arg)
    assert ours.shape == (n, 1)
    # mse_loss is the mean of (y_hat - y)^2; ours is (y_hat - y)^2 / 2 per example.
    reference = torch.nn.functional.mse_loss(y_hat, y)
    torch.testing.assert_close(2 * ours.mean(), reference)
    torch.testing.assert_close(ours, torch.nn.functional.mse_loss(y_hat, y, reduction="none") / 2)

    (grad_ours,) = torch.autograd.grad(ours.sum(), y_hat)
    (grad_ref,) = torch.autograd.grad(torch.nn.functional.mse_loss(y_hat, y, reduction="sum"), y_hat)
    torch.testing.assert_close(grad_ours, grad_ref / 2)
    torch.testing.assert_close(grad_ours, (y_hat - y).detach())  # chapter 5: the 1/2 makes it the error


@pytest.mark.parametrize("squared_loss", LOSSES, ids=name)
def test_squared_loss_gradient_wrt_parameters_matches_mse_loss(squared_loss):
    """The mean of our loss is half of MSELoss, so its gradients are half of MSELoss's."""
    torch.manual_seed(0)
    X, y = torch.randn(32, 2), torch.randn(32, 1)
    w = torch.randn(2, 1, requires_grad=True)
    b = torch.randn(1, requires_grad=True)
    ours = torch.autograd.grad(squared_loss(linreg(X, w, b), y).mean(), [w, b])
    ref = torch.autograd.grad(torch.nn.MSELoss()(linreg(X, w, b), y), [w, b])
    for g_ours, g_ref in zip(ours, ref, strict=True):
        torch.testing.assert_close(2 * g_ours, g_ref)


@pytest.mark.parametrize("squared_loss", LOSSES, ids=name)
def test_without_reshape_the_difference_broadcasts_to_n_by_n(squared_loss):
    """Chapter 5: what squared_loss's reshape prevents."""
    y_hat, y = torch.zeros(7, 1), torch.arange(7.0)
    assert (y_hat - y).shape == (7, 7)
    assert squared_loss(y_hat, y).shape == (7, 1)


def test_squared_loss_names_y_hat_and_y():
    with pytest.raises(ValueError, match=r"y_hat and y .* got 10 and 9 elements"):
        squared_loss(torch.zeros(10, 1), torch.zeros(9))


# --- sgd (chapter 6) against torch.optim.SGD -----------------------------------------------


@pytest.mark.parametrize("sgd", SGDS, ids=name)
@pytest.mark.parametrize("batch_size", [1, 10, 37])
def test_sgd_matches_torch_optim_sgd(sgd, batch_size):
    """Our sum-of-losses gradient divided by batch_size is torch.optim.SGD on the mean loss."""
    torch.manual_seed(0)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 8 * batch_size)  # 8 full minibatches
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    w_ref = w.detach().clone().requires_grad_()
    b_ref = b.detach().clone().requires_grad_()
    lr = 0.03
    optimizer = torch.optim.SGD([w_ref, b_ref], lr=lr)

    for step in range(8):
        X = features[step * batch_size : (step + 1) * batch_size]
        y = labels[step * batch_size : (step + 1) * batch_size]
        squared_loss(linreg(X, w, b), y).sum().backward()
        sgd([w, b], lr, batch_size)

        optimizer.zero_grad()
        squared_loss(linreg(X, w_ref, b_ref), y).mean().backward()
        optimizer.step()

        torch.testing.assert_close(w.detach(), w_ref.detach())
        torch.testing.assert_close(b.detach(), b_ref.detach())
        assert torch.count_nonzero(w.grad) == 0 and torch.count_nonzero(b.grad) == 0
    assert w.is_leaf and b.is_leaf and w.requires_grad and b.requires_grad


@pytest.mark.parametrize("squared_loss, linreg", list(zip(LOSSES, LINREGS, strict=True)), ids=["taught", "checked"])
@settings(max_examples=30, deadline=None)
@given(batch_size=st.integers(1, 40), seed=st.integers(0, 2**16))
def test_the_gradient_chapter_6_writes_is_what_autograd_computes(squared_loss, linreg, batch_size, seed):
    """Chapter 6: the summed loss has gradients sum (y_hat - y) x and sum (y_hat - y)."""
    torch.manual_seed(seed)
    X, y = torch.randn(batch_size, 2), torch.randn(batch_size, 1)
    w = torch.randn(2, 1, requires_grad=True)
    b = torch.randn(1, requires_grad=True)
    squared_loss(linreg(X, w, b), y).sum().backward()
    with torch.no_grad():
        error = X @ w + b - y  # (batch_size, 1)
    torch.testing.assert_close(w.grad, (error * X).sum(dim=0).reshape(2, 1))
    torch.testing.assert_close(b.grad, error.sum().reshape(1))


@pytest.mark.parametrize("sgd", SGDS, ids=name)
def test_sgd_accepts_any_iterable_of_params(sgd):
    w = torch.ones(2, 1, requires_grad=True)
    (w.sum() * 3).backward()
    sgd((p for p in [w]), 0.5, 3)
    torch.testing.assert_close(w.detach(), torch.full((2, 1), 0.5))


@pytest.mark.parametrize("lr", [0, -0.1, float("nan")])
def test_sgd_names_lr(lr):
    w = torch.ones(1, requires_grad=True)
    w.sum().backward()
    with pytest.raises(ValueError, match=r"^lr must be a positive number"):
        sgd([w], lr, 1)


@pytest.mark.parametrize("batch_size", [0, -1, 2.0, True, "10"])
def test_sgd_names_batch_size(batch_size):
    w = torch.ones(1, requires_grad=True)
    w.sum().backward()
    with pytest.raises(ValueError, match=r"^batch_size must be an int >= 1"):
        sgd([w], 0.1, batch_size)


def test_sgd_names_the_param_without_grad_and_changes_nothing():
    w = torch.ones(2, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    w.sum().backward()
    with pytest.raises(ValueError, match=r"^params\[1\] has no \.grad"):
        sgd([w, b], 0.1, 1)
    torch.testing.assert_close(w.detach(), torch.ones(2))  # checked before any update


def test_in_place_update_outside_no_grad_is_refused():
    """Chapter 6: why sgd needs torch.no_grad()."""
    w = torch.ones(2, requires_grad=True)
    w.sum().backward()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w -= 0.1 * w.grad


# --- the taught functions use operators only; the checked ones only add checks -----------


def test_the_taught_model_and_loss_run_on_anything_with_the_operators():
    """linreg and squared_loss use @, -, ** and reshape only: NumPy arrays go through them too."""
    rng = np.random.default_rng(0)
    X, w, b, y = rng.normal(size=(6, 2)), rng.normal(size=(2, 1)), rng.normal(size=(1,)), rng.normal(size=6)
    y_hat = model.linreg(X, w, b)
    np.testing.assert_allclose(y_hat, X @ w + b)
    np.testing.assert_allclose(loss.squared_loss(y_hat, y), (y_hat - y.reshape(6, 1)) ** 2 / 2)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), num_examples=st.integers(1, 50), num_inputs=st.integers(1, 4))
def test_checked_functions_return_what_the_taught_ones_return(seed, num_examples, num_inputs):
    results = []
    for module in (data, package):  # the taught synthetic_data, then the checked one
        torch.manual_seed(seed)
        results.append(module.synthetic_data(torch.randn(num_inputs), 0.5, num_examples))
    for taught, checked in zip(*results, strict=True):
        assert torch.equal(taught, checked)
    X, y = results[0]
    w, b = torch.randn(num_inputs, 1), torch.randn(1)
    assert torch.equal(linreg(X, w, b), model.linreg(X, w, b))
    assert torch.equal(squared_loss(linreg(X, w, b), y), loss.squared_loss(model.linreg(X, w, b), y))


def test_checked_synthetic_data_takes_a_list_for_w():
    torch.manual_seed(0)
    X, y = synthetic_data([2, -3.4], 4.2, 5)
    torch.manual_seed(0)
    X2, y2 = data.synthetic_data(TRUE_W, TRUE_B, 5)
    assert torch.equal(X, X2) and torch.equal(y, y2)


# --- train (chapter 7) ------------------------------------------------------------------


def _setup(seed, num_examples=1000):
    torch.manual_seed(seed)
    random.seed(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, num_examples)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return features, labels, w, b


def test_train_is_the_chapter_7_loop():
    """Same seeds, same data, same start: train() and the hand-written loop agree step for step."""
    features, labels, w, b = _setup(3)
    lr, num_epochs, batch_size = 0.03, 2, 10
    batch_losses, epoch_losses = [], []
    for _ in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            losses = squared_loss(linreg(X, w, b), y)
            losses.sum().backward()
            sgd([w, b], lr, batch_size)
            batch_losses.append(losses.detach().mean().item())
        with torch.no_grad():
            epoch_losses.append(squared_loss(linreg(features, w, b), labels).mean().item())

    features2, labels2, w2, b2 = _setup(3)
    history = train(features2, labels2, w2, b2, lr, num_epochs, batch_size)
    assert history == {"batch_losses": batch_losses, "epoch_losses": epoch_losses}
    assert torch.equal(w.detach(), w2.detach()) and torch.equal(b.detach(), b2.detach())


def test_train_history_shape_and_types():
    features, labels, w, b = _setup(0, num_examples=95)
    history = train(features, labels, w, b, lr=0.03, num_epochs=4, batch_size=10)
    assert set(history) == {"batch_losses", "epoch_losses"}
    assert len(history["batch_losses"]) == 4 * 10  # 9 full minibatches and one of 5, per epoch
    assert len(history["epoch_losses"]) == 4
    assert all(type(x) is float for x in history["batch_losses"] + history["epoch_losses"])


def test_train_defaults_are_the_books_hyperparameters():
    features, labels, w, b = _setup(1)
    history = train(features, labels, w, b)
    assert len(history["epoch_losses"]) == 3 and len(history["batch_losses"]) == 300


def test_train_ignores_gradients_left_over_from_earlier():
    clean = train(*_setup(2, num_examples=100))
    features, labels, w, b = _setup(2, num_examples=100)  # the same seeds: the same data and shuffles
    (1000 * (w.sum() + b.sum())).backward()  # stale gradients that must not leak into step 1
    assert train(features, labels, w, b) == clean


@pytest.mark.parametrize("lr", [3.0, 100.0])
def test_train_survives_divergence(lr):
    """Part 2 (the loss surface, the exercises) trains with learning rates that diverge: the losses are recorded, not raised."""
    features, labels, w, b = _setup(0)
    history = train(features, labels, w, b, lr=lr, num_epochs=3)
    assert len(history["batch_losses"]) == 300 and len(history["epoch_losses"]) == 3
    last = history["epoch_losses"][-1]
    assert math.isnan(last) or math.isinf(last) or last > 1e6
    assert not all(math.isfinite(x) for x in history["batch_losses"])


def test_train_zero_epochs_changes_nothing():
    features, labels, w, b = _setup(0, num_examples=20)
    before = w.detach().clone()
    assert train(features, labels, w, b, num_epochs=0) == {"batch_losses": [], "epoch_losses": []}
    assert torch.equal(w.detach(), before)


@pytest.mark.parametrize("num_epochs", [-1, 1.5, True, "3"])
def test_train_names_num_epochs(num_epochs):
    features, labels, w, b = _setup(0, num_examples=20)
    with pytest.raises(ValueError, match=r"^num_epochs must be an int >= 0"):
        train(features, labels, w, b, num_epochs=num_epochs)


def test_train_passes_bad_lr_and_batch_size_errors_through_before_any_update():
    features, labels, w, b = _setup(0, num_examples=20)
    before = w.detach().clone()
    with pytest.raises(ValueError, match=r"^lr must be a positive number"):
        train(features, labels, w, b, lr=-1.0)
    with pytest.raises(ValueError, match=r"^batch_size must be an int >= 1"):
        train(features, labels, w, b, batch_size=0)
    assert torch.equal(w.detach(), before)


def test_train_names_features_that_do_not_fit_w():
    features, labels, w, b = _setup(0, num_examples=20)
    with pytest.raises(ValueError, match=r"^features has 3 columns but w has 2 rows"):
        train(torch.ones(20, 3), labels, w, b)
    with pytest.raises(ValueError, match=r"^features must be a 2-D tensor"):
        train(torch.ones(20), labels, w, b)


@pytest.mark.parametrize("which", ["w", "b"])
def test_train_names_a_parameter_without_requires_grad(which):
    features, labels, w, b = _setup(0, num_examples=20)
    args = {"w": w, "b": b}
    args[which] = args[which].detach()
    with pytest.raises(ValueError, match=rf"^{which} must be a tensor created with requires_grad=True"):
        train(features, labels, args["w"], args["b"])
