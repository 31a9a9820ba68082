"""What the package tests share: the book's true parameters, its 20 seeds, chapter 7's hyperparameters,
and chapter 7's run with any seed (`run_book`).

Every number a chapter's prose states without computing it on the page is asserted over `SEEDS`,
not only over the seed the page shows. A plain module, not conftest.py, so that the tests import it as
`from package.book import SEEDS, TRUE_W, mean_loss` (pytest's `pythonpath` is `tests/`); the trained
runs come from the `book_runs` fixture in conftest.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from linreg import linreg, squared_loss, synthetic_data, train

TRUE_W = torch.tensor([2, -3.4])
TRUE_B = 4.2
TRUTH = torch.tensor([2, -3.4, 4.2])  # w1, w2, b: the order of BookRun.learned and BookRun.lstsq
SEEDS = range(20)
NUM_EXAMPLES = 1000
LR, NUM_EPOCHS, BATCH_SIZE = 0.03, 3, 10  # chapter 7's hyperparameters
NOISE_STD = 0.01  # synthetic_data's noise


def mean_loss(features, labels, w, b) -> float:
    """The mean of squared_loss over the examples, with w, b as given (no gradient recorded)."""
    with torch.no_grad():
        return squared_loss(linreg(features, w, b), labels).mean().item()


@dataclass(frozen=True)
class BookRun:
    """Chapter 7's run with one seed: its data, its parameters before and after, and train()'s history."""

    seed: int
    features: torch.Tensor  # (1000, 2)
    labels: torch.Tensor  # (1000, 1)
    initial: torch.Tensor  # w1, w2, b before training
    learned: torch.Tensor  # w1, w2, b after training
    initial_loss: float
    history: dict  # train()'s return value
    lstsq: torch.Tensor  # w1, w2, b of the least-squares solution on the same data
    lstsq_loss: float
    true_loss: float  # the mean loss of TRUE_W, TRUE_B on the same data


def run_book(seed: int, *, lr: float = LR, num_epochs: int = NUM_EPOCHS, batch_size: int = BATCH_SIZE) -> BookRun:
    """Chapter 7 as the page runs it (seeds, data, initial parameters, train()), with another seed."""
    torch.manual_seed(seed)
    random.seed(seed)
    features, labels = synthetic_data(TRUE_W, TRUE_B, NUM_EXAMPLES)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    initial = torch.cat([w.detach().reshape(-1), b.detach()])
    initial_loss = mean_loss(features, labels, w, b)
    history = train(features, labels, w, b, lr=lr, num_epochs=num_epochs, batch_size=batch_size)
    X_ones = torch.cat([features, torch.ones(len(features), 1)], dim=1)
    solution = torch.linalg.lstsq(X_ones, labels).solution.reshape(-1)  # w1, w2, b
    return BookRun(
        seed=seed,
        features=features,
        labels=labels,
        initial=initial,
        learned=torch.cat([w.detach().reshape(-1), b.detach()]),
        initial_loss=initial_loss,
        history=history,
        lstsq=solution,
        lstsq_loss=mean_loss(features, labels, solution[:2].reshape(-1, 1), solution[2]),
        true_loss=mean_loss(features, labels, TRUE_W.reshape(-1, 1), TRUE_B),
    )
