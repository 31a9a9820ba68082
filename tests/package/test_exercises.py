"""The claims the prose makes about autograd (chapters 7, 9, 16 and 17), the exercises of chapter 18 and
chapter 14's bug 3, checked over 20 seeds where they depend on randomness. Each test names the chapter whose
prose states its claim; each helper repeats the chapter's experiment for a given seed."""

from __future__ import annotations

import functools
import math
import random

import pytest
import torch
from torch.func import jvp, vjp

from linreg import Node, data_iter, sgd, synthetic_data, train
from linreg.loss import squared_loss
from linreg.model import linreg

from package.book import SEEDS, TRUE_B, TRUE_W


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny matmuls are far slower with two threads on a busy two-core machine; results do not change."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def dataset(seed, n=1000):
    torch.manual_seed(seed)
    random.seed(seed)
    return synthetic_data(TRUE_W, TRUE_B, n)


@functools.cache
def zero_init_run(seed, lr, num_epochs=3):
    """train() from w = 0, b = 0 on dataset(seed), minibatch order fixed by seed (exercises 1, 5, 6)."""
    features, labels = dataset(seed)
    w = torch.zeros((2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    random.seed(seed + 1)
    history = train(features, labels, w, b, lr=lr, num_epochs=num_epochs)
    return w.detach(), b.detach(), history


def first_minibatch(seed):
    features, labels = dataset(seed)
    X, y = features[:10], labels[:10]
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return X, y, w, b


def loss_sum(X, y, w, b):
    return squared_loss(linreg(X, w, b), y).sum()


# Chapter 7: the grad_fn of a tensor computed from the parameters -------------------------------


def test_ch7_grad_fn_is_a_record_not_a_different_value():
    """Chapter 7's summary: "由参数算出的张量带着 grad_fn，仍是计算图的一部分；.detach() 或 torch.no_grad()
    给出单纯的数值": the same values, only without the record."""
    for seed in SEEDS:
        X, y, w, b = first_minibatch(seed)
        recorded = linreg(X, w, b)
        with torch.no_grad():
            not_recorded = linreg(X, w, b)
        assert recorded.grad_fn is not None and not_recorded.grad_fn is None
        assert torch.equal(recorded, not_recorded) and torch.equal(recorded, linreg(X, w.detach(), b.detach()))


# Chapter 9: the graph it prints and the chain rule it works by hand ----------------------------


def test_ch9_recorded_graph_has_the_nodes_the_chapter_names():
    """Chapter 9 prints the graph under l.grad_fn and reads it from the top: "求和、除以 2、平方、减去标签、
    加上偏置、矩阵乘法，最后到达 w 和 b". The page records one example; a minibatch records the same graph."""
    X, y, w, b = first_minibatch(0)
    loss = squared_loss(linreg(X, w, b), y).sum()
    names = []

    def visit(fn, depth):
        names.append((depth, "None" if fn is None else fn.name().split("::")[-1]))
        for next_fn, _ in fn.next_functions if fn is not None else ():
            visit(next_fn, depth + 1)

    visit(loss.grad_fn, 0)
    assert names == [
        (0, "SumBackward0"),
        (1, "DivBackward0"),
        (2, "PowBackward0"),
        (3, "SubBackward0"),
        (4, "AddBackward0"),
        (5, "MmBackward0"),
        (6, "None"),  # X
        (6, "AccumulateGrad"),  # w
        (5, "AccumulateGrad"),  # b
        (4, "None"),  # y
        (2, "None"),  # the constant 2
    ]


@pytest.mark.parametrize("seed", SEEDS)
def test_ch9_one_example_by_hand_and_the_sum_over_examples(seed):
    """Chapter 9: "两边相同" (one example, operation by operation, against autograd), and "一个小批量的损失是
    各样本损失之和，和的导数是导数之和，所以同一套规则给出整个小批量的梯度" (10 single-example backward()
    calls summed in .grad, one backward() of the minibatch loss, and chapter 6's formula X^T r agree to
    float32 rounding)."""
    X, y, w, b = first_minibatch(seed)
    x1, x2, label = X[0, 0].item(), X[0, 1].item(), y[0, 0].item()
    r = x1 * w[0, 0].item() + x2 * w[1, 0].item() + b.item() - label
    loss_sum(X[:1], y[:1], w, b).backward()
    by_hand = torch.tensor([r * x1, r * x2, r])
    autograd = torch.cat([w.grad.flatten(), b.grad])
    assert ((by_hand - autograd).abs() <= 1e-5 * by_hand.abs().max()).all()  # equal to float32 precision
    w.grad, b.grad = None, None
    for i in range(len(X)):
        loss_sum(X[i : i + 1], y[i : i + 1], w, b).backward()
    summed = torch.cat([w.grad.flatten(), b.grad])
    w.grad, b.grad = None, None
    loss_sum(X, y, w, b).backward()
    with torch.no_grad():
        residuals = linreg(X, w, b) - y
    whole = torch.cat([w.grad.flatten(), b.grad])
    formula = torch.cat([(X.T @ residuals).flatten(), residuals.sum(dim=0)])
    assert (summed - whole).abs().max() < 1e-5 and (whole - formula).abs().max() < 1e-5


# Chapter 16: finite differences (float64, h = 1e-5) -------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_ch16_float64_central_differences_agree_with_node_to_rounding(seed):
    """Chapter 16: "有限差分与 float64 下的 Node 相差约 10^-9，正是 h = 10^-5 时舍入误差的大小
    （ε|l|/h ...）", on the page's first minibatch with each seed: the difference stays within twice
    ε|l|/h (each of the two losses a central difference subtracts is rounded by about ε|l|)."""
    X, y, w, b = first_minibatch(seed)
    X64, y64, w64, b64 = X.double(), y.double(), w.detach().double(), b.detach().double()
    h = 1e-5
    w_node, b_node = Node(w64), Node(b64)
    loss = squared_loss(linreg(Node(X64), w_node, b_node), y64).sum()
    loss.backward()
    differences = []
    for k in range(2):
        step = torch.zeros_like(w64)
        step[k, 0] = h
        fd = (loss_sum(X64, y64, w64 + step, b64) - loss_sum(X64, y64, w64 - step, b64)) / (2 * h)
        differences.append(abs(fd - w_node.grad[k, 0]).item())
    fd_b = (loss_sum(X64, y64, w64, b64 + h) - loss_sum(X64, y64, w64, b64 - h)) / (2 * h)
    differences.append(abs(fd_b - b_node.grad[0]).item())
    rounding = torch.finfo(torch.float64).eps * abs(loss.value.item()) / h
    assert max(differences) < 2 * rounding, f"seed {seed}: {differences} against eps |l| / h = {rounding:.1e}"


# Chapters 16 (kinks) and 17 (forward and reverse mode) -----------------------------------------


def test_ch16_torch_gradients_at_kinks_are_zero():
    for f in (torch.abs, torch.relu):
        x = torch.zeros(1, requires_grad=True)
        f(x).backward()
        assert x.grad.item() == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_ch17_reverse_mode_one_pass_forward_mode_one_per_parameter(seed):
    X, y, w, b = first_minibatch(seed)
    calls = []

    def loss_of(theta):
        calls.append(1)
        return squared_loss(linreg(X, theta[:2].reshape(2, 1), theta[2:]), y).sum()

    theta = torch.cat([w.detach().flatten(), b.detach()])
    _, pullback = vjp(loss_of, theta)
    (grad_reverse,) = pullback(torch.tensor(1.0))
    assert len(calls) == 1
    calls.clear()
    grad_forward = torch.stack([jvp(loss_of, (theta,), (e,))[1] for e in torch.eye(3)])
    assert len(calls) == 3
    # "差别只是 float32 的舍入": well under 10^-6 of the largest entry
    assert (grad_reverse - grad_forward).abs().max() < 1e-6 * grad_reverse.abs().max()


# Chapter 18, exercise 1: zero initialization --------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_ex1_zero_init_still_recovers_the_parameters(seed):
    w, b, history = zero_init_run(seed, 0.03)
    assert (w.flatten() - TRUE_W).abs().max() < 0.003  # "误差都小于 0.003"
    assert abs(b.item() - TRUE_B) < 0.003
    assert history["epoch_losses"][-1] < 1e-4
    features, _ = dataset(seed)
    X_tilde = torch.cat([features, torch.ones(len(features), 1)], dim=1)
    assert torch.linalg.eigvalsh(X_tilde.T @ X_tilde / len(features)).min() > 0.5  # "特征值都大于 0.5"


def train_two_layer(X_net, y_net, W1, W2, num_steps=300, lr=0.2):
    W1, W2 = W1.clone().requires_grad_(), W2.clone().requires_grad_()
    b1, b2 = torch.zeros(4, requires_grad=True), torch.zeros(1, requires_grad=True)
    for _ in range(num_steps):
        H = torch.tanh(X_net @ W1 + b1)
        losses = squared_loss(H @ W2 + b2, y_net)
        losses.sum().backward()
        sgd([W1, b1, W2, b2], lr, len(X_net))
    return W1.detach(), losses.mean().item(), b2.detach()


@pytest.mark.parametrize("seed", SEEDS)
def test_ex1_two_layer_net_only_random_init_breaks_the_symmetry(seed):
    torch.manual_seed(seed)
    X_net = torch.normal(0, 1, (100, 2))
    y_net = torch.sin(2 * X_net[:, :1]) + X_net[:, 1:] ** 2
    W1_zero, loss_zero, b2 = train_two_layer(X_net, y_net, torch.zeros(2, 4), torch.zeros(4, 1))
    assert torch.equal(W1_zero, torch.zeros(2, 4))  # "第一层权重仍然全是 0"
    # "只学到了偏置，也就是预测标签的平均值"
    assert abs(b2.item() - y_net.mean().item()) < 1e-3
    W1_const, loss_const, _ = train_two_layer(X_net, y_net, torch.full((2, 4), 0.5), torch.full((4, 1), 0.5))
    assert torch.equal(W1_const, W1_const[:, :1].expand(2, 4))  # "4 列权重始终相同"
    assert not torch.equal(W1_const, torch.full((2, 4), 0.5))  # they do move, all together
    W1_random, loss_random, _ = train_two_layer(
        X_net, y_net, torch.normal(0, 0.5, (2, 4)), torch.normal(0, 0.5, (4, 1))
    )
    columns = W1_random.T  # (4, 2): the weights of each hidden unit
    assert (torch.cdist(columns, columns) + torch.eye(4)).min() > 1e-3  # "4 列各不相同"
    assert loss_random < min(loss_zero, loss_const)  # "损失也比另两种都低"


# Exercise 2: Ohm's law -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_ex2_ohms_law_resistance(seed):
    torch.manual_seed(seed)
    true_R, num_points = 4.7, 50
    current = 2 * torch.rand(num_points)
    voltage = true_R * current + torch.normal(0, 0.05, (num_points,))
    R = torch.zeros(1, requires_grad=True)
    for _ in range(100):
        squared_loss(current * R, voltage).sum().backward()
        sgd([R], 0.5, num_points)
    R_lstsq = (current @ voltage) / (current @ current)
    assert abs(R.item() - R_lstsq.item()) < 1e-4  # "相差小于 10^-4"
    standard_error = 0.05 / (current @ current).sqrt()
    assert abs(R.item() - true_R) < 3 * standard_error  # "误差都小于 3 倍标准误差"


# Exercise 3: Planck's law --------------------------------------------------------------------

h, c, k_B = 6.62607015e-34, 2.99792458e8, 1.380649e-23


def planck(wavelength, T):
    return 8 * math.pi * h * c / wavelength**5 / torch.expm1(h * c / (wavelength * k_B * T))


def planck_data(seed, true_T=5800.0, num_points=60):
    torch.manual_seed(seed)
    wavelength = torch.linspace(0.2e-6, 3.0e-6, num_points, dtype=torch.float64)
    noise = torch.exp(torch.normal(0, 0.05, (num_points,), dtype=torch.float64))
    return wavelength, planck(wavelength, true_T) * noise


@pytest.mark.parametrize("seed", SEEDS)
def test_ex3_planck_temperature_within_one_percent(seed):
    true_T = 5800.0
    wavelength, u = planck_data(seed, true_T)
    t = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    trajectory, gradients = [], []
    for _ in range(100):
        squared_loss(torch.log(planck(wavelength, 1000 * t)), torch.log(u)).sum().backward()
        gradients.append(t.grad.item())
        sgd([t], 0.5, len(u))
        trajectory.append(1000 * t.item())
    assert trajectory[0] > 6500  # "第一步就越过了目标，跳到 6500 K 以上"
    # "在 3000 K 处 ... 损失又陡、梯度又大 ... 越过之后，那一侧的损失平缓得多"
    assert abs(gradients[0]) > 20 * abs(gradients[1])
    assert all(later < earlier for earlier, later in zip(trajectory, trajectory[1:30], strict=False))  # "逐步下降"
    assert all(T > true_T * 0.99 for T in trajectory)  # "从上方回落", never swinging far below
    assert abs(trajectory[19] - true_T) / true_T < 0.01  # "二十步之内 ... 相差不到 1%"
    assert abs(trajectory[-1] - true_T) / true_T < 0.01  # "相对误差都小于 1%"
    assert abs(trajectory[-1] - trajectory[-2]) < 1e-6  # converged


@pytest.mark.parametrize("seed", SEEDS)
def test_ex3_unscaled_fit_diverges(seed):
    wavelength, u = planck_data(seed)
    assert 1e4 < u.min() < 1e5 and 1e6 < u.max() < 1e7  # "u 的数值从 10^4 到 10^6"
    T = torch.tensor([3000.0], dtype=torch.float64, requires_grad=True)
    temperatures, gradients = [], []
    for _ in range(3):
        squared_loss(planck(wavelength, T), u).sum().backward()
        gradients.append(T.grad.item())
        sgd([T], 0.5, len(u))
        temperatures.append(T.item())
    assert abs(gradients[0]) > 1e8  # "梯度因此达到 10^8 以上"
    assert 1e6 < temperatures[0] < 1e7  # "几百万开尔文"
    assert temperatures[1] < 0 < temperatures[2]  # "之后正负来回放大"
    assert abs(temperatures[2]) > abs(temperatures[1]) > abs(temperatures[0])


# Exercise 4: second derivatives ----------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_ex4_hessian_is_constant_and_equals_the_formula(seed):
    X, y, _, _ = first_minibatch(seed)

    def loss_of(theta):
        return squared_loss(linreg(X, theta[:2].reshape(2, 1), theta[2:]), y).mean()

    X_tilde = torch.cat([X, torch.ones(len(X), 1)], dim=1)
    H_formula = X_tilde.T @ X_tilde / len(X)
    for theta in (torch.normal(0, 1, (3,)), torch.zeros(3)):
        theta.requires_grad_()
        (grad,) = torch.autograd.grad(loss_of(theta), theta, create_graph=True)
        H = torch.stack([torch.autograd.grad(grad[i], theta, retain_graph=True)[0] for i in range(3)])
        assert (H - H_formula).abs().max() < 1e-5  # "相差小于 10^-5"
        v = torch.normal(0, 1, (3,))
        (Hv,) = torch.autograd.grad(grad @ v, theta)
        torch.testing.assert_close(Hv, H_formula @ v, rtol=1e-4, atol=1e-4)

    theta = torch.zeros(3, requires_grad=True)
    (plain,) = torch.autograd.grad(loss_of(theta), theta)
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad(plain[0], theta)


# Chapter 14, bug 3 (the source's exercise 5): the reshape in squared_loss -------------------------


def no_reshape(y_hat, y):
    return (y_hat - y) ** 2 / 2


@functools.cache
def no_reshape_run(seed, lr, num_epochs):
    """Chapter 14's loop with squared_loss_no_reshape on dataset(seed): (w, b, mean label)."""
    features, labels = dataset(seed)
    labels_flat = labels.reshape(-1)  # (1000,)
    random.seed(seed + 1)
    w = torch.zeros((2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for _ in range(num_epochs):
        for X, y in data_iter(10, features, labels_flat):
            no_reshape(linreg(X, w, b), y).sum().backward()
            sgd([w, b], lr, 10)
    return w.detach().flatten(), b.item(), labels.mean().item()


@pytest.mark.parametrize("seed", SEEDS)
def test_ex5_without_reshape_three_epochs_go_wrong(seed):
    features, labels = dataset(seed)
    y_hat = linreg(features[:10], torch.zeros(2, 1), torch.zeros(1))  # (10, 1)
    assert no_reshape(y_hat, labels.reshape(-1)[:10]).shape == (10, 10)  # (10, 1) - (10,) broadcasts
    w, b, _ = no_reshape_run(seed, 0.03, 3)
    assert ((w - TRUE_W).abs() > 1).all()  # "权重离真实值很远"
    wrong = squared_loss(linreg(features, w.reshape(2, 1), torch.tensor([b])), labels).mean().item()
    # With reshape, squared_loss makes (n,) labels act exactly like (n, 1): the zero-init run is that run.
    right = zero_init_run(seed, 0.03)[2]["epoch_losses"][-1]
    assert wrong > 1e4 * right  # "至少大 10^4 倍"


@pytest.mark.parametrize("seed", SEEDS)
def test_ex5_without_reshape_the_fixed_point_is_w_true_over_B(seed):
    w, b, mean_label = no_reshape_run(seed, 0.0003, 30)
    assert (w - TRUE_W / 10).abs().max() < 0.06  # "与 w_true/10 相差小于 0.06" (chapter 14)
    assert abs(b - mean_label) < 0.05  # "b 与标签平均值相差小于 0.05"


def test_ex5_three_epochs_are_scattered_the_long_run_is_not():
    """'大步子让参数在不动点附近来回跳': after three epochs, three times further from it than the long run, over the 20 seeds."""
    short = torch.stack([no_reshape_run(seed, 0.03, 3)[0] for seed in SEEDS])
    long = torch.stack([no_reshape_run(seed, 0.0003, 30)[0] for seed in SEEDS])
    assert ((short - TRUE_W / 10).abs().mean(dim=0) > 3 * (long - TRUE_W / 10).abs().mean(dim=0)).all()


# Chapter 18, exercise 6: learning rates ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_ex6_learning_rates(seed):
    features, labels = dataset(seed)
    runs = {lr: zero_init_run(seed, lr)[2] for lr in [0.003, 0.03, 0.3]}
    runs[3.0] = zero_init_run(seed, 3.0, num_epochs=1)[2]  # it overflows within the first epoch
    for lr in [0.003, 0.03, 0.3]:
        assert all(math.isfinite(x) for x in runs[lr]["batch_losses"])
    assert runs[0.003]["epoch_losses"][-1] > 1  # "三轮之后损失仍然大于 1"
    for lr in [0.03, 0.3]:  # "都收敛到噪声决定的水平（约 5e-5）"
        assert 2e-5 < runs[lr]["epoch_losses"][-1] < 1e-4

    def steps_to(losses, level):
        return next(i for i, loss in enumerate(losses) if loss < level)

    assert steps_to(runs[0.3]["batch_losses"], 1e-3) < steps_to(runs[0.03]["batch_losses"], 1e-3)  # "快得多"

    diverged = runs[3.0]["batch_losses"]
    first_bad = next(i for i, loss in enumerate(diverged) if not math.isfinite(loss))
    assert first_bad < 100  # "在几十步之内溢出"
    assert diverged[first_bad] == math.inf  # "溢出成 inf"

    def largest_eigenvalue(X):
        X_tilde = torch.cat([X, torch.ones(len(X), 1)], dim=1)
        return torch.linalg.eigvalsh(X_tilde.T @ X_tilde / len(X)).max().item()

    lam = largest_eigenvalue(features)
    assert 1.7 < 2 / lam < 2.3 and 3.0 > 2 / lam  # "η > 2/λmax ≈ 2 ... η = 3 远在界限之外"


# Exercise 7: a short last minibatch ------------------------------------------------------------


def test_ex7_last_minibatch_and_sgd_scaling():
    features, labels = dataset(0)
    batches = list(data_iter(64, features, labels))
    assert [len(y) for _, y in batches] == [64] * 15 + [40]
    X, y = batches[-1]
    for divide_by, ratio in [(64, 40 / 64), (len(y), 1.0)]:
        w = torch.zeros((2, 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        squared_loss(linreg(X, w, b), y).sum().backward()
        wanted = 0.03 * w.grad.clone() / len(y)
        sgd([w, b], 0.03, divide_by)
        torch.testing.assert_close(-w.detach(), ratio * wanted)
