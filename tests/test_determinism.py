"""The same seed gives the same bits: data and histories across runs, processes and thread settings. (`linreg2p lab`'s
files across runs are compared in tests/test_cli.py, whose two runs differ in everything but the settings; a notebook
re-run from a fresh kernel printing its committed numbers is checked by tests/test_download.py, which runs every
notebook anyway.)"""
import json, re, subprocess, sys, warnings
import pytest
import torch
from conftest import NOTEBOOKS, ROOT
from linreg2p.models import make_data

FINGERPRINT = r"""
import hashlib, sys, torch
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(12345) # the global RNG must not matter: the seed is private
from linreg2p.models import make_data, train_model
from linreg2p.minibatch import train_minibatch
h = hashlib.sha256()
for seed in (0, 1, 2024):
    X, f, Y = make_data(seed=seed)
    for t in (X, f, Y): h.update(t.numpy().tobytes())
    for lr in (0.1, 0.2, 0.34):
        run = train_model(X, Y, lr=lr, iters=15)
        h.update(repr((run.w, run.b, run.loss)).encode())
    run = train_minibatch(X, Y, lr=0.05, epochs=2, batch_size=7, seed=seed) # a seeded shuffle
    h.update(repr((run.w, run.b, run.loss)).encode())
print(h.hexdigest())
# 100 000 points: torch splits reductions this long over its threads
X, _, Y = make_data(start=-50, stop=50, step=0.001, noise=0.5, seed=7)
run = train_model(X, Y, lr=1e-4, iters=5)
print(hashlib.sha256(Y.numpy().tobytes() + repr((run.w, run.b, run.loss)).encode()).hexdigest())
"""

@pytest.fixture(scope='module')
def fingerprints():
    "Digests of seeded data and histories: {'here': ..., 1: ..., n: ...}, from this process and two fresh ones."
    n = torch.get_num_threads()
    procs = {k: subprocess.Popen([sys.executable, '-W', 'ignore', '-c', FINGERPRINT, str(k)], text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in (1, n)}
    lines, rng = [], torch.get_rng_state()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore') # lr 0.34 is over the bound on purpose
        exec(FINGERPRINT.replace('int(sys.argv[1])', str(n)).replace('print(', 'lines.append('), {'lines': lines})
    torch.set_rng_state(rng)
    out = {'here': lines}
    for k, p in procs.items():
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr[-3000:]
        out[k] = stdout.split()
    return out

@pytest.mark.slow
def test_same_seed_same_bits_across_processes(fingerprints):
    "A fresh process with the same thread count agrees with this one to the last bit, also on 100 000 points."
    n = torch.get_num_threads()
    assert fingerprints[n] == fingerprints['here']

@pytest.mark.slow
def test_lab_sized_runs_do_not_depend_on_threads(fingerprints):
    """On lab-sized data (well under torch's 32 768-element grain) one thread and several give the same bits.
    (On 100 000 float32 points they need not: a threaded sum adds in another order. Same threads, same bits.)"""
    assert fingerprints[1][0] == fingerprints['here'][0]

def test_unseeded_data_follows_the_global_rng():
    torch.manual_seed(5); a = make_data()[2]
    torch.manual_seed(5); b = make_data()[2]
    assert torch.equal(a, b) and not torch.equal(a, make_data()[2])

# --- committed outputs hold nothing that changes from run to run --------------------------------
VOLATILE = re.compile(r'ipykernel_\d+|\bat 0x[0-9a-f]{6,}') # a kernel's temporary file, a memory address

@pytest.mark.parametrize('name', NOTEBOOKS)
def test_committed_outputs_do_not_change_between_runs(name):
    "A re-run must not rewrite a committed notebook: no kernel temp-file paths or memory addresses in its outputs."
    nb = json.loads((ROOT / 'nbs' / name).read_text()) # the file as committed (nbformat's reader costs 1.5 s to import)
    text = lambda v: ''.join(v) if isinstance(v, list) else v if isinstance(v, str) else '' # a text is a string or a list of lines
    found = [(i, m.group()) for i, cell in enumerate(nb['cells']) if cell['cell_type'] == 'code'
             for o in cell.get('outputs', [])
             for t in [text(o.get('text', ''))] + [text(v) for v in o.get('data', {}).values()]
             for m in VOLATILE.finditer(t)]
    assert not found, f'{name}: outputs that differ at every run (cell, text): {found[:5]}'
