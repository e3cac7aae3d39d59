"""Properties that must hold for any data a learner tries, checked with hypothesis against independent
float64 numpy computations: the surface, the trajectory, the stability bound and the input kinds."""
import math, warnings
import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from linreg2p.analysis import hessian, max_stable_lr, ols_fit
from linreg2p.models import Moments, plot_error_surfaces, train_model
from conftest import np_descent

# Reproducible in CI: the same examples every run, nothing saved between runs, no deadline (the first call pays
# for torch's warm-up).
# Set per test, not as the session's profile, so other hypothesis tests keep their own settings.
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None, print_blob=True)

# --- strategies ----------------------------------------------------------------------------------
def floats(lo, hi): return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)

@st.composite
def datasets(draw, min_n=1, max_n=40, scale=10.0, spread=0.0):
    "Random float64 data `(x, y)` of one length; `spread` > 0 asks for x with at least that standard deviation."
    n = draw(st.integers(min_n, max_n))
    x = draw(arrays(np.float64, n, elements=floats(-scale, scale)))
    y = draw(arrays(np.float64, n, elements=floats(-scale, scale)))
    if spread: assume(x.std() >= spread)
    return x, y

def brute_mse(x, y, W, B):
    "The MSE at every grid point by summing over the data, float64: O(N·G²), no algebra to get wrong."
    return ((W[..., None] * x + B[..., None] - y) ** 2).mean(-1)

def quiet_train(*args, **kw):
    "`train_model`, failing the test on any warning: these runs are all below the stability bound."
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        return train_model(*args, **kw)

# --- the surface ---------------------------------------------------------------------------------
@SETTINGS
@given(data=datasets(), w_range=floats(1e-3, 50), b_range=floats(1e-3, 50), n=st.integers(2, 12))
def test_surface_equals_float64_brute_force(data, w_range, b_range, n):
    x, y = data
    s = plot_error_surfaces(w_range, b_range, x, y, n_samples=n, go=False)
    W, B = np.meshgrid(np.linspace(-w_range, w_range, n), np.linspace(-b_range, b_range, n))
    np.testing.assert_array_equal(s.w, W); np.testing.assert_array_equal(s.b, B)
    ref = brute_mse(x, y, W, B)
    assert s.Z.shape == (n, n) and np.isfinite(s.Z).all() and (s.Z >= 0).all()
    # relative to the scale of the numbers involved: MSE values near zero are only known to that precision
    scale = 1 + np.mean(y ** 2) + (w_range ** 2) * np.mean(x ** 2) + b_range ** 2
    np.testing.assert_allclose(s.Z, ref, rtol=1e-9, atol=1e-12 * scale)

@SETTINGS
@given(data=datasets(min_n=2, spread=1e-3))
def test_surface_bottom_is_the_least_squares_line(data):
    x, y = data
    w, b, floor = plot_error_surfaces(1, 1, x, y, go=False).optimum
    slope, intercept = np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)[0]
    scale = 1 + abs(slope) + abs(intercept)
    assert math.isclose(w, slope, rel_tol=1e-8, abs_tol=1e-8 * scale)
    assert math.isclose(b, intercept, rel_tol=1e-8, abs_tol=1e-8 * scale)
    assert math.isclose(floor, np.mean((slope * x + intercept - y) ** 2), rel_tol=1e-7, abs_tol=1e-10 * (1 + np.mean(y ** 2)))
    # and ols_fit, the closed form of the analysis module, agrees
    np.testing.assert_allclose(ols_fit(x, y), (w, b), rtol=1e-12, atol=1e-12 * scale)

# --- the trajectory ------------------------------------------------------------------------------
starts = st.tuples(floats(-20, 20), floats(-20, 20))

@SETTINGS
@given(data=datasets(min_n=1, max_n=30), start=starts, frac=floats(0.01, 0.95), iters=st.integers(0, 25))
def test_train_model_float64_equals_np_descent(data, start, frac, iters):
    x, y = data
    lr = frac * max_stable_lr(x)
    h = quiet_train(x, y, w=start[0], b=start[1], lr=lr, iters=iters)
    ref = np_descent(x, y, *start, lr, iters)
    assert len(h) == iters + 1 and (h.w[0], h.b[0]) == start and h.lr == lr
    scale = 1 + np.abs(ref).max() + np.abs(y).max()
    np.testing.assert_allclose(np.c_[h.w, h.b], ref, rtol=1e-10, atol=1e-11 * scale)
    np.testing.assert_allclose(h.loss, brute_mse(x, y, ref[:, 0], ref[:, 1]), rtol=1e-9, atol=1e-12 * scale ** 2)

@SETTINGS
@given(data=datasets(min_n=1, max_n=30), start=starts, frac=floats(0.01, 0.95), iters=st.integers(0, 25))
def test_train_model_float32_close_to_np_descent(data, start, frac, iters):
    x32, y32 = data[0].astype(np.float32), data[1].astype(np.float32)
    x, y = x32.astype(np.float64), y32.astype(np.float64) # the same numbers, followed exactly in float64
    lr = frac * max_stable_lr(x32)
    h = quiet_train(torch.from_numpy(x32), torch.from_numpy(y32), w=start[0], b=start[1], lr=lr, iters=iters)
    ref = np_descent(x, y, float(np.float32(start[0])), float(np.float32(start[1])), lr, iters)
    scale = 1 + np.abs(ref).max() + np.abs(y).max()
    np.testing.assert_allclose(np.c_[h.w, h.b], ref, rtol=1e-4, atol=1e-5 * scale)
    np.testing.assert_allclose(h.loss, brute_mse(x, y, ref[:, 0], ref[:, 1]), rtol=1e-3, atol=1e-5 * scale ** 2)

# --- convergence below the stability bound, divergence above it ----------------------------------
def eig_parts(x, w, b, opt):
    "Components of (w, b) − optimum along the Hessian's eigenvectors, smallest eigenvalue first."
    lam, vecs = np.linalg.eigh(hessian(x).numpy())
    return lam, vecs.T @ (np.array([w, b]) - np.array(opt))

@SETTINGS
@given(data=datasets(min_n=2, max_n=30, spread=0.1), start=starts, frac=floats(0.05, 0.9), iters=st.integers(1, 30))
def test_descent_converges_below_max_stable_lr(data, start, frac, iters):
    x, y = data
    bound = max_stable_lr(x)
    lam, _ = eig_parts(x, *start, (0, 0))
    bound_from_eig = 2 / lam.max()
    assert math.isclose(bound, bound_from_eig, rel_tol=1e-12) # the bound is 2/λmax of the Hessian
    h = quiet_train(x, y, w=start[0], b=start[1], lr=frac * bound, iters=iters)
    opt = ols_fit(x, y)
    d = np.hypot(np.array(h.w) - opt[0], np.array(h.b) - opt[1])
    # I − lr·H is symmetric with spectral radius < 1: the distance to the optimum never grows,
    # and the loss never rises (it stays at the floor once there)
    slack = 1e-9 * (1 + d[0] + abs(opt[0]) + abs(opt[1]))
    assert (np.diff(d) <= slack).all()
    floor = Moments.of(x, y).floor
    assert (np.diff(h.loss) <= 1e-9 * (1 + h.loss[0])).all() and h.loss[-1] >= floor - 1e-9 * (1 + floor)
    assume(d[0] > 1e-3)
    assert d[-1] < d[0]

@SETTINGS
@given(data=datasets(min_n=2, max_n=30, spread=0.1), start=starts, frac=floats(1.1, 1.5))
def test_descent_diverges_above_max_stable_lr(data, start, frac):
    x, y = data
    bound = max_stable_lr(x)
    opt = ols_fit(x, y)
    lam, parts = eig_parts(x, *start, opt)
    d0 = math.hypot(start[0] - opt[0], start[1] - opt[1])
    assume(abs(parts[-1]) > 1e-3 * d0 and d0 > 1e-6) # the start has a component along the steepest direction
    with pytest.warns(RuntimeWarning, match='stability bound'):
        h = train_model(x, y, w=start[0], b=start[1], lr=frac * bound, iters=80)
    # along the steepest direction each update multiplies the error by |1 − lr·λmax| = 2·frac − 1 ≥ 1.2
    d = np.hypot(np.array(h.w) - opt[0], np.array(h.b) - opt[1])
    assert d[-1] > 10 * d0 and h.loss[-1] > h.loss[0]
    assert all(map(math.isfinite, h.w + h.b + h.loss))

@pytest.mark.parametrize('lr, converges', [(0.33, True), (0.34, False)])
def test_lab_stability_edge(lab_data, lr, converges):
    "On the lab's data the bound is 0.3330: 0.33 still converges, 0.34 blows up."
    X, _, Y = lab_data
    assert math.isclose(max_stable_lr(X), 0.3330, abs_tol=5e-5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        h = train_model(X, Y, lr=lr, iters=200)
    assert bool(caught) is not converges
    assert (h.loss[-1] < h.loss[0]) is converges

# --- input kinds ---------------------------------------------------------------------------------
kinds32 = {'tensor (N, 1)': lambda a: torch.from_numpy(a).reshape(-1, 1), 'tensor (N,)': torch.from_numpy,
           'array (N, 1)': lambda a: a.reshape(-1, 1), 'array (N,)': lambda a: a,
           'strided view': lambda a: np.repeat(a, 2)[::2], 'requires_grad': lambda a: torch.from_numpy(a).requires_grad_()}
kinds64 = {'list of floats': lambda a: [float(v) for v in a], 'tuple of floats': lambda a: tuple(float(v) for v in a),
           'array (N,)': lambda a: a.astype(np.float64), 'tensor (N, 1)': lambda a: torch.from_numpy(a.astype(np.float64)).reshape(-1, 1),
           'nested list (N, 1)': lambda a: [[float(v)] for v in a]}

def everything(X, Y):
    "Every number the library derives from one data set, as one flat float64 vector."
    s = plot_error_surfaces(3, 4, X, Y, n_samples=5, go=False)
    h = train_model(X, Y, w=2.0, b=-1.0, lr=0.05, iters=8)
    m = Moments.of(X, Y)
    return np.r_[s.Z.ravel(), h.w, h.b, h.loss, m.mean_x, m.mean_y, m.var_x, m.slope, m.floor,
                 max_stable_lr(X), hessian(X).numpy().ravel()]

@settings(SETTINGS, max_examples=15)
@given(data=datasets(min_n=2, max_n=25, scale=3.0, spread=0.05))
def test_input_kinds_give_the_same_results(data):
    x32, y32 = data[0].astype(np.float32), data[1].astype(np.float32)
    ref32 = everything(x32, y32)
    for name, to in kinds32.items(): # the same float32 numbers: bit-identical results
        np.testing.assert_array_equal(everything(to(x32), to(y32)), ref32, err_msg=name)
    ref64 = everything(x32.astype(np.float64), y32.astype(np.float64))
    for name, to in kinds64.items(): # Python floats and float64 arrays are float64: bit-identical among themselves
        np.testing.assert_array_equal(everything(to(x32), to(y32)), ref64, err_msg=name)
    np.testing.assert_allclose(ref32, ref64, rtol=1e-4, atol=1e-4) # float32 vs float64: close
    # mixed precision promotes to float64
    np.testing.assert_array_equal(everything(x32, y32.astype(np.float64)), ref64)

def test_integer_inputs_are_numbers():
    "Integers train as float64, which holds each of them exactly (up to 2**53)."
    x, y = [0, 1, 2, 3], [1, 3, 5, 7]
    h = train_model(x, y, lr=0.1, iters=5)
    ref = train_model(np.array(x, np.float64), np.array(y, np.float64), lr=0.1, iters=5)
    assert (h.w, h.b, h.loss) == (ref.w, ref.b, ref.loss)
    assert ols_fit(x, y) == (2.0, 1.0)
