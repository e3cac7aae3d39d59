"""The documentation site, built once per session by `tools/build_docs.py` and read in a real browser.

Debian's Chromium is driven through Playwright (`executable_path=shutil.which("chromium")`); the site is
served from 127.0.0.1 and every request a page makes is recorded: anything that is not the local server
fails the tests (and is aborted, so nothing leaves the machine). In CI (CI=true) a missing chromium is a
failure; elsewhere the browser tests skip with the reason."""
import base64, functools, hashlib, http.server, json, os, re, shutil, subprocess, sys, threading, time, tomllib
from pathlib import Path
from urllib.parse import urlparse
import pytest
from conftest import ROOT

CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--no-first-run']
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
    "The site, built once from the working tree into a temporary folder (not `_docs/`)."
    _SNAPSHOT.clear(); _notebooks()
    out = tmp_path_factory.mktemp('site') / 'html'
    t = time.time()
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

@pytest.fixture(scope='session')
def browser():
    exe = shutil.which('chromium')
    if exe is None:
        msg = 'chromium is not installed (apt-get install -y chromium); the docs browser tests need it'
        if os.environ.get('CI') == 'true': pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()

class Visit:
    "A page opened in a fresh browser context, with every request, failure and console error recorded."
    def __init__(self, browser, base, viewport=(1280, 900)):
        self.base, self.requests, self.external, self.failed, self.errors = base, [], [], [], []
        self.ctx = browser.new_context(viewport={'width': viewport[0], 'height': viewport[1]})
        self.ctx.route('**/*', self._route)
        self.page = self.ctx.new_page()
        self.page.on('console', lambda m: self.errors.append(f'console {m.type}: {m.text}') if m.type == 'error' else None)
        self.page.on('pageerror', lambda e: self.errors.append(f'page error: {e}'))
        self.page.on('requestfailed', lambda r: self.failed.append(f'{r.url} ({r.failure})'))
        self.page.on('response', lambda r: self.failed.append(f'{r.url} (HTTP {r.status})') if r.status >= 400 else None)

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if url.startswith(self.base) or urlparse(url).scheme in ('data', 'blob', 'about'): route.continue_()
        else: self.external.append(url); route.abort()

    def goto(self, path):
        self.page.goto(self.base + path, wait_until='load')
        self.page.wait_for_load_state('networkidle')
        return self.page

    def close(self): self.ctx.close()

@pytest.fixture(scope='session')
def visits(site, server, browser):
    "Every HTML page of the site, visited once: what it requested, what failed, its images and its text."
    res = {}
    for html in sorted(site.glob('*.html')):
        v = Visit(browser, server)
        page = v.goto(html.name)
        page.evaluate("() => document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
        page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=15000)
        res[html.stem] = dict(
            requests=v.requests, external=v.external, failed=v.failed, errors=v.errors,
            images=page.evaluate("() => Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth])"),
            cell_inputs=page.evaluate("() => Array.from(document.querySelectorAll('div.cell_input')).map(e => e.innerText)"),
            text=page.evaluate("() => (document.querySelector('article') || document.body).innerText"),
            links=page.evaluate("() => Array.from(document.querySelectorAll('article a')).map(a => [a.innerText.trim(), a.getAttribute('href'), a.className])"),
        )
        v.close()
    return res

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
    "The check above is not vacuous: a page asking for an outside image is caught, and the request aborted."
    v = Visit(browser, server)
    v.page.route(server + 'probe.html', lambda r: r.fulfill(
        content_type='text/html', body='<img src="https://example.invalid/x.png"><script src="https://cdn.example.invalid/a.js"></script>'))
    v.goto('probe.html')
    v.close()
    assert 'https://example.invalid/x.png' in v.external and 'https://cdn.example.invalid/a.js' in v.external

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
    v = Visit(browser, server)
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
    v = Visit(browser, server)
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
    v = Visit(browser, server)
    page = v.goto('api.html')
    for mod, name in names:
        entry = page.locator(f'dt[id="{mod}.{name}"]')
        assert entry.count() == 1, f'{mod}.{name} has no API entry'
        dd = entry.locator('xpath=following-sibling::dd[1]')
        import importlib
        obj = getattr(importlib.import_module(mod), name)
        doc = ' '.join((obj.__doc__ or '').split()).replace('`', '')
        shown = ' '.join(dd.inner_text().split()).replace('’', "'").replace('‘', "'").replace('“', '"').replace('”', '"')
        if doc: assert doc in shown, (name, doc)
    # parameters documented from the docments, e.g. make_data's seed
    dd = page.locator('dt[id="linreg2p.models.make_data"] + dd')
    assert 'seed' in dd.inner_text() and 'private generator' in dd.inner_text()
    v.close()

def test_prose_links_to_api_entries(browser, server):
    v = Visit(browser, server)
    page = v.goto('models.html')
    link = page.locator('article p a[href="api.html#linreg2p.models.make_data"]').first
    assert link.inner_text() == 'make_data'
    link.click()
    page.wait_for_url('**/api.html#linreg2p.models.make_data')
    assert page.locator('dt[id="linreg2p.models.make_data"]').is_visible()
    v.close()

def test_search_leads_to_api_entry(browser, server):
    v = Visit(browser, server)
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
    v = Visit(browser, server)
    page = v.goto('models.html')
    page.wait_for_selector('mjx-container svg', timeout=15000)
    assert page.locator('mjx-container[display="true"]').count() >= 1
    assert any(urlparse(u).path.startswith('/_static/mathjax/') for u in v.requests)
    v.close()
    assert not v.errors and not v.failed and not v.external

def test_build_fails_on_a_warning(tmp_path):
    "A broken cross-reference is a Sphinx warning, and a warning fails the build without touching the output folder."
    nbs = tmp_path / 'nbs'; nbs.mkdir()
    shutil.copy(ROOT / 'nbs' / 'index.ipynb', nbs)
    broken = {'cells': [{'cell_type': 'markdown', 'id': 'title', 'metadata': {}, 'source': '# Broken\n> a page with a broken link'},
                        {'cell_type': 'markdown', 'id': 'broken', 'metadata': {}, 'source': 'See {doc}`no-such-page` for more.'}],
              'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
              'nbformat': 4, 'nbformat_minor': 5}
    (nbs / '01_broken.ipynb').write_text(json.dumps(broken))
    out = tmp_path / 'site'
    res = subprocess.run([sys.executable, str(ROOT / 'tools' / 'build_docs.py'), '--nbs', str(nbs), '--out', str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode != 0
    assert 'no-such-page' in res.stdout + res.stderr
    assert not out.exists()
