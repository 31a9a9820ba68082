"""Every public function of linreg rejects a wrong type, shape or range with an error naming the argument."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from linreg import Node, data_iter, linreg, sgd, squared_loss, synthetic_data, tensor_data_iter, train


def leaf(*shape):
    return torch.zeros(*shape, requires_grad=True)


BAD_CALLS = [
    # (call, exception type, a phrase naming the argument)
    (lambda: synthetic_data("ab", 4.2, 5), TypeError, "w must be"),
    (lambda: synthetic_data(torch.ones(2, 1), 4.2, 5), ValueError, "w must be a 1-D"),
    (lambda: synthetic_data(torch.ones(2), 4.2, 0), ValueError, "num_examples must be"),
    (lambda: synthetic_data(torch.ones(2), 4.2, "5"), ValueError, "num_examples must be"),
    (lambda: next(data_iter(0, torch.ones(4, 2), torch.ones(4, 1))), ValueError, "batch_size must be"),
    (lambda: next(data_iter(2.5, torch.ones(4, 2), torch.ones(4, 1))), ValueError, "batch_size must be"),
    (lambda: next(data_iter(2, [[1.0, 2.0]] * 4, torch.ones(4, 1))), TypeError, "features and labels must be tensors"),
    (lambda: next(data_iter(2, torch.ones(4, 2), torch.ones(3, 1))), ValueError, "features and labels must have"),
    (lambda: next(tensor_data_iter(0, torch.ones(4, 2), torch.ones(4, 1))), ValueError, "batch_size must be"),
    (lambda: next(tensor_data_iter(2, torch.ones(4, 2), torch.ones(3, 1))), ValueError, "features and labels"),
    (lambda: linreg([[1.0, 2.0]], torch.ones(2, 1), torch.zeros(1)), TypeError, "X and w must be tensors"),
    (lambda: linreg(torch.ones(2), torch.ones(2, 1), torch.zeros(1)), ValueError, "X must be a 2-D"),
    (
        lambda: linreg(torch.ones(3, 2), torch.ones(3, 1), torch.zeros(1)),
        ValueError,
        "X has 2 columns but w has 3 rows",
    ),
    (lambda: squared_loss("a", torch.ones(4)), TypeError, "y_hat and y must be tensors"),
    (lambda: squared_loss(torch.ones(3, 1), torch.ones(4)), ValueError, "y_hat and y must hold"),
    (lambda: sgd([leaf(1)], 0, 1), ValueError, "lr must be"),
    (lambda: sgd([leaf(1)], "0.1", 1), ValueError, "lr must be"),
    (lambda: sgd([leaf(1)], 0.1, 0), ValueError, "batch_size must be"),
    (lambda: sgd(["w"], 0.1, 1), TypeError, r"params\[0\] must be a tensor"),
    (lambda: sgd([leaf(1)], 0.1, 1), ValueError, r"params\[0\] has no .grad"),
    (lambda: train(torch.ones(4, 2), torch.ones(4, 1), leaf(2, 1), leaf(1), num_epochs=-1), ValueError, "num_epochs"),
    (lambda: train(torch.ones(4, 2), torch.ones(4, 1), leaf(2, 1), leaf(1), batch_size=0), ValueError, "batch_size"),
    (lambda: Node([1, 2]), TypeError, "value must be"),
]


@pytest.mark.parametrize("call, error, phrase", BAD_CALLS, ids=[p for _, _, p in BAD_CALLS])
def test_bad_argument_is_named(call, error, phrase):
    with pytest.raises(error, match=phrase):
        call()


@settings(max_examples=60, deadline=None)
@given(
    shapes=st.lists(st.lists(st.integers(1, 4), min_size=0, max_size=3), min_size=1, max_size=4),
    lr=st.floats(1e-4, 10.0),
    batch_size=st.integers(1, 1000),
    seed=st.integers(0, 2**16),
)
def test_sgd_takes_one_mean_gradient_step_and_clears_grads(shapes, lr, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    params = [torch.randn(tuple(s), generator=generator, dtype=torch.float64).requires_grad_() for s in shapes]
    grads = [torch.randn(tuple(s), generator=generator, dtype=torch.float64) for s in shapes]
    before = [p.detach().clone() for p in params]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    sgd(params, lr, batch_size)
    for p, b, g in zip(params, before, grads, strict=True):
        torch.testing.assert_close(p.detach(), b - lr * g / batch_size)
        assert torch.count_nonzero(p.grad) == 0
        assert p.is_leaf and p.requires_grad
