"""The download door: a learner who downloads a notebook (or opens it in Colab) has the library's wheel, its runtime
dependencies and a notebook runner, nothing else. Every notebook the site offers for download, copied out of the
repository, must run top to bottom there without a single error output, and print what its committed outputs show (the
seeds make the lesson the same from a fresh kernel on any machine).

Once per session: build the wheel from the working tree, make a fresh virtual environment (no system site-packages)
with the pinned CPU build of torch, the wheel, and only what a notebook runner needs (nbclient, ipykernel; ipywidgets
for the sliders of 05), then execute every notebook in it with nbclient, each cell under a time limit. Installs skip
byte-compiling (torch installs in about a third of the time); one import of what the notebooks import then compiles,
and caches, just those modules, before the kernels start side by side.

torch==2.13.0 is the README's pin (the CPU build where pip is configured for it: pip fetches the wheel, uv installs
it). If it cannot be installed the tests skip with the reason, except in CI (CI=true), where they fail."""
import json, math, os, re, shutil, subprocess, sys, textwrap, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import pytest
from conftest import NOTEBOOKS, ROOT
pytestmark = pytest.mark.slow # builds a wheel and installs it into fresh environments: left out of the fast tier, `pytest -m "not slow"`

TORCH = 'torch==2.13.0' # the README's pin: a plain `torch` could pull a multi-GB CUDA build
RUNNER_PACKAGES = ['nbclient', 'ipykernel', 'ipywidgets>=8'] # a notebook runner; ipywidgets for 05's sliders
CELL_TIMEOUT = 300 # seconds per cell

RUNNER = textwrap.dedent('''
    "Execute the notebook at argv[1] as Jupyter's Run All does (cells after an error still run); print its error outputs as JSON."
    import json, sys, time
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient
    path, timeout = Path(sys.argv[1]), int(sys.argv[2])
    nb = nbformat.read(path, as_version=4)
    t, fatal = time.time(), None
    try: NotebookClient(nb, timeout=timeout, kernel_name='python3', allow_errors=True,
                        resources={'metadata': {'path': str(path.parent)}}).execute()
    except Exception as e: fatal = f'{type(e).__name__}: {e}'[:2000] # a cell over its time limit, a dead kernel
    errors = [{'cell': i, 'ename': o['ename'], 'evalue': o['evalue'][:300], 'source': c.source}
              for i, c in enumerate(nb.cells) if c.cell_type == 'code'
              for o in c.get('outputs', []) if o.get('output_type') == 'error']
    nbformat.write(nb, path) # the executed copy, for a look when a test fails
    print(json.dumps({'seconds': round(time.time() - t, 1), 'cells': sum(c.cell_type == 'code' for c in nb.cells),
                      'errors': errors, 'fatal': fatal}))
''')

def _run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)

def _tail(res, n=1500): return (res.stdout[-n:] + '\n' + res.stderr[-n:]).strip()

def _learner_env(venv, home):
    "The environment of a learner's machine: the venv first on PATH, nothing of this test session's Python, Jupyter or matplotlib settings."
    drop = ('PYTHON', 'VIRTUAL_ENV', 'JUPYTER', 'IPYTHON', 'MPL', 'CONDA')
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k != 'IN_TEST'}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               JUPYTER_DATA_DIR=str(home / 'jupyter'), JUPYTER_CONFIG_DIR=str(home / 'jupyter-config'),
               IPYTHONDIR=str(home / 'ipython'), PIP_DISABLE_PIP_VERSION_CHECK='1')
    return env

def _pip(py):
    "This session's pip, installing into the venv at `py` from outside it."
    return [sys.executable, '-m', 'pip', '--python', py, 'install', '-q']

# uv when this session has it (the README's set-up installs it): it fills a venv from its cache in about a second, where
# pip resolves for about ten, and builds the wheel in a cached build environment (1.1 core-seconds against pip's 3.8)
UV = shutil.which('uv', path=str(Path(sys.executable).parent)) or shutil.which('uv')

def _installer(py):
    "The command that installs into the venv at `py`: uv, else pip."
    return [UV, 'pip', 'install', '--python', py, '-q'] if UV else _pip(py)

def _wheel_builder(src, dist):
    "The command that builds the wheel of the project copied into `src`, into the folder `dist`: uv, else pip."
    return [UV, 'build', '-q', '--wheel', '-o', dist, src] if UV else [sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '-w', dist, src]

def _failed(what, res):
    "Why the install step `what` failed, in one line: pip's or uv's first error line, else its last line or exit status."
    lines = res.stderr.strip().splitlines()
    return f"{what}: {next((l for l in lines if l.startswith(('ERROR', 'error'))), None) or (lines[-1] if lines else f'exit {res.returncode}')}"

def _install_torch(py, env, wheels):
    """Install the pinned torch into the venv; None when done, else why it could not be. pip finds the wheel (it knows
    where the CPU build is); uv, when there, installs it, unpacking on every core where pip uses one."""
    if not UV:
        res = _run([*_pip(py), '--no-compile', TORCH], env=env, timeout=1800)
        return _failed(f'pip install {TORCH}', res) if res.returncode else None
    res = _run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '-d', wheels, TORCH], env=env, timeout=1800)
    if res.returncode: return _failed(f'pip download {TORCH}', res)
    wheel, = wheels.glob('torch-*.whl')
    res = _run([*_installer(py), wheel], env=env, timeout=1800)
    return _failed(f'uv pip install {wheel.name}', res) if res.returncode else None

# what every notebook imports: byte-compiled once before they run side by side, not by each of their kernels at once
FIRST_IMPORTS = ('import importlib, pkgutil, linreg2p, matplotlib.pyplot, matplotlib_inline.backend_inline, ipykernel.kernelapp, '
                 'ipywidgets, nbclient\n'
                 'for m in pkgutil.iter_modules(linreg2p.__path__): importlib.import_module(f"linreg2p.{m.name}")')

@pytest.fixture(scope='module')
def learner(tmp_path_factory):
    "A fresh venv with the wheel, torch and a notebook runner, and a folder outside the repository holding copies of the notebooks."
    root = tmp_path_factory.mktemp('download')
    times, t = {}, time.time()
    # the wheel, built from a copy of what goes into it (a build inside the repository would leave build/ and *.egg-info
    # there), while the venv gets torch
    src = root / 'src'
    src.mkdir()
    for name in ('pyproject.toml', 'README.md', 'LICENSE'): shutil.copy2(ROOT / name, src)
    shutil.copytree(ROOT / 'linreg2p', src / 'linreg2p', ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    build = subprocess.Popen([str(c) for c in _wheel_builder(src, root / 'dist')], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    venv, home = root / 'venv', root / 'home'
    # no --system-site-packages: nothing from this session leaks in. No pip inside either: this session's pip and uv
    # install into it from outside (`--python`), and the notebooks need neither
    res = _run([sys.executable, '-m', 'venv', '--without-pip', venv], timeout=300)
    assert res.returncode == 0, _tail(res)
    py, env = venv / 'bin' / 'python', _learner_env(venv, home)
    times['venv'] = time.time() - t; t = time.time()
    why = _install_torch(py, env, root / 'wheels')
    if why:
        build.kill(); build.communicate()
        if os.environ.get('CI') == 'true': pytest.fail(f'the pinned torch could not be installed in CI: {why}')
        pytest.skip(f'the pinned torch could not be installed here: {why}')
    times['torch'] = time.time() - t; t = time.time()
    out, err = build.communicate(timeout=600)
    assert build.returncode == 0, f'building the wheel failed:\n{out[-1500:]}\n{err[-1500:]}'
    wheel, = (root / 'dist').glob('linreg2p-*.whl')
    res = _run([*_installer(py), '--no-compile', wheel, *RUNNER_PACKAGES], env=env, timeout=1800)
    assert res.returncode == 0, f'installing the wheel and the notebook runner failed:\n{_tail(res)}'
    times['wheel + runner'] = time.time() - t; t = time.time()
    res = _run([py, '-c', FIRST_IMPORTS], env=env, cwd=root, timeout=600)
    assert res.returncode == 0, f'importing what the notebooks import failed:\n{_tail(res)}'
    times['first imports'] = time.time() - t

    nbs = root / 'learner' # a folder of the learner's, far from the repository
    nbs.mkdir()
    for name in NOTEBOOKS: shutil.copy2(ROOT / 'nbs' / name, nbs / name)
    (root / 'run_notebook.py').write_text(RUNNER)
    print('download env: ' + ', '.join(f'{k} {v:.0f} s' for k, v in times.items()))
    # the venv (about 1 GB) stays in pytest's temporary folder, which keeps the last three sessions: deleting it here
    # took longer than making it
    return dict(py=py, env=env, nbs=nbs, runner=root / 'run_notebook.py', wheel=wheel, venv=venv)

def test_the_notebooks_to_run():
    pages = ['index.ipynb', '00_models.ipynb', '01_analysis.ipynb', '02_minibatch.ipynb', '03_pytorch_way.ipynb', '04_validation.ipynb',
             '05_animation.ipynb', '06_cli.ipynb', '06a_main.ipynb', '08_practice.ipynb', '00_core.ipynb', '00_figures.ipynb']
    assert set(pages) <= set(NOTEBOOKS), NOTEBOOKS # the lessons, the command line and the machinery: each page has a download link

def test_learner_env_holds_only_the_wheel_and_a_runner(learner):
    "The premise: linreg2p comes from the wheel, torch is the pinned build, and no developer tool is there."
    code = textwrap.dedent('''
        import importlib.util, json, sys, linreg2p, torch
        print(json.dumps({'linreg2p': linreg2p.__file__, 'torch': torch.__version__, 'prefix': sys.prefix,
                          'dev': [m for m in ('fastcore', 'nbdev', 'pytest', 'hypothesis') if importlib.util.find_spec(m)]}))''')
    res = _run([learner['py'], '-c', code], env=learner['env'], cwd=learner['nbs'], timeout=300)
    assert res.returncode == 0, _tail(res)
    info = json.loads(res.stdout)
    assert Path(info['linreg2p']).is_relative_to(learner['venv']) and not Path(info['linreg2p']).is_relative_to(ROOT), info
    assert info['torch'].startswith('2.13.0'), info
    assert info['dev'] == [], f'developer packages in the learner environment: {info["dev"]}'

def _describe(err):
    first = next((l for l in err['source'].splitlines() if l.strip() and not l.lstrip().startswith('#|')), '')
    hidden = ' (hidden on the site)' if any(l.strip() in ('#| hide', '#|hide') for l in err['source'].splitlines()) else ''
    return f"cell {err['cell']}{hidden}: {err['ename']}: {err['evalue']}  <- {first.strip()[:90]}"

@pytest.fixture(scope='module')
def runs(learner):
    "Every notebook executed in the learner's environment, a few at a time: {name: result or the runner's failure}."
    def run(name):
        res = _run([learner['py'], learner['runner'], learner['nbs'] / name, CELL_TIMEOUT], env=learner['env'],
                   cwd=learner['nbs'], timeout=CELL_TIMEOUT * 10)
        if res.returncode: return {'runner failed': _tail(res)}
        return json.loads(res.stdout.strip().splitlines()[-1])
    t = time.time()
    with ThreadPoolExecutor(max_workers=max(1, min(3, os.cpu_count() or 1, len(NOTEBOOKS)))) as pool:
        out = dict(zip(NOTEBOOKS, pool.map(run, NOTEBOOKS)))
    print(f'{len(NOTEBOOKS)} notebooks executed in {time.time() - t:.0f} s: ' +
          ', '.join(f"{n} {r.get('seconds', '?')} s" for n, r in out.items()))
    return out

@pytest.mark.parametrize('name', NOTEBOOKS)
def test_notebook_runs_outside_the_repository(runs, learner, name):
    "Run All in the learner's environment: no error output in any cell."
    out = runs[name]
    if 'runner failed' in out: pytest.fail(f"{name}: the notebook runner failed:\n{out['runner failed']}", pytrace=False)
    if out['fatal']: pytest.fail(f"{name} stopped: {out['fatal']}", pytrace=False)
    if out['errors']:
        pytest.fail(f"{name}: {len(out['errors'])} of {out['cells']} code cells fail in a fresh environment (wheel + torch + "
                    f"notebook runner); executed copy: {learner['nbs'] / name}\n" + '\n'.join(_describe(e) for e in out['errors']),
                    pytrace=False)

# --- a re-run from a fresh kernel prints the committed numbers ------------------------------------
NUMBER = re.compile(r'[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?')

def printed(nb):
    """(cell index, text) for what a reader sees: `text/plain` results and stdout; memory addresses masked. Not the
    API entries `show_doc` writes: nbdev draws them in the repository, and a learner has no nbdev."""
    out = []
    for i, cell in enumerate(nb['cells']):
        source = ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']
        if cell['cell_type'] != 'code' or source.lstrip().startswith('show_doc('): continue
        timed = 'bench(' in source # prints wall-clock times (05's slider costs): its words must match, its numbers cannot
        for o in cell.get('outputs', []):
            if o['output_type'] == 'stream':
                if o['name'] == 'stderr': continue # warnings name the kernel's temporary files: not the lesson's numbers
                text = o['text']
            elif 'text/plain' in o.get('data', {}): text = o['data']['text/plain']
            else: continue
            text = ''.join(text) if isinstance(text, list) else text
            text = re.sub(r' at 0x[0-9a-f]+', ' at 0x…', text)
            out.append((i, NUMBER.sub('#', text) if timed else text))
    return out

def same_text(a, b, rel=1e-6):
    "Equal text, numbers allowed to differ by `rel`: a last-bit float32 difference between CPUs is not a different lesson."
    if NUMBER.sub('#', a) != NUMBER.sub('#', b): return False
    return all(math.isclose(float(x), float(y), rel_tol=rel, abs_tol=1e-12) for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)))

@pytest.mark.parametrize('name', NOTEBOOKS)
def test_a_fresh_run_prints_the_committed_numbers(runs, learner, name):
    """What a reader sees printed (results and stdout, not warnings) in the notebook as committed is what a fresh kernel
    prints in the learner's environment, numbers to 1e-6: the seeds make the lesson the same on every machine."""
    if 'runner failed' in runs[name] or runs[name]['fatal']: pytest.skip('the run itself failed: see test_notebook_runs_outside_the_repository')
    committed, fresh = (json.loads(p.read_text()) for p in (ROOT / 'nbs' / name, learner['nbs'] / name))
    old, new = printed(committed), printed(fresh)
    assert [i for i, _ in old] == [i for i, _ in new], f"{name}: the cells that print something changed"
    diffs = [(i, a, b) for (i, a), (_, b) in zip(old, new) if not same_text(a, b)]
    assert not diffs, f'{name}:\n' + '\n'.join(f"cell {i}:\n  committed: {a!r}\n  re-run:    {b!r}" for i, a, b in diffs[:5])
