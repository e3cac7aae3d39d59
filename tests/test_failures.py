"""Every way a learner can get the input wrong gets a clear `ValueError` naming the argument, or a warning
when the run itself goes wrong; never a traceback from deep inside torch or numpy, never a silent NaN."""
import math, resource, signal, subprocess, sys, warnings
import numpy as np
import pytest
import torch
from conftest import bin_path
from linreg2p.analysis import best_lr, hessian, hessian_eig, lr_sweep, max_stable_lr, ols_fit, plot_lr_sweep, shrink_factors
from linreg2p.minibatch import make_loader, train_minibatch
from linreg2p.models import Moments, make_data, plot_data, plot_error_surfaces, train_model
from linreg2p.pytorch_way import LinearRegression, fit
from linreg2p.validation import select_lr

def sgd_fit(X, Y, lr=0.1, **kw):
    model = LinearRegression()
    return fit(model, torch.optim.SGD(model.parameters(), lr=lr), X, Y, **kw)

# every public function that takes a data set, called with its defaults
TAKES_DATA = {
    'train_model': lambda X, Y: train_model(X, Y, iters=3),
    'train_minibatch': lambda X, Y: train_minibatch(X, Y, epochs=1),
    'fit': lambda X, Y: sgd_fit(X, Y, epochs=1),
    'make_loader': make_loader,
    'plot_error_surfaces': lambda X, Y: plot_error_surfaces(1, 1, X, Y, go=False),
    'plot_data': plot_data,
    'Moments.of': Moments.of,
    'ols_fit': ols_fit,
    'hessian': lambda X, Y: hessian(X),
    'hessian_eig': lambda X, Y: hessian_eig(X),
    'max_stable_lr': lambda X, Y: max_stable_lr(X),
    'best_lr': lambda X, Y: best_lr(X),
    'shrink_factors': lambda X, Y: shrink_factors(X, 0.1),
    'lr_sweep': lambda X, Y: lr_sweep(X, Y, [0.1], iters=1),
    'plot_lr_sweep': lambda X, Y: plot_lr_sweep(X, Y, lrs=[0.1], iters=1),
    'select_lr (training split)': lambda X, Y: select_lr(X, Y, [0.0, 1.0], [0.0, 1.0], lrs=(0.1,), epochs=1, batch_size=None),
    'select_lr (validation split)': lambda X, Y: select_lr([0.0, 1.0], [0.0, 1.0], X, Y, lrs=(0.1,), epochs=1, batch_size=None),
}
TAKES_XY = [k for k in TAKES_DATA if k not in ('hessian', 'hessian_eig', 'max_stable_lr', 'best_lr', 'shrink_factors')]

# --- empty data ----------------------------------------------------------------------------------
@pytest.mark.parametrize('name', TAKES_DATA)
@pytest.mark.parametrize('empty', [[], np.array([]), torch.empty(0, 1)], ids=['list', 'array', 'tensor'])
def test_empty_data(name, empty):
    with pytest.raises(ValueError, match=r'^X(_train|_val)? is empty: need at least one point$'): TAKES_DATA[name](empty, empty)

@pytest.mark.parametrize('name', TAKES_XY)
def test_empty_targets(name):
    with pytest.raises(ValueError, match=r'^Y(_train|_val)? is empty'): TAKES_DATA[name]([1.0, 2.0], [])

def test_make_data_cannot_be_empty():
    with pytest.raises(ValueError, match='stop must be greater than start'): make_data(start=1, stop=1)
    assert len(make_data(start=0, stop=0.05, step=0.1, seed=0)[0]) == 1 # shorter than a step: one point

# --- a single point and constant x: the optimum is not unique -----------------------------------
def test_single_point():
    with pytest.raises(ValueError, match=r'single point \(x = 2\.0\).*optimum is not unique'): ols_fit([2.0], [3.0])
    lam = hessian_eig([2.0])[0]
    assert abs(lam[0].item()) < 1e-12 and math.isclose(lam[1].item(), 2 * (1 + 4)) # flat along the lines through the point
    # descent still works: it finds one of the lines through the point, starting from the lab's start
    h = train_model([2.0], [3.0], lr=0.9 * max_stable_lr([2.0]), iters=200)
    assert h.loss[-1] < 1e-9 * h.loss[0] and math.isclose(h.w[-1] * 2 + h.b[-1], 3.0, rel_tol=1e-6)
    w, b, floor = plot_error_surfaces(1, 1, [2.0], [3.0], go=False).optimum
    assert floor == 0 and w * 2 + b == 3.0 # the surface marks one of them

@pytest.mark.parametrize('c', [2.0, 0.0, -1e3, 1e-3])
def test_constant_x(c):
    x, y = np.full(5, c), np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    with pytest.raises(ValueError, match=rf'X is constant \(every x = {c!r}\).*optimum is not unique'): ols_fit(x, y)
    lam_min, lam_max = hessian_eig(x)[0].tolist()
    assert abs(lam_min) <= 1e-12 * lam_max # singular Hessian: a valley of minima, not a bowl
    # descent slides into the valley: the loss settles at the variance of y, the best any line can do
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        h = train_model(x, y, w=1.0, b=1.0, lr=0.9 * max_stable_lr(x), iters=300)
    assert math.isclose(h.loss[-1], y.var(), rel_tol=1e-6) and math.isclose(h.w[-1] * c + h.b[-1], y.mean(), rel_tol=1e-6)
    assert math.isclose(Moments.of(x, y).floor, y.var(), rel_tol=1e-12)

def test_tiny_but_distinct_x_has_an_optimum():
    x = np.arange(5) * 1e-170
    w, b = ols_fit(x, np.arange(5.0))
    assert math.isclose(w, 1e170, rel_tol=1e-12) and abs(b) < 1e-12

# --- huge values ---------------------------------------------------------------------------------
@pytest.mark.parametrize('dtype', [torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize('lr', [1.0, 50.0, 1e6])
def test_overflow_ends_the_run_with_a_warning_and_no_nan(dtype, lr):
    X, _, Y = make_data(seed=0)
    X, Y = X.to(dtype), Y.to(dtype)
    s = plot_error_surfaces(15, 15, X, Y, go=False)
    with pytest.warns(RuntimeWarning) as caught: h = train_model(X, Y, lr=lr, iters=3000, surface=s)
    messages = [str(w.message) for w in caught]
    assert any('stability bound' in m for m in messages)
    assert 1 <= len(h) < 3001 and any(f'overflowed after {len(h)} updates' in m for m in messages)
    assert all(map(math.isfinite, h.w + h.b + h.loss)) and len(h.w) == len(h.b) == len(h.loss)
    assert (s.W, s.B, s.LOSS) == (h.w, h.b, h.loss) # the surface got the same finite states, nothing more

def test_overflow_in_minibatch_and_fit_ends_with_a_warning():
    X, _, Y = make_data(seed=0)
    for run in (lambda: train_minibatch(X, Y, lr=50.0, epochs=20, batch_size=10), lambda: sgd_fit(X, Y, lr=50.0, epochs=3000)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            h = run()
        assert [w.category for w in caught] == [RuntimeWarning] * 2 and 'overflowed' in str(caught[-1].message)
        assert len(h) > 1 and all(map(math.isfinite, h.w + h.b + h.loss))

@pytest.mark.parametrize('X', [
    pytest.param(torch.arange(5.0) * 1e30, id='float32 1e30'), pytest.param(torch.arange(5.0) * 1e19, id='float32 1e19'),
    pytest.param(np.arange(5.0) * 1e160, id='float64 1e160')])
def test_a_start_that_overflows_is_an_error(X):
    with warnings.catch_warnings():
        warnings.simplefilter('error') # the error comes before any warning
        with pytest.raises(ValueError, match=r'the loss at the start \(w=-15\.0, b=-10\.0\) overflows torch\.float\d+: '
                                             r'rescale X and Y( or pass float64 data)?$') as e:
            train_model(X, torch.arange(5.0))
    assert ('float64 data' in str(e.value)) == ('float64' not in str(X.dtype)) # no advice to do what was done

@pytest.mark.parametrize('train', [train_model, train_minibatch], ids=['train_model', 'train_minibatch'])
def test_huge_float64_data_warns_and_stops(train):
    x = np.arange(5.0) * 1e80
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        h = train(x, np.arange(5.0))
    assert any('overflowed' in str(w.message) for w in caught)
    assert all(map(math.isfinite, h.w + h.b + h.loss))

def test_max_stable_lr_of_huge_data():
    assert 0 < max_stable_lr(np.arange(5.0) * 1e80) < 1e-150

def test_huge_data_gives_the_optimum_or_a_clear_error():
    x, y = np.arange(5.0) * 1e160, np.arange(5.0)
    try: w, b = ols_fit(x, y)
    except ValueError as e: assert 'rescale' in str(e)
    else: assert math.isclose(w, 1e-160, rel_tol=1e-9) and abs(b) < 1e-9
    with pytest.raises(ValueError, match='rescale'): plot_error_surfaces(1, 1, x, y, go=False)

# --- non-numeric input ---------------------------------------------------------------------------
NOT_NUMBERS = {'strings': ['a', 'b'], 'None': None, 'dict': {'a': 1.0}, 'ragged': [[1.0, 2.0], [3.0]],
               'objects': np.array([1.0, object()], dtype=object), 'complex': np.array([1 + 1j, 2]),
               'booleans': [True, False], 'a scalar': 3.0, 'a matrix': torch.zeros(2, 2)}

@pytest.mark.parametrize('name', TAKES_DATA)
@pytest.mark.parametrize('what', NOT_NUMBERS)
def test_non_numeric_data(name, what):
    bad = NOT_NUMBERS[what]
    with pytest.raises(ValueError, match=r'^X(_train|_val)? must (be numeric|have shape \(N,\) or \(N, 1\)), got '):
        TAKES_DATA[name](bad, [1.0, 2.0])

@pytest.mark.parametrize('name', TAKES_XY)
def test_non_numeric_targets(name):
    with pytest.raises(ValueError, match=r'^Y(_train|_val)? must be numeric, got list'): TAKES_DATA[name]([1.0, 2.0], ['a', 'b'])

@pytest.mark.parametrize('name', TAKES_DATA)
def test_nan_and_inf_in_data(name):
    for bad in ([1.0, float('nan')], [float('-inf'), 1.0]):
        with pytest.raises(ValueError, match=r'^X(_train|_val)? contains NaN or inf$'): TAKES_DATA[name](bad, [1.0, 2.0])

def test_unsigned_integer_data_are_numbers():
    h = train_model(np.array([0, 1, 2, 3], np.uint16), [1.0, 3.0, 5.0, 7.0], iters=3)
    assert h.w == train_model([0, 1, 2, 3], [1.0, 3.0, 5.0, 7.0], iters=3).w

def test_sparse_tensor_data():
    try: train_model(torch.tensor([1.0, 2.0]).to_sparse(), [1.0, 2.0], iters=2)
    except ValueError as e: assert 'X' in str(e)

# --- the command line: an output folder that cannot be written ----------------------------------
LINREG2P = bin_path('linreg2p')

@pytest.mark.slow
def test_cli_unwritable_out_is_a_usage_error_and_leaves_nothing(tmp_path):
    "Works as root too: no permission bits involved, the parent of --out is a regular file."
    (tmp_path / 'notes.txt').write_text('mine\n')
    res = subprocess.run([LINREG2P, 'lab', '--out', 'notes.txt/new/lab'], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and res.stdout == ''
    assert res.stderr == "linreg2p lab: error: --out: cannot write notes.txt/new/lab: Not a directory (see 'linreg2p lab --help')\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ['notes.txt'] and (tmp_path / 'notes.txt').read_text() == 'mine\n'

def _small_files():
    "In the child: writing past 60 kB fails with EFBIG (instead of killing the process with SIGXFSZ)."
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

@pytest.mark.slow
@pytest.mark.skipif(sys.platform != 'linux', reason='file-size limits as a write failure: Linux')
def test_cli_failing_mid_run_exits_1_and_leaves_nothing(tmp_path):
    "The disk fills up after some figures are written: exit 1, one line, no partial folder, no parents made for it."
    res = subprocess.run([LINREG2P, 'lab', '--grid', '8', '--every', '5', '--out', 'new/deeper/lab'], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300, preexec_fn=_small_files)
    assert res.returncode == 1 and res.stdout == ''
    assert res.stderr == 'linreg2p lab: error: cannot write new/deeper/lab: File too large; nothing was written\n'
    assert list(tmp_path.iterdir()) == []

# --- the caller's arrays ---------------------------------------------------------------------------
def test_surface_keeps_its_own_copy_of_the_data():
    x = np.linspace(-3, 3, 10); y = 2 * x - 1
    s = plot_error_surfaces(5, 5, x, y, n_samples=4, go=False)
    Z = s.Z.copy()
    x[:] = 100.0; y[:] = 0.0 # the learner reuses the arrays
    np.testing.assert_array_equal(s.Z, Z)
    np.testing.assert_allclose(s.x, np.linspace(-3, 3, 10)) # the points plot_ps draws still match the surface
