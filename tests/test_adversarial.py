"""Inputs an adversary would try: numbers that came back wrong without an error, errors of another type than the
promised `ValueError` or without the argument's name, and warnings lost between threads. Each test here failed
before the fix it checks."""
import math, re, threading, warnings
import numpy as np
import pytest
import torch
import linreg2p.analysis as analysis
from conftest import np_descent
from linreg2p.analysis import best_lr, hessian_eig, lr_sweep, max_stable_lr, ols_fit, plot_lr_sweep, plot_runs, shrink_factors
from linreg2p.animation import animate, save_gif, to_html
from linreg2p.core import History, LossSurface, Moments, as_column, numpy_mse
from linreg2p.figures import contour_levels, draw_contour, draw_path
from linreg2p.minibatch import compare_runs, make_loader, plot_paths, train_minibatch
from linreg2p.models import criterion, make_data, plot_data, plot_error_surfaces, plot_losses, train_model
from linreg2p.pytorch_way import LinearRegression, fit
from linreg2p.validation import Selection, make_split, plot_selection, plot_val_curves, select_lr

@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close('all')

def lab():
    X, _, Y = make_data(seed=0)
    return X, Y

# --- integers stay exact ---------------------------------------------------------------------------
def test_large_integers_keep_every_digit():
    x, y = np.array([2**40, 2**40 + 1, 2**40 + 3]), np.array([0.0, 1.0, 3.0]) # y = x − 2**40 exactly
    w, b = ols_fit(x, y)
    assert math.isclose(w, 1.0, rel_tol=1e-12) and math.isclose(b, -2.0**40, abs_tol=1e-3)
    assert as_column('X', torch.tensor([16_777_217])).item() == 16_777_217 # 2**24 + 1: the first integer float32 rounds
    assert as_column('X', [2**53, -2**53]).ravel().tolist() == [2.0**53, -2.0**53] # the largest exact ones pass

def test_two_different_huge_integers_are_not_constant():
    w, b = ols_fit([2**53 - 2, 2**53], [0.0, 1.0])
    assert math.isclose(w, 0.5, rel_tol=1e-12) and math.isclose(b, -(2.0**53 - 2) / 2, rel_tol=1e-12)

@pytest.mark.parametrize('bad', [np.array([0, 2**53 + 1]), np.array([2**64 - 1], dtype=np.uint64), torch.tensor([-(2**62)]),
                                 [2**70, 1], [2**63]], ids=['int64', 'uint64', 'tensor', 'beyond int64', '2**63'])
def test_integers_float64_cannot_hold_are_refused(bad):
    with pytest.raises(ValueError, match=r'^X holds integers beyond ±2\*\*53 .*subtract an offset'): as_column('X', bad)

@pytest.mark.parametrize('dtype', [torch.uint16, torch.uint32, torch.uint64])
def test_unsigned_integer_tensors_are_numbers(dtype):
    np.testing.assert_allclose(ols_fit(torch.tensor([0, 1, 2, 4], dtype=dtype), [1.0, 3.0, 5.0, 9.0]), (2.0, 1.0), rtol=1e-12)

def test_numpy_matrix_columns():
    x, y = np.matrix([[1.0], [2.0], [3.0]]), [1.0, 2.0, 4.0]
    expected = np.polyfit([1.0, 2.0, 3.0], y, 1)
    for fit_line in (ols_fit, lambda x, y: Moments.of(x, y).optimum, lambda x, y: LossSurface(x, y).optimum[:2]):
        np.testing.assert_allclose(fit_line(x, y), expected, rtol=1e-12)

def test_longdouble_data_become_float64():
    x = np.arange(5, dtype=np.longdouble)
    np.testing.assert_allclose(ols_fit(x, 2 * x + 1), (2.0, 1.0), rtol=1e-12)
    assert train_model(x, 2 * x + 1, iters=3).loss == train_model(x.astype(float), 2 * x.astype(float) + 1, iters=3).loss
    if np.finfo(np.longdouble).max > np.finfo(np.float64).max: # x86: 80-bit long double
        with pytest.raises(ValueError, match=r"^X has values beyond float64's range"): as_column('X', np.array([np.longdouble('1e400')]))

# --- masked arrays ---------------------------------------------------------------------------------
def test_masked_values_are_refused_not_used():
    x, y = np.ma.masked_array([1.0, 2.0, 3.0, 100.0], mask=[0, 0, 0, 1]), [1.0, 2.0, 3.0, 4.0]
    for use in (ols_fit, Moments.of, lambda x, y: train_model(x, y, iters=1), LossSurface):
        with pytest.raises(ValueError, match=r'^X has 1 masked value'): use(x, y)
    with pytest.raises(ValueError, match=r'^Y has 1 masked value'): ols_fit(y, x)
    nothing = np.ma.masked_array([1.0, 2.0, 3.0], mask=False) # nothing masked: the plain values
    assert ols_fit(nothing, [1.0, 2.0, 4.0]) == ols_fit(np.array([1.0, 2.0, 3.0]), [1.0, 2.0, 4.0])

# --- make_data and make_split ----------------------------------------------------------------------
def test_make_data_refuses_x_values_float32_cannot_tell_apart():
    with pytest.raises(ValueError, match=r'^start=100000000\.0, stop=100000006\.0 and step=0\.1 give x values that '
                                         r'torch\.float32 cannot tell apart \(2 distinct values among 60\)'):
        make_data(start=1e8, stop=1e8 + 6, seed=0)
    X = make_data(start=1e6, stop=1e6 + 6, step=0.5, seed=0)[0] # float32's spacing at 1e6 is 0.0625: fine
    assert torch.unique(X).numel() == len(X) == 12

@pytest.mark.parametrize('kw, name', [(dict(noise=1e39), 'noise'), (dict(bias=1e39), 'bias'), (dict(slope=2e38), 'slope'),
                                      (dict(start=-3.5e38, stop=-3.4e38, step=1e37), 'start')])
def test_make_data_refuses_values_beyond_float32(kw, name):
    with pytest.raises(ValueError, match=rf'\b{name}=.* beyond torch\.float32\'s range'): make_data(seed=0, **kw)

def test_make_data_refuses_billions_of_points_before_allocating(monkeypatch):
    def no_memory(*a, **k): raise AssertionError('torch.arange was called: memory was about to be taken')
    monkeypatch.setattr(torch, 'arange', no_memory)
    with pytest.raises(ValueError, match=r'^step=1e-09 makes 6e\+09 points from start=-3\.0 to stop=3\.0'): make_data(step=1e-9)
    with pytest.raises(ValueError, match=r'^step=1\.0 makes inf points'): make_data(start=-1e308, stop=1e308, step=1.0)

@pytest.mark.parametrize('kw, name', [(dict(noise=1e39), 'noise'), (dict(shift=1e39), 'shift'), (dict(slope=2e38), 'slope')])
def test_make_split_refuses_targets_beyond_float32(kw, name):
    with pytest.raises(ValueError, match=rf'\b{name}=.* beyond torch\.float32\'s range'): make_split(**kw)

# --- surfaces and rates on extreme data ------------------------------------------------------------
def test_surface_over_the_whole_float64_range():
    x, y = np.zeros(3), np.array([1.0, 2.0, 3.0]) # constant x: the loss does not depend on w, so it stays finite
    s = LossSurface(x, y, 1e308, 1.0, n_samples=5)
    assert s.w_lim == (-1e308, 1e308) and np.isfinite(s.w).all()
    np.testing.assert_allclose(s.Z, numpy_mse(x, y, s.w, s.b), rtol=1e-12)
    with pytest.raises(ValueError, match=r'^the loss overflows float64 on this grid \(w_range=1e\+308, b_range=1\.0\)'):
        LossSurface(*lab(), 1e308, 1.0)

def test_surface_grid_is_refused_before_allocating():
    with pytest.raises(ValueError, match=r'^n_samples must be an integer in \[2, \d+\], got 1000000$'): LossSurface([0.0, 1.0], [0.0, 1.0], 1, 1, 10**6)

def test_best_lr_of_huge_data_is_not_nan():
    x = np.arange(5.0) * 1e160 # E[x²] overflows float64
    assert best_lr(x) == 0.0 == max_stable_lr(x) # both below 1e-308, so 0.0: never NaN
    for derived in (hessian_eig, lambda x: shrink_factors(x, 0.1)):
        with pytest.raises(ValueError, match=r'^X is too large for float64: E\[x²\] overflows'): derived(x)
    xs = lab()[0].double().numpy().ravel()
    H = 2 * np.array([[np.mean(xs * xs), np.mean(xs)], [np.mean(xs), 1.0]])
    assert math.isclose(best_lr(xs), 2 / np.linalg.eigvalsh(H).sum(), rel_tol=1e-12) # the closed form: 2 / trace

def test_plot_lr_sweep_spans_any_bound():
    x = np.linspace(-3, 3, 20) * 1e3 # the bound is about 3e-7, far below 0.01
    ax = plot_lr_sweep(x, x - 1, iters=2)
    lrs = ax.lines[0].get_xdata()
    H = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    bound = 2 / np.linalg.eigvalsh(H).max()
    assert 0 < lrs.min() < bound < lrs.max() and math.isclose(lrs.max(), 1.25 * bound, rel_tol=1e-12)
    with pytest.raises(ValueError, match='too large for float64'): plot_lr_sweep(np.arange(5.0) * 1e160, np.arange(5.0))

def test_select_lr_never_picks_a_run_that_diverged():
    X, Y = lab()
    xs = X.double().numpy().ravel()
    H = 2 * np.array([[np.mean(xs * xs), np.mean(xs)], [np.mean(xs), 1.0]])
    assert 0.34 > 2 / np.linalg.eigvalsh(H).max() # past the stability bound: this run diverges
    sel = select_lr(X, Y, X + 0.05, Y, lrs=(0.001, 0.34), epochs=1, batch_size=None)
    assert sel.val_loss[0.34] < sel.val_loss[0.001] # after one step it looks better ...
    assert sel.diverged == (0.34,) and sel.best_lr == 0.001 and sel.best_at(1) == 0.001 # ... but it is never chosen
    with pytest.raises(ValueError, match=r'^every run diverged'): select_lr(X, Y, X + 0.05, Y, lrs=(1.0, 100.0), epochs=3)

# --- errors of the promised type, naming the argument -----------------------------------------------
@pytest.mark.parametrize('lim', [(1,), 5, (0, 1, 2), (2, 1), ('a', 1)], ids=['one', 'scalar', 'three', 'decreasing', 'text'])
def test_limits_name_the_argument(lim):
    X, Y = lab()
    h, s = train_model(X, Y), plot_error_surfaces(15, 15, X, Y, go=False)
    with pytest.raises(ValueError, match=r'^w_lim'): plot_paths(h, s, w_lim=lim)
    with pytest.raises(ValueError, match=r'^b_lim'): plot_runs({'a': h}, X, Y, b_lim=lim)

def test_compare_runs_panels():
    X, Y = lab()
    runs, s = {'a': train_minibatch(X, Y, epochs=1, batch_size=30)}, plot_error_surfaces(15, 15, X, Y, go=False)
    assert len(compare_runs(runs, s, per=()).axes) == 1 # the paths alone
    fig = compare_runs(runs, s, per='epoch') # one panel named as a string
    assert len(fig.axes) == 2 and fig.axes[1].get_xlabel().startswith('epoch')
    for bad in (('bogus',), None, 3):
        with pytest.raises(ValueError, match=r'^per must be'): compare_runs(runs, s, per=bad)
    with pytest.raises(ValueError, match=r'^runs must be'): compare_runs([], s)

def test_plot_selection_wrong_inputs():
    split = make_split(seed=0)
    sel = select_lr(*split[:4], lrs=(0.01,), epochs=1)
    for args, name in (((None, split), 'sel'), ((sel, None), 'split'), ((split, sel), 'sel')):
        with pytest.raises(ValueError, match=rf'^{name} must be a'): plot_selection(*args)
    empty = Selection({}, {}, {}, {}, 0.1)
    for use in (lambda: plot_selection(empty, split), lambda: plot_val_curves(empty, split), lambda: empty.epochs,
                lambda: empty.best_at(0), lambda: empty.start):
        with pytest.raises(ValueError, match=r'^sel has no runs'): use()

def test_histories_that_do_not_fit_together():
    with pytest.raises(ValueError, match=r"^runs\['a'\] has 2 slopes, 1 biases and 2 losses"):
        plot_losses({'a': History([1.0, 2.0], [1.0], [1.0, 2.0])})
    for bad in (History(['a'], ['b'], ['c']), History([1.0], [1.0], [float('nan')])):
        with pytest.raises(ValueError, match=r"^runs\['a'\] must hold finite numbers"): plot_losses({'a': bad})
    with pytest.raises(ValueError, match=r'^runs is empty'): plot_losses({})

def test_empty_history_has_no_final_state():
    with pytest.raises(ValueError, match=r'^this History is empty'): History().final

@pytest.mark.parametrize('dtype', [torch.int64, torch.complex64, 'float32', np.float64])
def test_linear_regression_needs_a_floating_dtype(dtype):
    with pytest.raises(ValueError, match=r'^dtype must be a floating-point torch dtype'): LinearRegression(dtype=dtype)

@pytest.mark.parametrize('bad', [torch.tensor([1, 2]), torch.tensor([True, False]), torch.tensor([1 + 1j, 2]), np.array([1.0, 2.0])],
                         ids=['int', 'bool', 'complex', 'numpy'])
def test_criterion_needs_floating_tensors(bad):
    with pytest.raises(ValueError, match=r'^yhat must be a floating-point tensor'): criterion(bad, torch.zeros(2))
    with pytest.raises(ValueError, match=r'^y must be a floating-point tensor'): criterion(torch.zeros(2), bad)

def test_meta_tensors_are_refused():
    meta = torch.ones(5, device='meta')
    for use in (ols_fit, Moments.of, lambda x, y: train_model(x, y), make_loader):
        with pytest.raises(ValueError, match=r'^X is on the meta device'): use(meta, torch.ones(5))

@pytest.mark.parametrize('kind', ['requires_grad', 'bfloat16', 'float16', 'int64', 'conj_bit', 'strided'])
def test_every_tensor_numpy_cannot_read_in_place_gives_the_surface_of_its_values(kind):
    "The surface reads a CPU float tensor in place with one call; every other tensor takes the general path, to the same numbers."
    x = torch.arange(-3.0, 3.0, 0.5) # values every dtype below holds exactly
    y = 2 * x - 1 + torch.tensor([0.5, -0.25] * 6)
    make = {'requires_grad': lambda t: t.clone().requires_grad_(), 'bfloat16': lambda t: t.to(torch.bfloat16),
            'float16': lambda t: t.to(torch.float16), 'int64': lambda t: (4 * t).to(torch.int64),
            'conj_bit': lambda t: t.to(torch.complex64).conj(), 'strided': lambda t: torch.stack([t, t], 1)[:, 0]}[kind]
    X = make(x)
    if kind == 'conj_bit': # complex values have no line to fit: refused by name, not by torch's error
        with pytest.raises(ValueError, match=r'^X must be numeric, got dtype torch.complex64'): LossSurface(X, y)
        return
    xs = (4 * x if kind == 'int64' else x).double().numpy()
    s, ref = LossSurface(X, y, 5, 5, 7), numpy_mse(xs, y.double().numpy(), *np.meshgrid(np.linspace(-5, 5, 7), np.linspace(-5, 5, 7)))
    np.testing.assert_allclose(s.Z, ref, rtol=1e-12)
    if kind == 'requires_grad': assert not np.shares_memory(s.x, X.detach().numpy()) # read in place, kept as a copy

def test_fit_gives_closure_optimizers_their_closure():
    X, Y = lab()
    model = LinearRegression()
    h = fit(model, torch.optim.LBFGS(model.parameters()), X, Y, epochs=3)
    w_ls, b_ls = np.polyfit(X.double().numpy().ravel(), Y.double().numpy().ravel(), 1)
    assert len(h) == 4 and math.isclose(h.w[-1], w_ls, abs_tol=1e-4) and math.isclose(h.b[-1], b_ls, abs_tol=1e-4)
    sgd = LinearRegression() # the closure changes nothing for optimizers that do not need one
    h = fit(sgd, torch.optim.SGD(sgd.parameters(), lr=0.1), X, Y, epochs=15)
    np.testing.assert_allclose(np.c_[h.w, h.b], np_descent(X, Y, -15.0, -10.0, 0.1, 15), rtol=1e-5)
    assert select_lr(X, Y, X + 0.05, Y, lrs=(0.5, 1.0), epochs=2, optimizer=torch.optim.LBFGS).best_lr in (0.5, 1.0)
    sparse = LinearRegression()
    with pytest.raises(ValueError, match=r'^optimizer SparseAdam needs sparse gradients'):
        fit(sparse, torch.optim.SparseAdam(list(sparse.parameters())), X, Y)

# --- messages that name the argument ---------------------------------------------------------------
SEEDED = {'make_data': lambda s: make_data(seed=s), 'make_split': lambda s: make_split(seed=s),
          'make_loader': lambda s: make_loader(*lab(), seed=s), 'train_minibatch': lambda s: train_minibatch(*lab(), epochs=1, seed=s),
          'fit': lambda s: fit(m := LinearRegression(), torch.optim.SGD(m.parameters(), lr=0.1), *lab(), seed=s),
          'select_lr': lambda s: select_lr(*lab(), *lab(), lrs=(0.1,), epochs=1, seed=s)}

@pytest.mark.parametrize('seed', [2**64, -1])
@pytest.mark.parametrize('name', SEEDED)
def test_seeds_out_of_range_name_the_argument(name, seed):
    with pytest.raises(ValueError, match=rf'^seed must be an integer in \[0, {2**64 - 1}\], got {seed}$'): SEEDED[name](seed)
    SEEDED[name](2**64 - 1) # the largest seed torch takes

def test_learning_rates_that_are_not_numbers_name_the_argument():
    X, Y = lab()
    for bad, shown in ((['a'], "'a'"), ([None], 'None'), ([[0.1], [0.2, 0.3]], r'\[0\.1\]')):
        with pytest.raises(ValueError, match=rf'^each lr in lrs must be a finite number > 0, got {shown}$'): plot_lr_sweep(X, Y, lrs=bad)
    for bad in (0.1, 'abc'):
        with pytest.raises(ValueError, match=r'^lrs must be a sequence of numbers'): plot_lr_sweep(X, Y, lrs=bad)

@pytest.mark.parametrize('setting', ['lr', 'w', 'b'])
def test_integers_too_large_for_a_float_name_the_setting(setting):
    with pytest.raises(ValueError, match=rf'^{setting} must be a finite number( > 0)?, got an integer of about 401 digits$'):
        train_model(*lab(), iters=1, **{setting: 10**400})
    with pytest.raises(ValueError, match=r'^start must be a finite number, got an integer of about 5001 digits$'): make_data(start=-10**5000)

def test_tiny_x_is_not_called_too_large():
    with pytest.raises(ValueError) as e: Moments.of([1e-320, 2e-320, 3e-320], [0.0, 1.0, 2.0]) # the slope is 1e320
    assert 'too large' not in str(e.value) and re.search(r'least-squares slope .*overflows float64.*X', str(e.value))

# --- threads ---------------------------------------------------------------------------------------
def warnings_while_held(monkeypatch, module, work):
    """Run `work` in another thread, hold it inside `module.train_model`, and meanwhile train past the bound in this
    thread: (the global warning filters before, and while held; the warnings this thread caught)."""
    X, Y = lab()
    inside, release, real = threading.Event(), threading.Event(), module.train_model
    def paused(*a, **k): # hold the other thread in the middle of its work
        inside.set(); release.wait(30)
        return real(*a, **k)
    monkeypatch.setattr(module, 'train_model', paused)
    other = threading.Thread(target=work)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        mine = list(warnings.filters)
        other.start()
        assert inside.wait(30)
        try:
            during = list(warnings.filters)
            train_model(X, Y, lr=0.5, iters=3) # past the bound: this thread must hear about it
        finally:
            release.set(); other.join(30)
    return mine, during, [str(w.message)[:30] for w in caught]

def test_lr_sweep_leaves_other_threads_warnings_alone(monkeypatch):
    "lr_sweep silences its own runs only: Python's warning filters are global, so it must not change them."
    X, Y = lab()
    mine, during, caught = warnings_while_held(monkeypatch, analysis, lambda: lr_sweep(X, Y, [0.5, 50.0], iters=30))
    assert during == mine # the sweep changed no global filter
    assert caught == ['lr=0.5 is at or above the stab'] # ours, and none of the sweep's

def test_reversed_and_read_only_arrays():
    "x[::-1] has negative strides, which torch refuses; np.broadcast_to is read-only, which torch warns about."
    x = np.arange(10.0)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for xs in (x[::-1], np.broadcast_to(x, (10,)), np.arange(10)[::-1]):
            np.testing.assert_allclose(ols_fit(xs, 2 * np.asarray(xs, float) + 1), (2.0, 1.0), rtol=1e-12)
            assert train_model(xs, 2 * np.asarray(xs, float) + 1, lr=0.001, iters=2).w == \
                   train_model(np.array(xs, float), 2 * np.array(xs, float) + 1, lr=0.001, iters=2).w

@pytest.mark.parametrize('setting', ['w', 'b'])
def test_a_start_beyond_float32_is_named(setting):
    X, Y = lab()
    for run in (lambda **kw: train_model(X, Y, **kw), lambda **kw: train_minibatch(X, Y, **kw),
                lambda **kw: select_lr(X, Y, X, Y, lrs=(0.1,), epochs=1, **kw)):
        with pytest.raises(ValueError, match=rf"^the starting {setting} is beyond torch\.float32's range \(±3\.4e\+38\): "
                                             r"start nearer 0 or pass float64 data$"):
            run(**{setting: 1e300})
    assert len(train_model(X.double(), Y.double(), iters=1, **{setting: 1e100})) == 2 # float64 holds it

# --- figures and animations ------------------------------------------------------------------------
def test_plot_data_refuses_a_true_line_of_another_length():
    X, Y = lab()
    with pytest.raises(ValueError, match=rf'^f must hold one value per point of X \({len(X)}\), got 5$'): plot_data(X, Y, f=X[:5])

@pytest.mark.parametrize('ax', ['left', 0, object()], ids=['str', 'int', 'object'])
def test_axes_that_are_not_axes_are_named(ax):
    X, Y = lab()
    for draw in (lambda: plot_data(X, Y, ax=ax), lambda: plot_losses(train_model(X, Y, iters=2), ax=ax),
                 lambda: draw_contour(LossSurface(X, Y), ax)):
        with pytest.raises(ValueError, match=r'^ax must be matplotlib axes or None, got '): draw()

def test_draw_path_needs_a_history():
    import matplotlib.pyplot as plt
    ax = plt.figure().add_subplot()
    with pytest.raises(ValueError, match=r'^hist must be a History, got NoneType$'): draw_path(None, ax)
    with pytest.raises(ValueError, match=r'^upto must be'): draw_path(History([0.0], [0.0], [1.0]), ax, upto=-2)

def test_contour_levels_of_a_flat_grid_can_be_drawn():
    import matplotlib.pyplot as plt
    for value in (0.0, 5.0, -3.0):
        Z = np.full((4, 4), value)
        levels = contour_levels(Z, n=6)
        assert len(levels) == 6 and np.all(np.diff(levels) > 0) and levels[0] > value # increasing, as matplotlib requires
        plt.figure().add_subplot().contour(np.arange(4), np.arange(4), Z, levels=levels) # raised before: levels not increasing
    with pytest.raises(ValueError, match=r'^Z must be a non-empty grid of finite losses'): contour_levels(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match=r'^n must be'): contour_levels(np.eye(3), n=0)

@pytest.mark.parametrize('kw, message', [(dict(figsize=(9,)), r'^figsize must be a pair'), (dict(figsize=None), r'^figsize must be a pair'),
                                         (dict(figsize=(9, -1)), r'^figsize height must be'), (dict(dpi=0), r'^dpi must be'),
                                         (dict(figsize=(200, 3), dpi=72), r'^figsize \(200, 3\) at dpi 72 is 14400×216 pixels'),
                                         (dict(title=None), r'^title must be a str, got NoneType$')])
def test_animate_names_a_bad_figure(kw, message):
    X, Y = lab()
    with pytest.raises(ValueError, match=message): animate(train_model(X, Y, iters=2), LossSurface(X, Y), **kw)

def test_to_html_names_what_is_not_an_animation():
    with pytest.raises(ValueError, match=r"^default_mode must be 'loop', 'once' or 'reflect', got 'bounce'$"): to_html(None, 'bounce')
    with pytest.raises(ValueError, match=r'^anim must be a matplotlib animation, got NoneType$'): to_html(None)

def test_explorer_leaves_other_threads_warnings_alone(monkeypatch):
    "The slider panel silences its own runs only, like lr_sweep (see above)."
    pytest.importorskip('ipywidgets')
    import linreg2p.animation as animation
    panel = animation.Explorer(lr=0.1)
    move = lambda: setattr(panel.sliders['lr'], 'value', 0.45) # past the bound: the panel says so itself
    mine, during, caught = warnings_while_held(monkeypatch, animation, move)
    assert during == mine
    assert caught == ['lr=0.5 is at or above the stab']
    assert '⚠' in panel.status.value and 'lr=0.45' in panel.message
    panel.close()

def test_save_gif_writes_only_a_gif_where_it_can(tmp_path):
    X, Y = lab()
    anim = animate(train_model(X, Y, iters=2), LossSurface(X, Y))
    with pytest.raises(ValueError, match=r"^path must name a \.gif file, got '.*x\.png'$"): save_gif(anim, tmp_path / 'x.png')
    with pytest.raises(ValueError, match=r"^path must name a \.gif file"): save_gif(anim, tmp_path) # a folder
    (tmp_path / 'odd.gif').mkdir()
    with pytest.raises(ValueError, match=r"^path must name a \.gif file"): save_gif(anim, tmp_path / 'odd.gif') # a folder named .gif
    with pytest.raises(FileNotFoundError, match=r"the folder '.*missing' does not exist"): save_gif(anim, tmp_path / 'missing' / 'a.gif')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['odd.gif'] # nothing written
    assert save_gif(anim, tmp_path / 'A.GIF').read_bytes()[:6] == b'GIF89a'

def test_to_html_autoplay_is_true_or_false():
    X, Y = lab()
    with pytest.raises(ValueError, match=r"^autoplay must be True or False, got 'no'$"):
        to_html(animate(train_model(X, Y, iters=2), LossSurface(X, Y)), autoplay='no')

def test_set_para_loss_names_a_value_that_is_not_a_number():
    X, Y = lab()
    s = plot_error_surfaces(15, 15, X, Y, 5, go=False)
    for args, message in [(('a', 1.0, 1.0), r"^w must be a real number, got 'a'$"), ((1.0, [1, 2], 1.0), r'^b must be a real number, got \[1, 2\]$'),
                          ((1.0, 1.0, True), r'^loss must be a real number, got True$'), ((1.0, 1.0, 1j), r'^loss must be a real number, got 1j$')]:
        with pytest.raises(ValueError, match=message): s.set_para_loss(*args)
    assert len(s.history) == 0 # nothing half-recorded
    s.set_para_loss(torch.tensor(-15.0).tolist(), np.float32(-10.0), torch.tensor(834.3)) # the course's kinds of values
    assert s.W == [-15.0] and s.B == [-10.0] and math.isclose(s.LOSS[0], 834.3, rel_tol=1e-6)

def test_figure_series_names_its_dpi_and_figure(tmp_path):
    from linreg2p.figures import FigureSeries
    for dpi in (0, -5, 1e5, float('nan')):
        with pytest.raises(ValueError, match=r'^dpi must be'): FigureSeries(dpi=dpi)
    with pytest.raises(ValueError, match=r'^fig must be a matplotlib Figure, got NoneType$'): FigureSeries().save(None, tmp_path / 'x.png')
