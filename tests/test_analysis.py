"The contract of `linreg2p.analysis`, checked against numpy least squares, numpy eigenvalues and a numpy descent loop."
import math, warnings
import numpy as np
import pytest
import torch
from linreg2p.analysis import (best_lr, hessian, hessian_eig, lr_sweep, max_stable_lr, ols_fit, plot_distance,
                               plot_lr_sweep, plot_runs, shrink_factors)
from linreg2p.models import History, make_data, train_model
from conftest import np_descent

def np_hessian(x):
    return 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])

@pytest.fixture(scope='module')
def data():
    X, f, Y = make_data(seed=0)
    return X, f, Y, X.double().numpy().ravel(), Y.double().numpy().ravel()

def quiet_train(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        return train_model(*args, **kw)

# --- ols_fit --------------------------------------------------------------------------------------
@pytest.mark.parametrize('seed', range(5))
def test_ols_fit_matches_numpy_least_squares(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-5, 8, size=37); y = rng.normal(size=37) + 3 * x - 2
    w, b = ols_fit(x, y)
    assert isinstance(w, float) and isinstance(b, float)
    np.testing.assert_allclose((w, b), np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)[0], rtol=1e-10, atol=1e-10)

def test_ols_fit_lab_data(data):
    X, f, Y, x, y = data
    np.testing.assert_allclose(ols_fit(X, Y), np.polyfit(x, y, 1), atol=1e-9)
    np.testing.assert_allclose(ols_fit(X, f), (1.0, -1.0), atol=1e-6) # the noise-free line is recovered
    assert abs(ols_fit(X, Y)[0] - 1) < 0.05 and abs(ols_fit(X, Y)[1] + 1) < 0.05

def test_ols_fit_is_float64_inside():
    x = 1e4 + np.arange(5.0) # a large offset: float32 centring would lose the slope
    np.testing.assert_allclose(ols_fit(x, 0.5 * x + 7), (0.5, 7.0), rtol=1e-9)

@pytest.mark.parametrize('X, Y, msg', [
    (np.ones(5), np.arange(5.0), 'X is constant'),
    ([3.0, 3.0], [1.0, 2.0], 'not unique'),
    ([2.0], [1.0], 'single point'),
    (torch.tensor([[2.0]]), torch.tensor([[5.0]]), 'not unique'),
    ([], [], 'X is empty'),
    (np.zeros((0, 1)), np.zeros((0, 1)), 'X is empty'),
    ([1.0, 2.0], [], 'Y is empty'),
    ([1.0, 2.0, 3.0], [1.0, 2.0], 'same length'),
    ([1.0, float('nan')], [1.0, 2.0], 'X contains NaN'),
])
def test_ols_fit_refuses_without_unique_optimum(X, Y, msg):
    with pytest.raises(ValueError, match=msg): ols_fit(X, Y)

# --- the Hessian and its eigen-decomposition ------------------------------------------------------
def test_hessian_matches_formula_and_autograd(data):
    X, f, Y, x, y = data
    H = hessian(X)
    assert H.dtype == torch.float64 and H.shape == (2, 2)
    np.testing.assert_allclose(H.numpy(), np_hessian(x), atol=1e-12)
    np.testing.assert_allclose(H.numpy(), [[6.0033, -0.1], [-0.1, 2.0]], atol=1e-4)
    Xd, Yd = X.double(), Y.double()
    auto = torch.autograd.functional.hessian(lambda p: ((p[0] * Xd + p[1] - Yd) ** 2).mean(),
                                             torch.tensor([3.0, -7.0], dtype=torch.float64))
    np.testing.assert_allclose(H.numpy(), auto.numpy(), atol=1e-10)

def test_hessian_eig_matches_numpy(data):
    X, x = data[0], data[3]
    vals, vecs = hessian_eig(X)
    np.testing.assert_allclose(vals.numpy(), np.linalg.eigvalsh(np_hessian(x)), atol=1e-12)
    np.testing.assert_allclose(vals.numpy(), [1.9975, 6.0058], atol=1e-4)
    assert vals[0] < vals[1] # ascending
    np.testing.assert_allclose((vecs.T @ vecs).numpy(), np.eye(2), atol=1e-12) # orthonormal
    np.testing.assert_allclose((hessian(X) @ vecs).numpy(), (vecs * vals).numpy(), atol=1e-12)
    # shallow direction is mostly b, steep mostly w; each vector's largest entry is positive
    assert abs(vecs[1, 0]) > 0.99 and abs(vecs[0, 1]) > 0.99
    assert (vecs[vecs.abs().argmax(0), torch.arange(2)] > 0).all()

def test_max_stable_lr(data):
    X, x = data[0], data[3]
    bound = max_stable_lr(X)
    assert isinstance(bound, float)
    assert bound == pytest.approx(2 / np.linalg.eigvalsh(np_hessian(x)).max(), rel=1e-12)
    assert round(bound, 4) == 0.3330

@pytest.mark.parametrize('scale', [0.5, 2.0, 4.0])
def test_bound_follows_the_spread_of_x(data, scale):
    x = data[3]
    assert max_stable_lr(scale * x) == pytest.approx(2 / np.linalg.eigvalsh(np_hessian(scale * x)).max(), rel=1e-12)
    if scale >= 2: assert max_stable_lr(scale * x) == pytest.approx(1 / np.mean((scale * x) ** 2), rel=0.02)

def test_centring_makes_the_hessian_diagonal(data):
    x = data[3] + 10
    xc = x - x.mean()
    np.testing.assert_allclose(hessian(xc).numpy(), np.diag([2 * x.var(), 2.0]), atol=1e-9)
    vals = hessian_eig(x)[0]
    assert vals[1] / vals[0] > 1000 and (lambda v: v[1] / v[0])(hessian_eig(xc)[0]) < 3.1

# --- shrink factors, the bound, the best rate -----------------------------------------------------
@pytest.mark.parametrize('lr, expected', [(0.1, (0.80, 0.40)), (0.2, (0.60, 0.20))])
def test_shrink_factors_lab_numbers(data, lr, expected):
    np.testing.assert_allclose(shrink_factors(data[0], lr), expected, atol=0.005)

@pytest.mark.parametrize('lr', [0.05, 0.1, 0.2, 0.3, 0.34, 0.5])
def test_shrink_factors_are_one_step_ratios(data, lr):
    "Start one unit from the optimum along an eigen-direction; one numpy step lands |1 − lr·λ| away."
    X, _, Y, x, y = data
    w0, b0 = ols_fit(x, y)
    vecs = np.linalg.eigh(np_hessian(x))[1]
    measured = [np.hypot(*(np_descent(x, y, w0 + v[0], b0 + v[1], lr, 1)[-1] - (w0, b0))) for v in vecs.T]
    np.testing.assert_allclose(shrink_factors(X, lr), measured, rtol=1e-9)

def test_best_lr(data):
    X = data[0]
    lams = np.linalg.eigvalsh(np_hessian(data[3]))
    assert best_lr(X) == pytest.approx(2 / lams.sum(), rel=1e-12)
    assert best_lr(X) == pytest.approx(0.25, abs=0.001)
    grid = np.linspace(0.01, 0.33, 32001)
    worst = np.maximum(abs(1 - grid * lams[0]), abs(1 - grid * lams[1]))
    assert best_lr(X) == pytest.approx(grid[worst.argmin()], abs=2e-5) # brute force agrees
    kappa = lams[1] / lams[0]
    np.testing.assert_allclose(shrink_factors(X, best_lr(X)), [(kappa - 1) / (kappa + 1)] * 2, rtol=1e-12)

def test_033_converges_034_diverges(data):
    X, _, Y, x, y = data
    w0, b0 = ols_fit(x, y)
    dist = lambda s: np.hypot(s[:, 0] - w0, s[:, 1] - b0)
    near, over = np_descent(x, y, -15, -10, 0.33, 400), np_descent(x, y, -15, -10, 0.34, 400)
    assert dist(near)[-1] < 0.01 * dist(near)[0] and dist(over)[-1] > 1e5 * dist(over)[0]
    with warnings.catch_warnings():
        warnings.simplefilter('error') # below the bound: no warning
        h_near = train_model(X, Y, lr=0.33, iters=400)
    assert h_near.loss[-1] < 0.01
    with pytest.warns(RuntimeWarning, match='stability bound'):
        h_over = train_model(X, Y, lr=0.34, iters=400)
    assert h_over.loss[-1] > 1e10 * h_over.loss[0] and np.isfinite(h_over.loss).all()

def test_train_model_warns_exactly_from_the_bound(data):
    X, Y = data[0], data[2]
    bound = max_stable_lr(X)
    with warnings.catch_warnings():
        warnings.simplefilter('error') # any warning below the bound fails the test
        train_model(X, Y, lr=bound * (1 - 1e-6), iters=3)
    with pytest.warns(RuntimeWarning, match='stability bound'):
        train_model(X, Y, lr=bound, iters=3)

def test_overflowing_run_keeps_finite_states(data):
    X, Y = data[0], data[2]
    with pytest.warns(RuntimeWarning) as rec:
        h = train_model(X, Y, lr=100.0, iters=200)
    assert 'overflowed' in str(rec[-1].message)
    assert 1 < len(h) < 201 and np.isfinite(h.loss).all() and np.isfinite(h.w).all()

def test_noise_free_facts(data):
    X, f = data[0], data[1]
    np.testing.assert_allclose(train_model(X, f, lr=0.1, iters=15).final, (0.9917, -1.3321, 0.110), atol=1e-3)
    w, b, loss = train_model(X, f, lr=0.2, iters=15).final
    np.testing.assert_allclose((w, b), (0.9999, -1.0045), atol=1e-4)
    assert loss == pytest.approx(2.0e-5, rel=0.05)
    # the error after k steps is exactly (I − lr·H)^k e0
    H = np_hessian(data[3])
    pred = (1, -1) + np.linalg.matrix_power(np.eye(2) - 0.1 * H, 15) @ np.array([-16.0, -9.0])
    np.testing.assert_allclose(train_model(X, f, lr=0.1, iters=15).final[:2], pred, atol=1e-4)

# --- the learning-rate sweep ----------------------------------------------------------------------
def test_lr_sweep_matches_numpy_loop(data):
    X, _, Y, x, y = data
    lrs = [0.05, 0.1, 0.2, 0.25, 0.33, 0.34, 0.5]
    ref = np.array([np.mean((w * x + b - y) ** 2) for w, b in (np_descent(x, y, -15.0, -10.0, lr, 15)[-1] for lr in lrs)])
    with warnings.catch_warnings():
        warnings.simplefilter('error') # the sweep silences its own expected warnings and leaks none
        got = lr_sweep(X, Y, lrs)
    assert isinstance(got, np.ndarray) and got.shape == (len(lrs),)
    np.testing.assert_allclose(got, ref, rtol=1e-3)
    np.testing.assert_allclose(lr_sweep(x, y, [0.2], w=3.0, b=4.0, iters=7),
                               [np.mean((lambda s: s[0] * x + s[1] - y)(np_descent(x, y, 3.0, 4.0, 0.2, 7)[-1]) ** 2)], rtol=1e-9)

def test_lr_sweep_cliff_at_the_bound(data):
    X, Y = data[0], data[2]
    bound = max_stable_lr(X)
    lrs = np.r_[np.linspace(0.02, bound * 0.999, 12), np.linspace(bound * 1.001, 0.45, 6), [1.01 * bound]]
    final = lr_sweep(X, Y, lrs)
    start = quiet_train(X, Y, iters=0).loss[0]
    assert (final[lrs < bound] < start).all() and (final[lrs >= 1.01 * bound] > start).all()

def test_lr_sweep_overflow_and_bad_input(data):
    X, Y = data[0], data[2]
    assert lr_sweep(X, Y, [100.0], iters=200).tolist() == [math.inf]
    for bad, msg in [([], 'lrs is empty'), ([0.1, 0.0], 'lrs'), ([float('nan')], 'lrs'), ([-1], 'lrs')]:
        with pytest.raises(ValueError, match=msg): lr_sweep(X, Y, bad)
    with pytest.raises(ValueError, match='same length'): lr_sweep(X, Y[:3], [0.1])

# --- figures --------------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def runs(data):
    X, Y = data[0], data[2]
    return {f'lr {lr:g}': quiet_train(X, Y, lr=lr) for lr in (0.1, 0.2, best_lr(X), 0.33, 0.34)}

def test_plot_runs_contents(data, runs):
    import matplotlib.pyplot as plt
    X, Y, x, y = data[0], data[2], data[3], data[4]
    before = plt.get_fignums()
    ax = plot_runs(runs, X, Y)
    assert plt.get_fignums() == before # not left open in pyplot
    lines = ax.lines
    paths = [l for l in lines if l.get_label().removesuffix(' (leaves the frame)') in runs]
    assert len(paths) == len(runs)
    star = lines[0].get_xydata()[0]
    np.testing.assert_allclose(star, ols_fit(x, y), atol=1e-9)
    vecs = np.linalg.eigh(np_hessian(x))[1]
    for line, v in zip(lines[1:3], (vecs[:, 1], vecs[:, 0])): # steep, then shallow, both through the optimum
        p = line.get_xydata(); d = (p[1] - p[0]) / np.linalg.norm(p[1] - p[0])
        assert abs(abs(d @ v) - 1) < 1e-9
        np.testing.assert_allclose(p.mean(0), star, atol=1e-9)
    for line, h in zip(paths, runs.values()):
        np.testing.assert_allclose(line.get_xydata(), np.c_[h.w, h.b])
    assert len({l.get_color() for l in paths}) == len(runs) # each run its own colour
    labels = [l.get_label() for l in paths]
    assert labels[-1] == 'lr 0.34 (leaves the frame)' and sum('frame' in l for l in labels) == 1
    (w_lo, w_hi), (b_lo, b_hi) = ax.get_xlim(), ax.get_ylim()
    for h in list(runs.values())[:4]: # every run below the bound fits in the frame
        assert w_lo <= min(h.w) and max(h.w) <= w_hi and b_lo <= min(h.b) and max(h.b) <= b_hi
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()

def test_plot_runs_limits_and_bad_input(data, runs):
    X, Y = data[0], data[2]
    ax = plot_runs(runs, X, Y, w_lim=(-2, 4), b_lim=(-3, 1))
    assert ax.get_xlim() == (-2, 4) and ax.get_ylim() == (-3, 1)
    assert all('frame' in t.get_text() for t in ax.get_legend().get_texts()[3:3 + len(runs)]) # all start outside this frame
    for kw, msg in [(dict(w_lim=(1, 1), b_lim=(0, 1)), 'increasing'), (dict(w_lim=(0, float('inf')), b_lim=(0, 1)), 'w_lim')]:
        with pytest.raises(ValueError, match=msg): plot_runs(runs, X, Y, **kw)
    for bad in ({}, {'a': 1}, {'a': History()}, [1, 2]):
        with pytest.raises(ValueError, match='runs'): plot_runs(bad, X, Y)

def test_plot_distance(data, runs):
    X, Y, x, y = data[0], data[2], data[3], data[4]
    ax = plot_distance(runs, X, Y)
    w0, b0 = ols_fit(x, y)
    for line, h in zip(ax.lines, runs.values()):
        np.testing.assert_allclose(line.get_ydata(), np.hypot(np.array(h.w) - w0, np.array(h.b) - b0), rtol=1e-9)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(len(h)))
    assert ax.get_yscale() == 'log'

def test_plot_lr_sweep(data):
    X, Y = data[0], data[2]
    lrs = [0.05, 0.2, 0.3, 0.34]
    ax = plot_lr_sweep(X, Y, lrs)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), lrs)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), lr_sweep(X, Y, lrs))
    verticals = [l.get_xdata()[0] for l in ax.lines[2:]]
    np.testing.assert_allclose(sorted(verticals), sorted([best_lr(X), max_stable_lr(X)]))
    assert ax.get_yscale() == 'log' and ax.get_xlabel() == 'learning rate'

def test_at_the_bound_only_the_steep_share_of_the_loss_remains(data):
    "Loss above the floor = Σ ½·λ·c² over eigen-directions; at lr = 2/λmax the steep share is kept, the shallow one decays."
    X, _, Y, x, y = data
    w0, b0 = ols_fit(x, y)
    lams, vecs = np.linalg.eigh(np_hessian(x))
    e0 = np.array([-15.0 - w0, -10.0 - b0])
    shares = 0.5 * lams * (vecs.T @ e0) ** 2
    floor = np.mean((w0 * x + b0 - y) ** 2)
    assert np.mean((-15 * x - 10 - y) ** 2) == pytest.approx(floor + shares.sum(), rel=1e-12)
    assert lr_sweep(x, y, [max_stable_lr(x)])[0] == pytest.approx(floor + shares[1], rel=1e-6)


# --- issue 14: the tilt of the eigen-directions, the threshold past the bound, figure titles and colours ---------
@pytest.mark.parametrize('seed', range(4))
def test_eigen_direction_tilt_has_the_closed_form(seed):
    "For H = 2·[[E x², E x], [E x, 1]] the steep direction's angle θ to the w axis obeys tan 2θ = 2E[x] / (E[x²] − 1)."
    x = np.random.default_rng(seed).uniform(-2, 3.5, size=40)
    v = hessian_eig(x)[1][:, 1].numpy()
    theta = np.arctan2(v[1], v[0])
    assert np.tan(2 * theta) == pytest.approx(2 * x.mean() / (np.mean(x * x) - 1), rel=1e-9)

def test_lab_eigenvector_tilts_by_1_4_degrees(data):
    X, x = data[0], data[3]
    v = hessian_eig(X)[1][:, 1].numpy()
    np.testing.assert_allclose(v, (0.9997, -0.0250), atol=5e-5)
    assert np.degrees(abs(np.arctan2(v[1], v[0]))) == pytest.approx(1.43, abs=0.005)
    assert np.tan(np.arctan2(v[1], v[0])) == pytest.approx(x.mean() / 2, rel=0.01) # about half of E[x]

def test_fifteen_steps_end_above_the_start_from_about_0_2_percent_past_the_bound(data):
    X, _, Y, x, y = data
    bound = max_stable_lr(X)
    start = np.mean((-15 * x - 10 - y) ** 2)
    got = lr_sweep(X, Y, [1.001 * bound, 1.002 * bound])
    ref = [np.mean((lambda s: s[0] * x + s[1] - y)(np_descent(x, y, -15.0, -10.0, k * bound, 15)[-1]) ** 2) for k in (1.001, 1.002)]
    np.testing.assert_allclose(got, ref, rtol=1e-4)
    np.testing.assert_allclose((*got, start), (793.6, 842.5, 835.7), atol=0.05)
    assert got[0] < start < got[1]

def test_plot_runs_title_names_every_lr(data, runs):
    X, Y = data[0], data[2]
    assert plot_runs(runs, X, Y).get_title() == 'Gradient descent at lr 0.1, 0.2, 0.25, 0.33 and 0.34'
    assert plot_runs({'a': runs['lr 0.1']}, X, Y).get_title() == 'Gradient descent at lr 0.1'
    assert plot_runs({'no lr': History([1.0, 2.0], [0.0, 1.0], [3.0, 2.0])}, X, Y).get_title() == 'Gradient descent at several learning rates'

def test_plot_distance_labels_a_lone_history_by_its_lr(data, runs):
    X, Y = data[0], data[2]
    ax = plot_distance(runs['lr 0.1'], X, Y)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ['lr 0.1']

def test_plot_lr_sweep_colours(data):
    "The sweep is drawn in the first run colour; its reference lines are black or grey, never a colour that means something else."
    from matplotlib.colors import to_rgb
    from linreg2p.figures import PALETTE, RUN_COLOURS
    ax = plot_lr_sweep(data[0], data[2], [0.05, 0.2, 0.3], iters=4)
    assert to_rgb(ax.lines[0].get_color()) == to_rgb(RUN_COLOURS[0])
    assert to_rgb(ax.lines[1].get_color()) == to_rgb(PALETTE['start']) # the starting loss
    for line in ax.lines[1:]:
        r, g, b = to_rgb(line.get_color())
        assert r == g == b, line.get_label()
