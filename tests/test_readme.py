"""The README's troubleshooting table quotes linreg2p's own errors and warnings: each quoted message is what the
library says for that mistake, word for word."""
import re, warnings
from pathlib import Path
import numpy as np
import numpy.ma as ma
import pytest
import torch
from linreg2p.analysis import ols_fit
from linreg2p.core import LossSurface
from linreg2p.models import make_data, train_model
from linreg2p.pytorch_way import LinearRegression, fit
from linreg2p.validation import make_split, select_lr

README = Path(__file__).resolve().parents[1] / 'README.md'

def library_rows():
    "(what happened, first quoted message) for each row of the library's troubleshooting table."
    text = README.read_text(encoding='utf-8')
    table = text.split('## Troubleshooting', 1)[1].split('\n\n')[2] # heading, one sentence, then the table
    rows = [r.split(' | ') for r in table.splitlines()[2:]]
    return {r[0].lstrip('| ').strip(): re.search(r'`((?:\w+Error|\w*Warning): [^`]+)`', r[1])[1] for r in rows}

def lab(): return make_data(seed=0)[::2]

def split():
    s = make_split()
    return s.X_train, s.Y_train, s.X_val, s.Y_val

MISTAKES = { # each row of the table, made
    'No data': lambda: ols_fit([], []),
    'One point': lambda: ols_fit([2.0], [1.0]),
    'Every x the same': lambda: ols_fit([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]),
    'Learning rate too large': lambda: train_model(*lab(), lr=0.34, iters=1),
    'The loss overflowed during training': lambda: train_model(*lab(), lr=50, iters=100),
    'The loss overflows at the start': lambda: train_model(torch.tensor([1e19, 2e19]), torch.tensor([0.0, 1.0])), # both float32
    'Data too large even for float64': lambda: ols_fit([1e200, 2e200], [0.0, 1.0]),
    'Text, `None`, booleans, complex numbers': lambda: ols_fit(list('abc'), [1.0, 2.0, 3.0]),
    'A table instead of a column': lambda: ols_fit(np.ones((3, 2)), np.ones(3)),
    'Missing values': lambda: ols_fit([1.0, np.nan], [1.0, 2.0]),
    'X and Y of different lengths': lambda: ols_fit(np.arange(60.0), np.arange(59.0)),
    'A bad setting': lambda: train_model(*lab(), lr=0),
    'Integers beyond ±2**53 (timestamps, ids)': lambda: ols_fit(np.array([0, 2**53 + 1]), [0.0, 1.0]),
    'A masked array': lambda: ols_fit(ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]), [1.0, 2.0, 3.0]),
    '`make_data` with a step too fine': lambda: make_data(step=1e-9),
    '`make_data` far from 0': lambda: make_data(start=1e8, stop=1e8 + 3),
    'A huge slope, bias, noise or shift': lambda: make_data(slope=1e39),
    'A surface range too wide': lambda: LossSurface(*lab(), 1e308, 1e308),
    'A start beyond float32': lambda: train_model(*lab(), w=1e39),
    'Every learning rate diverged in `select_lr`': lambda: select_lr(*split(), lrs=[50.0, 100.0], batch_size=None),
    '`fit` with `SparseAdam`': lambda: (m := LinearRegression(), fit(m, torch.optim.SparseAdam(m.parameters()), *lab())),
}

def said(mistake):
    "What linreg2p says to `mistake`: its error, or else its warnings, each as 'Type: message'."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try: mistake()
        except Exception as e: return [f'{type(e).__name__}: {e}']
    return [f'{w.category.__name__}: {w.message}' for w in caught]

def test_every_row_is_made_here():
    assert set(library_rows()) == set(MISTAKES)

@pytest.mark.parametrize('row', list(MISTAKES))
def test_the_readme_quotes_the_library(row):
    quoted = library_rows()[row]
    assert quoted in said(MISTAKES[row])
