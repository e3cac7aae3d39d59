"""The loss surface is exact: random data, random grids, data far from the origin, every input shape; memory O(N + G²).

Nothing here is timed: speed is shown by `python benchmarks/bench.py`, which measures both sides in one run."""
import tracemalloc
import numpy as np
import pytest
import torch
from bench import naive_surface, naive_train, peak_memory, pyplot_free_import, raw_moment_loss
from linreg2p.core import numpy_mse
from linreg2p.models import Moments, make_data, plot_error_surfaces, train_model

EXTENDED = np.finfo(np.longdouble).eps < np.finfo(np.float64).eps # 80-bit long double on x86-64; not on every machine
needs_extended = pytest.mark.skipif(not EXTENDED, reason='np.longdouble is plain float64 on this machine')

def brute_grid(x, y, W, B, dtype=np.float64):
    "MSE at every grid point by a direct pass over the data (the classic double loop, vectorised over the data)."
    return numpy_mse(x, y, W, B, dtype=dtype)

def random_data(rng, n, offset_x=0.0, slope=None):
    "x = offset + spread·U(-1, 1), y = slope·x + bias + noise, in float64."
    spread = 10 ** rng.uniform(-1, 2)
    x = offset_x + spread * rng.uniform(-1, 1, n)
    slope = rng.uniform(-20, 20) if slope is None else slope
    return x, slope * x + rng.uniform(-20, 20) + 10 ** rng.uniform(-3, 1) * rng.standard_normal(n)

# --- random data, random grids -------------------------------------------------------------------
@pytest.mark.parametrize('seed', range(12))
def test_random_surface_matches_float64_brute_force(seed):
    rng = np.random.default_rng(seed)
    x, y = random_data(rng, int(rng.integers(2, 3000)))
    w_range, b_range, n = rng.uniform(0.01, 60), rng.uniform(0.01, 60), int(rng.integers(2, 25))
    s = plot_error_surfaces(w_range, b_range, x, y, n, go=False)
    W, B = np.meshgrid(np.linspace(-w_range, w_range, n), np.linspace(-b_range, b_range, n))
    np.testing.assert_array_equal(s.w, W); np.testing.assert_array_equal(s.b, B)
    np.testing.assert_allclose(s.Z, brute_grid(x, y, W, B), rtol=1e-9)
    np.testing.assert_allclose(s.Z, naive_surface(w_range, b_range, x, y, n), rtol=1e-9)

@pytest.mark.parametrize('seed', range(8))
def test_random_lines_match_float64_brute_force(seed):
    "Lines anywhere, including right at the optimum, where the loss is smallest and hardest to get right."
    rng = np.random.default_rng(100 + seed)
    x, y = random_data(rng, int(rng.integers(2, 5000)))
    m = Moments.of(x, y)
    w = np.r_[m.optimum[0], rng.uniform(-50, 50, 40), m.optimum[0] + rng.normal(0, 1e-3, 10)]
    b = np.r_[m.optimum[1], rng.uniform(-50, 50, 40), m.optimum[1] + rng.normal(0, 1e-2, 10)]
    np.testing.assert_allclose(m.loss(w, b), numpy_mse(x, y, w, b), rtol=1e-9)
    assert m.loss(*m.optimum) == pytest.approx(m.floor, rel=1e-12)
    np.testing.assert_allclose(m.optimum, np.polyfit(x, y, 1), rtol=1e-9, atol=1e-9)

# --- far from the origin ---------------------------------------------------------------------------
@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('offset_x, slope', [(1e4, 1.0), (1e4, 100.0), (-1e4, -100.0), (1e6, 1.0)])
def test_far_from_origin_surface(seed, offset_x, slope):
    "x ≈ 1e4 (or 1e6) and y ≈ 1e4 … 1e6: grids that contain the optimum, against the float64 brute force."
    rng = np.random.default_rng(seed)
    x, y = random_data(rng, int(rng.integers(2, 2000)), offset_x, slope)
    w_range, b_range = 1.5 * abs(slope), rng.uniform(5, 50) + abs(Moments.of(x, y).optimum[1])
    s = plot_error_surfaces(w_range, b_range, x, y, 21, go=False)
    np.testing.assert_allclose(s.Z, brute_grid(x, y, s.w, s.b), rtol=1e-9)

@needs_extended
@pytest.mark.parametrize('seed', range(10))
def test_far_from_origin_near_the_optimum(seed):
    "x ≈ 1e4, y ≈ 1e4: lines close to the optimum (loss ≈ noise²), where raw moments lose six digits or more."
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 3000))
    x = 1e4 + rng.uniform(-3, 3, n)
    y = x - 1 + 0.1 * rng.standard_normal(n)
    m = Moments.of(x, y)
    w = m.optimum[0] + rng.uniform(-1e-3, 1e-3, 40)
    b = m.optimum[1] + rng.uniform(-0.3, 0.3, 40)
    ref = numpy_mse(x, y, w, b, dtype=np.longdouble).astype(np.float64)
    np.testing.assert_allclose(m.loss(w, b), numpy_mse(x, y, w, b), rtol=1e-9)
    np.testing.assert_allclose(m.loss(w, b), ref, rtol=1e-10)
    raw = raw_moment_loss(x, y, w, b) # the uncentred formula: the test above would catch it
    assert np.max(np.abs(raw - ref) / ref) > 1e-8

@needs_extended
@pytest.mark.parametrize('seed', range(10))
@pytest.mark.parametrize('offset_x, slope', [(1e4, 100.0), (-1e4, -100.0), (1e6, 1000.0)])
def test_y_around_a_million_near_the_optimum(seed, offset_x, slope):
    """x ≈ 1e4, y ≈ 1e6 (and x ≈ 1e6, y ≈ 1e9) near the optimum. The float64 brute force is itself off by a
    few 1e-10 here (1e-8 for the second case), so the sharp check is against extended precision."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 3000))
    x = offset_x + rng.uniform(-3, 3, n)
    y = slope * x - 1 + 0.1 * rng.standard_normal(n)
    m = Moments.of(x, y)
    w = m.optimum[0] + rng.uniform(-1e-4, 1e-4, 40)
    b = m.optimum[1] + rng.uniform(-1, 1, 40)
    if abs(offset_x) < 1e5: np.testing.assert_allclose(m.loss(w, b), numpy_mse(x, y, w, b), rtol=1e-9)
    np.testing.assert_allclose(m.loss(w, b), numpy_mse(x, y, w, b, dtype=np.longdouble).astype(np.float64), rtol=1e-10)

def test_far_float32_data_is_exact_for_the_float32_values():
    "float32 data far from the origin: the surface is exact for the values the tensor holds (converted exactly)."
    X, _, Y = make_data(slope=1.0, bias=-1.0, start=9997.0, stop=10003.0, step=0.1, seed=3)
    s = plot_error_surfaces(3, 3, X, Y, 15, go=False)
    np.testing.assert_allclose(s.Z, brute_grid(X.double().numpy(), Y.double().numpy(), s.w, s.b), rtol=1e-9)

# --- every input kind gives the same surface --------------------------------------------------------
def test_shapes_and_kinds_agree():
    X, _, Y = make_data(seed=1)
    ref = plot_error_surfaces(5, 5, X, Y, 9, go=False)
    x64, y64 = X.double().numpy(), Y.double().numpy()
    for Xi, Yi in [(X.ravel(), Y.ravel()), (X, Y.ravel()), (x64, y64), (x64.ravel(), y64.ravel()),
                   (x64.ravel().tolist(), y64.ravel().tolist()), (X.double(), Y), (X.requires_grad_(), Y),
                   (np.asfortranarray(np.c_[x64, x64])[:, :1], y64)]:
        s = plot_error_surfaces(5, 5, Xi, Yi, 9, go=False)
        np.testing.assert_array_equal(s.Z, ref.Z)
        np.testing.assert_array_equal(s.x, ref.x); np.testing.assert_array_equal(s.y, ref.y)
        assert s.x.dtype == np.float64 and s.x.shape == (len(X),)
        assert Moments.of(Xi, Yi) == ref.moments

def test_input_is_never_modified():
    x = np.linspace(9990, 10010, 101); y = 3 * x + 1
    x0, y0 = x.copy(), y.copy()
    plot_error_surfaces(5, 5, x, y, 7, go=False); Moments.of(x, y)
    np.testing.assert_array_equal(x, x0); np.testing.assert_array_equal(y, y0)

def test_integer_and_half_inputs_take_the_general_path():
    "Inputs that are not float32/float64 go through the library's general conversion (same as training)."
    x = np.arange(-5, 6); y = 2 * x - 1
    s = plot_error_surfaces(3, 3, x, y, 5, go=False)
    np.testing.assert_allclose(s.Z, brute_grid(x.astype(float), y.astype(float), s.w, s.b), rtol=1e-12)
    h = plot_error_surfaces(3, 3, torch.tensor(x, dtype=torch.float16), torch.tensor(y, dtype=torch.float16), 5, go=False)
    np.testing.assert_array_equal(h.Z, s.Z) # these small integers are exact in float16

@pytest.mark.parametrize('bad, message', [
    (lambda X: np.r_[X[:-1], np.nan], 'X contains NaN or inf'),
    (lambda X: np.r_[X[:-1], np.inf], 'X contains NaN or inf'),
    (lambda X: X[:5], 'same length'),
    (lambda X: np.zeros(0), 'X is empty'),
    (lambda X: np.c_[X, X], r'shape \(N,\) or \(N, 1\)'),
])
def test_bad_input_messages(bad, message):
    X, _, Y = make_data(seed=0)
    x = X.double().numpy().ravel()
    with pytest.raises(ValueError, match=message): plot_error_surfaces(1, 1, bad(x), Y, go=False)
    with pytest.raises(ValueError, match=message): Moments.of(bad(x), Y)

@pytest.mark.filterwarnings('ignore:overflow encountered')
def test_huge_but_finite_float64_values_are_not_called_nan():
    "A sum that overflows is not a NaN: the element-wise check decides, and the error says what is wrong."
    x = np.array([1e308, 1e308, -1e308]); y = np.zeros(3)
    with pytest.raises(ValueError, match='too large for float64.*rescale'): Moments.of(x, y)

# --- memory: O(N + G²), never N·G ------------------------------------------------------------------
@pytest.mark.slow
def test_memory_is_linear_in_n_plus_grid():
    N, G = 1_000_000, 1000
    X, _, Y = make_data(start=-3, stop=3, step=6 / N, seed=0)
    assert len(X) == N
    tracemalloc.start()
    try:
        s = plot_error_surfaces(15, 15, X, Y, G, go=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally: tracemalloc.stop()
    # what must exist: x, y as float64 (16 MB), w, b, Z (24 MB), plus a few N- or G²-sized temporaries
    assert peak < 12 * 8 * max(N, G * G) # < 96 MB, where one N×G float64 array alone would be 8 GB
    assert s.Z.shape == (G, G)
    mem = peak_memory(lambda: plot_error_surfaces(15, 15, X, Y, G, go=False))
    assert mem['numpy'] < 96e6 and mem['torch'] == 0 # no tensor is created on the way
    assert mem['rss'] is None or mem['rss'] < 200e6

@pytest.mark.slow
def test_training_creates_fewer_tensors_than_the_classic_loop():
    "Each step of train_model allocates fewer tensors than the classic loop, and the peak stays a few N-sized tensors."
    X, _, Y = make_data(start=-3, stop=3, step=6e-5, seed=0) # 100,000 float32 points: 0.4 MB per tensor
    per_step = lambda fn: (peak_memory(lambda: fn(X, Y, iters=20))['tensors'] - peak_memory(lambda: fn(X, Y, iters=10))['tensors']) / 10
    assert per_step(train_model) < per_step(naive_train)
    assert peak_memory(lambda: train_model(X, Y, iters=20))['torch'] < 12 * 4 * len(X)

# --- training: the classic loop and train_model follow the same path -----------------------------
@pytest.mark.parametrize('lr', [0.05, 0.1, 0.2])
def test_training_matches_the_classic_loop(lr):
    X, _, Y = make_data(start=-3, stop=3, step=6e-4, seed=2) # 10,000 points
    hn, ho = naive_train(X, Y, lr=lr, iters=40), train_model(X, Y, lr=lr, iters=40)
    a, o = np.c_[hn.w, hn.b], np.c_[ho.w, ho.b]
    np.testing.assert_allclose(o, a, rtol=1e-5)
    np.testing.assert_allclose(ho.loss, hn.loss, rtol=1e-5)

@pytest.mark.slow
def test_import_does_not_load_pyplot():
    free, seconds = pyplot_free_import()
    assert free and seconds > 0
