"""The shape of the library: machinery behind public, documented names; the lab notebook a lesson, not a test file."""
import ast, importlib, json, re
from pathlib import Path
import pytest
from conftest import NOTEBOOKS, ROOT

PKG = ROOT / 'linreg2p'
MODULES = sorted(p for p in PKG.glob('*.py') if not p.name.startswith('_'))

def _imports(path):
    "(module, name) for every name a module imports from inside linreg2p."
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or '').startswith('linreg2p')):
            mod = node.module or ''
            mod = mod if mod.startswith('linreg2p') else 'linreg2p' + ('.' + mod if mod else '')
            for alias in node.names: yield mod, alias.name

@pytest.mark.parametrize('path', MODULES, ids=lambda p: p.name)
def test_no_module_imports_a_private_name_from_another(path):
    private = [(m, n) for m, n in _imports(path) if n.startswith('_') and n != '__version__']
    assert not private, f'{path.name} imports private names: {private}'

@pytest.mark.parametrize('path', MODULES, ids=lambda p: p.name)
def test_what_modules_share_is_public_and_documented(path):
    for mod, name in _imports(path):
        if name == '__version__' or mod == 'linreg2p': continue
        m = importlib.import_module(mod)
        assert name in m.__all__, f'{path.name} uses {mod}.{name}, which is not in its __all__'
        obj = getattr(m, name)
        if callable(obj): assert (obj.__doc__ or '').strip(), f'{mod}.{name} has no docstring'

def test_the_models_contract_is_unchanged():
    import linreg2p.models as m
    assert set(m.__all__) == {'make_data', 'plot_data', 'forward', 'criterion', 'Moments', 'plot_error_surfaces',
                              'History', 'train_model', 'plot_losses'}
    import inspect
    params = list(inspect.signature(m.plot_error_surfaces).parameters)
    assert params == ['w_range', 'b_range', 'X', 'Y', 'n_samples', 'go']
    assert inspect.signature(m.plot_error_surfaces).parameters['n_samples'].default == 30
    for method in ('set_para_loss', 'plot_ps', 'final_plot'): assert callable(getattr(m.plot_error_surfaces, method))
    X, f, Y = m.make_data(seed=0)
    s = m.plot_error_surfaces(15, 15, X, Y, go=False)
    for attr in ('w', 'b', 'Z', 'W', 'B', 'LOSS', 'n'): assert hasattr(s, attr), attr

def test_the_stability_warning_is_worded_once():
    texts = {p.name: p.read_text() for p in MODULES}
    assert [n for n, t in texts.items() if 'at or above the stability bound' in t] == ['core.py']

def _cells(nb_name):
    return json.loads((ROOT / 'nbs' / nb_name).read_text())['cells']

def _visible_code(nb_name):
    "Source of the code cells a learner sees in Jupyter: every code cell without a `#| hide` directive."
    out = []
    for c in _cells(nb_name):
        src = ''.join(c['source'])
        if c['cell_type'] == 'code' and not re.search(r'^\s*#\|\s*hide\s*$', src, re.M): out.append(src)
    return out

def test_the_lab_shows_at_most_200_lines_of_code():
    lines = sum(len(src.splitlines()) for src in _visible_code('00_models.ipynb'))
    assert lines <= 200, f'00_models shows {lines} lines of code'

LESSONS = ['00_models.ipynb', '01_analysis.ipynb', '02_minibatch.ipynb', '03_pytorch_way.ipynb', '04_validation.ipynb',
           '05_animation.ipynb']

@pytest.mark.parametrize('nb', LESSONS)
def test_visible_cells_hold_no_walls_of_checks(nb):
    "A check stays in view only where it teaches: at most one line of checking per visible cell."
    check = re.compile(r'^\s*(assert\b|assert_allclose|test_eq|test_close|test_fail|np\.testing)', re.M)
    walls = [src for src in _visible_code(nb) if len(check.findall(src)) > 1]
    assert not walls, walls

@pytest.mark.parametrize('nb', NOTEBOOKS)
def test_notebooks_need_no_developer_tools(nb):
    "A learner's copy needs only the runtime dependencies: nbdev and fastcore only behind a guard."
    for src in (''.join(c['source']) for c in _cells(nb) if c['cell_type'] == 'code'):
        for line in src.splitlines():
            if re.match(r'\s*(from|import)\s+(fastcore|nbdev)\b', line): pytest.fail(f'{nb}: unguarded {line.strip()!r}')

SETUP = """except ImportError: get_ipython().run_line_magic('pip', 'install -q "linreg2p"""

@pytest.mark.parametrize('nb', NOTEBOOKS)
def test_a_notebook_installs_linreg2p_before_it_imports_it(nb):
    """Opened in Colab, where linreg2p is missing, a notebook installs it first: Colab's Run All stops at the first error,
    so the setup cell comes before every cell that imports linreg2p, and installs from the project's repository."""
    codes = [''.join(c['source']) for c in _cells(nb) if c['cell_type'] == 'code']
    setup = [i for i, src in enumerate(codes) if SETUP in src]
    assert len(setup) == 1, f'{nb}: {len(setup)} setup cells'
    uses = [i for i, src in enumerate(codes) if i not in setup and re.search(r'^\s*(from|import)\s+linreg2p\b', src, re.M)]
    assert uses and setup[0] < uses[0], f'{nb}: code cell {uses[:1]} imports linreg2p before the setup cell ({setup[0]}) installs it'
    repository = re.search(r'^Repository = "(.+)"$', (ROOT / 'pyproject.toml').read_text(), re.M)[1]
    assert f'@ git+{repository}"' in codes[setup[0]], (nb, repository)

def test_the_benchmark_is_not_installed():
    assert not (PKG / 'bench.py').exists() and (ROOT / 'benchmarks' / 'bench.py').exists()
