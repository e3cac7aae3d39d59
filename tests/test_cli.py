"""The installed `linreg2p` command, run in subprocesses as a user would: its files and numbers against the
library, bad input, the no-overwrite rule, --force, interruption and unwritable output folders."""
import csv, json, math, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import bin_path
pytestmark = pytest.mark.slow # every test starts linreg2p lab as a process: left out of the fast tier, `pytest -m "not slow"`

LINREG2P = bin_path('linreg2p')
QUICK = ['--grid', '8', '--every', '5'] # small surfaces, few snapshots: the same figures, drawn faster

def run(*args, cwd, timeout=300):
    "Run `linreg2p *args` in `cwd`; the completed process, with text output."
    return subprocess.run([LINREG2P, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)

def entries(folder):
    "Names in `folder`, hidden ones included."
    return sorted(p.name for p in Path(folder).iterdir())

def one_line_error(res, option):
    "A usage error: exit status 2, one line on stderr naming `option`, no traceback."
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert 'Traceback' not in res.stderr and res.stdout == ''
    assert res.stderr.count('\n') == 1, res.stderr
    assert option in res.stderr, res.stderr

@pytest.fixture(scope='module')
def two_runs(tmp_path_factory):
    """The README's command run twice at the same time in the same folder (with a small grid). Both start
    staging for the default name `linreg2p-lab`; the one that finishes second must move on to `linreg2p-lab-2`.
    The two differ in everything but the settings: the console script or `python -m`, the hash seed, torch's threads."""
    cwd = tmp_path_factory.mktemp('lab')
    env = {k: v for k, v in os.environ.items() if k not in ('OMP_NUM_THREADS', 'PYTHONHASHSEED')}
    procs = [subprocess.Popen(cmd, cwd=cwd, env=env | more, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for cmd, more in [([LINREG2P, 'lab', *QUICK], {'PYTHONHASHSEED': '0'}),
                               ([sys.executable, '-m', 'linreg2p', 'lab', *QUICK], {'PYTHONHASHSEED': '123', 'OMP_NUM_THREADS': '1'})]]
    outputs = [p.communicate(timeout=300) for p in procs]
    done = [subprocess.CompletedProcess(p.args, p.returncode, out, err) for p, (out, err) in zip(procs, outputs)]
    for d in done: assert d.returncode == 0, d.stderr
    first, second = sorted(done, key=lambda d: d.stdout.endswith(f'-2{os.sep}\n')) # in the order they finished
    return cwd, first, second

@pytest.fixture(scope='module')
def library():
    "What the library computes for the lab's defaults."
    from linreg2p.models import make_data, train_model, Moments
    from linreg2p.analysis import ols_fit, max_stable_lr
    X, f, Y = make_data(noise=0.1, seed=0)
    w, b = ols_fit(X, Y)
    return dict(X=X, Y=Y, train=lambda lr, **kw: train_model(X, Y, w=-15.0, b=-10.0, lr=lr, **kw),
                optimum={'w': w, 'b': b, 'loss': float(Moments.of(X, Y).loss(w, b))}, bound=max_stable_lr(X))

# ---------------------------------------------------------------- help

def test_help_lists_the_subcommand_and_every_option_with_its_default(tmp_path):
    top = run('--help', cwd=tmp_path)
    assert top.returncode == 0 and top.stdout.startswith('usage: linreg2p ') and '\n    lab ' in top.stdout
    lab = run('lab', '--help', cwd=tmp_path)
    assert lab.returncode == 0
    text = ' '.join(lab.stdout.split()) # undo argparse's line wrapping
    for option, default in [('--lr', '0.1 and 0.2'), ('--iters', '15'), ('--w0', '-15.0'), ('--b0', '-10.0'),
                            ('--seed', '0'), ('--noise', '0.1'), ('--grid', '30'), ('--every', '3'),
                            ('--format', 'png'), ('--out', 'a new folder linreg2p-lab'), ('--force', 'off')]:
        assert option in text
        after = text[text.index(option + ' ', text.index('options:')):]
        help_of_option = after[:after.index('(default: ') + 60]
        assert f'(default: {default}' in help_of_option, option
    assert entries(tmp_path) == [] # help writes nothing

def test_python_dash_m_is_the_same_command(tmp_path):
    res = subprocess.run([sys.executable, '-m', 'linreg2p', 'lab', '--help'], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout == run('lab', '--help', cwd=tmp_path).stdout
    one_line_error(subprocess.run([sys.executable, '-m', 'linreg2p', 'lab', '--iters', 'x'], cwd=tmp_path,
                                  capture_output=True, text=True), '--iters')

# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize('args, option', [
    (['--lr', 'abc'], '--lr'), (['--lr', '-1'], '--lr'), (['--lr', '0'], '--lr'), (['--lr', 'nan'], '--lr'),
    (['--lr', 'inf'], '--lr'), (['--lr', '0.1', '--lr', '0.10'], '--lr'),
    (['--iters', '-3'], '--iters'), (['--iters', '2.5'], '--iters'), (['--grid', '1'], '--grid'),
    (['--grid', '100000'], '--grid'), (['--every', '0'], '--every'), (['--seed', '-1'], '--seed'),
    (['--noise', '-0.1'], '--noise'), (['--w0', 'x'], '--w0'), (['--b0', '1e300'], '--b0'),
    (['--format', 'gif'], '--format'), (['--out'], '--out'), (['--out', ''], '--out'),
    (['--bogus'], '--bogus'), (['--lr'], '--lr'),
])
def test_bad_values_are_one_line_usage_errors(tmp_path, args, option):
    res = run('lab', *args, cwd=tmp_path)
    one_line_error(res, option)
    assert res.stderr.startswith('linreg2p lab: error: ')
    assert entries(tmp_path) == [] # refused before anything is written

def test_no_subcommand_is_a_usage_error(tmp_path):
    one_line_error(run(cwd=tmp_path), 'COMMAND')
    one_line_error(run('fit', cwd=tmp_path), 'fit')

# ---------------------------------------------------------------- a whole run

def test_default_out_is_a_new_folder_each_time(two_runs):
    cwd, first, second = two_runs
    assert entries(cwd) == ['linreg2p-lab', 'linreg2p-lab-2'] # no staging folders left behind
    assert first.stdout.rstrip().endswith(f'in linreg2p-lab{os.sep}')
    assert second.stdout.rstrip().endswith(f'in linreg2p-lab-2{os.sep}')
    assert first.stderr == '' and second.stderr == ''
    (cwd / 'by-mkdir').mkdir() # the output folder gets the same permissions as any new folder, not mkdtemp's 0700
    assert (cwd / 'linreg2p-lab').stat().st_mode == (cwd / 'by-mkdir').stat().st_mode
    (cwd / 'by-mkdir').rmdir()

def test_same_seed_same_bytes(two_runs):
    "The same settings give the same files, byte for byte: history.csv, summary.json and every figure."
    first, second = two_runs[0] / 'linreg2p-lab', two_runs[0] / 'linreg2p-lab-2'
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob('*') if p.is_file())
    assert files == sorted(p.relative_to(second).as_posix() for p in second.rglob('*') if p.is_file())
    assert {'history.csv', 'summary.json', 'data.png', 'lr-0.2/final.png'} <= set(files)
    different = [f for f in files if (first / f).read_bytes() != (second / f).read_bytes()]
    assert not different, f'these files differ between the two runs: {different}'

def test_figures_are_written_and_listed(two_runs):
    out = two_runs[0] / 'linreg2p-lab'
    summary = json.loads((out / 'summary.json').read_text())
    on_disk = sorted(str(p.relative_to(out).as_posix()) for p in out.rglob('*.png'))
    assert sorted(summary['figures']) == on_disk
    expected = {'data.png', 'surface.png', 'contour.png', 'losses.png'}
    for lr in ['0.1', '0.2']: # snapshots every 5 steps, and the last: 0, 5, 10, 15
        expected |= {f'lr-{lr}/step-{k:02d}.png' for k in (0, 5, 10, 15)} | {f'lr-{lr}/final.png'}
    assert set(on_disk) == expected
    from PIL import Image
    for name in on_disk:
        with Image.open(out / name) as im: im.verify() # a whole, readable PNG
    with Image.open(out / 'lr-0.1' / 'step-05.png') as im: assert im.size[0] > im.size[1] > 200 # two panels side by side

def test_summary_numbers_are_the_librarys(two_runs, library):
    summary = json.loads((two_runs[0] / 'linreg2p-lab' / 'summary.json').read_text())
    assert [r['lr'] for r in summary['runs']] == [0.1, 0.2]
    for r in summary['runs']:
        h = library['train'](r['lr'], iters=15)
        assert (r['w'], r['b'], r['final_loss']) == h.final # the same floats, not just close
        assert r['iters'] == r['steps'] == 15 and r['stable'] is True
    assert summary['optimum'] == library['optimum']
    assert summary['max_stable_lr'] == library['bound']
    assert summary['seed'] == 0
    # and the values the lab is known for (facts: optimum near (1, -1); lr 0.2 ends near it)
    assert math.isclose(summary['optimum']['w'], 1, abs_tol=0.02) and math.isclose(summary['optimum']['b'], -1, abs_tol=0.02)
    assert math.isclose(summary['max_stable_lr'], 0.3330, abs_tol=5e-4)

def test_history_csv_is_every_recorded_state(two_runs, library):
    with open(two_runs[0] / 'linreg2p-lab' / 'history.csv', newline='') as fh: rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ['lr', 'iter', 'w', 'b', 'loss']
    assert len(rows) == 2 * 16
    for lr in (0.1, 0.2):
        mine = [r for r in rows if float(r['lr']) == lr]
        h = library['train'](lr, iters=15)
        assert [int(r['iter']) for r in mine] == list(range(16))
        assert [float(r['w']) for r in mine] == h.w and [float(r['b']) for r in mine] == h.b
        assert [float(r['loss']) for r in mine] == h.loss

def test_table_shows_each_lr_and_the_bound(two_runs, library):
    lines = two_runs[1].stdout.splitlines()
    assert 'stable (lr < 0.333)' in lines[0]
    for lr, line in zip((0.1, 0.2), lines[1:3]):
        w, b, loss = library['train'](lr, iters=15).final
        assert line.split() == [f'{lr:.4g}', f'{loss:.4g}', f'{w:.4f}', f'{b:.4f}', 'yes']
    assert lines[3].split()[0] == 'optimum'

# ---------------------------------------------------------------- no-overwrite and --force

def test_a_non_empty_folder_is_not_written_into(tmp_path):
    (tmp_path / 'mine').mkdir(); (tmp_path / 'mine' / 'notes.txt').write_text('keep')
    one_line_error(run('lab', '--out', 'mine', cwd=tmp_path), '--force')
    # --force replaces only an earlier lab output, never a folder of someone's own files
    one_line_error(run('lab', '--out', 'mine', '--force', cwd=tmp_path), 'summary.json')
    (tmp_path / 'a-file').write_text('x')
    one_line_error(run('lab', '--out', 'a-file', '--force', cwd=tmp_path), 'not a folder')
    one_line_error(run('lab', '--out', '.', '--force', cwd=tmp_path), 'current folder')
    assert entries(tmp_path) == ['a-file', 'mine'] and entries(tmp_path / 'mine') == ['notes.txt']
    assert (tmp_path / 'mine' / 'notes.txt').read_text() == 'keep'

def test_force_replaces_an_earlier_output_and_an_unstable_lr_still_runs(two_runs, library):
    cwd = two_runs[0] / 'force'
    cwd.mkdir()
    shutil.copytree(two_runs[0] / 'linreg2p-lab', cwd / 'earlier') # a copy: the other tests keep theirs
    one_line_error(run('lab', '--out', 'earlier', cwd=cwd), '--force')
    res = run('lab', '--out', 'earlier', '--force', '--lr', '1', '--lr', '0.34', '--iters', '40',
              '--every', '40', '--grid', '5', '--format', 'svg', '--animate', cwd=cwd)
    assert res.returncode == 0 and res.stderr == '', res.stderr # the stability warnings are not noise on stderr
    out = cwd / 'earlier'
    assert entries(cwd) == ['earlier'] # the old output was removed, nothing else left
    assert not list(out.rglob('*.png')) # nothing of the earlier run is mixed in
    summary = json.loads((out / 'summary.json').read_text())
    assert sorted(summary['figures']) == sorted([*(str(p.relative_to(out).as_posix()) for p in out.rglob('*.svg')),
                                                 'training.gif'])
    from PIL import Image
    with Image.open(out / 'training.gif') as gif: assert gif.n_frames == 41 # steps 0 to 40, the longest run
    import warnings
    with warnings.catch_warnings(record=True): # the library warns: over the bound, and overflow
        warnings.simplefilter('always')
        h1, h034 = library['train'](1.0, iters=40), library['train'](0.34, iters=40)
    r1, r034 = summary['runs']
    assert r1['stable'] is False and r034['stable'] is False
    assert r1['steps'] == len(h1) - 1 < 40 # lr 1 overflows float32 before 40 updates; the finite part is kept
    assert (r1['w'], r1['b'], r1['final_loss']) == h1.final and math.isfinite(r1['final_loss'])
    assert r034['steps'] == 40 and (r034['w'], r034['b'], r034['final_loss']) == h034.final
    assert f"lr-1.0/step-{r1['steps']:02d}.svg" in summary['figures'] # the last finite state is drawn
    rows = (out / 'history.csv').read_text().splitlines()
    assert len(rows) == 1 + len(h1) + len(h034)
    table = res.stdout.splitlines()
    assert table[1].split()[-1] != 'yes' and 'no: the loss overflowed after' in table[1]
    assert table[2].split()[-1] == 'no'

# ---------------------------------------------------------------- unwritable output folders

def test_an_output_under_a_regular_file_is_refused(tmp_path):
    (tmp_path / 'a-file').write_text('')
    one_line_error(run('lab', '--out', 'a-file/lab', cwd=tmp_path), '--out')
    assert entries(tmp_path) == ['a-file']

@pytest.mark.skipif(not hasattr(os, 'geteuid') or os.geteuid() == 0, reason='root may write into read-only folders')
def test_an_output_in_a_read_only_folder_is_refused(tmp_path):
    ro = tmp_path / 'ro'; ro.mkdir(); ro.chmod(0o555)
    try:
        one_line_error(run('lab', '--out', 'ro/new/lab', cwd=tmp_path), 'Permission denied')
        assert entries(ro) == []
    finally: ro.chmod(0o755)

# ---------------------------------------------------------------- interruption

@pytest.mark.parametrize('sig, code, word', [(signal.SIGINT, 130, 'interrupted'), (signal.SIGTERM, 143, 'terminated')])
def test_an_interrupted_run_leaves_nothing(tmp_path, sig, code, word):
    # the most updates allowed: the run is still at work when the signal comes
    args = [LINREG2P, 'lab', '--lr', '0.1', '--iters', '100000', '--every', '100000', '--grid', '5',
            '--out', 'new/deeper/lab']
    # start with default signal handling: a background shell may have set SIGINT to be ignored
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob('new/deeper/.lab.*.partial')): # staging has begun
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(1) # the worker is loading torch and matplotlib, or training: 100000 updates take about 20 s
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None: proc.kill(); proc.wait()
    assert proc.returncode == code, (out, err)
    assert 'Traceback' not in err and err.count('\n') == 1 and word in err, err
    assert out == ''
    assert entries(tmp_path) == [] # no partial folder, and the parents made for it are gone too

# ---------------------------------------------------------------- the processes that draw load no torch

NO_TORCH = """
import sys, numpy as np, matplotlib; matplotlib.use('Agg')
from linreg2p.core import LossSurface, History
from linreg2p.figures import FigureSeries, plot_contour, plot_data, plot_losses, plot_step, plot_surface, plot_trajectory, save_png
x = np.arange(-3, 3, 0.1, dtype=np.float32); y = x - 1 + np.float32(0.1) * np.cos(7 * x)
s, h = LossSurface(x, y, 15, 15, 8), History([-15.0, -5.0, 0.5], [-10.0, -4.0, -1.0], [250.0, 30.0, 0.1], 0.1)
series, out = FigureSeries(dpi=30), sys.argv[1]
figs = [plot_data(x, y, x - 1).figure, plot_surface(s), plot_contour(s), plot_trajectory(s, h), plot_losses(h, log=True).figure]
for i, fig in enumerate(figs): save_png(fig, f'{out}/{i}.png', 30)
fig = None
for k in range(3): fig = plot_step(s, h, k, fig=fig); series.save(fig, f'{out}/step-{k}.png')
print('torch' in sys.modules)
"""

def test_the_lab_pictures_are_drawn_without_torch(tmp_path):
    "Every picture the lab writes, drawn from numpy data in a fresh process: torch is never imported."
    res = subprocess.run([sys.executable, '-c', NO_TORCH, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ['False'], res.stdout # torch stays out of the process
    assert len(list(tmp_path.glob('*.png'))) == 8

LAB_IN_PROCESS = """
import argparse, sys
from pathlib import Path
from linreg2p import cli
forks = cli._can_fork()
args = argparse.Namespace(iters=6, w0=-15.0, b0=-10.0, seed=0, noise=0.1, grid=8, every=3, format='png', animate=False)
summary = cli._run_lab(args, [0.1, 0.2], Path(sys.argv[1]))
print(forks, 'torch' in sys.modules, len(summary['figures']))
"""

@pytest.mark.skipif(not sys.platform.startswith('linux') or len(os.sched_getaffinity(0)) < 2, reason='the lab forks on Linux with two cores or more')
def test_the_lab_trains_in_its_own_process_and_draws_without_torch(tmp_path, library):
    "With two cores, a forked copy imports torch and trains: the process that draws (and writes the summary) never loads it."
    res = subprocess.run([sys.executable, '-c', LAB_IN_PROCESS, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ['True', 'False', '12'], res.stdout # forked; no torch here; 3 + 2 * (3 + 1) + 1 figures
    summary = json.loads((tmp_path / 'summary.json').read_text())
    final = library['train'](0.1, iters=6).final
    assert (summary['runs'][0]['w'], summary['runs'][0]['b'], summary['runs'][0]['final_loss']) == final # the copy's numbers
