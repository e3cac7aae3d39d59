"The public contract of `linreg2p.models`, checked against numpy and closed forms."
import math, warnings
import numpy as np
import pytest
import torch
from linreg2p.models import (History, Moments, criterion, forward, make_data, plot_error_surfaces,
                             plot_losses, train_model)
from linreg2p.core import numpy_mse as brute_surface
from conftest import np_descent

# --- make_data ------------------------------------------------------------------------------------
def test_make_data_shapes_and_grid():
    X, f, Y = make_data(seed=0)
    assert X.shape == f.shape == Y.shape == (60, 1)
    assert X.dtype == f.dtype == Y.dtype == torch.float32
    np.testing.assert_allclose(X.numpy().ravel(), np.arange(-3, 3, 0.1), atol=1e-6)
    np.testing.assert_allclose(f.numpy(), 1 * X.numpy() - 1, atol=1e-6)
    assert abs(X.double().mean().item() + 0.05) < 1e-6
    assert abs((X.double() ** 2).mean().item() - 3.0017) < 1e-4

def test_make_data_seed_is_private_and_reproducible():
    torch.manual_seed(123); before = torch.get_rng_state()
    a = make_data(seed=7)[2]
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(a, make_data(seed=7)[2])
    assert not torch.equal(a, make_data(seed=8)[2])
    noise = (a - make_data(seed=7)[1]) / 0.1
    assert 0.5 < noise.std().item() < 1.5 # it is standard normal noise scaled by `noise`

def test_make_data_arguments():
    X, f, Y = make_data(slope=2, bias=3, start=0, stop=1, step=0.25, noise=0, seed=0)
    np.testing.assert_allclose(X.numpy().ravel(), [0, 0.25, 0.5, 0.75])
    assert torch.equal(f, Y)
    np.testing.assert_allclose(f.numpy().ravel(), 2 * np.array([0, 0.25, 0.5, 0.75]) + 3)

@pytest.mark.parametrize('kw, name', [(dict(step=0), 'step'), (dict(step=-1), 'step'), (dict(noise=-0.1), 'noise'),
                                      (dict(noise=float('nan')), 'noise'), (dict(stop=-5), 'stop'),
                                      (dict(slope=float('inf')), 'slope'), (dict(seed=-1), 'seed'), (dict(seed=1.5), 'seed')])
def test_make_data_bad_input(kw, name):
    with pytest.raises(ValueError, match=name): make_data(**kw)

# --- forward and criterion -----------------------------------------------------------------------
def test_forward_and_criterion(lab_data):
    X, _, Y = lab_data
    yhat = forward(X, 2.0, 0.5)
    np.testing.assert_allclose(yhat.numpy(), 2.0 * X.numpy() + 0.5, rtol=1e-6)
    loss = criterion(yhat, Y)
    assert loss.ndim == 0
    assert math.isclose(loss.item(), float(np.mean((2.0 * X.numpy() + 0.5 - Y.numpy()) ** 2)), rel_tol=1e-5)

def test_criterion_refuses_broadcasting(lab_data):
    X, _, Y = lab_data
    with pytest.raises(ValueError, match='same shape'): criterion(X, Y.ravel())

def test_criterion_gradient_matches_hand_derivation(lab_data):
    X, _, Y = lab_data
    w = torch.tensor(0.3, requires_grad=True); b = torch.tensor(-2.0, requires_grad=True)
    criterion(forward(X, w, b), Y).backward()
    x, y = X.double().numpy(), Y.double().numpy()
    r = 0.3 * x - 2.0 - y
    assert math.isclose(w.grad.item(), 2 * np.mean(r * x), rel_tol=1e-5)
    assert math.isclose(b.grad.item(), 2 * np.mean(r), rel_tol=1e-5)

# --- train_model ---------------------------------------------------------------------------------
@pytest.mark.parametrize('lr', [0.1, 0.2])
def test_train_model_matches_numpy(lab_data, lr):
    X, _, Y = lab_data
    h = train_model(X, Y, lr=lr, iters=15)
    assert isinstance(h, History) and len(h.w) == len(h.b) == len(h.loss) == 16
    assert all(type(v) is float for v in h.w + h.b + h.loss)
    ref = np_descent(X.double().numpy().ravel(), Y.double().numpy().ravel(), -15.0, -10.0, lr, 15)
    np.testing.assert_allclose(np.c_[h.w, h.b], ref, rtol=1e-4, atol=1e-5)
    m = Moments.of(X, Y)
    np.testing.assert_allclose(h.loss, m.loss(ref[:, 0], ref[:, 1]), rtol=1e-4)

def test_train_model_facts_noise_free():
    X, f, _ = make_data(noise=0)
    h1, h2 = train_model(X, f, lr=0.1, iters=15), train_model(X, f, lr=0.2, iters=15)
    assert abs(h1.loss[-1] - 0.110) < 5e-4 and abs(h1.w[-1] - 0.9917) < 1e-4 and abs(h1.b[-1] + 1.3321) < 1e-4
    assert abs(h2.loss[-1] - 2.0e-5) < 1e-6 and abs(h2.w[-1] - 0.9999) < 1e-4 and abs(h2.b[-1] + 1.0045) < 1e-4

def test_entry_zero_is_the_start(lab_data):
    X, _, Y = lab_data
    h = train_model(X, Y, w=2.5, b=-4.0, lr=0.1, iters=3)
    assert (h.w[0], h.b[0]) == (2.5, -4.0)
    assert math.isclose(h.loss[0], float(np.mean((2.5 * X.double().numpy() - 4 - Y.double().numpy()) ** 2)), rel_tol=1e-5)
    assert len(train_model(X, Y, iters=0)) == 1

def test_train_model_records_into_surface(lab_data):
    X, _, Y = lab_data
    s = plot_error_surfaces(15, 15, X, Y, go=False)
    h = train_model(X, Y, lr=0.1, iters=15, surface=s)
    assert s.n == 16 and s.W == h.w and s.B == h.b and s.LOSS == h.loss

def test_train_model_does_not_use_data_attribute():
    "The updates go through torch.no_grad(), not `.data` (a plain source check)."
    import inspect, linreg2p.models as m
    src = inspect.getsource(m.train_model)
    assert '.data' not in src and 'no_grad' in src

@pytest.mark.parametrize('to', [lambda t: t, lambda t: t.numpy(), lambda t: t.ravel(), lambda t: t.numpy().ravel(),
                                lambda t: t.double(), lambda t: t.double().numpy().ravel(), lambda t: t.numpy().tolist()])
def test_train_model_input_kinds_agree(lab_data, to):
    X, _, Y = lab_data
    ref = train_model(X, Y)
    h = train_model(to(X), to(Y))
    np.testing.assert_allclose(np.c_[h.w, h.b, h.loss], np.c_[ref.w, ref.b, ref.loss], rtol=1e-5, atol=1e-6)

def test_stable_runs_do_not_warn(lab_data):
    X, _, Y = lab_data
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        train_model(X, Y, lr=0.33)

def test_unstable_lr_warns_and_stops_at_overflow(lab_data):
    X, _, Y = lab_data
    with pytest.warns(RuntimeWarning, match='stability bound'): h = train_model(X, Y, lr=0.34, iters=15)
    assert len(h) == 16 and h.loss[-1] > h.loss[0]
    with pytest.warns(RuntimeWarning): h = train_model(X, Y, lr=50.0, iters=200)
    assert 1 < len(h) < 201 and all(map(math.isfinite, h.w + h.b + h.loss))

@pytest.mark.parametrize('kw, name', [(dict(lr=0), 'lr'), (dict(lr=-1), 'lr'), (dict(lr=float('nan')), 'lr'),
                                      (dict(lr=float('inf')), 'lr'), (dict(lr='0.1'), 'lr'), (dict(lr=True), 'lr'),
                                      (dict(iters=-1), 'iters'), (dict(iters=2.5), 'iters'), (dict(iters='3'), 'iters'),
                                      (dict(w=float('nan')), 'w'), (dict(b=float('inf')), 'b'),
                                      (dict(surface=object()), 'surface')])
def test_train_model_bad_arguments(lab_data, kw, name):
    X, _, Y = lab_data
    with pytest.raises(ValueError, match=name) as e: train_model(X, Y, **kw)
    if 'lr' in kw or 'iters' in kw: assert repr(list(kw.values())[0]) in str(e.value) # names the value too

def test_train_model_bad_data(lab_data):
    X, _, Y = lab_data
    with pytest.raises(ValueError, match='same length'): train_model(X, Y[:-1])
    bad = Y.clone(); bad[5] = float('nan')
    with pytest.raises(ValueError, match='Y contains NaN'): train_model(X, bad)
    bad = X.clone(); bad[0] = float('inf')
    with pytest.raises(ValueError, match='X contains NaN or inf'): train_model(bad, Y)
    with pytest.raises(ValueError, match='X is empty'): train_model([], [])
    with pytest.raises(ValueError, match='X must be numeric'): train_model(['a', 'b'], [1.0, 2.0])
    with pytest.raises(ValueError, match=r'shape \(N,\) or \(N, 1\)'): train_model(torch.zeros(3, 2), torch.zeros(3, 2))

# --- plot_error_surfaces -------------------------------------------------------------------------
@pytest.mark.parametrize('n', [2, 7, 30, 53])
def test_surface_is_the_true_mse(lab_data, n):
    X, _, Y = lab_data
    s = plot_error_surfaces(4, 6, X, Y, n_samples=n, go=False)
    W, B = np.meshgrid(np.linspace(-4, 4, n), np.linspace(-6, 6, n))
    np.testing.assert_array_equal(s.w, W); np.testing.assert_array_equal(s.b, B)
    assert s.Z.shape == (n, n)
    x, y = X.double().numpy().ravel(), Y.double().numpy().ravel()
    np.testing.assert_allclose(s.Z, brute_surface(x, y, W, B), rtol=1e-9)

def test_surface_bottom_at_least_squares(lab_data):
    X, _, Y = lab_data
    s = plot_error_surfaces(15, 15, X, Y, go=False)
    x, y = X.double().numpy().ravel(), Y.double().numpy().ravel()
    slope, intercept = np.polyfit(x, y, 1)
    w, b, loss = s.optimum
    assert math.isclose(w, slope, rel_tol=1e-9) and math.isclose(b, intercept, rel_tol=1e-9)
    assert math.isclose(loss, np.mean((slope * x + intercept - y) ** 2), rel_tol=1e-9)
    assert abs(w - 1) < 0.05 and abs(b + 1) < 0.05
    i, j = np.unravel_index(s.Z.argmin(), s.Z.shape)
    assert s.b[i, j] < 0 # the classic sign error put the bottom at b = +1

def test_surface_state_and_attributes(lab_data):
    X, _, Y = lab_data
    s = plot_error_surfaces(15, 15, X, Y, go=False)
    assert (s.W, s.B, s.LOSS, s.n) == ([], [], [], 0)
    s.set_para_loss(1.0, 2.0, 3.0)
    assert (s.W, s.B, s.LOSS, s.n) == ([1.0], [2.0], [3.0], 1)

@pytest.mark.parametrize('args, name', [((0, 15), 'w_range'), ((-1, 15), 'w_range'), ((15, 0), 'b_range'),
                                        ((float('nan'), 1), 'w_range'), ((1, float('inf')), 'b_range')])
def test_surface_bad_ranges(lab_data, args, name):
    X, _, Y = lab_data
    with pytest.raises(ValueError, match=name): plot_error_surfaces(*args, X, Y, go=False)

@pytest.mark.parametrize('n', [1, 0, -3, 2.5, '30'])
def test_surface_bad_n_samples(lab_data, n):
    X, _, Y = lab_data
    with pytest.raises(ValueError, match='n_samples'): plot_error_surfaces(15, 15, X, Y, n_samples=n, go=False)

def test_surface_bad_data(lab_data):
    X, _, Y = lab_data
    with pytest.raises(ValueError, match='same length'): plot_error_surfaces(1, 1, X[:3], Y, go=False)
    bad = X.clone(); bad[0] = float('nan')
    with pytest.raises(ValueError, match='X contains NaN'): plot_error_surfaces(1, 1, bad, Y, go=False)

# --- figures -------------------------------------------------------------------------------------
def test_figures_are_returned_and_not_tracked(lab_data):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    X, _, Y = lab_data
    s = plot_error_surfaces(15, 15, X, Y, go=True)
    assert len(s.go_figures) == 2 and all(isinstance(f, Figure) for f in s.go_figures)
    h = train_model(X, Y, lr=0.1, surface=s)
    open_before = len(plt.get_fignums())
    figs = [s.plot_ps(), s.plot_ps(0), s.final_plot(), s.plot_surface(), s.plot_contour()]
    assert all(isinstance(f, Figure) for f in figs)
    assert len(plt.get_fignums()) == open_before == 0 # nothing left open in pyplot

def test_plot_ps_shows_the_requested_step(lab_data):
    X, _, Y = lab_data
    s = plot_error_surfaces(15, 15, X, Y, go=False)
    h = train_model(X, Y, lr=0.1, surface=s)
    for k in (0, 7, 15):
        fig = s.plot_ps(k)
        ax_data, ax_par = fig.axes[:2]
        line = ax_data.lines[1]
        xs, ys = line.get_data()
        np.testing.assert_allclose(ys, h.w[k] * xs + h.b[k], rtol=1e-6)
        path = [l for l in ax_par.lines if l.get_label() == 'gradient descent'][0]
        np.testing.assert_allclose(path.get_xdata(), h.w[:k + 1]); np.testing.assert_allclose(path.get_ydata(), h.b[:k + 1])
        assert f'step {k}' in ax_data.get_title() and f'step {k}' in ax_par.get_title()
        assert ax_par.get_xlabel().startswith('w') and ax_par.get_ylabel().startswith('b')
    with pytest.raises(ValueError, match='step'): s.plot_ps(16)

def test_final_plot_marks_optimum_and_whole_path(lab_data):
    X, _, Y = lab_data
    s = plot_error_surfaces(15, 15, X, Y, go=False)
    h = train_model(X, Y, lr=0.2, surface=s)
    fig = s.final_plot()
    ax3d, ax = fig.axes[:2]
    star = [l for l in ax.lines if l.get_label().startswith('optimum')][0]
    w, b, _ = s.optimum
    np.testing.assert_allclose(star.get_xydata()[0], (w, b))
    path = [l for l in ax.lines if l.get_label() == 'gradient descent'][0]
    assert len(path.get_xdata()) == 16
    xs, ys, zs = ax3d.lines[0].get_data_3d()
    np.testing.assert_allclose(zs, s.moments.loss(np.array(xs), np.array(ys)), rtol=1e-4) # the path lies on the surface

def test_plot_losses(lab_data):
    X, _, Y = lab_data
    h1, h2 = train_model(X, Y, lr=0.1), train_model(X, Y, lr=0.2)
    ax = plot_losses({'a': h1, 'b': h2}, log=True)
    assert [l.get_label() for l in ax.lines] == ['a', 'b']
    np.testing.assert_allclose(ax.lines[1].get_ydata(), h2.loss)
    assert ax.get_yscale() == 'log'
