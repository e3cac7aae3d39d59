"""The same seed gives the same bits: data and histories across runs, processes and thread settings, and
`linreg2p lab`'s files across runs. (A notebook re-run from a fresh kernel printing its committed numbers is checked
by tests/test_download.py, which runs every notebook anyway.)"""
import re, subprocess, sys, warnings
import pytest
import torch
from conftest import ROOT
from linreg2p.models import make_data, train_model

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

# --- `linreg2p lab`: the same settings give the same files, byte for byte ----------------------
@pytest.mark.slow
def test_lab_output_is_byte_identical_across_runs(tmp_path):
    """Two runs that differ in everything but the settings (console script or `python -m`, working folder,
    output path, torch threads, hash seed) write identical history.csv, summary.json and figures."""
    import os
    from conftest import bin_path
    quick = ['lab', '--grid', '8', '--every', '5', '--lr', '0.1', '--lr', '0.34']
    a, b = tmp_path / 'a', tmp_path / 'b' / 'deeper'
    a.mkdir(); b.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ('OMP_NUM_THREADS', 'PYTHONHASHSEED')}
    procs = [subprocess.Popen([bin_path('linreg2p'), *quick, '--out', 'out'], cwd=a, env=env | {'PYTHONHASHSEED': '0'},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
             subprocess.Popen([sys.executable, '-m', 'linreg2p', *quick, '--out', str(b / 'lab')], cwd=tmp_path,
                              env=env | {'PYTHONHASHSEED': '123', 'OMP_NUM_THREADS': '1'},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    first, second = a / 'out', b / 'lab'
    files = sorted(str(p.relative_to(first)) for p in first.rglob('*') if p.is_file())
    assert files == sorted(str(p.relative_to(second)) for p in second.rglob('*') if p.is_file())
    assert {'history.csv', 'summary.json', 'data.png', 'lr-0.34/final.png'} <= set(files)
    different = [f for f in files if (first / f).read_bytes() != (second / f).read_bytes()]
    assert not different, f'these files differ between the two runs: {different}'

# --- committed outputs hold nothing that changes from run to run --------------------------------
VOLATILE = re.compile(r'ipykernel_\d+|\bat 0x[0-9a-f]{6,}') # a kernel's temporary file, a memory address
NOTEBOOKS = sorted(p.name for p in (ROOT / 'nbs').glob('*.ipynb') if not p.name.startswith('_'))

@pytest.mark.parametrize('name', NOTEBOOKS)
def test_committed_outputs_do_not_change_between_runs(name):
    "A re-run must not rewrite a committed notebook: no kernel temp-file paths or memory addresses in its outputs."
    import nbformat
    nb = nbformat.read(ROOT / 'nbs' / name, as_version=4)
    found = [(i, m.group()) for i, cell in enumerate(nb.cells) if cell.cell_type == 'code'
             for o in cell.get('outputs', [])
             for text in [o.get('text', '')] + [v for v in o.get('data', {}).values() if isinstance(v, str)]
             for m in VOLATILE.finditer(text)]
    assert not found, f'{name}: outputs that differ at every run (cell, text): {found[:5]}'
