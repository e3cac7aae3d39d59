"Animations and the slider panel: frames, GIFs and widget updates checked against independent runs, no browser."
import io, re, subprocess, sys, types, warnings
import numpy as np
import pytest
from PIL import Image
from conftest import ROOT, np_descent
from linreg2p.models import History, make_data, plot_error_surfaces, train_model, Moments
from linreg2p.analysis import max_stable_lr
from linreg2p.animation import animate, save_gif, to_html, explore, bench, _main


@pytest.fixture(scope='module')
def lab():
    X, f, Y = make_data(seed=0)
    return X, Y, plot_error_surfaces(15, 15, X, Y, go=False)


def rendered(anim):
    "Mark an animation as used, so matplotlib does not warn when it is collected unsaved."
    anim._draw_was_started = True
    return anim


def test_one_frame_per_step(lab):
    X, Y, s = lab
    runs = {'lr 0.1': train_model(X, Y, lr=0.1, iters=15), 'lr 0.2': train_model(X, Y, lr=0.2, iters=9)}
    anim = rendered(animate(runs, s))
    assert anim.steps == list(range(16)) # the longest run decides: 15 updates, 16 states
    assert rendered(animate(runs, s, every=4)).steps == [0, 4, 8, 12, 15] # the last step is always shown
    assert rendered(animate(runs['lr 0.2'], s)).steps == list(range(10)) # a single History works too


def test_artists_hold_the_state_of_each_frame(lab):
    X, Y, s = lab
    x, y = X.double().numpy().ravel(), Y.double().numpy().ravel()
    hists = {lr: train_model(X, Y, lr=lr, iters=15) for lr in (0.1, 0.2)}
    anim = rendered(animate({f'lr {lr}': h for lr, h in hists.items()}, s))
    scene = anim.scene
    for k in (0, 1, 6, 15):
        anim.show_step(k)
        assert f'step {k} of 15' in scene.suptitle.get_text()
        for (lr, h), line, path, head in zip(hists.items(), scene.lines, scene.paths, scene.heads):
            ref = np_descent(x, y, -15.0, -10.0, lr, k)[-1] # an independent run to step k
            np.testing.assert_allclose(head.get_data(), ([ref[0]], [ref[1]]), atol=1e-4)
            xs = line.get_xdata()
            np.testing.assert_allclose(xs, [x.min(), x.max()])
            np.testing.assert_allclose(line.get_ydata(), ref[0] * xs + ref[1], atol=1e-3)
            np.testing.assert_array_equal(path.get_xdata(), h.w[:k + 1])
            np.testing.assert_array_equal(path.get_ydata(), h.b[:k + 1])
    assert len({l.get_color() for l in scene.lines}) == 2 # one colour per learning rate


def test_a_diverged_run_stops_early_and_waits(lab):
    X, Y, s = lab
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        blown = train_model(X, Y, lr=1.0, iters=60) # |1 - lr·λmax| = 5: the loss overflows float32
    assert len(blown) < 61
    ok = train_model(X, Y, lr=0.2, iters=60)
    anim = rendered(animate({'ok': ok, 'blown': blown}, s, every=10))
    assert anim.steps[-1] == 60
    anim.show_step(60)
    head = anim.scene.heads[1].get_data()
    assert (head[0][0], head[1][0]) == (blown.w[-1], blown.b[-1])
    assert f'ended at step {len(blown) - 1}' in anim.scene.notes[1].get_text()
    assert anim.scene.heads[0].get_data()[0][0] == ok.w[60]


@pytest.mark.slow
def test_gif_is_a_valid_multi_frame_image(lab, tmp_path):
    X, Y, s = lab
    anim = animate({'lr 0.1': train_model(X, Y, lr=0.1), 'lr 0.3': train_model(X, Y, lr=0.3)}, s, interval=150)
    path = save_gif(anim, tmp_path / 'training.gif')
    with Image.open(path) as gif:
        assert gif.format == 'GIF' and gif.is_animated
        assert gif.n_frames == len(anim.steps) == 16
        assert gif.info.get('loop') == 0 # loops forever
        assert gif.size == (648, 259) or abs(gif.size[0] - 648) <= 1
        frames = []
        for i in (0, 8, 15):
            gif.seek(i); frames.append(np.asarray(gif.convert('RGB'), dtype=np.int16))
        gif.seek(0); assert gif.info['duration'] == 150
        gif.seek(15); assert gif.info['duration'] == 1000 # the last frame is held
    assert all((a != b).any() for a, b in zip(frames, frames[1:])) # it moves
    anim.show_step(15) # the last GIF frame is the picture of step 15 (up to the GIF palette)
    last = anim.scene.render()[..., :3].astype(np.int16)
    assert np.abs(frames[-1] - last).mean() < 3


def test_cached_render_matches_a_full_draw(lab):
    X, Y, s = lab
    anim = rendered(animate(train_model(X, Y), s))
    anim.show_step(7)
    fast = anim.scene.render()
    buf = io.BytesIO(); anim.scene.fig.savefig(buf, format='rgba')
    full = np.frombuffer(buf.getvalue(), np.uint8).reshape(fast.shape)
    assert (fast != full).any(-1).mean() < 0.005


@pytest.mark.slow
def test_html_player_embeds_every_frame(lab):
    X, Y, s = lab
    anim = animate(train_model(X, Y, iters=6), s)
    html = to_html(anim).data
    assert html.count('data:image/png;base64') == 7
    assert '<script' in html
    assert 'https://' not in html and 'fa-play' not in html # no web font: it plays offline, buttons are characters
    assert re.search(r'<img id="_anim_img\w+" alt="Animation of lr 0\.1, one frame per step: the line moving', html) # says what it shows
    still = to_html(anim, autoplay=False).data
    name = re.search(r'(anim\w+) = new Animation', html)[1]
    assert re.search(r'IntersectionObserver.*\}\)\(' + name + r', 1\);', html, re.S) # it plays once it is in view
    assert re.search(r'\}\)\(anim\w+, 0\);', still) and not re.search(r'\}\)\(anim\w+, 1\);', still) # autoplay off: the watcher never starts it
    assert html.count('play_animation()') == still.count('play_animation()') # nothing calls play outside the watcher
    with pytest.raises(ValueError, match='default_mode'): to_html(anim, default_mode='bounce')


def test_html_player_of_any_matplotlib_animation():
    from matplotlib.figure import Figure
    from matplotlib.animation import FuncAnimation
    fig = Figure(figsize=(2, 2), dpi=50)
    ax = fig.add_subplot(); ax.set(title='a dot', xlabel='t', ylabel='v', xlim=(0, 2), ylim=(0, 2))
    dot, = ax.plot([0], [0], 'o')
    anim = FuncAnimation(fig, lambda k: dot.set_data([k], [k]), frames=3)
    html = to_html(anim).data # not from `animate`: matplotlib draws each frame in full
    assert html.count('data:image/png;base64') == 3 and 'https://' not in html
    assert 'IntersectionObserver' in html and 'alt="Animation: a dot, v against t"' in html


def test_bad_input_names_the_argument(lab):
    X, Y, s = lab
    h = train_model(X, Y, iters=2)
    for call, word in [(lambda: animate({}, s), 'runs'), (lambda: animate({'a': 1}, s), "runs['a']"),
                       (lambda: animate({'a': History()}, s), 'no recorded states'),
                       (lambda: animate(h, None), 'surface'), (lambda: animate(h, s, every=0), 'every'),
                       (lambda: animate(h, s, interval=0), 'interval')]:
        with pytest.raises(ValueError, match=word.replace('[', r'\[')): call()


# ---- the slider panel, driven through its Python API

def test_panel_starts_with_the_lab_run():
    panel = explore(seed=0)
    X, f, Y = make_data(noise=0.1, seed=0)
    x, y = X.double().numpy().ravel(), Y.double().numpy().ravel()
    ref = np_descent(x, y, -15.0, -10.0, 0.1, 15)
    np.testing.assert_allclose(np.c_[panel.path.get_xdata(), panel.path.get_ydata()], ref, atol=1e-4)
    xs = panel.line.get_xdata()
    np.testing.assert_allclose(panel.line.get_ydata(), ref[-1, 0] * xs + ref[-1, 1], atol=1e-3)
    png = Image.open(io.BytesIO(panel.image.value))
    assert png.format == 'PNG' and png.size[0] > 300
    assert panel.bound == pytest.approx(max_stable_lr(X))
    assert 'below the stability bound' in panel.message


@pytest.mark.parametrize('name, value', [('lr', 0.25), ('iters', 5), ('w', 4.0), ('b', 7.5)])
def test_moving_a_training_slider_retrains_and_redraws(name, value):
    panel = explore(seed=3)
    before_png, before_path = panel.image.value, panel.path.get_xydata().copy()
    panel.sliders[name].value = value
    settings = dict(lr=0.1, iters=15, w=-15.0, b=-10.0) | {name: value}
    X, f, Y = make_data(noise=0.1, seed=3)
    ref = np_descent(X.double().numpy().ravel(), Y.double().numpy().ravel(),
                        settings['w'], settings['b'], settings['lr'], settings['iters'])
    np.testing.assert_allclose(panel.path.get_xydata(), ref, atol=1e-4) # the trajectory is the new run
    xs = panel.line.get_xdata()
    np.testing.assert_allclose(panel.line.get_ydata(), ref[-1, 0] * xs + ref[-1, 1], atol=1e-3)
    assert panel.path.get_xydata().shape != before_path.shape or not np.allclose(panel.path.get_xydata(), before_path)
    assert panel.image.value != before_png # and the picture was redrawn


@pytest.mark.parametrize('name, value', [('noise', 0.6), ('seed', 11)])
def test_moving_a_data_slider_makes_new_data_and_a_new_bowl(name, value):
    panel = explore(seed=0)
    star_before = panel.scene.star.get_xydata().copy()
    panel.sliders[name].value = value
    settings = dict(noise=0.1, seed=0) | {name: value}
    X, f, Y = make_data(**settings)
    np.testing.assert_allclose(panel.scene.points.get_ydata(), Y.double().numpy().ravel(), atol=1e-6)
    w_opt, b_opt = Moments.of(X, Y).optimum
    np.testing.assert_allclose(panel.scene.star.get_xydata(), [[w_opt, b_opt]], atol=1e-9) # the optimum moved with the data
    assert not np.allclose(panel.scene.star.get_xydata(), star_before)
    ref = np_descent(X.double().numpy().ravel(), Y.double().numpy().ravel(), -15.0, -10.0, 0.1, 15)
    np.testing.assert_allclose(panel.path.get_xydata(), ref, atol=1e-4)
    assert len(panel.scene.ax_par.collections) == 1 # the old contour was replaced, not stacked


def test_panel_warns_over_the_stability_bound():
    panel = explore(seed=0)
    panel.sliders['lr'].value = 0.34 # just over 2/λmax ≈ 0.333
    assert 'will not converge' in panel.message and '0.333' in panel.message
    assert '#b00020' in panel.status.value
    assert abs(panel.history.w[-1] - 1) > abs(panel.history.w[1] - 1) # it really moves away
    panel.sliders['lr'].value = 0.33
    assert 'converges' in panel.message and 'not' not in panel.message


def test_panel_reports_an_overflowed_run():
    panel = explore(seed=0)
    panel.sliders['iters'].value = 60
    panel.sliders['lr'].value = 0.5 # |1 - 0.5·6| = 2 per step; 60 steps: 2^120 overflows float32's loss
    assert len(panel.history) < 61
    assert 'stopped after' in panel.message
    np.testing.assert_array_equal(panel.path.get_xdata(), panel.history.w)


def test_panel_shows_a_picture_where_widgets_cannot_run():
    bundle = explore()._repr_mimebundle_()
    assert 'application/vnd.jupyter.widget-view+json' in bundle
    import base64
    assert Image.open(io.BytesIO(base64.b64decode(bundle['image/png']))).format == 'PNG'


def test_panel_refuses_values_off_its_sliders():
    for kw, word in [({'lr': 0.9}, 'lr must be in'), ({'iters': 61}, 'iters'), ({'w': float('nan')}, 'w must'),
                     ({'seed': -1}, 'seed'), ({'noise': -0.1}, 'noise')]:
        with pytest.raises(ValueError, match=word): explore(**kw)


@pytest.mark.slow
def test_bench_reports_every_measurement(capsys):
    res = bench(repeats=1)
    assert len(res) == 5 and all(ms > 0 for ms in res.values())
    _main(['--bench', '--repeats', '1'])
    out = capsys.readouterr().out
    assert 'lr slider move' in out and 'faster than a full redraw' in out


@pytest.mark.slow
def test_module_imports_without_ipywidgets_or_pyplot():
    code = ("import sys; sys.modules['ipywidgets'] = None\n"
            "import linreg2p.animation as a\n"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported at import time'\n"
            "try: a.explore()\n"
            "except ModuleNotFoundError as e: print('explore:', e, e.name)\n")
    res = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith('explore: ') and 'pip install "linreg2p[widgets]"' in res.stdout # says how to get it
    assert res.stdout.rstrip().endswith('ipywidgets') # and names the missing module, like Python's own error


def test_an_old_ipywidgets_is_refused_with_the_same_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, 'ipywidgets', types.SimpleNamespace(__version__='7.7.1')) # e.g. what Colab ships
    with pytest.raises(ImportError, match=r'ipywidgets 8 or newer, found 7\.7\.1: pip install "linreg2p\[widgets\]"'):
        explore()


def test_closing_a_panel_closes_every_widget_in_it():
    import ipywidgets
    panel = explore()
    def tree(w): return [w, *(x for c in getattr(w, 'children', ()) for x in tree(c))]
    widgets = tree(panel.widget)
    assert set(map(id, panel.sliders.values())) | {id(panel.status), id(panel.image)} <= set(map(id, widgets))
    assert all(w.comm is not None for w in widgets)
    panel.close()
    assert all(w.comm is None and w.layout.comm is None for w in widgets) # none is left open in the kernel
    assert isinstance(panel.widget, ipywidgets.VBox)

@pytest.mark.parametrize('kw, name', [(dict(fps=1e-9), 'fps'), (dict(fps=1e6), 'fps'), (dict(hold=-1.0), 'hold'), (dict(hold=1e9), 'hold')])
def test_save_gif_refuses_durations_a_gif_cannot_hold(lab, tmp_path, kw, name):
    "A GIF frame lasts between 0.01 s and about 11 minutes: outside that, a ValueError naming the argument, and no file."
    X, Y, surface = lab
    anim = rendered(animate(train_model(X, Y, iters=3), surface))
    with pytest.raises(ValueError, match=name): save_gif(anim, tmp_path / 'a.gif', **kw)
    assert not (tmp_path / 'a.gif').exists()
