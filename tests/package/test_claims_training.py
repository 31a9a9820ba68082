"""Chapter 7's claims that its page states but does not compute, over the 20 seeded runs of
`book_runs` (package/conftest.py); the page shows seed 0 only. Each test quotes the sentence."""

from __future__ import annotations

from package.book import SEEDS, TRUTH


def test_ch7_first_epoch_brings_the_loss_from_above_ten_to_below_a_tenth(book_runs):
    """'第一轮的 100 步就把平均损失从训练前的十几降到了 0.1 以下'"""
    for run in book_runs:
        assert 10 <= run.initial_loss < 20, f"seed {run.seed}: loss before training {run.initial_loss}"
        assert run.history["epoch_losses"][0] < 0.1, f"seed {run.seed}: {run.history['epoch_losses']}"


def test_ch7_epoch_3_loss_below_1e_minus_4(book_runs):
    """'第三轮之后低于 10^-4'"""
    for run in book_runs:
        assert run.history["epoch_losses"][2] < 1e-4, f"seed {run.seed}: {run.history['epoch_losses']}"


def test_ch7_errors_are_about_a_thousandth_or_smaller(book_runs):
    """'两个误差都在千分之一左右或更小' (about a thousandth: under 0.003)"""
    for run in book_runs:
        errors = (TRUTH - run.learned).abs()
        assert errors.max() < 0.003, f"seed {run.seed}: errors {errors.tolist()}"


def test_ch7_the_loss_first_falls_steadily(book_runs):
    """'损失先是稳步下降': the median minibatch loss of every 20 steps of the first epoch is below
    the previous 20 steps'."""
    for run in book_runs:
        losses = run.history["batch_losses"]
        medians = [sorted(losses[start : start + 20])[10] for start in range(0, 100, 20)]
        assert medians == sorted(medians, reverse=True) and len(set(medians)) == 5, f"seed {run.seed}: {medians}"


def test_ch7_third_epoch_is_mostly_below_1e_minus_4(book_runs):
    """'第三轮里它大多在 10^-4 以下上下波动': most minibatch losses of epoch 3 are below 1e-4, and they
    fluctuate (the largest is several times the smallest)."""
    assert len(SEEDS) == len(book_runs)
    for run in book_runs:
        third = run.history["batch_losses"][200:300]
        assert sum(loss < 1e-4 for loss in third) > 50, f"seed {run.seed}"
        assert max(third) > 3 * min(third), f"seed {run.seed}"
