"""`linreg2p lab` under attack: folders that appear, fill up or change while the lab runs, two runs on one
folder, --force next to a user's own files, every terminating signal at many points of a run, closed pipes,
paths that cannot be printed, names at the length limit and odd numbers. Each test runs the installed command
in a subprocess, as a user would, and checks the folders it leaves against what must be there."""
import json, os, re, signal, stat, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import pytest
from conftest import bin_path

pytestmark = pytest.mark.slow # every test starts linreg2p lab as a process: left out of the fast tier, `pytest -m "not slow"`

LINREG2P = bin_path('linreg2p')
SMALL = ['--lr', '0.1', '--grid', '5', '--every', '100'] # the quickest whole run: 7 figures
LONG = 'n' * 250
LINUX = sys.platform.startswith('linux')
TERMINATING = [s for s in ('SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM') if hasattr(signal, s)]

def entries(folder):
    "Names in `folder`, hidden ones included."
    return sorted(p.name for p in Path(folder).iterdir())

def default_signals():
    "In the child, before the command starts: every signal we send does its default, whatever the test runner ignores."
    for name in TERMINATING: signal.signal(getattr(signal, name), signal.SIG_DFL)

def start(args, cwd, env=None, stdout=subprocess.PIPE, cmd=None):
    "Start `linreg2p lab *args` in `cwd`; the Popen, with text stderr."
    return subprocess.Popen(cmd or [LINREG2P, 'lab', *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE,
                            env=None if env is None else os.environ | env, preexec_fn=default_signals)

def finish(proc, timeout=300):
    "Wait for `proc`; (status, stdout text, stderr text)."
    try: out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None: proc.kill(); proc.wait()
    return proc.returncode, (out or b'').decode('utf-8', 'backslashreplace'), err.decode('utf-8', 'backslashreplace')

def staging_of(folder, name):
    "The hidden staging folders of a run whose output is `folder/name`."
    return [p for p in Path(folder).iterdir() if p.name.startswith('.') and p.name.endswith('.partial')]

def wait_for(predicate, proc, timeout=120):
    "Poll until `predicate()` is true while `proc` runs; True if it became true, False if `proc` ended first."
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None: return False
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.01)
    return True

def is_complete(folder):
    "A whole lab output: summary.json, history.csv and exactly the figures summary.json lists."
    folder = Path(folder)
    summary = json.loads((folder / 'summary.json').read_text())
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob('*') if p.is_file())
    return files == sorted([*summary['figures'], 'history.csv', 'summary.json'])

def one_line(err):
    "stderr is one line and no traceback."
    return err.count('\n') == 1 and 'Traceback' not in err

KEPT = re.compile(r"this run's output is in (.+)/$")

def kept_folder(err, cwd):
    "The folder a conflict message says the run's output was kept in."
    m = KEPT.search(err.strip())
    assert m, err
    return Path(cwd) / m.group(1)

def fake_output(folder, extra=(), mode=None):
    "A folder that looks exactly like an earlier lab output (what --force may replace), plus `extra` files."
    folder.mkdir()
    figures = ['data.png', 'surface.png', 'contour.png', 'lr-0.1/step-00.png', 'lr-0.1/final.png', 'losses.png']
    for name in [*figures, 'history.csv', *extra]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f'earlier {name}')
    (folder / 'summary.json').write_text(json.dumps({'runs': [], 'figures': figures}))
    if mode is not None: folder.chmod(mode)
    return folder

def snapshot(folder):
    "Every file below `folder` with its content."
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in Path(folder).rglob('*') if p.is_file()}

# ================================================================ races on the output folder
# Several small runs at once (each one imports torch and draws 7 figures): started together, they share the cores.

def _appears(cwd):
    "The issue's repro: while the lab runs, a folder with a precious file appears where its output goes."
    proc = start([*SMALL, '--out', 'mine'], cwd)
    assert wait_for(lambda: staging_of(cwd, 'mine'), proc)
    (cwd / 'mine').mkdir(); (cwd / 'mine' / 'precious.txt').write_text('x')
    return finish(proc)

def _two_runs(cwd):
    "Two runs started together on one --out, told apart by their seeds."
    procs = [start([*SMALL, '--out', 'same', '--seed', str(seed)], cwd) for seed in (1, 2)]
    return [finish(p) for p in procs]

def _force_changed(cwd):
    "--force on an earlier output, and the user adds notes to it while the lab runs."
    fake_output(cwd / 'earlier')
    proc = start([*SMALL, '--out', 'earlier', '--force'], cwd)
    assert wait_for(lambda: staging_of(cwd, 'earlier'), proc)
    (cwd / 'earlier' / 'notes.txt').write_text('my notes')
    return finish(proc)

def _long_private(cwd):
    "An empty private folder (mode 700) with a 250-character name (legal: the limit is 255 bytes) as --out."
    (cwd / LONG).mkdir(); (cwd / LONG).chmod(0o700)
    return finish(start([*SMALL, '--out', LONG], cwd))

def _closed_pipe(cwd):
    "Standard output is a pipe nobody reads any more, like `linreg2p lab | head -1` after head is gone."
    r, w = os.pipe(); os.close(r)
    try: return finish(start([*SMALL, '--out', 'piped'], cwd, stdout=w))
    finally: os.close(w)

def _closed_stderr_odd_backend(cwd):
    "Standard error closed (2>&-) and an invalid MPLBACKEND in the environment: neither may stop the run."
    return finish(subprocess.Popen(f'exec {LINREG2P} lab {" ".join(SMALL)} --out o 2>&-', shell=True, cwd=cwd,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ | {'MPLBACKEND': 'bogus'},
                                   preexec_fn=default_signals))

def _unprintable(cwd):
    "A folder name with a byte that is not UTF-8 and an accent, printed to an ASCII-only terminal."
    name = 'caf\xe9-' + b'\xff'.decode('utf-8', 'surrogateescape')
    return finish(start([*SMALL, '--out', name], cwd, env={'PYTHONIOENCODING': 'ascii'}))

# A signal that arrives inside a finalizer (`__del__`, a weakref callback) while Python runs it: the handler runs
# there, and an exception it raises is printed as "Exception ignored" and lost. This wrapper makes that happen on
# purpose, at the start of `where` (a function of linreg2p.cli called by the command itself).
IN_A_FINALIZER = """
import gc, signal, sys
import linreg2p.cli as cli
class Bomb:
    def __del__(self): signal.raise_signal(signal.{sig})
def armed(real):
    def call(*a, **k):
        b = Bomb(); b.cycle = b; del b # garbage only the collector frees
        gc.collect() # the signal arrives inside Bomb.__del__
        return real(*a, **k)
    return call
cli.{where} = armed(cli.{where})
sys.exit(cli.main(sys.argv[1:]))
"""

def in_a_finalizer(sig, where, args, cwd):
    "Run `linreg2p lab *args` with `sig` raised inside a finalizer when the command calls `where`."
    code = IN_A_FINALIZER.format(sig=sig, where=where)
    return finish(start(args, cwd, cmd=[sys.executable, '-c', code, 'lab', *args]))

def _force_private_signal_at_commit(cwd):
    """--force on an earlier output its owner made private (mode 700); and SIGTERM while the new output is being
    moved into place, raised inside a finalizer, the worst place for it."""
    fake_output(cwd / 'out', mode=0o700)
    return in_a_finalizer('SIGTERM', '_commit', [*SMALL, '--out', 'out', '--force'], cwd)

SCENARIOS = {f.__name__[1:]: f for f in (_appears, _two_runs, _force_changed, _long_private, _closed_pipe,
                                          _unprintable, _force_private_signal_at_commit, _closed_stderr_odd_backend)}

@pytest.fixture(scope='module')
def races(tmp_path_factory):
    "Every scenario above in its own folder, all at once; name -> (folder, its result)."
    folders = {name: tmp_path_factory.mktemp(name) for name in SCENARIOS}
    with ThreadPoolExecutor(len(SCENARIOS)) as pool:
        futures = {name: pool.submit(f, folders[name]) for name, f in SCENARIOS.items()}
        return {name: (folders[name], fut.result()) for name, fut in futures.items()}

def test_a_folder_that_appears_during_the_run_is_left_alone(races):
    cwd, (code, out, err) = races['appears']
    assert code == 1 and one_line(err) and out == '', (code, err)
    assert 'mine appeared while the lab ran' in err
    assert entries(cwd / 'mine') == ['precious.txt'] and (cwd / 'mine' / 'precious.txt').read_text() == 'x'
    kept = kept_folder(err, cwd)
    assert is_complete(kept) # nothing of the run is lost either
    assert entries(cwd) == sorted(['mine', kept.name]) # and no staging folder is left

def test_two_runs_on_one_folder_one_wins_and_the_other_keeps_its_output(races):
    cwd, results = races['two_runs']
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    (_, won, _), (_, _, lost_err) = sorted(results)
    assert one_line(lost_err) and 'same appeared while the lab ran' in lost_err
    kept = kept_folder(lost_err, cwd)
    assert is_complete(cwd / 'same') and is_complete(kept)
    seeds = {json.loads((cwd / 'same' / 'summary.json').read_text())['seed'],
             json.loads((kept / 'summary.json').read_text())['seed']}
    assert seeds == {1, 2} # both runs' outputs exist, one each
    assert entries(cwd) == sorted(['same', kept.name])

def test_force_never_removes_what_appeared_during_the_run(races):
    cwd, (code, out, err) = races['force_changed']
    assert code == 1 and one_line(err), err
    assert 'earlier changed while the lab ran' in err and 'notes.txt' in err
    assert (cwd / 'earlier' / 'notes.txt').read_text() == 'my notes'
    assert (cwd / 'earlier' / 'data.png').read_text() == 'earlier data.png' # the earlier output is untouched too
    kept = kept_folder(err, cwd)
    assert is_complete(kept) and entries(cwd) == sorted(['earlier', kept.name])

def test_force_keeps_a_private_folder_private(races):
    cwd, (code, out, err) = races['force_private_signal_at_commit']
    assert entries(cwd) == ['out'] and is_complete(cwd / 'out') # the earlier files are gone, nothing else left
    assert json.loads((cwd / 'out' / 'summary.json').read_text())['settings']['grid'] == 5
    assert stat.S_IMODE((cwd / 'out').stat().st_mode) == 0o700

def test_a_250_character_private_folder(races):
    "The staging folder's name fits beside a 250-character name, and the empty private folder stays private."
    cwd, (code, out, err) = races['long_private']
    assert code == 0 and err == '', err
    assert entries(cwd) == [LONG] and is_complete(cwd / LONG)
    assert stat.S_IMODE((cwd / LONG).stat().st_mode) == 0o700

def test_a_closed_pipe_is_not_an_error(races):
    "The folder is the command's result; a table nobody reads does not change the status (see --help)."
    cwd, (code, out, err) = races['closed_pipe']
    assert code == 0 and err == '', err
    assert entries(cwd) == ['piped'] and is_complete(cwd / 'piped')

def test_a_name_the_terminal_cannot_show_is_escaped(races):
    cwd, (code, out, err) = races['unprintable']
    assert code == 0 and err == '', err
    assert out.rstrip().endswith('in caf\\xe9-\\udcff/'), out # escaped, on one line
    [folder] = entries(cwd)
    assert os.fsencode(folder) == b'caf\xc3\xa9-\xff' and is_complete(cwd / folder)

def test_a_signal_during_the_commit_is_not_lost(races):
    "The commit is not cut in half: the output is complete, and the status and message say it came after."
    cwd, (code, out, err) = races['force_private_signal_at_commit']
    assert code == 143 and one_line(err) and out == '', (code, err)
    assert 'terminated after the output was complete: it is in out/' in err
    assert entries(cwd) == ['out'] and is_complete(cwd / 'out')

def test_ctrl_c_inside_a_finalizer_is_not_lost(tmp_path):
    "Before the run starts, Ctrl-C arrives while Python runs a finalizer: still 130, and nothing is written."
    code, out, err = in_a_finalizer('SIGINT', '_check_out', SMALL, tmp_path)
    assert code == 130 and one_line(err) and 'interrupted: nothing was written' in err, (code, err)
    assert entries(tmp_path) == []

def test_closed_stderr_and_an_invalid_backend(races):
    cwd, (code, out, err) = races['closed_stderr_odd_backend']
    assert code == 0 and err == '', err
    assert entries(cwd) == ['o'] and is_complete(cwd / 'o')

# ================================================================ --force and the user's own files

def test_force_refuses_a_folder_with_files_no_lab_run_wrote(tmp_path):
    earlier = fake_output(tmp_path / 'earlier', extra=['notes.txt', 'src/thesis.tex'])
    before = snapshot(earlier)
    res = subprocess.run([LINREG2P, 'lab', '--out', 'earlier', '--force'], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 2 and one_line(res.stderr), res.stderr
    assert 'notes.txt' in res.stderr and 'src' in res.stderr and '--force' in res.stderr
    assert snapshot(earlier) == before and entries(tmp_path) == ['earlier']

@pytest.mark.parametrize('summary', ['{not json', '[]', '{"figures": "data.png"}', '{"figures": ["../outside.txt"]}',
                                     '{"figures": ["notes.txt"]}'])
def test_force_trusts_only_a_real_lab_summary(tmp_path, summary):
    "A summary.json that is not a lab run's, or lists files a lab run never writes, is not a licence to delete."
    (tmp_path / 'outside.txt').write_text('keep')
    folder = tmp_path / 'mine'; folder.mkdir()
    (folder / 'summary.json').write_text(summary); (folder / 'notes.txt').write_text('keep')
    res = subprocess.run([LINREG2P, 'lab', '--out', 'mine', '--force'], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 2 and one_line(res.stderr), res.stderr
    assert entries(folder) == ['notes.txt', 'summary.json'] and (tmp_path / 'outside.txt').read_text() == 'keep'

# ================================================================ signals

def children(pid):
    "Process ids whose parent is `pid` (Linux /proc)."
    found = []
    for d in Path('/proc').iterdir():
        if d.name.isdigit():
            try: fields = (d / 'stat').read_text().rsplit(')', 1)[1].split()
            except OSError: continue
            if int(fields[1]) == pid: found.append(int(d.name))
    return found

def interrupt(cwd, sig, when, args=SMALL, repeat=1, spacing=0.0):
    """Start a run into `cwd/out`, wait until `when` (seconds after its staging folder appeared, a file name that
    must appear in the staging folder, or both: (name, seconds)), send `sig` `repeat` times `spacing` seconds apart;
    (status, stdout, stderr, whether the run was still going when the signal was sent)."""
    proc = start([*args, '--out', 'out'], cwd)
    staged = lambda: staging_of(cwd, 'out')
    going = wait_for(staged, proc)
    name, delay = (when, 0) if isinstance(when, str) else when if isinstance(when, tuple) else (None, when)
    if going and name: going = wait_for(lambda: any((s / name).exists() for s in staged()), proc)
    if going: time.sleep(delay)
    for _ in range(repeat):
        if proc.poll() is None: proc.send_signal(sig)
        time.sleep(spacing)
    code, out, err = finish(proc)
    return code, out, err, going and code != 0

def check_interrupted(cwd, sig, result):
    "After a signal: 128 + n, one line naming it, and nothing left but a complete output, if the run had finished."
    code, out, err, going = result
    names = {signal.SIGINT: 'interrupted', signal.SIGTERM: 'terminated'}
    if code == 0: # the run had finished before the signal came
        assert not going and entries(cwd) == ['out'] and is_complete(cwd / 'out')
        return
    assert code == 128 + sig, (signal.Signals(sig).name, code, err)
    assert one_line(err) and names.get(sig, signal.Signals(sig).name) in err, err
    assert out == ''
    assert entries(cwd) == [], entries(cwd) # no staging folder, no output

# when to send: seconds after the staging folder appeared (the worker is starting, importing torch, training), or
# a figure whose appearance in the staging folder means the run is drawing the next one
POINTS = [0, 0.01, 0.03, 0.1, 0.3, 0.6, 'data.png', 'surface.png', 'contour.png', 'lr-0.1/final.png']

def run_tries(tmp_path_factory, tries):
    "Each (signal, point) against its own run, two at a time; every result checked."
    def one(i):
        sig, when = tries[i]
        cwd = tmp_path_factory.mktemp(f'try{i}')
        return cwd, sig, interrupt(cwd, sig, when)
    with ThreadPoolExecutor(2) as pool: results = list(pool.map(one, range(len(tries))))
    failures = []
    for cwd, sig, result in results:
        try: check_interrupted(cwd, sig, result)
        except AssertionError as e: failures.append(f'{signal.Signals(sig).name}: {e}')
    assert not failures, failures
    return sum(result[0] != 0 for _, _, result in results)

@pytest.mark.skipif(not LINUX, reason='signals as Linux delivers them')
def test_ctrl_c_and_kill_at_every_point_leave_nothing(tmp_path_factory):
    """Ten runs, one per point, stopped by SIGINT and SIGTERM in turn: each signal comes at the start, while torch loads and
    while the figures are drawn. Every run must clean up."""
    tries = [((signal.SIGINT, signal.SIGTERM)[i % 2], when) for i, when in enumerate(POINTS)]
    assert run_tries(tmp_path_factory, tries) >= 7 # most signals land while the run is going, not after it

@pytest.mark.skipif(not LINUX, reason='signals as Linux delivers them')
def test_other_ending_signals_leave_nothing(tmp_path_factory):
    "SIGHUP (a closed terminal), SIGQUIT (Ctrl-\\), SIGUSR1, SIGUSR2 and SIGALRM, early in the run or while it draws."
    others = [getattr(signal, s) for s in TERMINATING if s not in ('SIGINT', 'SIGTERM')]
    tries = [(sig, [0.02, 'surface.png', 0.2, 'contour.png', 0.5][i]) for i, sig in enumerate(others)]
    assert run_tries(tmp_path_factory, tries) >= 4

@pytest.mark.skipif(not LINUX, reason='/proc and signals as Linux delivers them')
def test_a_killed_worker_is_reported_and_cleaned_up(tmp_path):
    "The lab's worker process killed on its own (as the out-of-memory killer does): 137, one line, nothing left."
    proc = start([*SMALL, '--out', 'out'], tmp_path)
    assert wait_for(lambda: any((s / 'data.png').exists() for s in staging_of(tmp_path, 'out')), proc)
    [worker] = children(proc.pid)
    os.kill(worker, signal.SIGKILL)
    code, out, err = finish(proc)
    assert code == 137 and one_line(err) and 'SIGKILL' in err, (code, err)
    assert entries(tmp_path) == []

@pytest.mark.skipif(not LINUX, reason='/proc and signals as Linux delivers them')
def test_a_command_killed_with_sigkill_still_leaves_nothing(tmp_path):
    "SIGKILL cannot be caught, but the worker sees the command go and removes the staging folder itself."
    proc = start([*SMALL, '--out', 'new/deeper/out'], tmp_path)
    assert wait_for(lambda: any((s / 'data.png').exists() for s in staging_of(tmp_path / 'new' / 'deeper', 'out'))
                    if (tmp_path / 'new' / 'deeper').exists() else False, proc)
    [worker] = children(proc.pid)
    proc.kill(); finish(proc)
    deadline = time.monotonic() + 30
    while Path(f'/proc/{worker}').exists() and time.monotonic() < deadline: time.sleep(0.05)
    assert entries(tmp_path) == [] # the staging folder and the parents made for it

@pytest.mark.skipif(not LINUX, reason='signals as Linux delivers them')
def test_a_burst_of_ctrl_c_during_clean_up_leaves_nothing(tmp_path):
    "Snapshots being written, then Ctrl-C every millisecond for a fifth of a second: most come during the clean-up."
    args = ['--lr', '0.1', '--grid', '5', '--every', '1', '--iters', '20']
    result = interrupt(tmp_path, signal.SIGINT, 'lr-0.1/step-08.png', args=args, repeat=200, spacing=0.001)
    assert result[3] # it was going
    check_interrupted(tmp_path, signal.SIGINT, result)

@pytest.mark.skipif(not LINUX, reason='signals as Linux delivers them')
def test_ctrl_c_while_matplotlib_draws_a_large_surface(tmp_path):
    "A 400 x 400 surface takes seconds to draw: Ctrl-C in the middle of it."
    # once the data figure is written, the surface is being drawn
    result = interrupt(tmp_path, signal.SIGINT, ('data.png', 0.3), args=['--lr', '0.1', '--grid', '400', '--every', '100'])
    check_interrupted(tmp_path, signal.SIGINT, result)
    assert result[0] == 130

# ================================================================ usage errors and odd values

def usage_error(args, cwd, option, env=None):
    "`linreg2p lab *args` is refused with exit status 2 and one line naming `option`, and writes nothing."
    res = subprocess.run([LINREG2P, 'lab', *args], cwd=cwd, capture_output=True, timeout=60,
                         env=None if env is None else os.environ | env)
    err = res.stderr.decode('utf-8', 'backslashreplace')
    assert res.returncode == 2 and one_line(err) and res.stdout == b'', (res.returncode, err)
    assert option in err, err
    assert entries(cwd) == []
    return err

@pytest.mark.parametrize('name', ['a' * 256, 'a' * 300 + '/lab', '/'.join(['d' * 200] * 25)])
def test_an_over_long_name_is_a_usage_error(tmp_path, name):
    "A name over 255 bytes, or a path over the system's limit (4096 bytes on Linux)."
    usage_error(['--out', name], tmp_path, '--out')

@pytest.mark.parametrize('kind', ['a named pipe', 'a dangling link'])
def test_an_out_that_is_not_a_folder(tmp_path, kind):
    os.mkfifo(tmp_path / 'x') if kind == 'a named pipe' else (tmp_path / 'x').symlink_to('nowhere')
    res = subprocess.run([LINREG2P, 'lab', '--out', 'x'], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and one_line(res.stderr) and '--out: x ' in res.stderr, res.stderr
    assert entries(tmp_path) == ['x']

def test_a_deleted_current_folder_is_a_usage_error(tmp_path):
    gone = tmp_path / 'gone'; gone.mkdir()
    res = subprocess.run(f'cd {gone} && rmdir {gone} && exec {LINREG2P} lab', shell=True, capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and one_line(res.stderr) and 'current folder no longer exists' in res.stderr, res.stderr
    assert entries(tmp_path) == []

def test_forty_thousand_arguments_are_refused_at_once(tmp_path):
    "argparse's time grows with the square of the number of arguments: minutes for these, unless refused first."
    usage_error(['--lr', '0.1'] * 20000, tmp_path, '40001 arguments') # within usage_error's time limit

@pytest.mark.parametrize('option', ['--w0', '--b0'])
def test_negative_numbers_after_a_space(tmp_path, option):
    "The help's `--w0 -1e6` works like `--w0=-1e6`: the next error is the one about --grid."
    for value in ['-1e6', '-1E+6', '-.5', '-1_000']:
        usage_error([option, value, '--grid', '1'], tmp_path, '--grid')
    err = usage_error([option, '-2e6'], tmp_path, option)
    assert "got '-2e6'" in err

def test_a_negative_learning_rate_is_named(tmp_path):
    err = usage_error(['--lr', '-0.1'], tmp_path, '--lr')
    assert "must be a number > 0, got '-0.1'" in err

@pytest.mark.parametrize('value', ['100001', '10000000000000000000000', '9' * 5000])
def test_iters_has_an_upper_bound(tmp_path, value):
    err = usage_error(['--iters', value], tmp_path, '--iters')
    assert '100000' in err

def test_help_into_a_closed_pipe_and_an_ascii_terminal(tmp_path):
    r, w = os.pipe(); os.close(r)
    try: res = subprocess.run([LINREG2P, 'lab', '--help'], cwd=tmp_path, stdout=w, stderr=subprocess.PIPE, text=True)
    finally: os.close(w)
    assert res.returncode == 0 and res.stderr == '', res.stderr
    res = subprocess.run([LINREG2P, '--help'], cwd=tmp_path, capture_output=True, env=os.environ | {'PYTHONIOENCODING': 'ascii'})
    assert res.returncode == 0 and res.stderr == b'', res.stderr
    assert b'w\\xb7x' in res.stdout # the middle dot of "w·x", escaped
