"""The documentation site, built once per session by `tools/build_docs.py` and read in a real browser.

Debian's Chromium is driven through Playwright (`executable_path=shutil.which("chromium")`); the site is
served from 127.0.0.1 and every request a page makes is recorded: anything that is not the local server
fails the tests (and fails in the browser, which resolves no host name but the server's, so nothing leaves the
machine). In CI (CI=true) a missing chromium is a failure; elsewhere the browser tests skip with the reason.

Accessibility: axe-core (shipped by the `axe-playwright-python` package) checks every page in the theme's light
and dark colours, and no serious or critical violation is allowed; every image has an alt text that is not a
file name."""
import base64, functools, hashlib, html as html_module, http.server, json, re, shutil, subprocess, sys, threading, time, tomllib
from pathlib import Path
from urllib.parse import urlparse
import numpy as np
import pytest
from conftest import ROOT
pytestmark = pytest.mark.slow # builds the docs site and drives Chromium: left out of the fast tier, `pytest -m "not slow"`

HIDDEN_DIRECTIVES = {'hide', 'export', 'exporti', 'default_exp'}

def _src(cell): return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def _directives(src):
    return {m.group(1): m.group(2).strip() for m in re.finditer(r'^\s*#\|\s*([\w-]+):?(.*)$', src, re.M)}

def _read_notebooks():
    nbs = sorted(p for p in (ROOT / 'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))
    return {p.name: json.loads(p.read_text()) for p in nbs}

def _page_name(nb_name):
    "nbdev's page name for a notebook: 00_models.ipynb -> models."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(nb_name).stem)

def _shown_pngs(nb):
    "sha256 of every PNG the notebook shows to a reader (cells that are not hidden, exported or output-less)."
    out = []
    for cell in nb['cells']:
        if cell['cell_type'] != 'code': continue
        d = _directives(_src(cell))
        if d.keys() & HIDDEN_DIRECTIVES or d.get('include') == 'false' or d.get('output') == 'false': continue
        for o in cell.get('outputs', []):
            png = o.get('data', {}).get('image/png')
            if png: out.append(hashlib.sha256(base64.b64decode(''.join(png))).hexdigest())
    return out

# ------------------------------------------------------------------ building and serving the site
_SNAPSHOT = {}

def _notebooks():
    "The notebooks as they were when the site was built (taken before the build starts)."
    if not _SNAPSHOT: _SNAPSHOT.update(_read_notebooks())
    return _SNAPSHOT

@pytest.fixture(scope='session')
def site(tmp_path_factory):
    "The site, built once per run from the working tree into a temporary folder (not `_docs/`)."
    _SNAPSHOT.clear(); _notebooks()
    out, t = tmp_path_factory.mktemp('site') / 'html', time.time()
    res = subprocess.run([sys.executable, str(ROOT / 'tools' / 'build_docs.py'), '--out', str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    print(f'site built in {time.time() - t:.1f} s: {res.stdout.strip()}')
    return out

@pytest.fixture(scope='session')
def server(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_port}/'
    httpd.shutdown(); httpd.server_close()

class Visit:
    """A page of the site in a browser tab, with every request, failure and console error recorded.

    Tabs are pooled by their options: a new tab starts a renderer process, a navigation in a tab reuses it (measured:
    a page costs 2.3 core-seconds in a new tab, 1.0 in a tab that had shown another page). `Visit.open` gives a tab
    with fresh recorders; `close` gives it back to the pool with the site's storage (a theme choice) cleared, the
    routes the test added removed and about:blank loaded, so nothing of one test reaches the next."""
    _pool = {}

    def __init__(self, browser, base, viewport=(1280, 900), init_script=None, **context_options):
        self.key, self.base = self._key(browser, base, viewport, init_script, **context_options), base
        self._recorders()
        self.ctx = browser.new_context(viewport={'width': viewport[0], 'height': viewport[1]}, **context_options)
        if init_script: self.ctx.add_init_script(init_script)
        self.page = self.ctx.new_page()
        # recorded as they start, not intercepted: interception costs a third of a page's load and turns the cache off;
        # the browser resolves no host but the server's (conftest.CHROMIUM_ARGS), so a request from outside fails there
        self.page.on('request', self._record)
        self.page.on('console', lambda m: self.errors.append(f'console {m.type}: {m.text}') if m.type == 'error' else None)
        self.page.on('pageerror', lambda e: self.errors.append(f'page error: {e}'))
        self.page.on('requestfailed', lambda r: self.failed.append(f'{r.url} ({r.failure})'))
        self.page.on('response', lambda r: self.failed.append(f'{r.url} (HTTP {r.status})') if r.status >= 400 else None)

    @staticmethod
    def _key(browser, base, viewport=(1280, 900), init_script=None, **context_options):
        return id(browser), base, viewport, init_script, tuple(sorted(context_options.items()))

    @classmethod
    def open(cls, browser, base, **options):
        "A tab with these options from the pool (or a new one), its recorders empty."
        free = cls._pool.get(cls._key(browser, base, **options))
        if not free: return cls(browser, base, **options)
        v = free.pop()
        v._recorders()
        return v

    def _recorders(self): # new lists: a test may still read the ones of its visit after closing it
        self.requests, self.external, self.failed, self.errors = [], [], [], []

    def _record(self, request):
        url = request.url
        if url == 'about:blank': return
        self.requests.append(url)
        if not (url.startswith(self.base) or urlparse(url).scheme in ('data', 'blob', 'about')): self.external.append(url)

    def goto(self, path): # loaded, then the network quiet for half a second: late requests are recorded too
        self.page.goto(self.base + path, wait_until='load')
        self.page.wait_for_load_state('networkidle')
        return self.page

    def close(self):
        "Back to the pool: the site's storage cleared, the test's routes removed, its page's scripts stopped."
        if self.page.url.startswith(self.base): self.page.evaluate('localStorage.clear(); sessionStorage.clear()')
        self.page.unroute_all()
        self.page.goto('about:blank')
        self._pool.setdefault(self.key, []).append(self)

@pytest.fixture(scope='session')
def site_pass(site, server, browser):
    """Every page of the site loaded once, in the light theme as a returning reader's choice gets it, and the search page
    once more with a query: first what the page requested, what failed, its images and its text are recorded (the
    visits), then axe-core checks it in both themes (the accessibility pass, below). One load serves both: a page
    costs about a core-second to load. ({page name: visit}, {path: violations, or the error that stopped the pass})"""
    visits, a11y = {}, {}
    for path in sorted(p.name for p in site.glob('*.html')) + [p for p in A11Y_PAGES if '?' in p]:
        v, page = _themed_visit(browser, server, path, THEMES[0])
        if '?' not in path: visits[path.removesuffix('.html')] = _record_visit(v, page)
        try: a11y[path] = _accessibility_pass(page, path)
        except Exception as e: a11y[path] = e # reported by that page's test, not by every test of the visits
        v.close()
    return visits, a11y

@pytest.fixture(scope='session')
def visits(site_pass):
    "Every HTML page of the site, visited once: what it requested, what failed, its images and its text."
    return site_pass[0]

def _record_visit(v, page):
    "What the page `v` shows requested and failed as it loaded, its images (all loaded first), alt texts, code, text and links."
    page.evaluate("() => document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=15000)
    return dict( # the recorders as they are now: what the accessibility pass does next is not the page's loading
        requests=list(v.requests), external=list(v.external), failed=list(v.failed), errors=list(v.errors),
        images=page.evaluate("() => Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth])"),
        alts=page.evaluate("() => Array.from(document.images).map(i => [i.getAttribute('src'), i.getAttribute('alt')])"),
        cell_inputs=page.evaluate("() => Array.from(document.querySelectorAll('div.cell_input')).map(e => e.innerText)"),
        text=page.evaluate("() => (document.querySelector('article') || document.body).innerText"),
        links=page.evaluate("() => Array.from(document.querySelectorAll('article a')).map(a => [a.innerText.trim(), a.getAttribute('href'), a.className])"),
    )

# ------------------------------------------------------------------ the tests
def test_every_notebook_has_a_page(site):
    pages = {p.stem for p in site.glob('*.html')}
    for name in _notebooks(): assert _page_name(name) in pages, f'{name} has no page'
    assert {'api', 'search', 'genindex'} <= pages

def test_pages_load_cleanly(visits):
    "No console error, no failed request and no request leaving the site, on every page."
    assert len(visits) >= len(_notebooks()) + 2
    for name, v in visits.items():
        assert v['requests'], name
        assert not v['errors'], (name, v['errors'])
        assert not v['failed'], (name, v['failed'])
        assert not v['external'], (name, v['external'])

def test_request_recorder_catches_external_requests(browser, server):
    "The check above is not vacuous: a page asking for an outside image and script is caught, and neither request leaves the browser."
    outside = ['https://example.com/x.png', 'https://cdn.jsdelivr.net/npm/a.js']
    v = Visit.open(browser, server)
    v.page.route(server + 'probe.html', lambda r: r.fulfill(
        content_type='text/html', body=f'<img src="{outside[0]}"><script src="{outside[1]}"></script>'))
    v.goto('probe.html')
    v.close()
    assert v.external == outside, v.external
    assert sorted(v.failed) == sorted(f'{url} (net::ERR_NAME_NOT_RESOLVED)' for url in outside), v.failed

def test_no_resource_from_outside_in_the_html(site):
    "Static check of every page and stylesheet: scripts, styles, fonts and images all come from the site."
    bad = re.compile(r'''(?:<script[^>]+src|<link[^>]+href|<img[^>]+src|<iframe[^>]+src)=["']?(?:https?:)?//''', re.I)
    css_url = re.compile(r'''(?:url\(|@import\s+)["']?(?:https?:)?//''', re.I)
    for f in site.rglob('*.html'):
        for tag in re.findall(r'<(?:script|link|img|iframe)\b[^>]*>', f.read_text(errors='replace'), re.I):
            if tag.lower().startswith('<link') and not re.search(r'rel=["\']?(stylesheet|preload|icon|modulepreload)', tag, re.I): continue
            assert not bad.search(tag), (f.name, tag)
    for f in site.rglob('*.css'): assert not css_url.search(f.read_text(errors='replace')), f

def test_every_image_loaded_and_every_figure_shown(visits):
    for name, v in visits.items():
        for src, width in v['images']: assert width > 0, (name, src)
    nbs = _notebooks()
    for nb_name, nb in nbs.items():
        page = _page_name(nb_name)
        shown = [s for s, _ in visits[page]['images'] if '_images/' in s]
        assert len(shown) >= len(_shown_pngs(nb)), (page, len(shown), len(_shown_pngs(nb)))

def test_figures_are_the_notebooks_own(site):
    "The lab page serves exactly the PNGs its notebook shows, in the same order."
    html = (site / 'models.html').read_text()
    served = [hashlib.sha256((site / s).read_bytes()).hexdigest() for s in re.findall(r'<img[^>]+src="(_images/[^"]+)"', html)]
    assert served == _shown_pngs(_notebooks()['00_models.ipynb'])

def test_lab_page_shows_the_loss_surface(browser, server, tmp_path):
    v = Visit.open(browser, server)
    page = v.goto('models.html')
    section = page.locator('section#the-loss-surface')
    img = section.locator('div.cell_output img').first
    img.scroll_into_view_if_needed()
    assert img.is_visible()
    assert img.evaluate('i => i.naturalWidth') > 300
    # the first figure of the section is the surface drawn by the cell that builds it
    cell = section.locator('div.cell', has=page.locator('div.cell_output img')).first
    assert 'plot_error_surfaces(' in cell.locator('div.cell_input').inner_text()
    shot = tmp_path / 'lab-page.png'
    page.screenshot(path=str(shot), full_page=True)
    print(f'full-page screenshot of the lab page: {shot}')
    assert shot.stat().st_size > 100_000
    v.close()
    assert not v.errors and not v.failed and not v.external

def test_hidden_and_exported_code_never_shown(visits):
    "No `#|` line on any page; no `#| hide` or `#| export` cell appears as code."
    for name, v in visits.items(): assert '#|' not in v['text'], name
    norm = lambda s: re.sub(r'\s+', ' ', s).strip()
    for nb_name, nb in _notebooks().items():
        shown = [norm(t) for t in visits[_page_name(nb_name)]['cell_inputs']]
        assert shown or nb_name == 'index.ipynb' or not any(c['cell_type'] == 'code' for c in nb['cells'])
        for cell in nb['cells']:
            src = _src(cell)
            if cell['cell_type'] != 'code' or not (_directives(src).keys() & HIDDEN_DIRECTIVES): continue
            code = norm('\n'.join(l for l in src.splitlines() if not l.lstrip().startswith('#|')))
            if code: assert not any(code in s for s in shown), (nb_name, code[:80])

def test_practice_solution_collapsed_until_opened(browser, server):
    nb = _notebooks()['00_models.ipynb']
    practice = [c for c in nb['cells'] if 'hide-input' in c.get('metadata', {}).get('tags', [])]
    assert practice, 'the practice cell lost its hide-input tag'
    first_line = _src(practice[0]).splitlines()[0].strip()
    v = Visit.open(browser, server)
    page = v.goto('models.html')
    box = page.locator('details.hide', has_text=first_line)
    code = box.locator('div.cell_input')
    assert box.count() == 1 and not code.is_visible()
    box.locator('summary').click()
    code.wait_for(state='visible')
    assert first_line in code.inner_text()
    v.close()

def _repo_slug():
    url = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['urls']['Repository']
    return urlparse(url).path.strip('/').removesuffix('.git')

def test_download_and_colab_links(site, visits):
    "Each notebook's page links to the notebook itself (hidden cells and all) and opens it in Colab."
    slug = _repo_slug()
    for nb_name, nb in _notebooks().items():
        links = visits[_page_name(nb_name)]['links']
        colab = [href for text, href, _ in links if text == 'Open in Colab']
        assert colab == [f'https://colab.research.google.com/github/{slug}/blob/main/nbs/{nb_name}'], (nb_name, colab)
        download = [href for _, href, cls in links if 'download' in cls.split()]
        assert len(download) == 1 and download[0].endswith('/' + nb_name), (nb_name, download)
        cells = lambda nb: [(c['cell_type'], _src(c)) for c in nb['cells']]
        assert cells(json.loads((site / download[0]).read_text())) == cells(nb)

def _exported():
    "(module, name) for every name a notebook exports."
    import importlib
    out = []
    for nb in _notebooks().values():
        for cell in nb['cells']:
            if cell['cell_type'] == 'code' and (m := re.search(r'^\s*#\|\s*default_exp\s+(\S+)', _src(cell), re.M)):
                mod = importlib.import_module(f'linreg2p.{m.group(1)}')
                out += [(mod.__name__, n) for n in getattr(mod, '__all__', [])]
                break
    return out

def test_api_reference_has_every_exported_name(browser, server):
    names = _exported()
    assert ('linreg2p.models', 'plot_error_surfaces') in names
    v = Visit.open(browser, server)
    page = v.goto('api.html')
    # every entry's id and the text shown under it, read in one call (a call per entry costs the page's round trips)
    entries = page.evaluate("""() => Array.from(document.querySelectorAll('dt[id]')).map(dt => {
        const dd = dt.nextElementSibling; return [dt.id, dd && dd.tagName === 'DD' ? dd.innerText : null]; })""")
    v.close()
    ids = [i for i, _ in entries]
    shown_under = dict(entries)
    import importlib
    for mod, name in names:
        assert ids.count(f'{mod}.{name}') == 1, f'{mod}.{name} has no API entry'
        obj = getattr(importlib.import_module(mod), name)
        doc = ' '.join((obj.__doc__ or '').split()).replace('`', '')
        shown = ' '.join((shown_under[f'{mod}.{name}'] or '').split()).replace('’', "'").replace('‘', "'").replace('“', '"').replace('”', '"')
        if doc: assert doc in shown, (name, doc)
    # parameters documented from the docments, e.g. make_data's seed
    assert 'seed' in shown_under['linreg2p.models.make_data'] and 'private generator' in shown_under['linreg2p.models.make_data']

def test_prose_links_to_api_entries(browser, server):
    v = Visit.open(browser, server)
    page = v.goto('models.html')
    link = page.locator('article p a[href="api.html#linreg2p.models.make_data"]').first
    assert link.inner_text() == 'make_data'
    link.click()
    page.wait_for_url('**/api.html#linreg2p.models.make_data')
    assert page.locator('dt[id="linreg2p.models.make_data"]').is_visible()
    v.close()

def test_search_leads_to_api_entry(browser, server):
    v = Visit.open(browser, server)
    page = v.goto('search.html?q=plot_error_surfaces')
    first = page.locator('#search-results ul.search li a').first
    first.wait_for(timeout=15000)
    assert first.get_attribute('href').endswith('api.html#linreg2p.models.plot_error_surfaces')
    first.click()
    page.wait_for_url('**/api.html#linreg2p.models.plot_error_surfaces')
    entry = page.locator('dt[id="linreg2p.models.plot_error_surfaces"]')
    assert entry.is_visible() and 'plot_error_surfaces' in entry.inner_text()
    assert entry.evaluate('e => e.getBoundingClientRect().top') < 900 # scrolled to it
    v.close()
    assert not v.errors and not v.failed and not v.external

def test_math_rendered_offline(browser, server):
    "The lab's $$...$$ formulas are typeset by the MathJax copy inside the site."
    v = Visit.open(browser, server)
    page = v.goto('models.html')
    page.wait_for_selector('mjx-container svg', timeout=15000)
    assert page.locator('mjx-container[display="true"]').count() >= 1
    assert any(urlparse(u).path.startswith('/_static/mathjax/') for u in v.requests)
    v.close()
    assert not v.errors and not v.failed and not v.external

def _build_from(tmp_path, notebooks):
    "Build a site from the repository's index.ipynb and `notebooks` ({file name: notebook dict}); the output folder and the finished build."
    nbs = tmp_path / 'nbs'; nbs.mkdir()
    shutil.copy(ROOT / 'nbs' / 'index.ipynb', nbs)
    for name, nb in notebooks.items(): (nbs / name).write_text(json.dumps(nb))
    out = tmp_path / 'site'
    return out, subprocess.run([sys.executable, str(ROOT / 'tools' / 'build_docs.py'), '--nbs', str(nbs), '--out', str(out)],
                               cwd=ROOT, capture_output=True, text=True, timeout=300)

def test_build_fails_on_a_warning(tmp_path):
    """A broken cross-reference is a Sphinx warning, and a warning fails the build without touching the output folder;
    so does a figure for which no alt text can be found (no metadata, no comment, no prose before it)."""
    broken = _notebook([_md_cell('# Broken\n> a page with a broken link'), _md_cell('See {doc}`no-such-page` for more.')])
    mute = _notebook([_md_cell('# Mute'), _png_cell('plt.plot([1, 2])', _png((200, 0, 0)))]) # no subtitle, no prose
    out, res = _build_from(tmp_path, {'01_broken.ipynb': broken, '02_mute.ipynb': mute})
    assert res.returncode != 0
    assert 'no-such-page' in res.stdout + res.stderr
    assert 'no alt text' in res.stdout + res.stderr
    assert not out.exists()

# ------------------------------------------------------------------ the explorer (gradient descent in the page)
# The build puts an explorer where a notebook's markdown cell is `<div class="linreg2p-explorer"></div>`; the page
# runs gradient descent from the data's five moments, which the build exports from linreg2p. The reference
# runs below are `train_model` on the data in float64 (`X.double()`), so float32 rounding of the lab's own
# training is not part of the comparison: what is compared is the page's arithmetic against the library's.

def _build_docs():
    import importlib.util
    spec = importlib.util.spec_from_file_location('build_docs', ROOT / 'tools' / 'build_docs.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod

@functools.lru_cache(maxsize=1)
def _lab64():
    from linreg2p.models import make_data
    X, _, Y = make_data(seed=0)
    return X.double(), Y.double()

def _train64(lr, steps, w, b):
    import warnings
    from linreg2p.models import train_model
    X, Y = _lab64()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning) # past the stability bound train_model warns; the page says so too
        return train_model(X, Y, w=w, b=b, lr=lr, iters=steps)

def _markers():
    "(notebook, heading above the marker, settings) for every explorer marker in the notebooks."
    bd, out = _build_docs(), []
    defaults = bd.explorer_data()['defaults']
    for nb_name, nb in _notebooks().items():
        heading = None
        for cell in nb['cells']:
            if cell['cell_type'] != 'markdown': continue
            src = _src(cell)
            if (settings := bd.marker_settings(src, defaults)) is not None: out.append((nb_name, heading, settings))
            for line in src.splitlines():
                if (m := re.match(r'^#{1,6}\s+(.*)$', line)): heading = m.group(1).strip()
    return out

EXPLORER = '.linreg2p-explorer[data-ready]'

def _run(page, n=0):
    return page.locator(EXPLORER).nth(n).evaluate('e => ({w: e.linreg2pRun.w, b: e.linreg2pRun.b, loss: e.linreg2pRun.loss})')

def _set(page, settings, n=0):
    "Move the sliders of explorer `n` to `settings` (lr, steps, w, b), each with a real input event."
    ex = page.locator(EXPLORER).nth(n)
    for key in ('lr', 'steps', 'w', 'b'):
        if key in settings: ex.locator(f'input[name="{key}"]').fill(f'{settings[key]:g}')
    return ex

def _close(got, hist, tol=1e-6):
    "Every state (w, b, loss) within `tol`, relative for numbers beyond 1 (a diverging run's loss reaches 1e10)."
    ref = np.c_[hist.w, hist.b, hist.loss]
    got = np.c_[got['w'], got['b'], got['loss']]
    assert got.shape == ref.shape, (got.shape, ref.shape)
    err = np.abs(got - ref) / np.maximum(1, np.abs(ref))
    assert err.max() <= tol, (err.max(), np.unravel_index(err.argmax(), err.shape))

def test_explorer_data_is_the_librarys():
    "The exported numbers are linreg2p's, and they are the lab's data: checked against numpy on the data itself."
    from linreg2p.models import make_data, Moments
    from linreg2p.analysis import max_stable_lr
    d = _build_docs().explorer_data()
    X, _, Y = make_data(seed=0)
    m = Moments.of(X, Y)
    assert d['moments'] == {k: getattr(m, k) for k in ('mean_x', 'mean_y', 'var_x', 'slope', 'floor')}
    assert d['bound'] == max_stable_lr(X) and d['defaults'] == {'lr': 0.1, 'steps': 15, 'w': -15.0, 'b': -10.0}
    x, y = X.double().numpy().ravel(), Y.double().numpy().ravel()
    slope, bias = np.polyfit(x, y, 1)
    np.testing.assert_allclose([d['moments']['mean_x'], d['moments']['mean_y'], d['moments']['var_x'], d['moments']['slope']],
                               [x.mean(), y.mean(), x.var(), slope], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d['moments']['floor'], np.mean((y - slope * x - bias) ** 2), rtol=1e-9)
    H = 2 * np.array([[np.mean(x * x), x.mean()], [x.mean(), 1]])
    np.testing.assert_allclose(d['bound'], 2 / np.linalg.eigvalsh(H).max(), rtol=1e-12)

def test_explorer_marker_is_checked():
    "A marker's attributes become the sliders' starting values; a bad one stops the build with its name and value."
    bd = _build_docs()
    defaults = {'lr': 0.1, 'steps': 15, 'w': -15.0, 'b': -10.0}
    assert bd.marker_settings('Some prose about the explorer.', defaults) is None
    assert bd.marker_settings('<div class="linreg2p-explorer"></div>\n', defaults) == defaults
    assert bd.marker_settings('<div class="linreg2p-explorer" data-lr="0.33" data-steps="40" data-w="2.5"></div>', defaults) == \
        {'lr': 0.33, 'steps': 40, 'w': 2.5, 'b': -10.0}
    for bad, words in [('data-lr="0.7"', ['data-lr', "'0.7'"]), ('data-lr="0.333"', ['data-lr', 'steps of 0.01']),
                       ('data-steps="ten"', ['data-steps', "'ten'"]), ('data-w="16"', ['data-w', "'16'"]),
                       ('data-speed="2"', ['data-speed', 'data-lr'])]:
        with pytest.raises(ValueError) as e: bd.marker_settings(f'<div class="linreg2p-explorer" {bad}></div>', defaults)
        assert all(w in str(e.value) for w in words), (bad, str(e.value))
    with pytest.raises(ValueError, match='alone in its markdown cell'):
        bd.marker_settings('Try it: <div class="linreg2p-explorer"></div>', defaults)

def test_explorer_bad_marker_fails_the_build(tmp_path):
    "A marker the build cannot use stops it with one line naming the notebook, the attribute and the value."
    nb = _notebook([_md_cell('# Explorer\n> a page with a bad marker'), _md_cell('<div class="linreg2p-explorer" data-lr="0.5"></div>')])
    out, res = _build_from(tmp_path, {'01_marker.ipynb': nb})
    assert res.returncode != 0 and not out.exists()
    assert "01_marker.ipynb: data-lr must be a number from 0.01 to 0.4 in steps of 0.01, got '0.5'" in res.stderr
    assert 'Traceback' not in res.stderr

def test_explorer_on_the_lab_and_analysis_pages(site):
    "One explorer per marker, where the marker is; its script and styles only on those pages; a static figure for each."
    markers = _markers()
    assert {_page_name(nb) for nb, _, _ in markers} >= {'models', 'analysis'}
    for html_file in sorted(site.glob('*.html')):
        page = html_file.read_text()
        found = re.findall(r'<div class="linreg2p-explorer"[^>]*data-explorer="([^"]*)"', page)
        expected = [s for nb, _, s in markers if _page_name(nb) == html_file.stem]
        assert [json.loads(html_module.unescape(f))['start'] for f in found] == expected, html_file.name
        assert ('linreg2p-explorer.js' in page) == bool(expected), html_file.name
        for n in range(1, len(expected) + 1):
            png = site / '_static' / 'explorer' / f'{html_file.stem}-{n}.png'
            assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and f'src="_static/explorer/{png.name}"' in page

def test_explorer_sits_under_its_heading(browser, server):
    v = Visit.open(browser, server)
    for nb, heading, _ in _markers():
        page = v.goto(f'{_page_name(nb)}.html')
        page.wait_for_selector(EXPLORER)
        shown = page.locator(EXPLORER).evaluate_all(
            "es => es.map(e => e.closest('section').querySelector('h1, h2, h3, h4').innerText)")
        norm = lambda s: re.sub(r'[#¶\s]+$', '', re.sub(r'`', '', s)).strip()
        assert norm(heading) in [norm(s) for s in shown], (nb, heading, shown)
    v.close()
    assert not v.errors and not v.failed and not v.external

SETTINGS = [dict(lr=0.1, steps=15, w=-15.0, b=-10.0), dict(lr=0.2, steps=15, w=-15.0, b=-10.0),
            dict(lr=0.33, steps=40, w=5.0, b=12.5), dict(lr=0.34, steps=15, w=-15.0, b=-10.0),
            dict(lr=0.05, steps=100, w=10.0, b=-15.0), dict(lr=0.4, steps=30, w=-2.5, b=7.0)]

def test_explorer_path_is_train_models_history(browser, server):
    "At each setting the page's run equals `train_model`'s History (float64 data) within 1e-6, and the dots drawn are those states."
    v = Visit.open(browser, server)
    page = v.goto('models.html')
    page.wait_for_selector(EXPLORER)
    from conftest import np_descent
    X, Y = _lab64()
    for s in SETTINGS:
        ex = _set(page, s)
        got = _run(page)
        _close(got, _train64(**s))
        # and an independent reference: the hand-derived gradient in numpy
        ref = np_descent(X.numpy().ravel(), Y.numpy().ravel(), s['w'], s['b'], s['lr'], s['steps'])
        np.testing.assert_allclose(np.c_[got['w'], got['b']], ref, rtol=0, atol=1e-6)
        # what is drawn: every state inside the map as a dot at its (w, b), the loss line with one point per state
        frame = ex.evaluate('e => e.linreg2pFrame')
        box, left, top, size = frame['box'], frame['left'], frame['top'], frame['size']
        dots = ex.locator('circle.lx-dot:not([display="none"])').evaluate_all(
            'cs => cs.map(c => [+c.dataset.step, +c.getAttribute("cx"), +c.getAttribute("cy")])')
        inside = [k for k, (w, b) in enumerate(zip(got['w'], got['b'])) if box['w0'] <= w <= box['w1'] and box['b0'] <= b <= box['b1']]
        assert [k for k, _, _ in dots] == inside and inside[0] == 0
        for k, cx, cy in dots:
            w = box['w0'] + (cx - left) / size * (box['w1'] - box['w0'])
            b = box['b1'] - (cy - top) / size * (box['b1'] - box['b0'])
            assert abs(w - got['w'][k]) < 1e-3 and abs(b - got['b'][k]) < 1e-3, (s, k, w, b)
        assert len(ex.locator('polyline.lx-loss').get_attribute('points').split()) == s['steps'] + 1
    v.close()
    assert not v.errors and not v.failed and not v.external

def test_explorer_start_is_the_markers(browser, server):
    "Each explorer opens with the run its marker asks for (the analysis page's starts near the bound)."
    v = Visit.open(browser, server)
    by_page = {}
    for nb, _, s in _markers(): by_page.setdefault(_page_name(nb), []).append(s)
    for name, starts in by_page.items():
        page = v.goto(f'{name}.html')
        page.wait_for_selector(EXPLORER)
        assert page.locator(EXPLORER).count() == len(starts)
        for n, s in enumerate(starts): _close(_run(page, n), _train64(**s))
    v.close()
    assert not v.errors and not v.failed and not v.external

def test_explorer_each_slider_moves_the_path_from_the_keyboard(browser, server):
    "Every slider is labelled, works with the arrow keys, shows its focus, and changes the path drawn."
    v = Visit.open(browser, server)
    page = v.goto('models.html')
    ex = page.locator(EXPLORER).first
    ex.wait_for()
    for key, step in (('lr', 0.01), ('steps', 1), ('w', 0.5), ('b', 0.5)):
        slider = ex.locator(f'input[name="{key}"]')
        label = ex.locator(f'label[for="{slider.get_attribute("id")}"]')
        assert label.is_visible() and label.inner_text().strip()
        before, d_before, value = _run(page), ex.locator('path.lx-path').get_attribute('d'), float(slider.input_value())
        slider.focus()
        page.keyboard.press('ArrowRight')
        assert float(slider.input_value()) == pytest.approx(value + step)
        assert slider.evaluate("e => e.matches(':focus-visible') && getComputedStyle(e).outlineStyle !== 'none' && parseFloat(getComputedStyle(e).outlineWidth) >= 2")
        after = _run(page)
        assert after != before and ex.locator('path.lx-path').get_attribute('d') != d_before, key
        s = {'lr': 0.1, 'steps': 15, 'w': -15.0, 'b': -10.0}
        s = {k: float(ex.locator(f'input[name="{k}"]').input_value()) for k in s}
        s['steps'] = int(s['steps'])
        _close(after, _train64(**s))
        page.keyboard.press('ArrowLeft')
    ex.locator('button.lx-reset').click()
    _close(_run(page), _train64(0.1, 15, -15.0, -10.0))
    v.close()
    assert not v.errors and not v.failed and not v.external

def test_explorer_lr_past_the_bound_diverges_and_the_mark_is_at_the_bound(browser, server):
    "0.1 converges with no warning; 0.34 shows the divergence message; the mark sits where the slider puts 2/λmax."
    from linreg2p.analysis import max_stable_lr
    from linreg2p.models import make_data
    bound = max_stable_lr(make_data(seed=0)[0])
    v = Visit.open(browser, server)
    page = v.goto('models.html')
    ex = page.locator(EXPLORER).first
    ex.wait_for()
    msg, slider, mark = ex.locator('.lx-diverge'), ex.locator('input[name="lr"]'), ex.locator('.lx-bound-mark')
    assert slider.input_value() == '0.1' and not msg.is_visible()
    _set(page, {'lr': 0.34})
    assert msg.is_visible() and 'diverges' in msg.inner_text() and f'{bound:.3f}' in msg.inner_text()
    run = _run(page)
    assert run['loss'][-1] > run['loss'][0] # it does diverge
    _set(page, {'lr': 0.33})
    assert not msg.is_visible()
    # the mark's centre is 2/λmax on the slider's scale: the thumb travels from half its width to width − half
    sl, mk = slider.bounding_box(), mark.bounding_box()
    lo, hi, thumb = float(slider.get_attribute('min')), float(slider.get_attribute('max')), 18
    expected = sl['x'] + thumb / 2 + (bound - lo) / (hi - lo) * (sl['width'] - thumb)
    assert abs(mk['x'] + mk['width'] / 2 - expected) < 1, (mk, expected)
    # and Chromium agrees: a click on the mark gives the step nearest the bound, a click one step right gives 0.34
    px_per_step = (sl['width'] - thumb) * 0.01 / (hi - lo)
    y = sl['y'] + sl['height'] / 2
    page.mouse.click(expected, y)
    assert slider.input_value() == '0.33' and not msg.is_visible()
    page.mouse.click(expected + px_per_step, y)
    assert slider.input_value() == '0.34' and msg.is_visible()
    assert 'stability bound' in ex.locator('.lx-bound-label').inner_text()
    v.close()
    assert not v.errors and not v.failed and not v.external

def _luminance(rgb):
    c = [x / 255 for x in rgb]
    c = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

def _contrast(a, b):
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)

def _rgb(css):
    m = re.match(r'rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?\)', css)
    assert m and (m.group(4) is None or float(m.group(4)) == 1), css # opaque colours only
    return tuple(int(m.group(i)) for i in (1, 2, 3))

def test_explorer_colours_meet_wcag_aa_in_both_themes(browser, server):
    "Text 4.5:1 and lines, marks and focus rings 3:1 against the explorer's background, in the light and the dark theme."
    v = Visit.open(browser, server)
    page = v.goto('models.html')
    ex = page.locator(EXPLORER).first
    ex.wait_for()
    _set(page, {'lr': 0.34})
    backgrounds = set()
    for theme in ('light', 'dark'):
        page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        style = lambda sel, prop: _rgb(ex.locator(sel).first.evaluate('(e, p) => getComputedStyle(e)[p]', prop))
        bg = style(':scope', 'backgroundColor')
        backgrounds.add(bg)
        text = [('label', 'color'), ('output', 'color'), ('p.lx-status', 'color'), ('.lx-bound-label', 'color'),
                ('text.lx-tick', 'fill'), ('text.lx-axis-label', 'fill')]
        marks = [('path.lx-path', 'stroke'), ('polyline.lx-loss', 'stroke'), ('path.lx-contour', 'stroke'),
                 ('.lx-bound-mark', 'backgroundColor'), ('rect.lx-start', 'stroke'), ('rect.lx-frame', 'stroke'),
                 ('input[name="lr"]', 'outlineColor')]
        for sel, prop in text: assert _contrast(style(sel, prop), bg) >= 4.5, (theme, sel, style(sel, prop), bg)
        for sel, prop in marks: assert _contrast(style(sel, prop), bg) >= 3, (theme, sel, style(sel, prop), bg)
        msg_bg = style('.lx-diverge', 'backgroundColor')
        assert _contrast(style('.lx-diverge', 'color'), msg_bg) >= 4.5, theme
    assert len(backgrounds) == 2 # the dark theme did change the colours
    v.close()
    assert not v.errors and not v.failed and not v.external

def test_explorer_without_javascript_shows_the_static_figure(browser, server):
    v = Visit.open(browser, server, java_script_enabled=False)
    for nb, _, s in _markers():
        page = v.goto(f'{_page_name(nb)}.html')
        ex = page.locator('.linreg2p-explorer').first
        img = ex.locator('img.lx-static')
        img.scroll_into_view_if_needed()
        assert img.is_visible() and img.evaluate('i => i.complete && i.naturalWidth') > 400
        assert f"learning rate {s['lr']:g}" in img.get_attribute('alt')
        assert ex.locator('input, button, svg').count() >= 5 # present in the page, but none shown
        for el in ex.locator('input, button, svg, .lx-diverge, .lx-status').all(): assert not el.is_visible()
    v.close()
    # with JavaScript off, Chromium refuses the theme's preloaded scripts: the only failures allowed
    assert all(re.search(r'\.js(\?[^ ]*)? \(csp\)$', f) for f in v.failed), v.failed
    assert not v.errors and not v.external
    # with JavaScript on, the static figure is never fetched
    v = Visit.open(browser, server)
    v.goto('models.html').wait_for_selector(EXPLORER)
    v.close()
    assert not any('/_static/explorer/' in u for u in v.requests)

def test_module_docstrings_link_to_pages_the_site_has(site):
    "nbdev ends each module docstring with `Docs: <site>/<page>.html.md`: the site serves that page."
    import ast
    doc_url = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['urls']['Documentation']
    links = {}
    for path in sorted((ROOT / 'linreg2p').glob('*.py')):
        for url in re.findall(r'Docs: (\S+)', ast.get_docstring(ast.parse(path.read_text())) or ''): links[path.name] = url
    assert {'models.py', 'core.py', 'figures.py', 'analysis.py'} <= set(links)
    for name, url in links.items():
        assert url.startswith(doc_url), (name, url)
        page = site / url[len(doc_url):]
        assert page.is_file(), f'{name} links to {url}, which the site does not have'
        assert page.read_text().startswith('# ') and len(page.read_text()) > 500

# ------------------------------------------------------------------ accessibility
A11Y_IMPACTS = ('serious', 'critical')
THEMES = ('light', 'dark')
BACKGROUND = {'light': 'rgb(255, 255, 255)', 'dark': 'rgb(18, 18, 18)'} # sphinx-book-theme's page background

# axe-core's colour-contrast rule is about 85 % of its time on a page (api.html: 7.2 of 8.6 s), and it works
# element by element: 4,238 elements hold text there, in 28 distinct colour contexts. Its verdict on an element
# depends on the text's colour, size, weight, shadow and opacity and on what is painted under it: the backgrounds,
# opacities, filters and blending of its ancestors, and any positioned box. So the rule is given one element per
# distinct context (the first one shown) and every form control; every other rule sees the whole page.
# `test_contrast_sample_finds_what_the_whole_page_check_finds` checks the sample against the rule run on every element.
CONTRAST_SAMPLE = """() => {
    const painted = s => s.backgroundColor !== 'rgba(0, 0, 0, 0)' || s.backgroundImage !== 'none' || s.opacity !== '1'
        || s.filter !== 'none' || s.mixBlendMode !== 'normal' || s.backdropFilter !== 'none' || s.position !== 'static';
    document.querySelectorAll('[data-contrast-sample]').forEach(e => e.removeAttribute('data-contrast-sample'));
    document.querySelectorAll('input, select, textarea, button').forEach(e => e.setAttribute('data-contrast-sample', ''));
    const seen = new Set();
    let texts = 0;
    for (const el of document.body.querySelectorAll('*')) {
        if (![...el.childNodes].some(c => c.nodeType === 3 && c.data.trim()) || !el.checkVisibility({visibilityProperty: true})) continue;
        texts++;
        const s = getComputedStyle(el);
        const key = [el.tagName, s.color, s.webkitTextFillColor, s.fontSize, s.fontWeight, s.textShadow, s.webkitTextStrokeWidth,
                     s.opacity, s.position, s.clip, s.clipPath, !!el.closest('[disabled], [aria-disabled="true"]')];
        for (let a = el.parentElement; a; a = a.parentElement) {
            const t = getComputedStyle(a);
            if (painted(t)) key.push([t.backgroundColor, t.backgroundImage, t.opacity, t.filter, t.mixBlendMode, t.backdropFilter, t.position].join(' '));
        }
        const k = JSON.stringify(key);
        if (!seen.has(k)) { seen.add(k); el.setAttribute('data-contrast-sample', ''); }
    }
    return {texts, contexts: seen.size};
}"""

def axe_violations(page, sample=True):
    """Serious and critical axe-core violations on `page` as it is shown: one (rule, impact, target, why) row per element.
    `sample`: the colour-contrast rule checks one element per colour context (above), not every element."""
    from axe_playwright_python.sync_playwright import Axe
    page.evaluate(Axe().axe_script)
    if sample:
        page.evaluate(CONTRAST_SAMPLE)
        page.evaluate("axe.configure({rules: [{id: 'color-contrast', selector: '[data-contrast-sample]'}]})")
    res = page.evaluate("axe.run({resultTypes: ['violations']})")
    return [(v['id'], v['impact'], ' '.join(map(str, n['target'])), ' '.join(n.get('failureSummary', '').split())[:240])
            for v in res['violations'] if v['impact'] in A11Y_IMPACTS for n in v['nodes']]

def _themed_visit(browser, server, path, theme):
    "A page opened in `theme` the way a returning reader gets it: the theme switcher's choice is in localStorage before the page loads."
    v = Visit.open(browser, server, init_script=f"localStorage.setItem('mode', '{theme}'); localStorage.setItem('theme', '{theme}');")
    return v, v.goto(path)

def _check_theme(page, path, theme):
    "The page shows `theme`: its root element says so and the body has the theme's background."
    assert page.evaluate('document.documentElement.dataset.theme') == theme, (path, theme)
    assert page.evaluate('getComputedStyle(document.body).backgroundColor') == BACKGROUND[theme], (path, theme)

def _faded_in(page):
    """Wait until every running animation (a fade, a theme's colour transition) has ended: measure the colours it ends
    with. A transition the page cancels (a newer one takes its place) rejects its promise: wait for the newer one."""
    page.evaluate("""async () => {
        for (let left = document.getAnimations(); left.length; left = document.getAnimations().filter(a => a.playState !== 'finished'))
            await Promise.allSettled(left.map(a => a.finished));
    }""")

# every page of the site (one per notebook, and Sphinx's own), and the search page with results (their words highlighted)
A11Y_PAGES = sorted(f'{_page_name(n)}.html' for n in _read_notebooks()) + ['api.html', 'genindex.html', 'py-modindex.html',
                                                                         'search.html', 'search.html?q=learning+rate']

def _switch_theme(page, theme):
    "Pick `theme` in the navbar's colour-mode menu, as a reader does, and wait until the page has faded to its colours."
    page.click('.theme-switch-button')
    page.click(f'.theme-change-button[data-mode="{theme}"]')
    page.mouse.move(0, 0) # no tooltip left under the pointer
    page.wait_for_function(f"document.documentElement.dataset.theme === '{theme}'")
    _faded_in(page)
    _check_theme(page, page.url, theme)

def test_the_accessibility_pass_checks_every_page(site):
    assert {p.name for p in site.glob('*.html')} == {p for p in A11Y_PAGES if '?' not in p}

def _accessibility_pass(page, path):
    """axe-core on `page` (at `path`, opened in light) in both themes: light as it loaded, then dark picked from the
    colour-mode menu. Collapsed code is opened first. Its serious and critical violations, as (theme, rule, impact, target, why)."""
    _check_theme(page, path, THEMES[0])
    if '?q=' in path: page.wait_for_function("() => /finished/.test(document.querySelector('#search-results .search-summary')?.innerText || '')", timeout=60000)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    _faded_in(page) # opened code fades in
    bad = []
    for theme in THEMES:
        if theme != THEMES[0]: _switch_theme(page, theme)
        bad += [(theme, *row) for row in axe_violations(page)]
    return bad

@pytest.mark.parametrize('path', A11Y_PAGES)
def test_no_serious_or_critical_accessibility_violation(site_pass, path):
    """axe-core on the page in both themes: light as a returning reader's choice gets it (set before the page loads),
    then dark picked from the colour-mode menu, in the load the visits made (`site_pass`)."""
    bad = site_pass[1][path]
    if isinstance(bad, Exception): raise bad
    assert not bad, f'{len(bad)} serious/critical axe-core violations on {path}:\n' + '\n'.join(' | '.join(r) for r in bad[:40])

def test_axe_check_catches_violations(browser, server):
    "The check above is not vacuous: a page with a picture without alt text, low-contrast text, a definition list without terms and an unlabelled slider fails it."
    body = ('<p style="color:#999;background:#aaa">faint text</p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
            '<dl><dd>a parameter</dd></dl><input type="range" min="0" max="9">')
    v = Visit.open(browser, server)
    v.page.route(server + 'probe.html', lambda r: r.fulfill(content_type='text/html', body=f'<html lang="en"><title>probe</title><body>{body}</body></html>'))
    rules = {rule for rule, *_ in axe_violations(v.goto('probe.html'))}
    v.close()
    assert {'color-contrast', 'image-alt', 'definition-list', 'label'} <= rules, rules

# Text whose contrast fails only because of its size (a), an ancestor's background (b), an ancestor's opacity (c) or a
# positioned box painted under it (d), each after text of the same colour that passes; the failing ones twice.
CONTRAST_PROBE = """<main>
<p id="a1" style="color:#777;font-size:24px">large grey</p><p id="a2" style="color:#777">small grey</p><p id="a3" style="color:#777">small grey again</p>
<p id="b1" style="color:#555">dark grey</p><div style="background:#999"><p id="b2" style="color:#555">on grey</p><p id="b3" style="color:#555">on grey again</p></div>
<p id="c1" style="color:#333">near black</p><div style="opacity:.3"><p id="c2" style="color:#333">faded</p><p id="c3" style="color:#333">faded again</p></div>
<p><span id="d1" style="color:#444">dark</span></p><div style="position:relative"><div style="position:absolute;inset:0;background:#222"></div>
<span id="d2" style="position:relative;color:#444">dark on dark</span> <span id="d3" style="position:relative;color:#444">dark on dark again</span></div>
</main>"""

def test_contrast_sample_finds_what_the_whole_page_check_finds(browser, server):
    "The sampled colour-contrast check fails the same contexts as the rule run on every element, with fewer elements."
    v = Visit.open(browser, server)
    v.page.route(server + 'probe.html', lambda r: r.fulfill(content_type='text/html', body=f'<html lang="en"><title>probe</title><body>{CONTRAST_PROBE}</body></html>'))
    page = v.goto('probe.html')
    failing = {sample: {target for rule, _, target, _ in axe_violations(page, sample) if rule == 'color-contrast'} for sample in (False, True)}
    counts = page.evaluate(CONTRAST_SAMPLE)
    v.close()
    assert failing[False] == {f'#{g}{i}' for g in 'abcd' for i in (2, 3)}, failing[False] # the probe is what it says
    assert failing[True] == {f'#{g}2' for g in 'abcd'}, failing[True] # each failing context, through its first element
    assert counts['contexts'] < counts['texts'], counts

_FILE_NAME = re.compile(r'[\w./-]+\.(png|jpe?g|gif|svg|webp)', re.I)

def test_every_image_has_alt_text(visits):
    "Every <img> on every page has an alt that says something: not empty, not its file name."
    n = 0
    for name, v in visits.items():
        for src, alt in v['alts']:
            assert alt and alt.strip(), (name, src)
            assert not _FILE_NAME.fullmatch(alt.strip()) and Path(src or '').name not in alt, (name, src, alt)
            n += 1
    assert n > len(_notebooks())

def test_figure_alt_text_comes_from_the_notebook(visits):
    "A figure without an alt of its own is described by the prose that introduces it: the lab's loss surface by the docstring of the function its cell calls."
    alts = dict(visits['models']['alts'])
    fig_alts = [a for s, a in alts.items() if '_images/' in s]
    # the library writes each figure's alt from its titles, axes and legend (linreg2p.figures.alt_text)
    assert any(a.startswith('The data, y against x: y: noisy targets, f: true line') for a in fig_alts), fig_alts
    assert any(a.startswith('Data space, step 3, y against x') and 'Parameter space, step 3' in a for a in fig_alts), fig_alts
    assert not any('returns the' in a for a in fig_alts)
    assert not any(a.startswith('Fixed:') for a in fig_alts) # asides are skipped
    player = [a for s, a in visits['animation']['alts'] if (s or '').startswith('data:')]
    assert player and all('save_gif' not in a and 'GIF' not in a for a in player), player # not the docstring of a function its cell does not call

# ---- alt text and labels in the build: the derivation itself (docs/_ext/a11y.py) and a site built from fixture notebooks
def _a11y():
    sys.path.insert(0, str(ROOT / 'docs' / '_ext'))
    try:
        import a11y
        return a11y
    finally: sys.path.remove(str(ROOT / 'docs' / '_ext'))

def test_alt_text_helpers():
    a = _a11y()
    assert a.leading_comment('#| echo: false\n# the bowl from above\n# with the path\nplot(x)  # not this') == 'the bowl from above with the path'
    assert a.leading_comment('plot(x) # a trailing comment is about the code') == ''
    long = 'First sentence about the figure. ' + 'Second sentence, which is long. ' * 10
    assert a.shorten(long, 60) == 'First sentence about the figure.'
    assert a.shorten('short text', 60) == 'short text'
    cut = a.shorten('word ' * 100, 40)
    assert cut.endswith('…') and len(cut) <= 41
    assert a.shorten('Loss at lr 0.1 is 0.110. Then it falls.', 30) == 'Loss at lr 0.1 is 0.110.' # decimals are not sentence ends
    html, unnamed = a.label_controls('<img id="f" src="data:x"><img alt="kept" src="y.png"><input type="range" class="anim-slider" name="points">'
                                     '<input type="radio" id="r1"><label for="r1">Once</label><input type="text">', 'The path')
    assert '<img alt="The path" id="f"' in html and '<img alt="kept"' in html and html.count('alt=') == 2
    assert 'aria-label="Animation frame"' in html and html.count('aria-label') == 1 # the labelled radio button is left alone
    assert unnamed == ['<input type="text">'] # reported, so the build warns
    assert a._is_file_name('_images/3f2a.png', '_images/3f2a.png') and a._is_file_name('', 'x.png') and not a._is_file_name('The loss surface', 'x.png')

def _md_cell(src): return {'cell_type': 'markdown', 'id': f'md{abs(hash(src)) % 10**8}', 'metadata': {}, 'source': src}

def _png(rgb):
    import io
    from PIL import Image
    buf = io.BytesIO(); Image.new('RGB', (40, 30), rgb).save(buf, format='png')
    return buf.getvalue()

def _png_cell(src, *pngs, alts=()):
    outs = []
    for i, png in enumerate(pngs):
        meta = {'image/png': {'alt': alts[i]}} if i < len(alts) and alts[i] else {}
        outs.append({'output_type': 'display_data', 'metadata': meta,
                     'data': {'image/png': base64.b64encode(png).decode(), 'text/plain': '<Figure size 432x288 with 2 Axes>'}})
    return {'cell_type': 'code', 'id': f'code{abs(hash(src)) % 10**8}', 'metadata': {}, 'execution_count': None, 'source': src, 'outputs': outs}

def _notebook(cells):
    return {'cells': cells, 'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
            'nbformat': 4, 'nbformat_minor': 5}

def test_alt_text_in_a_built_site(tmp_path):
    """Build a site from fixture notebooks: the lab up to its first figure, which carries an `alt` of ours in its output
    metadata (as the library's display code writes one), and a notebook exercising each fallback."""
    lab = json.loads((ROOT / 'nbs' / '00_models.ipynb').read_text())
    k, first = next((k, o) for k, c in enumerate(lab['cells']) if c['cell_type'] == 'code' for o in c.get('outputs', []) if 'image/png' in o.get('data', {}))
    first.setdefault('metadata', {})['image/png'] = {'alt': 'Sixty noisy points scattered about the line y = x - 1.', 'width': 400}
    lab['cells'] = lab['cells'][:k + 1] # the lab up to its first figure: the site's own pages show that every later one has an alt
    figs = _notebook([
        _md_cell('# Figures\n> fixture'),
        _md_cell('The loss bowl seen from above.\n\n**Fixed: an aside.** It is not about the picture.'),
        _png_cell('plot_bowl()', _png((10, 20, 30))),
        _png_cell('# the path of a run on the contour\nplot_path()', _png((40, 50, 60))),
        _md_cell('Three snapshots of the run.'),
        _png_cell('for k in range(3): show(k)', _png((1, 2, 3)), _png((4, 5, 6)), _png((7, 8, 9)), alts=('', 'The middle snapshot.', '')),
    ])
    out, res = _build_from(tmp_path, {'00_models.ipynb': lab, '01_figs.ipynb': figs})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    def alts(page):
        html = (out / page).read_text()
        return [re.search(r'alt="([^"]*)"', t).group(1) for t in re.findall(r'<img\b[^>]*src="_images/[^"]*"[^>]*>', html)]
    lab_alts = alts('models.html')
    assert lab_alts[0] == 'Sixty noisy points scattered about the line y = x - 1.' # (a) the output's metadata wins
    assert len(lab_alts) == len(_shown_pngs(lab)) and all(lab_alts)
    assert alts('figs.html') == ['The loss bowl seen from above.', # (c) prose before it, the aside skipped
                                 'the path of a run on the contour', # (b) the cell's comment
                                 'Three snapshots of the run. (picture 1 of 3)', 'The middle snapshot.', 'Three snapshots of the run. (picture 3 of 3)']
