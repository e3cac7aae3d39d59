"""Time the classic double-loop surface, the `.data` training loop and the whole classic lab against linreg2p's versions, side by side, and check that both sides compute the same numbers.

    python benchmarks/bench.py                 # the full benchmark
    python benchmarks/bench.py --size quick    # smaller sizes and fewer whole-lab runs, for a quick look
    python benchmarks/bench.py --formats       # also price `linreg2p lab --format svg` and `--format pdf`

This lives beside the package, not in it: it measures linreg2p, and learners never import it.
"""

from __future__ import annotations
import argparse
import ctypes
import gc
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import weakref
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np
import torch
from linreg2p.core import History, Moments, check_count, check_data, check_finite, check_positive, numpy_mse
from linreg2p.models import make_data, plot_error_surfaces, train_model

__all__ = ['SIZES', 'naive_surface', 'naive_train', 'raw_moment_loss', 'time_pair', 'peak_memory',
           'pyplot_free_import', 'time_processes', 'Row', 'run_benchmark', 'format_table', 'machine', 'main']

def naive_surface(w_range:float, # the grid spans w in [-w_range, w_range]
                  b_range:float, # the grid spans b in [-b_range, b_range]
                  X, # inputs, shape (N,) or (N, 1)
                  Y, # targets, same length as `X`
                  n_samples:int=30, # grid points along each axis
                 ) -> np.ndarray: # (n_samples, n_samples) float64 losses; rows follow b, columns follow w
    "The classic surface: one pass over all the data per grid point, O(N·G²), in float64."
    w_range, b_range = check_positive('w_range', w_range), check_positive('b_range', b_range)
    n_samples = check_count('n_samples', n_samples, 2)
    X, Y = check_data(X, Y)
    x, y = X.double().numpy(), Y.double().numpy()
    w, b = np.meshgrid(np.linspace(-w_range, w_range, n_samples), np.linspace(-b_range, b_range, n_samples))
    Z = np.zeros((n_samples, n_samples))
    for i in range(n_samples):
        for j in range(n_samples):
            Z[i, j] = np.mean((y - (w[i, j] * x + b[i, j])) ** 2)
    return Z

def naive_train(X, # inputs, shape (N,) or (N, 1)
                Y, # targets, same length as `X`
                w:float=-15.0, # starting slope
                b:float=-10.0, # starting bias
                lr:float=0.1, # learning rate
                iters:int=15, # number of updates
               ) -> History: # `iters + 1` states, like `train_model`
    "The classic training loop: `mean((yhat - y)**2)`, updates through `.data`, gradients zeroed in place."
    X, Y = check_data(X, Y)
    lr, iters = check_positive('lr', lr), check_count('iters', iters, 0)
    w = torch.tensor(check_finite('w', w), dtype=X.dtype, requires_grad=True)
    b = torch.tensor(check_finite('b', b), dtype=X.dtype, requires_grad=True)
    hist = History(lr=lr)
    for k in range(iters + 1):
        yhat = w * X + b
        loss = torch.mean((yhat - Y) ** 2)
        hist.record(w.data.tolist(), b.data.tolist(), loss.tolist())
        if k == iters: break
        loss.backward()
        w.data = w.data - lr * w.grad.data
        b.data = b.data - lr * b.grad.data
        w.grad.data.zero_(); b.grad.data.zero_()
    return hist

def raw_moment_loss(X, # inputs, shape (N,) or (N, 1)
                    Y, # targets, same length as `X`
                    w, # slope(s), scalar or array
                    b, # bias(es), broadcastable against `w`
                   ) -> np.ndarray: # float64 losses
    "The five-moment formula with raw (uncentred) averages: O(N + G²) too, but it loses digits far from the origin."
    X, Y = check_data(X, Y)
    x, y = X.double().numpy().ravel(), Y.double().numpy().ravel()
    Ex, Ey, Exx, Exy, Eyy = x.mean(), y.mean(), (x * x).mean(), (x * y).mean(), (y * y).mean()
    w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return Eyy - 2 * w * Exy - 2 * b * Ey + w * w * Exx + 2 * w * b * Ex + b * b

def _batch_size(fn, min_time):
    "How many back-to-back calls of `fn` take at least `min_time` seconds (1, 2, 5, 10, 20, ...), as timeit does."
    for k in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        t = time.perf_counter()
        for _ in range(k): fn()
        if time.perf_counter() - t >= min_time: return k
    return k

def time_pair(naive, # function of no arguments: the reference; None times `ours` alone
              ours, # function of no arguments: linreg2p's version
              repeat:int=5, # timed batches of each side, alternating
              min_time:float=0.02, # a batch repeats a fast function until it lasts this long (seconds)
             ) -> dict: # 'naive_best', 'naive_median', 'ours_best', 'ours_median': seconds per call (nan when not run)
    "Time two functions side by side: alternating batches, so that both see the same machine; gc paused."
    repeat, min_time = check_count('repeat', repeat, 1), check_positive('min_time', min_time)
    sides = [(side, fn, _batch_size(fn, min_time)) for side, fn in (('naive', naive), ('ours', ours)) if fn is not None]
    times = {'naive': [], 'ours': []}
    enabled = gc.isenabled(); gc.disable()
    try:
        for _ in range(repeat):
            for side, fn, k in sides:
                t = time.perf_counter()
                for _ in range(k): fn()
                times[side].append((time.perf_counter() - t) / k)
    finally:
        if enabled: gc.enable()
    return {f'{side}_{stat}': (agg(ts) if ts else math.nan) for side, ts in times.items()
            for stat, agg in (('best', min), ('median', statistics.median))}

from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

class _TensorBytes(TorchDispatchMode):
    "While active: bytes of tensor storage created by PyTorch operations and still alive, their peak, and a count."
    def __init__(self):
        super().__init__()
        self.refs, self.size, self.now, self.peak, self.count = {}, {}, 0, 0, 0

    def _release(self, key):
        self.refs[key] -= 1
        if self.refs[key] == 0: self.now -= self.size.pop(key); del self.refs[key]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        ptr = lambda t: t.untyped_storage().data_ptr()
        inputs = {ptr(t) for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)}
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor) or t.device.type != 'cpu': continue
            key = ptr(t)
            if not key or key in inputs and key not in self.refs: continue # a view of memory from before the call
            if key not in self.refs: # a new storage (views share their base's and are counted once)
                self.refs[key], self.size[key] = 0, t.untyped_storage().nbytes()
                self.now += self.size[key]; self.peak = max(self.peak, self.now); self.count += 1
            self.refs[key] += 1
            weakref.finalize(t, self._release, key) # PyTorch keeps this object alive as long as the tensor lives
        return out

_libc = ctypes.CDLL(None) if sys.platform.startswith('linux') else None

def _status_bytes(key):
    "A memory field of `/proc/self/status`, in bytes."
    with open('/proc/self/status') as f: return int(re.search(rf'^{key}:\s+(\d+) kB', f.read(), re.M).group(1)) * 1024

def peak_memory(fn, # function of no arguments
               ) -> dict: # 'numpy': peak traced bytes; 'torch': peak live tensor bytes; 'tensors': tensors created; 'rss': resident-set growth or None
    "Peak memory of one call: numpy's (tracemalloc), PyTorch's tensors (a dispatch mode), the whole process (resident set)."
    base = None
    if _libc is not None:
        try:
            _libc.malloc_trim(0) # return freed heap pages, so that the resident set starts low
            with open('/proc/self/clear_refs', 'w') as f: f.write('5') # reset the high-water mark
            base = _status_bytes('VmRSS')
        except (OSError, AttributeError): base = None
    with _TensorBytes(): torch.zeros(()) # the first use of a dispatch mode imports and caches things: not fn's memory
    tracemalloc.start()
    try:
        with _TensorBytes() as tb: fn()
        traced = tracemalloc.get_traced_memory()[1]
    finally: tracemalloc.stop()
    return {'numpy': traced, 'torch': tb.peak, 'tensors': tb.count,
            'rss': None if base is None else _status_bytes('VmHWM') - base}

def pyplot_free_import() -> tuple[bool, float]: # (pyplot stayed unloaded, seconds the import took)
    "Import `linreg2p.models` in a fresh interpreter: is pyplot still unloaded, and how long did the import take?"
    code = ("import sys, time; t = time.perf_counter(); import linreg2p.models; t = time.perf_counter() - t; "
            "print('matplotlib.pyplot' not in sys.modules, t)")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    return out[0] == 'True', float(out[1])

CLASSIC_LAB = Path(__file__).resolve().with_name('classic_lab.py') # the classic lab as one headless script
IMPORTS_ONLY = ("import torch, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot, mpl_toolkits.mplot3d")

def time_processes(commands:dict, # label -> command (a list); each runs in a new empty folder, its output given as `--out DIR`
                   rounds:int=5, # runs of each command; the order rotates from round to round
                  ) -> dict: # label -> {'wall': [seconds], 'cpu': [seconds of user + system time]}
    "Run whole processes side by side: every command once per round, in an order that rotates, so that all see the same machine."
    rounds = check_count('rounds', rounds, 1)
    labels, out = list(commands), {label: {'wall': [], 'cpu': []} for label in commands}
    # as installed: compiled modules are cached (pip compiles a wheel's at install time, torch's and matplotlib's
    # included); a setting that forbids writing them would make every run compile linreg2p, and only linreg2p, anew
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONDONTWRITEBYTECODE'}
    for r in range(-1, rounds): # round -1 is not timed: it writes those caches and warms the disk cache for every command
        for label in labels[r % len(labels):] + labels[:r % len(labels)]:
            with tempfile.TemporaryDirectory() as d:
                cmd = [str(Path(d) / 'out') if part == '{out}' else part for part in commands[label]]
                before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
                res = subprocess.run(cmd, cwd=d, capture_output=True, text=True, env=env)
                wall, after = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
                if res.returncode != 0: raise RuntimeError(f'{label}: {" ".join(cmd)} failed:\n{res.stderr[-2000:]}')
            if r < 0: continue
            out[label]['wall'].append(wall)
            out[label]['cpu'].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return out

def _lab_rows(rounds, formats):
    "`linreg2p lab` against the classic lab, both as whole processes, and the imports every such process pays first."
    commands = {'classic': [sys.executable, str(CLASSIC_LAB), '--out', '{out}'],
                'ours': [sys.executable, '-m', 'linreg2p', 'lab', '--out', '{out}'],
                'imports': [sys.executable, '-c', IMPORTS_ONLY]}
    for fmt in formats: commands[fmt] = commands['ours'] + ['--format', fmt]
    t = time_processes(commands, rounds)
    med = {label: {k: statistics.median(v) for k, v in ts.items()} for label, ts in t.items()}
    cpu = lambda label: f'{med[label]["cpu"]:.2f} s of CPU'
    runs = lambda label: ', '.join(f'{w:.2f}' for w in t[label]['wall'])
    rows = [Row('linreg2p lab (18 figures) vs the classic lab (17), whole processes', med['classic']['wall'], med['ours']['wall'],
                '≥ ×2', med['classic']['wall'] / med['ours']['wall'] >= 2, timing=t,
                note=f'medians of {rounds} runs each, in rotating order with the imports-only process; classic runs '
                     f'{runs("classic")} s ({cpu("classic")}), linreg2p lab {runs("ours")} s ({cpu("ours")}, all of its processes)'),
            Row('imports alone: python, torch, pyplot, mplot3d', None, med['imports']['wall'], '—', None, timing=t['imports'],
                note=f'{runs("imports")} s ({cpu("imports")}): the classic lab pays this before its first figure; linreg2p lab '
                     f'imports torch in one process while another loads matplotlib, and draws once the numbers come')]
    rows += [Row(f'linreg2p lab --format {fmt}', None, med[fmt]['wall'], '—', None, timing=t[fmt],
                 note=f'{runs(fmt)} s ({cpu(fmt)}); png: {med["ours"]["wall"]:.2f} s') for fmt in formats]
    return rows

@dataclass
class Row:
    "One line of the benchmark table."
    case: str # what was measured
    naive: float|None # reference time in seconds, best of k; None when not run
    ours: float|None # linreg2p's time in seconds, best of k; None when not timed
    goal: str # the target, e.g. '≥ ×100' or '< 0.2 s'
    met: bool|None # whether this run met the goal; None when the goal is not judged at this size
    error: float|None = None # largest relative error against the reference
    memory: dict = field(default_factory=dict) # `peak_memory` of one run of ours
    note: str = '' # how it was measured, or why the naive side did not run
    timing: dict = field(default_factory=dict) # the full output of `time_pair`

    @property
    def ratio(self):
        "How many times faster ours is, best time against best time."
        return self.naive / self.ours if self.naive and self.ours else None

SIZES = {
    'full':  dict(grid=300, big_n=1_000_000, big_grid=1000, train_n=1_000_000, train_iters=100, far_n=100_000, lab_rounds=5),
    'quick': dict(grid=100, big_n=100_000, big_grid=300, train_n=100_000, train_iters=30, far_n=10_000, lab_rounds=3),
    'tiny':  dict(grid=60, big_n=10_000, big_grid=100, train_n=10_000, train_iters=10, far_n=1_000, lab_rounds=1),
} # the 30×30 case over the lab's 60 points runs at every size

def _speedup_row(case, timing, minimum, **kw):
    "A row whose goal is a speed-up of at least `minimum` (None: a smaller size than the goal's, not judged)."
    r = Row(case, timing['naive_best'], timing['ours_best'], '—' if minimum is None else f'≥ ×{minimum:g}', None,
            timing=timing, **kw)
    if minimum is not None: r.met = r.ratio >= minimum
    return r

def _surface_rows(X, Y, sizes, repeat, seed):
    "The surface over the lab's points (timed against the double loop) and over many points (timed alone)."
    rows = []
    for G, minimum, k in ((30, 100, 4 * repeat), (sizes['grid'], 1000 if sizes['grid'] >= 300 else None, 3)):
        t = time_pair(lambda: naive_surface(15, 15, X, Y, G), lambda: plot_error_surfaces(15, 15, X, Y, G, go=False), k)
        Z, ours = naive_surface(15, 15, X, Y, G), plot_error_surfaces(15, 15, X, Y, G, go=False)
        rows.append(_speedup_row(f'surface {G}×{G}, N={len(X)}', t, minimum, error=float(np.max(np.abs(ours.Z - Z) / Z)),
                                 memory=peak_memory(lambda: plot_error_surfaces(15, 15, X, Y, G, go=False))))
    N, G = sizes['big_n'], sizes['big_grid']
    Xb, _, Yb = make_data(start=-3, stop=3, step=6 / N, seed=seed)
    t = time_pair(None, lambda: plot_error_surfaces(15, 15, Xb, Yb, G, go=False), 4 * repeat)
    s = plot_error_surfaces(15, 15, Xb, Yb, G, go=False)
    i, j = np.random.default_rng(seed).integers(0, G, (2, 20)) # 20 random grid points for the brute force
    t0 = time.perf_counter(); ref = numpy_mse(Xb, Yb, s.w[i, j], s.b[i, j]); per_point = (time.perf_counter() - t0) / 20
    mem = peak_memory(lambda: plot_error_surfaces(15, 15, Xb, Yb, G, go=False))
    judged = N >= 1_000_000 and G >= 1000 # the goal is stated for this size
    rows.append(Row(f'surface {G}×{G}, N={N:,}', None, t['ours_best'], '< 0.2 s' if judged else '—', t['ours_best'] < 0.2 if judged else None,
                    error=float(np.max(np.abs(s.Z[i, j] - ref) / ref)), memory=mem, timing=t,
                    note=f'double loop not run (about {per_point * G * G:,.3g} s at its cost per grid point); error on 20 '
                         f'random grid points against a float64 brute force; one N×G float64 array would take {N * G * 8 / 1e9:,.3g} GB; '
                         f'the resident set grew by {_fmt_bytes(mem["rss"])}'))
    return rows

def _train_row(sizes, repeat, seed):
    "The classic loop against `train_model` on the same data, with the gap between their trajectories."
    N, iters = sizes['train_n'], sizes['train_iters']
    X, _, Y = make_data(start=-3, stop=3, step=6 / N, seed=seed)
    t = time_pair(lambda: naive_train(X, Y, lr=0.1, iters=iters), lambda: train_model(X, Y, lr=0.1, iters=iters), repeat)
    hn, ho = naive_train(X, Y, lr=0.1, iters=iters), train_model(X, Y, lr=0.1, iters=iters)
    a, o = np.c_[hn.w, hn.b], np.c_[ho.w, ho.b]
    mem, mem_naive = (peak_memory(lambda: fn(X, Y, lr=0.1, iters=iters)) for fn in (train_model, naive_train))
    return _speedup_row(f'train N={N:,}, {iters} steps', t, 1.5 if N >= 1_000_000 and iters >= 100 else None,
                        error=float(np.max(np.abs(o - a) / np.abs(a))), memory=mem,
                        note=f'error: largest relative gap between the two (w, b) trajectories; tensors created: '
                             f'{mem["tensors"]:,} by train_model, {mem_naive["tensors"]:,} by the classic loop '
                             f'(peak {_fmt_bytes(mem_naive["torch"])} alive)')

def _exact_rows(sizes, seed):
    "Exactness far from the origin (x ≈ 1e4, y ≈ 1e6): lines near the optimum, and a whole surface."
    rng = np.random.default_rng(seed)
    x = 1e4 + rng.uniform(-3, 3, sizes['far_n'])
    y = 100 * x - 1 + 0.1 * rng.standard_normal(len(x))
    m = Moments.of(x, y)
    w_opt, b_opt = m.optimum
    ws, bs = np.meshgrid(w_opt + np.linspace(-1e-4, 1e-4, 7), b_opt + np.linspace(-1, 1, 7))
    ref, sharp = numpy_mse(x, y, ws, bs), numpy_mse(x, y, ws, bs, dtype=np.longdouble).astype(np.float64)
    rel = lambda L, R: float(np.max(np.abs(np.ravel(L) - np.ravel(R)) / np.ravel(R))) # the same 49 lines, whatever shape each side returns
    err = rel(m.loss(ws, bs), ref)
    rows = [Row('exact near the optimum, x≈1e4, y≈1e6', None, None, '≤ 1e-9 relative', err <= 1e-9, error=err,
                note=f'49 lines around the optimum against a float64 brute force, which is itself off by '
                     f'{rel(ref, sharp):.1e} from an extended-precision one (ours: {rel(m.loss(ws, bs), sharp):.1e}); '
                     f'the raw five-moment formula is off by {rel(raw_moment_loss(x, y, ws, bs), ref):.1e}')]
    Z, s = naive_surface(150, 15, x, y, 30), plot_error_surfaces(150, 15, x, y, 30, go=False)
    err = float(np.max(np.abs(s.Z - Z) / Z))
    rows.append(Row('exact surface 30×30, x≈1e4, y≈1e6', None, None, '≤ 1e-9 relative', err <= 1e-9, error=err,
                    note='against the float64 double loop'))
    return rows

def run_benchmark(size:str='full', # 'full', 'quick' or 'tiny' (see `SIZES`)
                  repeat:int=5, # alternating runs per timed case (the slow 300×300 double loop runs 3 times)
                  seed:int=0, # seed for the data
                  check_import:bool=True, # also import the library in a fresh interpreter (costs a PyTorch import)
                  lab:bool=True, # also time `linreg2p lab` against the classic lab as whole processes (the longest part)
                  formats:tuple=(), # also time `linreg2p lab --format F` for these formats, e.g. ('svg', 'pdf')
                 ) -> list[Row]:
    "Time the classic approach against linreg2p side by side, and check every goal of the performance work."
    if size not in SIZES: raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
    repeat, seed = check_count('repeat', repeat, 1), check_count('seed', seed, 0)
    sizes = SIZES[size]
    X, _, Y = make_data(seed=seed) # the lab's 60 points
    rows = _surface_rows(X, Y, sizes, repeat, seed) + [_train_row(sizes, repeat, seed)] + _exact_rows(sizes, seed)
    if check_import:
        free, seconds = pyplot_free_import()
        rows.append(Row('import linreg2p.models', None, seconds, 'no pyplot', free,
                        note='in a fresh interpreter; pyplot ' + ('was not imported' if free else 'WAS imported')))
    if lab: rows += _lab_rows(sizes['lab_rounds'], formats)
    return rows

def _fmt_time(t): return '—' if t is None else f'{t * 1e3:.3g} ms' if t < 1 else f'{t:.3g} s'
def _fmt_bytes(n): return '—' if n is None else '0' if n == 0 else f'{n / 1e6:.3g} MB' if n >= 1e5 else f'{n / 1e3:.3g} kB'
def _fmt_ratio(r): return '—' if r is None else f'×{r:,.0f}' if r >= 10 else f'×{r:.2f}'

def format_table(rows:list, # `Row`s from `run_benchmark`
                ) -> str: # a Markdown table followed by notes
    "The benchmark as a Markdown table: times are the best of k alternating batches, memory is one run of ours."
    lines = ['| case | naive | ours | ratio | goal | met | max rel. error | peak numpy | peak torch |',
             '|---|---:|---:|---:|---|:-:|---:|---:|---:|']
    for r in rows:
        err = '—' if r.error is None else f'{r.error:.1e}'
        lines.append(f'| {r.case} | {_fmt_time(r.naive)} | {_fmt_time(r.ours)} | {_fmt_ratio(r.ratio)} | {r.goal} | '
                     f'{"—" if r.met is None else "yes" if r.met else "NO"} | {err} | {_fmt_bytes(r.memory.get("numpy"))} | {_fmt_bytes(r.memory.get("torch"))} |')
    return '\n'.join(lines + [''] + [f'- {r.case}: {r.note}' for r in rows if r.note])

def machine() -> str: # e.g. '2-core x86_64, CPU only, Python 3.11.7, torch 2.13.0 (2 threads), numpy 2.4.6'
    "The machine and the library versions behind the numbers."
    return (f'{os.cpu_count()}-core {platform.machine()}, CPU only, Python {platform.python_version()}, '
            f'torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}')

def main(argv:list|None=None, # command-line arguments; None reads sys.argv
        ) -> int: # exit status: 0 when every goal is met, 1 otherwise
    "The command line: `python benchmarks/bench.py [--size full|quick|tiny] [--repeat K] [--seed S] [--threads T] [--no-lab] [--formats]`."
    p = argparse.ArgumentParser(prog='benchmarks/bench.py', description=run_benchmark.__doc__)
    p.add_argument('--size', choices=sorted(SIZES), default='full',
                   help='problem sizes and whole-lab runs: full (5 of each lab) or quick (3) (default: full)')
    p.add_argument('--repeat', type=int, default=5, help='alternating runs per timed case (default: 5)')
    p.add_argument('--seed', type=int, default=0, help='seed for the data (default: 0)')
    p.add_argument('--threads', type=int, default=None, help="PyTorch's intra-op threads (default: PyTorch's choice)")
    p.add_argument('--no-lab', action='store_true', help='skip the whole-lab comparison (default: run it)')
    p.add_argument('--formats', action='store_true', help='also time linreg2p lab --format svg and --format pdf (default: off)')
    args = p.parse_args(argv)
    if args.repeat < 1: p.error(f'--repeat must be an integer >= 1, got {args.repeat}')
    if args.threads is not None:
        if args.threads < 1: p.error(f'--threads must be an integer >= 1, got {args.threads}')
        torch.set_num_threads(args.threads)
    load = lambda: ' / '.join(f'{v:.1f}' for v in os.getloadavg()) if hasattr(os, 'getloadavg') else 'unknown'
    t = time.perf_counter()
    print(f'linreg2p benchmark, {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}; {machine()}; '
          f'load average (1 / 5 / 15 min) {load()}\n', flush=True)
    rows = run_benchmark(args.size, repeat=args.repeat, seed=args.seed, lab=not args.no_lab,
                         formats=('svg', 'pdf') if args.formats else ())
    print(format_table(rows))
    print(f'\n{time.perf_counter() - t:.0f} s in all; load average at the end {load()}')
    return 0 if all(r.met is not False for r in rows) else 1

if __name__ == '__main__' and '__file__' in globals(): # run as `python benchmarks/bench.py`, not when a notebook runs this cell
    raise SystemExit(main())
