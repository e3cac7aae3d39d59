import os, shutil, sys
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

CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--no-first-run']

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
