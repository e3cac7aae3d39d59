import fcntl, os, shutil, sys
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault('MPLBACKEND', 'Agg') # headless, like CI

def bin_path(name):
    "A console script of the active environment (the venv running pytest), else from PATH."
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)

@pytest.fixture
def lab_data():
    from linreg2p.models import make_data
    return make_data(seed=0)

# the one numpy gradient-descent reference, shared with the notebooks
from linreg2p.core import numpy_descent as np_descent

# the benchmark lives beside the package (benchmarks/bench.py); the exactness tests use its naive references
sys.path.insert(0, str(ROOT / 'benchmarks'))

# no host name resolves but the local server's: whatever a page asks from outside fails in the browser, so nothing leaves
# the machine (the docs tests record such requests and fail on them)
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost']

def launch_chromium(playwright):
    "Debian's headless Chromium, started through a Playwright instance (one instance per thread)."
    return playwright.chromium.launch(executable_path=shutil.which('chromium'), args=CHROMIUM_ARGS)

@pytest.fixture(scope='session')
def browser():
    "One headless Chromium (Debian's) for every browser test: Playwright's sync API runs one per thread at a time."
    exe = shutil.which('chromium')
    if exe is None:
        msg = 'chromium is not installed (apt-get install -y chromium); the browser tests need it'
        if os.environ.get('CI') == 'true': pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()

def shared_once(tmp_path_factory, name, make):
    """A folder `make(folder)` fills once per run: under `pytest -n 2` the first worker to ask makes it while the other
    waits on a lock, then both read it. A failed `make` leaves no done-mark, so the next worker to ask starts afresh."""
    run = os.environ.get('PYTEST_XDIST_TESTRUNUID') # the same in every worker of one run; unset without xdist
    root = tmp_path_factory.getbasetemp().parent / f'shared-{run}' if run else tmp_path_factory.getbasetemp() / 'shared'
    root.mkdir(exist_ok=True)
    folder, done = root / name, root / f'{name}.done'
    with open(root / f'{name}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder

# `pytest -n 2` (the README's test command) runs the suite on both cores. The unit of work is a test file, so a
# module's expensive fixtures (a JupyterLab server, a venv, the visits of every page) are made once, in one worker;
# the cases of a test in OWN_GROUP are units of their own (axe-core takes seconds on each page). The long units start
# first (the docs first, so the site is built while the other worker runs the download test), then the short ones
# fill in, so that the two workers finish together; the rest follow in file order.
OWN_GROUP = ('test_no_serious_or_critical_accessibility_violation',)
LONGEST_FIRST = ('tests/test_docs.py', 'tests/test_download.py', 'tests/test_cli_safety.py', 'tests/test_display.py',
                 'tests/test_jupyterlab.py', 'tests/test_docs.py::test_no_serious_or_critical_accessibility_violation',
                 'tests/test_cli.py', 'tests/test_determinism.py', 'tests/test_leaks.py', 'tests/test_animation.py')

def work_unit(nodeid:str) -> str:
    "The test's unit of work under `pytest -n 2`: its file, or the test case itself for the tests in OWN_GROUP."
    path, _, name = nodeid.partition('::')
    return nodeid if name.partition('[')[0] in OWN_GROUP else path

@pytest.hookimpl(optionalhook=True) # a hook of pytest-xdist: `pytest -p no:xdist` (or no xdist installed) still runs
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling
    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid): return work_unit(nodeid)
    config.option.loadscopereorder = False # keep the order the workers collected: longest first, below
    return ByWorkUnit(config, log)

def pytest_collection_modifyitems(config, items):
    if os.environ.get('PYTEST_XDIST_WORKER'): # a worker's collection is the order in which the units are handed out
        def rank(item):
            unit = work_unit(item.nodeid)
            return next((i for i, u in enumerate(LONGEST_FIRST) if unit == u or unit.startswith(u + '[')), len(LONGEST_FIRST))
        items.sort(key=rank) # stable: file order within a rank
