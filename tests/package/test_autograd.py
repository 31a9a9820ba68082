"""The from-scratch reverse-mode autodiff of chapter 16 (`linreg.autograd`) against torch.autograd.

Chapter 16 runs Node through the very functions chapters 4 and 5 teach (`linreg.model.linreg`,
`linreg.loss.squared_loss`); so do these tests."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from linreg import Node
from linreg.autograd import _sum_to_shape
from linreg.loss import squared_loss
from linreg.model import linreg

settings.register_profile("autograd", max_examples=40, deadline=None)
settings.load_profile("autograd")

dims = st.integers(min_value=1, max_value=5)
seeds = st.integers(min_value=0, max_value=2**31 - 1)


def randn(shape, seed, positive=False):
    t = torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return t.abs() + 0.5 if positive else t


def grads_both(f_node, f_torch, *inputs):
    """Gradients of the scalar f w.r.t. each input: (from Node, from torch.autograd)."""
    nodes = [Node(x) for x in inputs]
    out = f_node(*nodes)
    out.backward()
    leaves = [x.clone().requires_grad_() for x in inputs]
    expected = f_torch(*leaves)
    expected.backward()
    assert torch.allclose(out.value, expected.detach(), rtol=1e-12, atol=1e-12)
    return [n.grad for n in nodes], [x.grad for x in leaves]


def assert_grads_match(f_node, f_torch, *inputs):
    mine, theirs = grads_both(f_node, f_torch, *inputs)
    for a, b in zip(mine, theirs, strict=True):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


# Shapes that broadcast against an (n, m) operand, the way b broadcasts in X @ w + b.
@st.composite
def broadcast_pair(draw):
    n, m = draw(dims), draw(dims)
    other = draw(st.sampled_from([(n, m), (m,), (1, m), (n, 1), (1,), (1, 1)]))
    if draw(st.booleans()):
        return (n, m), other
    return other, (n, m)


@given(broadcast_pair(), seeds)
def test_add_with_broadcasting(shapes, seed):
    a, b = randn(shapes[0], seed), randn(shapes[1], seed + 1)
    # Squaring makes the upstream gradient non-constant, so the rule is really exercised.
    assert_grads_match(lambda a, b: ((a + b) ** 2).sum(), lambda a, b: ((a + b) ** 2).sum(), a, b)


@given(broadcast_pair(), seeds)
def test_sub_with_broadcasting(shapes, seed):
    a, b = randn(shapes[0], seed), randn(shapes[1], seed + 1)
    assert_grads_match(lambda a, b: ((a - b) ** 2).sum(), lambda a, b: ((a - b) ** 2).sum(), a, b)


@given(dims, dims, dims, seeds)
def test_matmul(n, k, m, seed):
    a, b = randn((n, k), seed), randn((k, m), seed + 1)
    assert_grads_match(lambda a, b: ((a @ b) ** 2).sum(), lambda a, b: ((a @ b) ** 2).sum(), a, b)


@given(dims, dims, st.sampled_from([1, 2, 3, 0.5, -1, 2.5]), seeds)
def test_pow(n, m, exponent, seed):
    a = randn((n, m), seed, positive=True)  # positive: fractional and negative powers are defined
    assert_grads_match(lambda a: (a**exponent).sum(), lambda a: (a**exponent).sum(), a)
    assert_grads_match(lambda a: ((a**exponent) ** 2).sum(), lambda a: ((a**exponent) ** 2).sum(), a)


@given(dims, dims, st.sampled_from([2, -3, 0.25, 7.5]), seeds)
def test_truediv(n, m, divisor, seed):
    a = randn((n, m), seed)
    assert_grads_match(lambda a: ((a / divisor) ** 2).sum(), lambda a: ((a / divisor) ** 2).sum(), a)


@given(dims, dims, seeds)
def test_sum(n, m, seed):
    a = randn((n, m), seed)
    assert_grads_match(lambda a: a.sum(), lambda a: a.sum(), a)
    assert_grads_match(lambda a: a.sum() ** 2, lambda a: a.sum() ** 2, a)


@given(dims, dims, seeds)
def test_reshape(n, m, seed):
    a, c = randn((n, m), seed), randn((m * n, 1), seed + 1)
    assert_grads_match(
        lambda a, c: ((a.reshape(-1, 1) - c) ** 2).sum(),
        lambda a, c: ((a.reshape(-1, 1) - c) ** 2).sum(),
        a,
        c,
    )
    # The form squared_loss uses: reshape to another tensor's shape.
    assert_grads_match(
        lambda a, c: ((c - a.reshape(c.shape)) ** 2).sum(),
        lambda a, c: ((c - a.reshape(c.shape)) ** 2).sum(),
        a,
        c,
    )


@given(dims, dims, seeds)
def test_sum_to_shape_agrees_with_torch(n, m, seed):
    g = randn((n, m), seed)
    for shape in [(n, m), (m,), (1, m), (n, 1), (1,), (1, 1)]:
        torch.testing.assert_close(_sum_to_shape(g, torch.Size(shape)), g.sum_to_size(shape))


def minibatch_loss(X, y, w, b):
    """Chapter 7's minibatch loss through the taught functions: the same code for Node and tensors."""
    return squared_loss(linreg(X, w, b), y).sum()


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=6), seeds)
def test_full_loss(batch_size, num_inputs, seed):
    X, w = randn((batch_size, num_inputs), seed), randn((num_inputs, 1), seed + 1)
    b, y = randn((1,), seed + 2), randn((batch_size,), seed + 3)  # y as a row: reshape is exercised
    assert_grads_match(minibatch_loss, minibatch_loss, X, y, w, b)


def test_float32_loss_gradients_match_torch_exactly_enough():
    """Chapter 16 compares in float32: the gradients agree to within float32 rounding."""
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn((10, 2), generator=g), torch.randn((10, 1), generator=g)
    w, b = torch.normal(0, 0.01, (2, 1), generator=g), torch.zeros(1)
    mine, theirs = grads_both(minibatch_loss, minibatch_loss, X, y, w, b)
    for a, b_ in zip(mine, theirs, strict=True):
        assert (a - b_).abs().max() < 1e-5


def test_gradients_add_up_over_every_path():
    x = torch.tensor([[1.5, -2.0]], dtype=torch.float64)
    assert_grads_match(lambda a: ((a + a) ** 2 - a).sum(), lambda a: ((a + a) ** 2 - a).sum(), x)
    a = Node(x)
    s = a + a  # two edges to the same input
    (s @ Node(torch.ones(2, 1, dtype=torch.float64))).sum().backward()
    torch.testing.assert_close(a.grad, torch.full_like(x, 2.0))


def test_backward_recomputes_instead_of_accumulating():
    a = Node(torch.tensor([3.0]))
    out = (a**2).sum()
    out.backward()
    out.backward()
    torch.testing.assert_close(a.grad, torch.tensor([6.0]))


def test_value_is_detached_and_repr_has_no_address():
    t = torch.ones(2, 3, requires_grad=True)
    node = Node(t)
    assert not node.value.requires_grad
    assert repr(node) == "Node(shape=(2, 3))"


@pytest.mark.parametrize(
    "call",
    [
        lambda: Node([1.0, 2.0]),
        lambda: Node(torch.ones(1)) + 3,
        lambda: Node(torch.ones(1)) - "x",
        lambda: Node(torch.ones(2, 2)) @ [[1.0]],
    ],
)
def test_anything_but_a_tensor_or_node_is_refused_by_name(call):
    """The one check chapter 16 keeps: a Node holds a tensor. Operands go through the same check."""
    with pytest.raises(TypeError, match="value must be a torch.Tensor"):
        call()


def test_inputs_are_what_a_node_was_computed_from():
    a, b = Node(torch.ones(2, 1)), Node(torch.ones(1))
    s = a + b
    assert s.inputs == (a, b) and a.inputs == ()
    t = Node(torch.ones(1)) + torch.ones(1)  # a tensor operand becomes a leaf Node
    assert isinstance(t.inputs[1], Node) and t.inputs[1].inputs == ()


@pytest.mark.parametrize("seed", range(20))
def test_training_with_node_reaches_torchs_parameters(seed):
    """Chapter 16's summary: chapter 7's train and the same loop on Node end within 1e-6 of each other."""
    import random

    from linreg import data_iter, synthetic_data, train

    torch.manual_seed(seed)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    lr, num_epochs, batch_size = 0.03, 3, 10
    w_init, b_init = torch.normal(0, 0.01, size=(2, 1)), torch.zeros(1)

    w_torch, b_torch = w_init.clone().requires_grad_(), b_init.clone().requires_grad_()
    random.seed(seed)
    train(features, labels, w_torch, b_torch, lr, num_epochs, batch_size)

    w, b = w_init.clone(), b_init.clone()
    random.seed(seed)
    for _ in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            w_node, b_node = Node(w), Node(b)
            squared_loss(linreg(Node(X), w_node, b_node), y).sum().backward()  # the loop chapter 16's summary describes
            w -= lr * w_node.grad / batch_size
            b -= lr * b_node.grad / batch_size

    assert (w_torch.detach() - w).abs().max() < 1e-6
    assert (b_torch.detach() - b).abs().max() < 1e-6
    assert (w.flatten() - true_w).abs().max() < 0.01 and abs(b.item() - true_b) < 0.01
