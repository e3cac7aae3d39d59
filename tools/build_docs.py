"""Build the documentation site into `_docs/` from the notebooks, offline and without Quarto.

    python tools/build_docs.py            # -> _docs/index.html
    python tools/build_docs.py --out DIR  # build somewhere else

1. nbdev's own notebook processing (the processors `nbdev.serve.proc_nbs` runs) turns each notebook in
   `nbs/` (names starting with `_` are skipped) into its docs form: `#| hide` cells dropped, `#| export`
   code replaced by `show_doc` output, directive comments turned into Quarto options.
2. A small translation step makes that output Sphinx-ready: Quarto options become myst-nb cell tags and
   every `#|` line is removed; `show_doc` output becomes a signature block linked to the API reference;
   names of exported functions written as code in the prose (`make_data`) become links to their entry;
   each page gets its title, a download link to its notebook and an "Open in Colab" link.
3. An API reference page is written from the exported names themselves: signature, one-line docstring
   and the parameter comments (docments) of every name in each module's `__all__`.
4. Sphinx + myst-nb (no execution: the notebooks' saved outputs are shown) + sphinx-book-theme render
   the site, with MathJax served from the site itself. Any Sphinx warning fails the build.
5. Where a notebook's markdown cell is exactly `<div class="linreg2p-explorer"></div>` (optionally with
   `data-lr`, `data-steps`, `data-w`, `data-b`: the sliders' starting values), the page gets an interactive
   explorer of gradient descent that runs in the reader's browser (`docs/_static/linreg2p-explorer.js`),
   from the five moments of the lab's data exported here from linreg2p, and a static figure rendered by
   linreg2p for readers without JavaScript.

Nothing is written into `nbs/` or the library: the Sphinx sources live in a temporary folder.
"""
from __future__ import annotations
import argparse, ast, atexit, functools, html, importlib, inspect, json, os, re, shutil, sys, tempfile, time, tomllib, warnings
from decimal import Decimal, InvalidOperation
from pathlib import Path

# jsonschema, which myst-nb loads through nbformat, builds 38 parsers at import for its 'iri' format check when the
# package rfc3987_syntax is installed (JupyterLab's dependencies install it): 1.4 s, a third of a small build. A
# notebook's schema checks no format, so the build goes without that package.
sys.modules.setdefault('rfc3987_syntax', None)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / 'docs' # conf.py, templates and static files of the site
COLAB = 'https://colab.research.google.com/github'
_IMPORTS = (ast.Import, ast.ImportFrom)
_DIRECTIVE = re.compile(r'^\s*#\|\s*(.*?)\s*$')

def repo_slug(pyproject=ROOT / 'pyproject.toml'):
    "`user/repo` from the `Repository` URL in pyproject.toml's `[project.urls]`."
    url = tomllib.loads(Path(pyproject).read_text())['project']['urls']['Repository']
    m = re.match(r'https?://github\.com/([^/]+/[^/#?]+?)(?:\.git)?/?$', url)
    if not m: raise ValueError(f"[project.urls] Repository must be a GitHub URL, got {url!r}")
    return m.group(1)

# the library's machinery: numbered first because the lab imports it, read last because the lab does not need it
UNDER_THE_HOOD = ('00_core.ipynb', '00_figures.ipynb')

def notebooks(nbs=ROOT / 'nbs'):
    "The notebooks that become pages, in reading order: index first, then by file name with the machinery last, skipping `_` names."
    nbs = sorted(p for p in Path(nbs).glob('*.ipynb') if not p.name.startswith(('_', '.')))
    return sorted(nbs, key=lambda p: (p.name != 'index.ipynb', p.name in UNDER_THE_HOOD))

# ---------------------------------------------------------------- 1. nbdev's processing
def _filters():
    "nbdev's docs processors, with two changes: no absolute doc links (we link inside the site), and cells that mix imports with other code run only their imports."
    from nbdev.processors import FilterDefaults, exec_show_docs, add_links

    class exec_docs(exec_show_docs):
        # nbdev runs every cell that contains an import to set up `show_doc`; a lesson cell such as
        # `import warnings` + code that uses lesson variables would then fail. Run just its imports.
        def __call__(self, cell):
            if cell.cell_type == 'code' and cell.source and not (cell.directives_.keys() & {'export', 'exports', 'exporti', 'exec_doc'}):
                trees = cell.parsed_()
                if trees and any(isinstance(t, _IMPORTS) for t in trees) and not all(isinstance(t, _IMPORTS) for t in trees):
                    if self.nb.has_docs_ and hasattr(self, 'k'):
                        self.k.run_cell('\n'.join(ast.unparse(t) for t in trees if isinstance(t, _IMPORTS)))
                        if self.k.exc: raise Exception(f"Error in cell {cell.idx_}:\n{cell.source}\n{self.k.exc!r}")
                    return
            super().__call__(cell)

        def end(self):
            super().end()
            # each notebook gets its own IPython shell, whose exit hook (a reset and a full garbage
            # collection) would cost about a second per notebook when the build exits: nothing to save
            if hasattr(self, 'k'): atexit.unregister(self.k.atexit_operations)

    class Filters(FilterDefaults):
        def base_procs(self):
            return [exec_docs if p is exec_show_docs else p for p in super().base_procs() if p is not add_links]
    return Filters

def process(nb_path, dest):
    "Run nbdev's docs processing on the notebook at `nb_path`, writing the result to `dest`."
    from nbdev.serve_drv import exec_nb
    cwd = os.getcwd()
    os.chdir(ROOT) # nbdev reads its config from pyproject.toml
    os.environ['IN_TEST'] = '1'
    try: exec_nb(Path(nb_path), Path(dest), _filters())
    finally:
        os.environ.pop('IN_TEST', None); os.chdir(cwd)

# ---------------------------------------------------------------- 3. the API index and page
def _src(cell): return ''.join(cell['source']) if isinstance(cell.get('source'), list) else cell.get('source', '')

def default_exp(nb_path):
    "The module a notebook exports to (`#| default_exp`), or None."
    for cell in json.loads(Path(nb_path).read_text())['cells']:
        if cell['cell_type'] == 'code' and (m := re.search(r'^\s*#\|\s*default_exp\s+(\S+)', _src(cell), re.M)): return m.group(1)

def _members(cls):
    "Public methods, classmethods and properties defined on `cls`, in definition order."
    for name, v in vars(cls).items():
        if name.startswith('_'): continue
        if isinstance(v, property): yield name, 'property', v.fget
        elif isinstance(v, classmethod): yield name, 'classmethod', v.__func__
        elif isinstance(v, staticmethod): yield name, 'staticmethod', v.__func__
        elif inspect.isfunction(v): yield name, 'method', v

def api_index(modules):
    "{short name: full dotted name} of every exported name and its public members, for `modules` (dotted names)."
    index = {}
    for mod in modules:
        m = importlib.import_module(mod)
        for name in getattr(m, '__all__', []):
            index[name] = f'{mod}.{name}'
            obj = getattr(m, name)
            if inspect.isclass(obj):
                for mname, _, _ in _members(obj): index[f'{name}.{mname}'] = f'{mod}.{name}.{mname}'
    return index

def _one_line(s): return ' '.join((s or '').split())

def _signature(obj, drop_self=False):
    "`(a: int = 1, ...) -> T` for `obj`, with dataclass factory defaults shown as their value."
    try: sig = inspect.signature(obj, eval_str=True)
    except Exception: sig = inspect.signature(obj)
    params = list(sig.parameters.values())
    if drop_self and params and params[0].name in ('self', 'cls'): params = params[1:]
    fields = getattr(obj, '__dataclass_fields__', {})
    fixed = []
    for p in params:
        f = fields.get(p.name)
        if f is not None and f.default_factory is not getattr(__import__('dataclasses'), 'MISSING'):
            p = p.replace(default=f.default_factory())
        fixed.append(p)
    ret = sig.return_annotation
    if inspect.isclass(obj): ret = inspect.Signature.empty
    return str(sig.replace(parameters=fixed, return_annotation=ret))

def _fields(obj, skip_self=True):
    "`:param name: doc` lines (and `:returns:`) from the docments of `obj`."
    from fastcore.docments import docments
    try: docs = docments(obj, full=False)
    except Exception: return []
    lines = [f':param {k}: {_one_line(v)}' for k, v in docs.items() if k != 'return' and v and not (skip_self and k in ('self', 'cls'))]
    if docs.get('return'): lines.append(f':returns: {_one_line(docs["return"])}')
    return lines

def _entry(kind, name, sig, obj, opts=(), members=()):
    body = [f':{o}:' for o in opts] + ['', _one_line(inspect.getdoc(obj)) or '(no docstring)', ''] + _fields(obj)
    inner = '\n'.join(body)
    if members: inner += '\n\n' + '\n\n'.join(members)
    fence = '`' * (4 if members else 3)
    return f'{fence}{{py:{kind}}} {name}{sig}\n{inner}\n{fence}'

def api_page(modules, pages):
    "MyST source of the API reference: one section per module, one entry per exported name."
    out = ['# API reference', '',
           'Every name you can import from linreg2p: its signature, what it does in one line, and what each '
           'parameter means. Each section links to the page that teaches it.', '']
    for mod in modules:
        m = importlib.import_module(mod)
        out += [f'## {mod}', '', f'```{{py:module}} {mod}', '```', '']
        first = _one_line((m.__doc__ or '').split('\n\nDocs:')[0])
        page = pages.get(mod)
        if first: out += [first, '']
        if page: out += [f'Taught in {{doc}}`{page}`.', '']
        for name in m.__all__:
            obj = getattr(m, name)
            if inspect.isclass(obj):
                members = []
                for mname, kind, f in _members(obj):
                    if kind == 'property': members.append(_entry('property', mname, '', f))
                    else: members.append(_entry('method', mname, _signature(f, drop_self=kind != 'staticmethod'), f,
                                                opts=[kind] if kind != 'method' else []))
                out += [_entry('class', name, _signature(obj), obj, members=members), '']
            elif callable(obj): out += [_entry('function', name, _signature(obj), obj), '']
            else: out += [f'```{{py:data}} {name}', '', _one_line(inspect.getdoc(obj)), '```', '']
    return '\n'.join(out) + '\n'

# ---------------------------------------------------------------- 2. the translation to myst-nb
_CODE_SPAN = re.compile(r'(?<![`\w])`([A-Za-z_0-9][\w.]*)`(?!`)')

def _link(name, index, nb_links):
    if name in index: return f'{{py:obj}}`{name} <{index[name]}>`'
    if name in nb_links: return f'[`{name}`]({nb_links[name]})'

def linkify(md, index, nb_links={}):
    "Turn code spans naming exported objects (`make_data`, `History.record`) into links to their API entry, and notebook names (`00_models`) into links to their page; code blocks stay as they are."
    out, fenced = [], False
    for line in md.split('\n'):
        if re.match(r'^\s*(```|~~~)', line): fenced = not fenced
        if not fenced and not line.startswith('    '):
            line = _CODE_SPAN.sub(lambda m: _link(m.group(1), index, nb_links) or m.group(0), line)
        out.append(line)
    return '\n'.join(out)

_SD = re.compile(r'\[source\]\((?P<src>[^)]*)\)(?:\{[^}]*\})?\s*###\s+(?P<name>\S+)\s*(?P<code>```.*?```)\s*(?P<doc>.*)', re.S)

def show_doc_md(md, index):
    "The MyST block standing in for one `show_doc` output: name, link to its API entry, source link, signature with docments, docstring."
    m = _SD.search(md)
    if not m: return md.strip().removeprefix('---').strip() # unknown layout: nbdev's Markdown as it is
    name, src = m['name'], m['src']
    head = f'**`{name}`**'
    if name in index: head += f' · {{py:obj}}`API reference <{index[name]}>`'
    if src: head += f' · [source]({src})'
    code = re.sub(r'^```\w*', '```python', m['code'].strip())
    doc = m['doc'].strip()
    return '\n'.join([':::{container} api-inline', head, '', code, '', doc, ':::'])

def _directives(src):
    "Split a code cell's source into its `#|` options and the remaining code."
    opts, code = {}, []
    for line in src.split('\n'):
        if (m := _DIRECTIVE.match(line)):
            k, _, v = m.group(1).partition(':')
            opts[k.strip()] = v.strip().strip('"\'')
        else: code.append(line)
    return opts, '\n'.join(code).strip('\n')

def _tags(cell, *new):
    tags = cell.setdefault('metadata', {}).setdefault('tags', [])
    for t in new:
        if t not in tags: tags.append(t)

_ids = iter(range(10**9))
def _md(text): return {'cell_type': 'markdown', 'id': f'docs-{next(_ids)}', 'metadata': {}, 'source': text}

def mathjax_js():
    "MathJax 3 in one file (all TeX extensions, SVG output: no font files), from the sphinx-mathjax-offline package."
    import importlib.util
    spec = importlib.util.find_spec('sphinx-mathjax-offline')
    if spec is None: raise SystemExit('sphinx-mathjax-offline is missing: pip install -e ".[dev]"')
    return Path(spec.submodule_search_locations[0]) / 'static' / 'mathjax' / 'tex-svg-full.js'

_REMOTE = re.compile(r'''<link\b[^>]*\bhref=["']?(?:https?:)?//[^>]*>|<script\b[^>]*\bsrc=["']?(?:https?:)?//[^>]*>\s*</script>''', re.I)

def _offline_html(out):
    "Drop stylesheets and scripts that an HTML output would fetch from outside the site (e.g. the icon font matplotlib's animation player asks a CDN for: the theme already ships the icons)."
    html = out.get('data', {}).get('text/html')
    if html is None: return
    html = ''.join(html) if isinstance(html, list) else html
    for tag in _REMOTE.findall(html): print(f'docs: dropped a remote resource from an HTML output: {tag[:120]}')
    out['data']['text/html'] = _REMOTE.sub('', html)

# ---------------------------------------------------------------- 5. the explorer
_MARKER = re.compile(r'^<div class="linreg2p-explorer"((?:\s+[\w-]+="[^"<>]*")*)\s*>\s*</div>$')
_MARKER_ATTR = re.compile(r'([\w-]+)="([^"<>]*)"')
# the sliders, by the marker attribute that sets their starting value: (label, min, max, step, unit digits);
# the starting values default to `train_model`'s own defaults
SLIDERS = {'lr': ('Learning rate', '0.01', '0.4', '0.01', 2),
           'steps': ('Steps', '1', '100', '1', 0),
           'w': ('Start w (slope)', '-15', '15', '0.5', 1),
           'b': ('Start b (bias)', '-15', '15', '0.5', 1)}
GRID = 15.0 # the lab's loss surface spans w and b in [-15, 15] (`plot_error_surfaces(15, 15, X, Y)`)

class MarkerError(ValueError):
    "An explorer marker the build cannot use."

@functools.lru_cache(maxsize=1)
def explorer_data():
    "What the explorer computes from, exported from linreg2p: the five moments of the lab's data (`make_data(seed=0)`), its stability bound and `train_model`'s defaults."
    from linreg2p.models import make_data, Moments, train_model
    from linreg2p.analysis import max_stable_lr
    X, _, Y = make_data(seed=0)
    m = Moments.of(X, Y)
    sig = inspect.signature(train_model).parameters
    return {'moments': {k: getattr(m, k) for k in ('mean_x', 'mean_y', 'var_x', 'slope', 'floor')},
            'bound': max_stable_lr(X), 'grid': GRID,
            'defaults': {'lr': sig['lr'].default, 'steps': sig['iters'].default, 'w': sig['w'].default, 'b': sig['b'].default}}

def _on_grid(value, lo, hi, step):
    d = Decimal(value)
    return Decimal(lo) <= d <= Decimal(hi) and (d - Decimal(lo)) % Decimal(step) == 0

def marker_settings(src, defaults):
    "The explorer's starting values if the markdown `src` is an explorer marker (else None); `MarkerError` (a `ValueError`) for a marker with a bad attribute or value."
    src = src.strip()
    if 'class="linreg2p-explorer"' not in src: return None
    m = _MARKER.match(src)
    if not m: raise MarkerError(f'an explorer marker must be alone in its markdown cell, as <div class="linreg2p-explorer"></div> '
                                f'with optional data-lr, data-steps, data-w, data-b; got {src[:120]!r}')
    given = {}
    for name, value in _MARKER_ATTR.findall(m.group(1)):
        key = name.removeprefix('data-')
        if not name.startswith('data-') or key not in SLIDERS:
            raise MarkerError(f'unknown explorer attribute {name}={value!r}: use data-lr, data-steps, data-w or data-b')
        given[key] = value
    settings = {}
    for key, (_, lo, hi, step, _) in SLIDERS.items():
        value = given.get(key, repr(defaults[key]))
        try: ok = _on_grid(value, lo, hi, step)
        except InvalidOperation: ok = False
        what = f'data-{key}' if key in given else f'the default {key}'
        if not ok: raise MarkerError(f'{what} must be a number from {lo} to {hi} in steps of {step}, got {value!r}')
        settings[key] = int(Decimal(value)) if key == 'steps' else float(value)
    return settings

def _fmt(v, digits): return f'{v:.{digits}f}'.replace('-', '−')

def explorer_figure(data, settings, path):
    "Render the static figure of the explorer's starting run with linreg2p (the path on the contour, the loss per step) into the PNG `path`; returns its alt text."
    os.environ.setdefault('MPLBACKEND', 'Agg')
    from matplotlib.figure import Figure
    from linreg2p.models import make_data, train_model, plot_losses
    from linreg2p.analysis import plot_runs
    X, _, Y = make_data(seed=0)
    X, Y = X.double(), Y.double() # the numbers the page computes: float64
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning) # a start past the stability bound warns: the figure shows it
        h = train_model(X, Y, w=settings['w'], b=settings['b'], lr=settings['lr'], iters=settings['steps'])
    label = f"lr {settings['lr']:g}"
    start = f"({settings['w']:g}, {settings['b']:g})"
    fig = Figure(figsize=(11, 4.4), layout='constrained')
    ax_path, ax_loss = fig.subplots(1, 2, width_ratios=(1.45, 1))
    plot_runs({label: h}, X, Y, ax=ax_path, w_lim=(-GRID, GRID), b_lim=(-GRID, GRID), n_samples=30)
    ax_path.set_title(f"Path of {len(h) - 1} steps at lr {settings['lr']:g} from {start}")
    plot_losses({label: h}, ax=ax_loss, log=True)
    fig.savefig(path, dpi=72)
    w, b, loss = h.final
    verdict = 'diverges' if settings['lr'] >= data['bound'] else 'converges'
    return (f"Gradient descent at learning rate {settings['lr']:g} for {len(h) - 1} steps from (w, b) = "
            f"{start} on the loss contour, and its loss per step: the run {verdict} "
            f"(stability bound 2/λmax = {data['bound']:.3f}) and ends at w = {w:.3f}, b = {b:.3f}, loss = {loss:.3g}.")

def explorer_html(ident, data, settings, png, alt):
    "The explorer's HTML: hidden sliders and plot area that the script reveals and draws, and the static figure for readers without JavaScript."
    esc = lambda s: html.escape(str(s), quote=True)
    lo, hi = float(SLIDERS['lr'][1]), float(SLIDERS['lr'][2])
    at = (data['bound'] - lo) / (hi - lo)
    controls = []
    for key, (label, vmin, vmax, step, digits) in SLIDERS.items():
        value, cid = settings[key], f'{ident}-{key}'
        extra, mark = '', ''
        if key == 'lr':
            extra = f' aria-describedby="{ident}-bound"'
            mark = (f'<span class="lx-bound-mark" aria-hidden="true"></span>'
                    f'<span class="lx-bound-label" id="{ident}-bound">stability bound 2/λmax = {data["bound"]:.3f}</span>')
        style = f' style="--lx-at: {at:.6f}"' if key == 'lr' else ''
        controls.append(
            f'<div class="lx-control lx-control-{key}">'
            f'<div class="lx-label-row"><label for="{cid}">{label}</label> '
            f'<output id="{cid}-value" for="{cid}">{_fmt(value, digits)}</output></div>'
            f'<div class="lx-track{" lx-track-bound" if key == "lr" else ""}"{style}>{mark}'
            f'<input type="range" id="{cid}" name="{key}" min="{vmin}" max="{vmax}" step="{step}" value="{value:g}"{extra}>'
            f'</div></div>')
    return (f'<div class="linreg2p-explorer" id="{ident}" role="group" aria-labelledby="{ident}-title" '
            f'data-explorer="{esc(json.dumps({**data, "start": settings}))}">'
            f'<p class="lx-title"><strong id="{ident}-title">Gradient descent on the lab\'s data</strong>, '
            f'computed from five numbers of the data that linreg2p exports when this site is built. '
            f'<span class="lx-hint" hidden>Move a slider, or focus it and press the arrow keys: the run is redrawn at once.</span></p>'
            f'<div class="lx-controls" hidden>{"".join(controls)}'
            f'<button type="button" class="lx-reset">Reset</button></div>'
            f'<div class="lx-plots" hidden></div>'
            f'<p class="lx-status" hidden></p>'
            f'<p class="lx-diverge" role="status" hidden></p>'
            f'<noscript><img class="lx-static" src="{esc(png)}" alt="{esc(alt)}">'
            f'<p class="lx-noscript-note">This figure is fixed. With JavaScript on, sliders let you change the learning rate, '
            f'the number of steps and the start, and the path is redrawn as you move them.</p></noscript>'
            f'</div>')

class Explorers:
    "Makes the explorers of a build: numbered per page, each with its static figure in `static_dir`."
    def __init__(self, static_dir):
        self.dir, self.data, self.count = Path(static_dir), None, {}

    def __call__(self, page, settings):
        if self.data is None: self.data = explorer_data()
        n = self.count[page] = self.count.get(page, 0) + 1
        ident = f'linreg2p-explorer-{n}'
        self.dir.mkdir(parents=True, exist_ok=True)
        png = self.dir / f'{page}-{n}.png'
        alt = explorer_figure(self.data, settings, png)
        return explorer_html(ident, self.data, settings, f'_static/{self.dir.name}/{png.name}', alt)

def to_myst(nb, *, title, subtitle, notebook_file, colab_url, index, nb_links={}, explorer=None):
    "Translate nbdev's processed notebook `nb` (a dict) into the notebook myst-nb renders; `explorer(settings)` gives the HTML of an explorer marker."
    cells = []
    for cell in nb['cells']:
        if 'source' not in cell: continue # hidden by nbdev
        src = _src(cell)
        if cell['cell_type'] == 'raw' and src.lstrip().startswith('---'): continue # Quarto front matter
        if cell['cell_type'] == 'markdown':
            if 'WARNING: THIS FILE WAS AUTOGENERATED' in src: continue
            if explorer is not None and 'class="linreg2p-explorer"' in src:
                if (settings := marker_settings(src, explorer_data()['defaults'])) is not None:
                    cells.append(_md('```{raw} html\n' + explorer(settings) + '\n```')); continue
            cells.append({**cell, 'source': linkify(src, index, nb_links)}); continue
        if cell['cell_type'] != 'code': continue
        opts, code = _directives(src)
        if re.match(r'^show_doc\(', code) and opts.get('output') == 'asis':
            for out in cell.get('outputs', []):
                md = out.get('data', {}).get('text/markdown')
                if md is not None: cells.append(_md(show_doc_md(''.join(md) if isinstance(md, list) else md, index)))
            continue
        if opts.get('include') == 'false': continue
        if opts.get('echo') == 'false': _tags(cell, 'remove-input')
        if opts.get('output') == 'false': _tags(cell, 'remove-output')
        if opts.get('code-fold') in ('true', 'show'): _tags(cell, 'hide-input')
        for out in cell.get('outputs', []): _offline_html(out)
        meta = {k: v for k, v in cell.get('metadata', {}).items() if k in ('tags',)}
        if not code and not cell.get('outputs'): continue
        cells.append({**cell, 'source': code, 'metadata': meta, 'execution_count': None})
    head = [f'# {title}', '']
    if subtitle: head += ['{.subtitle}', linkify(subtitle, index, nb_links), '']
    head += ['{.notebook-links}', f'{{download}}`Download this notebook <{notebook_file}>` · '
             f'[Open in Colab]({colab_url})']
    meta = {k: v for k, v in nb.get('metadata', {}).items() if k in ('kernelspec', 'language_info')}
    return {'cells': [_md('\n'.join(head))] + cells, 'metadata': meta, 'nbformat': 4, 'nbformat_minor': 5}

def front_matter(nb):
    "Title, description and output page name from the Quarto front matter nbdev puts in the first cell."
    import yaml
    for cell in nb['cells']:
        src = _src(cell)
        if cell['cell_type'] == 'raw' and src.lstrip().startswith('---'):
            return yaml.safe_load(src.strip().strip('-')) or {}
    return {}

# ---------------------------------------------------------------- 4. Sphinx
def markdown_copy(nb, title):
    "A page as plain Markdown: its prose and the code a reader sees, without outputs (for tools that read docs as text)."
    parts = [f'# {title}']
    for cell in nb['cells']:
        src = _src(cell).strip()
        if not src or re.match(r'^---\n', src): continue
        if cell['cell_type'] == 'markdown': parts.append(src); continue
        opts, code = _directives(src)
        if cell['cell_type'] != 'code' or opts.keys() & {'hide', 'exporti', 'default_exp'} or not code: continue
        docs = [''.join(o['data']['text/markdown']) for o in cell.get('outputs', []) if 'text/markdown' in o.get('data', {})]
        parts.extend(docs if code.startswith('show_doc(') or 'export' in opts else ['```python\n' + code + '\n```'])
    return '\n\n'.join(parts) + '\n'

def build(out=ROOT / '_docs', nbs=ROOT / 'nbs', quiet=True):
    "Build the site from the notebooks in `nbs` into `out`; returns its path. Raises SystemExit when Sphinx reports a warning or an error."
    t0 = time.time()
    out = Path(out).resolve()
    slug = repo_slug()
    nbs_dir, nbs = Path(nbs), notebooks(nbs)
    with tempfile.TemporaryDirectory(prefix='linreg2p-docs-') as tmp:
        tmp = Path(tmp)
        src, proc = tmp / 'src', tmp / 'proc'
        shutil.copytree(DOCS, src)
        (src / '_static' / 'mathjax').mkdir(parents=True)
        shutil.copy2(mathjax_js(), src / '_static' / 'mathjax')
        (src / 'notebooks').mkdir(); proc.mkdir()
        sys.path.insert(0, str(ROOT))
        modules = [f'linreg2p.{m}' for nb in nbs if (m := default_exp(nb))]
        index = api_index(modules)
        if not any(p.name == 'index.ipynb' for p in nbs): raise SystemExit(f'no index.ipynb in {nbs_dir}: it is the home page')
        processed = []
        for nb_path in nbs:
            process(nb_path, proc / nb_path.name)
            nb = json.loads((proc / nb_path.name).read_text())
            fm = front_matter(nb)
            processed.append((nb_path, nb, fm, Path(fm.get('output-file', nb_path.stem + '.html')).stem))
        # `00_models` written as code in the prose links to that notebook's page
        nb_links = {nb_path.stem: f'{page}.ipynb' for nb_path, _, _, page in processed}
        pages, toc = {}, []
        explorers = Explorers(src / '_static' / 'explorer')
        for nb_path, nb, fm, page in processed:
            if (mod := default_exp(nb_path)): pages[f'linreg2p.{mod}'] = page
            shutil.copy2(nb_path, src / 'notebooks' / nb_path.name)
            try:
                myst = to_myst(nb, title=fm.get('title', nb_path.stem), subtitle=fm.get('description', ''),
                               notebook_file=f'notebooks/{nb_path.name}',
                               colab_url=f'{COLAB}/{slug}/blob/main/nbs/{nb_path.name}', index=index, nb_links=nb_links,
                               explorer=lambda settings, page=page: explorers(page, settings))
            except MarkerError as e: raise SystemExit(f'{nb_path.name}: {e}')
            if page == 'index':
                toc = [p for *_, p in processed if p != 'index'] + ['api']
                myst['cells'].append(_md('```{toctree}\n:hidden:\n:maxdepth: 1\n\n' + '\n'.join(toc) + '\n```'))
            (src / f'{page}.ipynb').write_text(json.dumps(myst, indent=1, ensure_ascii=False))
        (src / 'api.md').write_text(api_page(modules, pages))
        (src / '_site.json').write_text(json.dumps({'repository': f'https://github.com/{slug}'}))
        t1 = time.time()
        from sphinx.cmd.build import build_main
        # Sphinx writes into the temporary folder (myst-nb also puts a scratch folder next to the output);
        # `out` is replaced only by a build without warnings
        html = tmp / 'build' / 'html'
        args = ['-b', 'html', '-W', '--keep-going', '-E', '-d', str(tmp / 'build' / 'doctrees'), str(src), str(html)]
        if quiet: args.insert(0, '-q')
        rc = build_main(args)
        if rc:
            where = ', '.join(f'{page}.ipynb is {nb_path.relative_to(nbs_dir.parent) if nbs_dir.parent in nb_path.parents else nb_path}'
                              for nb_path, _, _, page in processed)
            raise SystemExit(f'Sphinx failed (exit {rc}): see the warnings above ({where})')
        for _, nb, fm, page in processed: # the Markdown twin nbdev's module docstrings link to (`Docs: …/page.html.md`)
            (html / f'{page}.html.md').write_text(markdown_copy(nb, fm.get('title', page)))
        if out.exists(): shutil.rmtree(out)
        shutil.copytree(html, out)
    print(f'built {out} from {len(nbs)} notebooks in {time.time() - t0:.1f} s '
          f'(nbdev processing {t1 - t0:.1f} s, Sphinx {time.time() - t1:.1f} s)')
    return out

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default=str(ROOT / '_docs'), help='where to write the site (default: _docs/)')
    p.add_argument('--nbs', default=str(ROOT / 'nbs'), help='the notebooks (default: nbs/)')
    p.add_argument('-v', '--verbose', action='store_true', help="show Sphinx's progress")
    a = p.parse_args(argv)
    build(a.out, a.nbs, quiet=not a.verbose)
    return 0

if __name__ == '__main__': sys.exit(main())
