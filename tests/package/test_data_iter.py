"""The minibatch iterators of chapter 2: every example exactly once per pass, in batches of the asked size.

Both the taught generators (`linreg.data`) and the checked functions the package exports (the
appendix) are tested; only the checked ones reject bad arguments.
"""

from __future__ import annotations

import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from linreg import data, data_iter, tensor_data_iter

CHECKED = [data_iter, tensor_data_iter]
ITERATORS = [data.data_iter, data.tensor_data_iter, *CHECKED]


def name(iterator) -> str:
    return f"{iterator.__module__}.{iterator.__name__}"


def numbered_dataset(n: int):
    """Features whose first column is the example's index; labels that encode the same index."""
    index = torch.arange(n, dtype=torch.float32)
    features = torch.stack([index, -index], dim=1)  # (n, 2)
    labels = (10 * index + 3).reshape(-1, 1)  # (n, 1)
    return features, labels


@pytest.mark.parametrize("iterator", ITERATORS, ids=name)
@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 300), batch_size=st.integers(1, 400), seed=st.integers(0, 2**16))
def test_one_pass_covers_every_example_once(iterator, n, batch_size, seed):
    random.seed(seed)
    torch.manual_seed(seed)
    features, labels = numbered_dataset(n)
    batches = list(iterator(batch_size, features, labels))

    sizes = [len(X) for X, y in batches]
    full, rest = divmod(n, batch_size)
    assert sizes == [batch_size] * full + ([rest] if rest else [])

    for X, y in batches:
        assert X.shape == (len(X), 2) and y.shape == (len(X), 1)
        assert torch.equal(y[:, 0], 10 * X[:, 0] + 3)  # each label stays with its own row
        assert torch.equal(X[:, 1], -X[:, 0])

    seen = torch.cat([X[:, 0] for X, y in batches]).long()
    assert sorted(seen.tolist()) == list(range(n))


@pytest.mark.parametrize("iterator", ITERATORS, ids=name)
def test_each_pass_has_its_own_order(iterator):
    random.seed(0)
    torch.manual_seed(0)
    features, labels = numbered_dataset(1000)
    orders = [torch.cat([X[:, 0] for X, y in iterator(10, features, labels)]) for _ in range(3)]
    assert not torch.equal(orders[0], orders[1])
    assert not torch.equal(orders[1], orders[2])
    assert not torch.equal(orders[0], torch.arange(1000, dtype=torch.float32))


@pytest.mark.parametrize("iterator", ITERATORS, ids=name)
def test_same_seed_same_batches(iterator):
    features, labels = numbered_dataset(50)
    runs = []
    for _ in range(2):
        random.seed(7)
        torch.manual_seed(7)
        runs.append([y for X, y in iterator(8, features, labels)])
    assert all(torch.equal(a, b) for a, b in zip(*runs, strict=True))


@pytest.mark.parametrize("iterator", ITERATORS, ids=name)
def test_one_dimensional_labels(iterator):
    features, labels = numbered_dataset(23)
    labels = labels.reshape(-1)  # (n,)
    for X, y in iterator(5, features, labels):
        assert y.shape == (len(X),)
        assert torch.equal(y, 10 * X[:, 0] + 3)


@pytest.mark.parametrize("iterator", CHECKED, ids=name)
@pytest.mark.parametrize("batch_size", [0, -3, 2.5, "10", True, None])
def test_bad_batch_size_is_named(iterator, batch_size):
    features, labels = numbered_dataset(10)
    with pytest.raises(ValueError, match="batch_size"):
        iterator(batch_size, features, labels)  # fails at the call, before any iteration


@pytest.mark.parametrize("iterator", CHECKED, ids=name)
def test_row_mismatch_names_features_and_labels(iterator):
    features, labels = numbered_dataset(10)
    with pytest.raises(ValueError, match=r"features and labels.*10 and 9"):
        iterator(3, features, labels[:9])


@pytest.mark.parametrize("taught, checked", [(data.data_iter, data_iter), (data.tensor_data_iter, tensor_data_iter)])
def test_the_checked_iterators_hand_out_the_taught_minibatches(taught, checked):
    features, labels = numbered_dataset(57)
    runs = []
    for iterator in (taught, checked):
        random.seed(3)
        torch.manual_seed(3)
        runs.append([y for X, y in iterator(8, features, labels)])
    assert len(runs[0]) == len(runs[1]) == 8
    assert all(torch.equal(a, b) for a, b in zip(*runs, strict=True))


def test_the_taught_iterator_is_a_plain_generator():
    """Chapter 2 teaches a generator: nothing runs, not even the shuffle, before the first batch."""
    features, labels = numbered_dataset(10)
    state = random.getstate()
    batches = data.data_iter(0, features, labels)  # a bad batch size: the generator has not started
    assert random.getstate() == state
    with pytest.raises(ValueError):
        next(batches)
