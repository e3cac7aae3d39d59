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

def np_descent(x, y, w, b, lr, iters):
    "Reference gradient descent on the MSE in float64 numpy, with the hand-derived gradient; rows are (w, b)."
    out = [(w, b)]
    for _ in range(iters):
        r = w * x + b - y
        w, b = w - lr * 2 * np.mean(r * x), b - lr * 2 * np.mean(r)
        out.append((w, b))
    return np.array(out)
