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
