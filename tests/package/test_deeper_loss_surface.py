"""The claims of chapter 11 (the loss surface), over the 20 seeds of tests/package/book.py.

Each test quotes the prose it checks. The paths are chapter 11's `sgd_path`: w from the origin,
b held at the least-squares b*, stopped when w leaves the frame drawn around w*.
"""

from __future__ import annotations

import random

import pytest
import torch

from linreg import data_iter, linreg, sgd, squared_loss, synthetic_data

from package.book import NUM_EXAMPLES, SEEDS, TRUE_B, TRUE_W

FRAME = (5.0, 5.0)  # the frame of the round surface: w* +- 5
FRAME_SCALED = (2.5, 0.6)  # the frame of the surface with feature 2 scaled by 10
SCALE = torch.tensor([1.0, 10.0])


def least_squares(features, labels):
    """Chapter 11's least_squares: (w*, b*), solved in float64."""
    X_ones = torch.cat([features, torch.ones(len(features), 1)], dim=1)
    solution = torch.linalg.lstsq(X_ones.double(), labels.double()).solution.reshape(-1).float()
    return solution[:2], solution[2]


def sgd_path(features, labels, w_star, b_star, lr, batch_size, num_steps, frame):
    """Chapter 11's sgd_path."""
    w = torch.zeros(2, 1, requires_grad=True)
    path = [w.detach().reshape(-1).clone()]
    while len(path) <= num_steps:
        for X, y in data_iter(batch_size, features, labels):
            squared_loss(linreg(X, w, b_star), y).sum().backward()
            sgd([w], lr, batch_size)
            path.append(w.detach().reshape(-1).clone())
            if len(path) > num_steps or ((path[-1] - w_star).abs() > torch.tensor(frame)).any():
                return torch.stack(path)
    return torch.stack(path)


def hessian(features):
    return features.T @ features / len(features)


@pytest.fixture(scope="module")
def runs():
    """For every seed: the data, w*, and the paths the chapter draws."""
    out = []
    for seed in SEEDS:
        torch.manual_seed(seed)
        random.seed(seed)
        features, labels = synthetic_data(TRUE_W, TRUE_B, NUM_EXAMPLES)
        w_star, b_star = least_squares(features, labels)
        run = {"seed": seed, "features": features, "labels": labels, "w_star": w_star, "start": w_star.norm().item()}
        for lr in [0.03, 0.3, 1.0, 2.5, 1.6]:  # 2.5 after 1.0: seed 0 draws the page's own minibatches
            run[("lr", lr)] = sgd_path(features, labels, w_star, b_star, lr, 10, 20, FRAME)
        out.append(run)
    return out


def distances(run, key):
    return (run[key] - run["w_star"]).norm(dim=1)


def test_hessian_is_close_to_the_identity(runs):
    """'两个特征值都接近 1 ... 上限 2/λmax 接近 2'"""
    for run in runs:
        eigenvalues = torch.linalg.eigvalsh(hessian(run["features"]))
        assert ((eigenvalues > 0.85) & (eigenvalues < 1.15)).all(), f"seed {run['seed']}: {eigenvalues}"
        assert 1.7 < 2 / eigenvalues.max() < 2.3, f"seed {run['seed']}"


def test_lr_003_is_about_halfway_after_20_steps(runs):
    """'lr = 0.03 ... 20 步之后仍在半路上'"""
    for run in runs:
        assert 0.35 < distances(run, ("lr", 0.03))[-1] / run["start"] < 0.7, f"seed {run['seed']}"


def test_lr_03_and_1_reach_the_solution_in_20_steps(runs):
    """'lr = 0.3 ... 走到了中心', 'lr = 1.0 ... 在星号附近跳动着收拢'"""
    for run in runs:
        for lr in [0.3, 1.0]:
            assert len(run[("lr", lr)]) == 21, f"seed {run['seed']}, lr {lr} left the frame"
            assert distances(run, ("lr", lr))[-1] < 0.05, f"seed {run['seed']}, lr {lr}"


def test_lr_25_moves_away_and_leaves_the_frame(runs):
    """'lr = 2.5 ... 总的趋势是越来越远，几步之后就冲出了画面'"""
    for run in runs:
        path, d = run[("lr", 2.5)], distances(run, ("lr", 2.5))
        assert len(path) <= 20, f"seed {run['seed']}: stayed for {len(path) - 1} steps"
        assert ((path[-1] - run["w_star"]).abs() > torch.tensor(FRAME)).any()
        assert torch.isfinite(path).all(), "the drawn path holds no inf or nan"
        assert d[-1] > d[0], f"seed {run['seed']}: {d}"


def test_lr_25_on_the_page_is_not_monotone(runs):
    """On the page's own path (seed 0, the minibatches after lr 0.03, 0.3 and 1.0): '到星号的距离并不是一步比一步大：
    输出里的距离有时变小（第 2 步之后落到 0.6 附近），有时变大'"""
    d = distances(runs[0], ("lr", 2.5))
    assert runs[0]["seed"] == 0 and len(d) > 4
    assert d[1] > d[0] and d[2] < 1.0, d
    assert (d[1:] < d[:-1]).any() and (d[1:] > d[:-1]).sum() >= 2, d


def test_a_batch_bound_below_1_does_not_stop_lr_1_converging(runs):
    """'每个种子都有小批量的 2/λmax(H_B) 小于 1 ... lr = 1.0 ... 照样收敛'"""
    for run in runs:
        random.seed(run["seed"])
        worst = max(
            torch.linalg.eigvalsh(hessian(X)).max().item() for X, _ in data_iter(10, run["features"], run["labels"])
        )
        assert 2 / worst < 1.0, f"seed {run['seed']}: {worst}"
        assert distances(run, ("lr", 1.0))[-1] < 0.05


def test_minibatch_noise_breaks_lr_16_for_some_seed(runs):
    """'同样是批量 10，lr = 1.6 在 20 个种子里有的也会冲出画面', below 2/λmax of all the data"""
    assert any(len(run[("lr", 1.6)]) < 21 for run in runs)
    assert all(1.6 < 2 / torch.linalg.eigvalsh(hessian(run["features"])).max() for run in runs)


def scaled_run(run):
    scaled = run["features"] * SCALE
    w_star, b_star = least_squares(scaled, run["labels"])
    return scaled, w_star, b_star, torch.linalg.eigvalsh(hessian(scaled))


def test_scaling_feature_2_by_10_makes_eigenvalues_about_1_and_100(runs):
    """'H 的对角线变成约 1 和 100 ... 2/λmax ≈ 0.02', and w2* ten times smaller"""
    for run in runs:
        _, w_star, _, eigenvalues = scaled_run(run)
        assert 0.85 < eigenvalues[0] < 1.15 and 85 < eigenvalues[1] < 115, f"seed {run['seed']}: {eigenvalues}"
        assert torch.allclose(w_star * SCALE, run["w_star"], atol=1e-3)


def test_scaled_surface_zig_zags_below_the_limit_and_leaves_above_it(runs):
    """'0.95 倍上限 ... 路径在谷的两壁之间来回跳（之字形），w2 的误差每步变号、缩小一成 ... 20 步后 w1 离 w1* 还有 1.4 左右';
    '1.1 倍上限 ... 几步就冲出了画面'"""
    for run in runs:
        scaled, w_star, b_star, eigenvalues = scaled_run(run)
        lam_max = eigenvalues[1].item()
        below = sgd_path(scaled, run["labels"], w_star, b_star, 0.95 * 2 / lam_max, 1000, 20, FRAME_SCALED)
        assert len(below) == 21
        gap = below - w_star
        signs = torch.sign(gap[1:, 1])
        assert (signs[1:] != signs[:-1]).sum() >= 15, f"seed {run['seed']}: w2 does not zig-zag: {gap[:, 1]}"
        ratios = gap[2:, 1] / gap[1:-1, 1]
        assert (ratios < 0).all(), f"seed {run['seed']}: the w2 error does not change sign every step: {ratios}"
        shrink = ratios.abs().log().mean().exp()  # the typical factor per step
        assert 0.85 < shrink < 0.95, f"seed {run['seed']}: {ratios}"
        assert 1.3 < gap[-1, 0].abs() < 1.55, f"seed {run['seed']}: {gap[-1, 0]}"
        above = sgd_path(scaled, run["labels"], w_star, b_star, 1.1 * 2 / lam_max, 1000, 20, FRAME_SCALED)
        assert len(above) <= 11, f"seed {run['seed']}: stayed for {len(above) - 1} steps"


def test_standardizing_restores_the_round_surface(runs):
    """'H 的对角线恰好都是 1 ... lr = 1.0 的小批量路径二十步内走到了星号 ... 除以标准差 ... 与 w* 相同'"""
    for run in runs:
        scaled, w_star_s, _, _ = scaled_run(run)
        standardized = (scaled - scaled.mean(dim=0)) / scaled.std(dim=0)
        H = hessian(standardized)
        assert torch.allclose(H.diagonal(), torch.ones(2), atol=2e-3), f"seed {run['seed']}: {H}"
        eigenvalues = torch.linalg.eigvalsh(H)
        assert eigenvalues.min() > 0.85 and eigenvalues.max() < 1.15
        w_star_z, b_star_z = least_squares(standardized, run["labels"])
        random.seed(run["seed"])
        path = sgd_path(standardized, run["labels"], w_star_z, b_star_z, 1.0, 10, 20, FRAME)
        assert len(path) == 21 and (path[-1] - w_star_z).norm() < 0.05, f"seed {run['seed']}"
        assert torch.allclose(w_star_z / scaled.std(dim=0), w_star_s, atol=1e-3)
