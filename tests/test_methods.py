"Mini-batch descent, the PyTorch way and validation, checked against train_model and independent numpy loops."
import math
import warnings

import numpy as np
import pytest
import torch

from linreg2p.models import History, Moments, make_data, plot_error_surfaces, train_model
from linreg2p.minibatch import EpochHistory, LineDataset, compare_runs, make_loader, plot_paths, train_minibatch
from linreg2p.pytorch_way import LinearRegression, fit
from linreg2p.core import numpy_mse
from linreg2p.validation import make_split, select_lr, plot_selection, plot_val_curves
from conftest import np_descent


@pytest.fixture(scope='module')
def data():
    X, f, Y = make_data(seed=0)
    return X, f, Y, X.double().numpy().ravel(), Y.double().numpy().ravel()


def grad(x, y, w, b):
    "The MSE's gradient in (w, b), derived by hand, in float64."
    r = w * x + b - y
    return np.array([2 * np.mean(r * x), 2 * np.mean(r)])


def visit_order(n, batch_size, epochs, seed, shuffle=True):
    "The index batches a seeded loader visits: its shuffling depends only on the number of points and the seed."
    idx = torch.arange(n, dtype=torch.float64)
    loader = make_loader(idx, idx, batch_size, shuffle=shuffle, seed=seed)
    return [xb.long().ravel().numpy() for _ in range(epochs) for xb, _ in loader]


def numpy_minibatch(x, y, w, b, lr, order):
    "Mini-batch gradient descent in float64 numpy: one step of the shared reference descent on each index batch, in turn."
    states = [(w, b)]
    for idx in order: states.append(tuple(np_descent(x[idx], y[idx], *states[-1], lr, 1)[-1]))
    return np.array(states)


def path(h): return np.c_[h.w, h.b]


# ---- the equalities the issue asks for

def test_full_batch_minibatch_reproduces_train_model(data):
    X, _, Y, _, _ = data
    for lr, n in ((0.1, 15), (0.2, 15), (0.3, 40)):
        h, lab = train_minibatch(X, Y, lr=lr, epochs=n, batch_size=len(X)), train_model(X, Y, lr=lr, iters=n)
        assert h.w == lab.w and h.b == lab.b and h.loss == lab.loss # bit for bit


def test_torch_sgd_reproduces_train_model(data):
    X, _, Y, _, _ = data
    model = LinearRegression()
    h = fit(model, torch.optim.SGD(model.parameters(), lr=0.1), X, Y, epochs=15)
    lab = train_model(X, Y, lr=0.1, iters=15)
    assert len(h) == len(lab) == 16
    # the optimizer fuses p - lr*g; the hand loop rounds lr*g first: equal up to float32 rounding
    np.testing.assert_allclose(path(h), path(lab), rtol=0, atol=2e-6)
    np.testing.assert_allclose(h.loss, lab.loss, rtol=1e-5)
    assert (model.w.item(), model.b.item()) == h.final[:2]


def test_torch_sgd_float64_matches_numpy_descent(data):
    _, _, _, x, y = data
    model = LinearRegression(dtype=torch.float64)
    h = fit(model, torch.optim.SGD(model.parameters(), lr=0.2), x, y, epochs=20)
    ref = numpy_minibatch(x, y, -15.0, -10.0, 0.2, [np.arange(60)] * 20)
    np.testing.assert_allclose(path(h), ref, rtol=0, atol=1e-10)


# ---- mini-batches against numpy, with the loader's own order

@pytest.mark.parametrize('batch_size,epochs,seed', [(1, 2, 0), (5, 3, 1), (7, 3, 2), (10, 4, 3)])
def test_minibatch_matches_numpy_loop(data, batch_size, epochs, seed):
    X, _, Y, x, y = data
    h = train_minibatch(X, Y, lr=0.05, epochs=epochs, batch_size=batch_size, seed=seed)
    order = visit_order(60, batch_size, epochs, seed)
    assert len(h) == len(order) + 1 == epochs * math.ceil(60 / batch_size) + 1
    ref = numpy_minibatch(x, y, -15.0, -10.0, 0.05, order)
    np.testing.assert_allclose(path(h), ref, rtol=0, atol=2e-3)
    # the recorded loss is the MSE on all the training points at each state
    np.testing.assert_allclose(h.loss, Moments.of(X, Y).loss(ref[:, 0], ref[:, 1]), rtol=1e-3)


def test_unshuffled_order_is_the_data_order(data):
    X, _, Y, x, y = data
    h = train_minibatch(X, Y, lr=0.05, epochs=2, batch_size=6, shuffle=False)
    ref = numpy_minibatch(x, y, -15.0, -10.0, 0.05, list(np.arange(60).reshape(10, 6)) * 2)
    np.testing.assert_allclose(path(h), ref, rtol=0, atol=2e-3)


def test_loader_covers_every_point_once_per_epoch_and_leaves_global_rng_alone(data):
    X, _, Y, _, _ = data
    state = torch.get_rng_state()
    order = visit_order(60, 5, 3, seed=4)
    epochs = [np.concatenate(order[i * 12:(i + 1) * 12]) for i in range(3)]
    for e in epochs: assert sorted(e) == list(range(60))
    assert not np.array_equal(epochs[0], epochs[1]) # reshuffled every epoch
    assert all(np.array_equal(a, b) for a, b in zip(order, visit_order(60, 5, 3, seed=4))) # reproducible
    assert not all(np.array_equal(a, b) for a, b in zip(order, visit_order(60, 5, 3, seed=5)))
    train_minibatch(X, Y, epochs=2, seed=4)
    assert torch.equal(torch.get_rng_state(), state)


def test_dataset_pairs_inputs_with_noisy_targets(data):
    X, f, Y, _, _ = data
    ds = LineDataset(X, Y)
    for i in (0, 17, 59):
        xi, yi = ds[i]
        assert torch.equal(xi, X[i]) and torch.equal(yi, Y[i]) and not torch.equal(yi, f[i])
    # training on (X, Y) finds the least-squares line of (X, Y), not the line through (X, X) or the noise-free f
    h = train_minibatch(X, Y, lr=0.05, epochs=10, batch_size=5)
    w_opt, b_opt = Moments.of(X, Y).optimum
    assert abs(h.w[-1] - w_opt) < 0.02 and abs(h.b[-1] - b_opt) < 0.02


def test_per_epoch_view(data):
    X, _, Y, _, _ = data
    h = train_minibatch(X, Y, lr=0.05, epochs=4, batch_size=10, seed=0)
    assert isinstance(h, History) and isinstance(h, EpochHistory)
    assert h.updates_per_epoch == 6 and h.batch_size == 10 and len(h) == 25
    e = h.per_epoch()
    assert len(e) == 5 and e.w == h.w[::6] and e.loss[-1] == h.loss[-1] and e.loss[0] == h.loss[0]
    np.testing.assert_allclose(h.epochs[[0, 6, 24]], [0, 1, 4])


def test_surface_records_the_same_states(data):
    X, _, Y, _, _ = data
    s1, s2 = (plot_error_surfaces(15, 15, X, Y, 10, go=False) for _ in range(2))
    h1 = train_minibatch(X, Y, epochs=1, batch_size=5, surface=s1)
    model = LinearRegression()
    h2 = fit(model, torch.optim.Adam(model.parameters(), lr=1.0), X, Y, epochs=5, surface=s2)
    for s, h in ((s1, h1), (s2, h2)): assert (s.W, s.B, s.LOSS, s.n) == (h.w, h.b, h.loss, len(h))


# ---- optimizers against hand-written numpy rules

def numpy_optimizer(x, y, kind, lr, steps, mu=0.0, beta1=0.9, beta2=0.999, eps=1e-8):
    p = np.array([-15.0, -10.0]); v = np.zeros(2); s = np.zeros(2); out = [p.copy()]
    for t in range(1, steps + 1):
        g = grad(x, y, *p)
        if kind == 'momentum':
            v = g if t == 1 else mu * v + g # PyTorch's heavy ball: the buffer starts at the first gradient
            p = p - lr * v
        else:
            v = beta1 * v + (1 - beta1) * g
            s = beta2 * s + (1 - beta2) * g * g
            p = p - lr * (v / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps)
        out.append(p.copy())
    return np.array(out)


@pytest.mark.parametrize('lr', [0.1, 1.0])
def test_adam_matches_numpy_adam(data, lr):
    _, _, _, x, y = data
    model = LinearRegression(dtype=torch.float64)
    h = fit(model, torch.optim.Adam(model.parameters(), lr=lr), x, y, epochs=8)
    np.testing.assert_allclose(path(h), numpy_optimizer(x, y, 'adam', lr, 8), rtol=0, atol=1e-9)


def test_momentum_matches_numpy_heavy_ball(data):
    _, _, _, x, y = data
    model = LinearRegression(dtype=torch.float64)
    h = fit(model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5), x, y, epochs=12)
    np.testing.assert_allclose(path(h), numpy_optimizer(x, y, 'momentum', 0.1, 12, mu=0.5), rtol=0, atol=1e-9)


def test_fit_with_minibatches_equals_train_minibatch(data):
    X, _, Y, _, _ = data
    model = LinearRegression()
    h = fit(model, torch.optim.SGD(model.parameters(), lr=0.05), X, Y, epochs=3, batch_size=5, seed=2)
    np.testing.assert_allclose(path(h), path(train_minibatch(X, Y, lr=0.05, epochs=3, batch_size=5, seed=2)), atol=1e-5)


def test_optim_sgd_fed_one_point_per_update_is_stochastic_descent(data):
    "optim.SGD is only the update rule: fed batches of one point it follows stochastic descent in the loader's order."
    X, _, Y, x, y = data
    model = LinearRegression(dtype=torch.float64)
    h = fit(model, torch.optim.SGD(model.parameters(), lr=0.05), x, y, epochs=2, batch_size=1, seed=4)
    assert len(h) == 121 and h.updates_per_epoch == 60
    ref = numpy_minibatch(x, y, -15.0, -10.0, 0.05, visit_order(60, 1, 2, seed=4))
    np.testing.assert_allclose(path(h), ref, rtol=0, atol=1e-10)
    full = numpy_minibatch(x, y, -15.0, -10.0, 0.05, [np.arange(60)] * 120)
    assert np.abs(path(h) - full).max() > 0.1 # and that is not full-batch descent


def test_state_dict_round_trip(tmp_path, data):
    X, _, Y, _, _ = data
    model = LinearRegression()
    fit(model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5), X, Y, epochs=20)
    assert list(model.state_dict()) == ['w', 'b']
    torch.save(model.state_dict(), tmp_path / 'line.pt')
    restored = LinearRegression(0.0, 0.0)
    restored.load_state_dict(torch.load(tmp_path / 'line.pt', weights_only=True))
    assert restored.w.item() == model.w.item() and restored.b.item() == model.b.item()
    with torch.no_grad(): assert torch.equal(restored(X), model(X))


def test_fit_refuses_an_optimizer_of_another_model(data):
    X, _, Y, _, _ = data
    model, other = LinearRegression(), LinearRegression()
    with pytest.raises(ValueError, match='optimizer does not update'):
        fit(model, torch.optim.SGD(other.parameters(), lr=0.1), X, Y)
    with pytest.raises(ValueError, match='model must'):
        fit(torch.nn.Linear(1, 1), torch.optim.SGD(model.parameters(), lr=0.1), X, Y)


@pytest.mark.parametrize('kw,name', [({'batch_size': 0}, 'batch_size'), ({'batch_size': 61}, 'batch_size'),
                                     ({'epochs': -1}, 'epochs'), ({'epochs': 2.0}, 'epochs'), ({'lr': 0}, 'lr'),
                                     ({'lr': float('inf')}, 'lr'), ({'seed': -1}, 'seed'), ({'seed': None}, 'seed'),
                                     ({'surface': 3}, 'surface'), ({'w': float('nan')}, 'w')])
def test_bad_arguments_name_themselves(data, kw, name):
    X, _, Y, _, _ = data
    with pytest.raises(ValueError, match=name): train_minibatch(X, Y, **kw)


def test_divergence_warns_and_keeps_finite_states(data):
    X, _, Y, _, _ = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        h = train_minibatch(X, Y, lr=5.0, epochs=100, batch_size=60)
    msgs = [str(w.message) for w in caught]
    assert any('stability bound' in m for m in msgs) and any('overflowed' in m for m in msgs)
    assert 1 < len(h) < 101 and np.isfinite(h.loss).all()
    model = LinearRegression()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        h = fit(model, torch.optim.SGD(model.parameters(), lr=5.0), X, Y, epochs=100)
    assert 1 < len(h) < 101 and (model.w.item(), model.b.item()) == h.final[:2]


# ---- validation

def test_split_has_outliers_only_in_training():
    X, Y, Xv, Yv, out = make_split(n_outliers=5, shift=7.0, seed=3)
    r, rv = (Y - (X - 1)).ravel(), (Yv - (Xv - 1)).ravel()
    assert len(out) == 5 and (r[out] > 6).all() and (np.delete(r.numpy(), out.numpy()).__abs__() < 1).all()
    assert (rv.abs() < 1).all()
    assert not np.isin(Xv.numpy().round(3), X.numpy().round(3)).any() # validation inputs are new points
    state = torch.get_rng_state(); make_split(seed=3); assert torch.equal(torch.get_rng_state(), state)


def test_select_lr_picks_the_lowest_validation_loss():
    X, Y, Xv, Yv, _ = split = make_split(seed=0)
    lrs = (0.001, 0.003, 0.01, 0.03, 0.1)
    sel = select_lr(X, Y, Xv, Yv, lrs=lrs, epochs=10, batch_size=5, seed=0)
    xv, yv = Xv.double().numpy().ravel(), Yv.double().numpy().ravel()
    # the validation loss of each run, recomputed in numpy from its own history's final state
    val = [np.mean((sel.histories[lr].w[-1] * xv + sel.histories[lr].b[-1] - yv) ** 2) for lr in lrs]
    np.testing.assert_allclose([sel.val_loss[lr] for lr in lrs], val, rtol=1e-4)
    assert sel.best_lr == lrs[int(np.argmin(val))]
    assert sel.model is sel.models[sel.best_lr]
    assert (sel.model.w.item(), sel.model.b.item()) == sel.histories[sel.best_lr].final[:2]
    # each run equals a direct fit with the same seed
    model = LinearRegression()
    h = fit(model, torch.optim.SGD(model.parameters(), lr=0.01), X, Y, epochs=10, batch_size=5, seed=0)
    assert h.w == sel.histories[0.01].w
    fig = plot_selection(sel, split)
    assert list(fig.axes[1].get_lines()[1].get_ydata()) == [sel.val_loss[lr] for lr in lrs]


def test_select_lr_skips_runs_that_blow_up():
    X, Y, Xv, Yv, _ = make_split(seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        sel = select_lr(X, Y, Xv, Yv, lrs=[50.0, 0.01], epochs=20, batch_size=None)
    assert sel.best_lr == 0.01
    for bad in ([], [0.1, 0.1], [0.1, -1]):
        with pytest.raises(ValueError, match='lr'): select_lr(X, Y, Xv, Yv, lrs=bad)


def numpy_val_curves(split, w, b, lrs, epochs, seed=0, batch_size=5):
    "Each lr's validation MSE after every epoch: mini-batch descent in float64 numpy, in the loader's order of the points."
    x, y, xv, yv = (t.double().numpy().ravel() for t in split[:4])
    order = visit_order(len(x), batch_size, epochs, seed)
    per = len(order) // epochs
    return {lr: numpy_mse(xv, yv, *numpy_minibatch(x, y, w, b, lr, order)[::per].T) for lr in lrs}


def test_val_curves_follow_each_run_and_best_at_is_a_shorter_budget():
    X, Y, Xv, Yv, _ = split = make_split(seed=0)
    lrs = (0.003, 0.01, 0.03)
    sel = select_lr(X, Y, Xv, Yv, lrs=lrs, epochs=12, seed=1)
    xv, yv = Xv.double().numpy().ravel(), Yv.double().numpy().ravel()
    assert sel.epochs == 12 and sel.start == (-15.0, -10.0)
    for lr, h in sel.histories.items():
        states = np.c_[h.w, h.b][::h.updates_per_epoch] # the state after each epoch
        np.testing.assert_allclose(sel.val_curves[lr], numpy_mse(xv, yv, *states.T), rtol=1e-5)
        assert sel.val_curves[lr][-1] == sel.val_loss[lr] # the final entry is the model's own score, bit for bit
    assert sel.best_at(12) == sel.best_lr
    for e in (0, 3, 7):
        short = select_lr(X, Y, Xv, Yv, lrs=lrs, epochs=e, seed=1)
        assert all(short.val_curves[lr] == sel.val_curves[lr][:e + 1] for lr in lrs) # a shorter run is a prefix
        assert sel.best_at(e) == short.best_lr
    ref = numpy_val_curves(split, -15.0, -10.0, lrs, 12, seed=1)
    for lr in lrs: np.testing.assert_allclose(sel.val_curves[lr], ref[lr], rtol=1e-3, atol=1e-5)
    for bad in (13, -1, 2.0):
        with pytest.raises(ValueError, match='epochs'): sel.best_at(bad)


def test_a_run_that_overflows_keeps_its_last_state_in_the_curve():
    X, Y, Xv, Yv, _ = make_split(seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        sel = select_lr(X, Y, Xv, Yv, lrs=[0.01, 50.0], epochs=20, batch_size=None)
    curve, h = sel.val_curves[50.0], sel.histories[50.0]
    assert len(h) < 21 and len(curve) == 21 and curve[-1] == sel.val_loss[50.0]
    assert len(set(curve[len(h) - 1:])) == 1 # flat after the run ended


def test_converged_runs_settle_at_the_training_optimum_on_clean_data():
    "No learning rate removes the outliers: long runs score about what the training optimum scores on the clean points."
    X, Y, Xv, Yv, _ = split = make_split(seed=0)
    x, y, xv, yv = (t.double().numpy().ravel() for t in split[:4])
    settled = numpy_mse(xv, yv, *np.polyfit(x, y, 1))
    assert settled == pytest.approx(0.454, abs=0.001) and numpy_mse(xv, yv, *np.polyfit(xv, yv, 1)) < 0.011
    ref = numpy_val_curves(split, -15.0, -10.0, (0.01, 0.03), 50)
    for lr in (0.01, 0.03): assert 0.3 < ref[lr][20:].min() and ref[lr][20:].max() < 0.7 and abs(np.median(ref[lr][20:]) - settled) < 0.1


def test_plot_val_curves_draws_every_curve_and_the_references():
    X, Y, Xv, Yv, _ = split = make_split(seed=0)
    sel = select_lr(X, Y, Xv, Yv, lrs=(0.01, 0.1), epochs=6, w=-5.0, b=2.0)
    ax = plot_val_curves(sel, split, budget=4)
    lines = {l.get_label(): l for l in ax.get_lines()}
    for lr in (0.01, 0.1): assert list(lines[f'lr {lr:g}'].get_ydata()) == sel.val_curves[lr]
    x, y, xv, yv = (t.double().numpy().ravel() for t in split[:4])
    settled = [l for label, l in lines.items() if label.startswith('training optimum')][0]
    assert settled.get_ydata()[0] == pytest.approx(numpy_mse(xv, yv, *np.polyfit(x, y, 1)), rel=1e-9)
    assert any(label.endswith(f'lr {sel.best_at(4):g} is lowest') for label in lines)
    assert '(-5, 2)' in ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_yscale() == 'log'
    with pytest.raises(ValueError, match='budget'): plot_val_curves(sel, split, budget=7)
    fig = plot_selection(sel, split)
    assert '6 epochs from (-5, 2)' in fig.axes[0].get_title() and f'lr {sel.best_lr:g} chosen' in fig.axes[1].get_title()
    import matplotlib.pyplot as plt
    plt.close('all')


# ---- figures: what they contain

def test_compare_runs_draws_every_path_in_its_own_colour(data):
    X, _, Y, _, _ = data
    runs = {f'batch {bs}': train_minibatch(X, Y, lr=0.05, epochs=2, batch_size=bs) for bs in (1, 10, 60)}
    fig = compare_runs(runs, plot_error_surfaces(15, 15, X, Y, 20, go=False))
    assert len(fig.axes) == 3
    ax = fig.axes[0]
    lines = {l.get_label(): l for l in ax.get_lines()}
    for label, h in runs.items():
        np.testing.assert_array_equal(lines[label].get_xdata(), h.w)
        np.testing.assert_array_equal(lines[label].get_ydata(), h.b)
    assert len({lines[label].get_color() for label in runs}) == 3
    assert any(l.startswith('optimum') for l in lines) # the optimum is marked
    per_epoch = {l.get_label(): l for l in fig.axes[1].get_lines()}
    np.testing.assert_allclose(per_epoch['batch 1'].get_xdata(), np.arange(121) / 60)
    for a in fig.axes: assert a.get_xlabel() and a.get_ylabel() and a.get_title()
    ax = plot_paths(runs['batch 10'], plot_error_surfaces(15, 15, X, Y, 20, go=False))
    assert ax.get_title()


def test_plot_paths_close_up_keeps_the_start_only_when_in_view(data):
    X, _, Y, _, _ = data
    runs = {f'batch {bs}': train_minibatch(X, Y, lr=0.05, epochs=3, batch_size=bs) for bs in (1, 10)}
    s = plot_error_surfaces(15, 15, X, Y, 20, go=False)
    legend = lambda ax: [t.get_text() for t in ax.get_legend().get_texts()]
    whole = plot_paths(runs, s)
    assert 'start' in legend(whole)
    start = [l for l in whole.get_lines() if l.get_label() == 'start'][0]
    np.testing.assert_array_equal(start.get_xydata(), [[-15.0, -10.0]])
    close = plot_paths(runs, s, w_lim=(0.9, 1.1), b_lim=(-1.2, -0.8))
    assert close.get_xlim() == (0.9, 1.1) and close.get_ylim() == (-1.2, -0.8)
    assert 'start' not in legend(close) and not any(l.get_label() == 'start' for l in close.get_lines())
    assert set(runs) <= set(legend(close)) # the runs stay in the legend
    for kw, name in ((dict(w_lim=(1, 0)), 'w_lim'), (dict(b_lim=(0, float('nan'))), 'b_lim')):
        with pytest.raises(ValueError, match=name): plot_paths(runs, s, **kw)


def test_compare_runs_title_names_the_shared_lr(data):
    X, _, Y, _, _ = data
    s = plot_error_surfaces(15, 15, X, Y, 10, go=False)
    same = {f'batch {bs}': train_minibatch(X, Y, lr=0.05, epochs=2, batch_size=bs) for bs in (1, 60)}
    assert compare_runs(same, s).get_suptitle() == 'Every run at lr 0.05'
    mixed = {f'lr {lr}': train_minibatch(X, Y, lr=lr, epochs=2, batch_size=60) for lr in (0.05, 0.1)}
    assert compare_runs(mixed, s).get_suptitle() == '' # different rates: the legend names them
    long_axis = compare_runs(same, s).axes[2] # 121 updates: linear to 10, logarithmic beyond, and the label says so
    assert long_axis.get_xscale() == 'symlog' and 'logarithmic' in long_axis.get_xlabel()


@pytest.mark.parametrize('lr', [0.03, 0.05, 0.08, 0.1, 0.12])
def test_one_stochastic_step_on_a_point_scales_its_residual_by_one_minus_2_1_plus_x2_lr(lr):
    "A step on the point x = −3 alone multiplies its residual by 1 − 20·lr: it overshoots past lr 0.05, grows past 0.1."
    X, Y = torch.tensor([[-3.0]], dtype=torch.float64), torch.tensor([[-4.2]], dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning) # one point: its bound 2/20 is the full-batch bound, and 0.12 is past it
        h = train_minibatch(X, Y, w=-15.0, b=-10.0, lr=lr, epochs=1, batch_size=1)
    resid = lambda w, b: w * -3.0 + b - -4.2
    assert resid(*h.final[:2]) / resid(-15.0, -10.0) == pytest.approx(1 - 20 * lr, abs=1e-12)
