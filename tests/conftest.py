import os, shutil, sys, time
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
# every notebook, each a page of the site; `_` notebooks are scratch
NOTEBOOKS = sorted(p.name for p in (ROOT / 'nbs').glob('*.ipynb') if not p.name.startswith('_'))
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

def wait_for_chromium_install(timeout=900):
    """CI (.ci/run) installs Chromium while the set-up and the first tests run; the file named by LINREG2P_CHROMIUM_INSTALL
    appears, holding the install's exit status, when it ends. Wait for it (the browser tests come after the longest
    other ones, so this seldom waits). Nothing to wait for elsewhere."""
    status = os.environ.get('LINREG2P_CHROMIUM_INSTALL')
    if not status: return
    deadline = time.monotonic() + timeout
    while not os.path.exists(status):
        if time.monotonic() > deadline: pytest.fail(f'the Chromium install CI started has not ended after {timeout} s')
        time.sleep(0.5)

@pytest.fixture(scope='session')
def browser():
    "One headless Chromium (Debian's) for every browser test: Playwright's sync API runs one per thread at a time."
    wait_for_chromium_install()
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

# `pytest -n 2` (the README's test command) runs the suite on both cores. The unit of work is a test file, so a
# module's expensive fixtures (a JupyterLab server, a venv, the site's pages loaded and checked) are made once, in one
# worker. The long units start first, then the short ones fill in, so that the two workers finish together; the rest
# follow in file order. The two that need no browser go before the browser tests (the docs and JupyterLab): in CI,
# Chromium is still installing while the first tests run.
LONGEST_FIRST = ('tests/test_cli_safety.py', 'tests/test_download.py', 'tests/test_docs.py', 'tests/test_jupyterlab.py',
                 'tests/test_display.py', 'tests/test_cli.py', 'tests/test_leaks.py', 'tests/test_animation.py',
                 'tests/test_notebooks.py', 'tests/test_methods.py', 'tests/test_determinism.py')

def work_unit(nodeid:str) -> str:
    "The test's unit of work under `pytest -n 2`: its file."
    return nodeid.partition('::')[0]

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
            return LONGEST_FIRST.index(unit) if unit in LONGEST_FIRST else len(LONGEST_FIRST)
        items.sort(key=rank) # stable: file order within a rank
