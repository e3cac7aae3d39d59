"""No plotting state leaks: drawing a figure leaves pyplot's list of open figures as it was,
every figure is freed once the caller lets go of it, and importing the library does not load pyplot."""
import gc, io, pkgutil, subprocess, sys, weakref
import pytest
from matplotlib.figure import Figure
import linreg2p
from linreg2p.models import make_data, plot_data, plot_error_surfaces, plot_losses, train_model
pytestmark = pytest.mark.slow # every figure kind drawn and dropped, full garbage collections, a fresh interpreter: left out of the fast tier, `pytest -m "not slow"`

@pytest.fixture(scope='module')
def lab():
    "The lab's data, a small surface with one run recorded, and two runs."
    X, f, Y = make_data(seed=0)
    s = plot_error_surfaces(15, 15, X, Y, n_samples=12, go=False)
    h1 = train_model(X, Y, lr=0.1, iters=6, surface=s)
    h2 = train_model(X, Y, lr=0.2, iters=6)
    # what exists now (torch, matplotlib, this worker's earlier tests) is left out of the collections below: each takes
    # milliseconds, not 0.2 s. A frozen object that holds on to a figure made later still keeps it alive, which is
    # the leak these tests look for
    gc.freeze()
    yield dict(X=X, f=f, Y=Y, s=s, runs={'lr 0.1': h1, 'lr 0.2': h2})
    gc.unfreeze()

def figure_of(obj):
    "The Figure behind what a plotting function returned: a Figure, Axes, or animation."
    if isinstance(obj, Figure): return obj
    if hasattr(obj, 'get_figure'): return obj.get_figure()
    return obj._fig # a matplotlib animation

def makers(lab):
    "Every public function that draws, with arguments that make it draw: name -> zero-argument callable."
    X, f, Y, s, runs = lab['X'], lab['f'], lab['Y'], lab['s'], lab['runs']
    out = {
        'plot_error_surfaces(go=True)': lambda: plot_error_surfaces(15, 15, X, Y, n_samples=8, go=True).go_figures[0],
        'plot_surface': s.plot_surface, 'plot_contour': s.plot_contour, 'plot_ps': lambda: s.plot_ps(3),
        'final_plot': s.final_plot, 'plot_data': lambda: plot_data(X, Y, f), 'plot_losses': lambda: plot_losses(runs),
    }
    from linreg2p import analysis, minibatch
    out |= {'plot_runs': lambda: analysis.plot_runs(runs, X, Y), 'plot_distance': lambda: analysis.plot_distance(runs, X, Y),
            'plot_lr_sweep': lambda: analysis.plot_lr_sweep(X, Y, lrs=[0.05, 0.2, 0.3], iters=4),
            'plot_paths': lambda: minibatch.plot_paths(runs, s), 'plot_run_losses': lambda: minibatch.plot_run_losses(runs),
            'compare_runs': lambda: minibatch.compare_runs(runs, s)}
    try: from linreg2p import animation
    except ImportError: pass
    else: out['animate'] = lambda: animation.animate(runs, s)
    try: from linreg2p import validation
    except ImportError: pass
    else:
        split = validation.make_split(seed=0)
        sel = validation.select_lr(*split[:4], lrs=(0.01, 0.1), epochs=2)
        out['plot_selection'] = lambda: validation.plot_selection(sel, split)
    return out

NAMES = ['plot_error_surfaces(go=True)', 'plot_surface', 'plot_contour', 'plot_ps', 'final_plot', 'plot_data',
         'plot_losses', 'plot_runs', 'plot_distance', 'plot_lr_sweep', 'plot_paths', 'plot_run_losses', 'compare_runs',
         'animate', 'plot_selection']

@pytest.mark.filterwarnings('ignore:Animation was deleted without rendering') # dropped on purpose
@pytest.mark.parametrize('name', NAMES)
def test_a_dropped_figure_is_not_kept(lab, name):
    import matplotlib.pyplot as plt
    make = makers(lab).get(name)
    if make is None: pytest.skip(f'{name} is not in this version of the library')
    open_before = plt.get_fignums()
    # one figure: whatever would keep figures alive (a list of all, the last one, the first one) keeps this one
    fig = figure_of(make())
    assert isinstance(fig, Figure)
    fig.savefig(io.BytesIO(), format='png', dpi=20) # render it: the canvas and its caches take part too
    ref = weakref.ref(fig)
    del fig
    assert plt.get_fignums() == open_before # pyplot tracks none of them
    gc.collect()
    assert ref() is None, f'a figure from {name} is still referenced after the caller dropped it'

def live_artists():
    "How many matplotlib artists (figures, axes, lines, texts, ...) exist in this process, after a collection."
    from matplotlib.artist import Artist
    gc.collect()
    return sum(issubclass(type(o), Artist) for o in gc.get_objects()) # type(): no property lookups on odd objects

def test_no_artist_outlives_its_figure(lab):
    "After a warm-up, drawing more figures and dropping them leaves exactly as many artists alive as before."
    s = lab['s']
    def draw(n):
        for k in range(n):
            for fig in (s.plot_ps(k % len(s.W)), s.final_plot()): fig.savefig(io.BytesIO(), format='png', dpi=20)
    draw(1) # warm-up: lazily imported modules, caches
    before = live_artists()
    draw(2)
    assert live_artists() == before

def test_no_module_loads_pyplot_on_import():
    "Importing any linreg2p module leaves pyplot (and a GUI backend) unloaded: the library draws only when asked."
    names = [m.name for m in pkgutil.iter_modules(linreg2p.__path__, 'linreg2p.') if not m.name.endswith('__main__')]
    code = f"import sys\nfor n in {names!r}: __import__(n)\nprint('matplotlib.pyplot' in sys.modules)"
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == 'False', f'importing {names} loads matplotlib.pyplot'
