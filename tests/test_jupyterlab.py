"""The animation player and the slider panels in a real browser: in a plain page, and in JupyterLab after Run All.

JupyterLab (4.x) skips laying out cells that are off screen. A player whose frame changed while its cell was skipped
was left by Chromium with no box at all: after Run All, with the player below the fold, its frame was 0×0. The
player from `to_html` now plays only while it is in view and gives its frame a box back when it comes into view.

Debian's Chromium is driven through Playwright (`executable_path=shutil.which("chromium")`); JupyterLab is served
from 127.0.0.1 with a random token, settings and runtime files in a temporary folder. In CI (CI=true) a missing
chromium or JupyterLab is a failure; elsewhere these tests skip with the reason."""
import base64, io, json, os, secrets, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from conftest import ROOT

pytestmark = pytest.mark.slow # serves JupyterLab and drives Chromium: left out of the fast tier, `pytest -m "not slow"`

NOTEBOOK = ROOT / 'nbs' / '05_animation.ipynb'

def _missing(msg):
    if os.environ.get('CI') == 'true': pytest.fail(msg)
    pytest.skip(msg)

# what the page reports about the player: its frame's size on the page, the image it holds, and whether it moves
MEASURE = """async (wait) => {
    const img = document.querySelector('.animation img');
    const before = img.getAttribute('src');
    await new Promise(r => setTimeout(r, wait));
    const r = img.getBoundingClientRect();
    return {width: r.width, height: r.height, natural: [img.naturalWidth, img.naturalHeight],
            moved: img.getAttribute('src') !== before, in_view: r.bottom > 0 && r.top < innerHeight};
}"""

def _frame_pixels(page):
    "The player's frame as it is painted on screen, as an RGB array."
    png = page.locator('.animation img').screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert('RGB'), dtype=np.int16)

# ------------------------------------------------------------------ a plain page

@pytest.fixture(scope='module')
def players():
    "The lesson's player (three runs, 15 steps), with and without autoplay."
    from linreg2p.animation import animate, to_html
    from linreg2p.models import make_data, train_model
    from linreg2p.core import LossSurface
    X, f, Y = make_data(seed=0)
    runs = {f'lr {lr:g}': train_model(X, Y, w=-15.0, b=-10.0, lr=lr, iters=15) for lr in (0.05, 0.2, 0.32)}
    anim = animate(runs, LossSurface(X, Y, 15, 15))
    return {True: to_html(anim).data, False: to_html(anim, autoplay=False).data}

# a page laid out like a notebook: the output goes into a cell below a tall spacer, whose layout the browser may skip
PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
  .cell { content-visibility: auto; contain-intrinsic-size: auto 120px; contain: layout style paint; }
  .cell img { max-width: 100%; }
</style></head><body><div style="height: 3000px">spacer</div><div class="cell" id="cell"></div>
<div style="height: 3000px"></div></body></html>"""

# insert HTML output the way JupyterLab does: set innerHTML, then replace each script so the browser runs it
INSERT = """(html) => { const out = document.createElement('div'); out.innerHTML = html;
  for (const old of out.querySelectorAll('script')) { const s = document.createElement('script');
    s.textContent = old.textContent; old.replaceWith(s); }
  document.getElementById('cell').appendChild(out); }"""

@pytest.fixture
def plain_page(browser):
    page = browser.new_page(viewport={'width': 1000, 'height': 700})
    errors = []
    page.on('pageerror', lambda e: errors.append(str(e)))
    page.set_content(PAGE)
    yield page, errors
    page.close()

def test_an_off_screen_player_waits_then_plays_in_view(plain_page, players):
    page, errors = plain_page
    page.evaluate(INSERT, players[True])
    page.wait_for_timeout(500)
    off = page.evaluate(MEASURE, 1000)
    assert not off['in_view'] and not off['moved'] # below the fold it does not play
    page.evaluate("document.getElementById('cell').scrollIntoView()")
    seen = page.evaluate(MEASURE, 1000)
    assert seen['in_view'] and seen['moved'] # in view it plays by itself
    assert seen['natural'] == [648, 258] and (seen['width'], seen['height']) == (648, 258) # a frame of full size
    first = _frame_pixels(page); page.wait_for_timeout(600); second = _frame_pixels(page)
    assert first.shape[:2] == (258, 648) and first.std() > 20 # a picture, not a blank
    assert (first != second).any(-1).mean() > 0.001 # and the picture on screen changes
    page.evaluate("window.scrollTo(0, 0)")
    assert not page.evaluate(MEASURE, 1000)['moved'] # out of view it pauses
    page.evaluate("document.getElementById('cell').scrollIntoView()")
    assert page.evaluate(MEASURE, 1000)['moved'] # and resumes when it is back
    assert not errors, errors

def test_a_player_without_autoplay_shows_its_first_frame_and_plays_on_request(plain_page, players):
    page, errors = plain_page
    page.evaluate(INSERT, players[False])
    page.evaluate("document.getElementById('cell').scrollIntoView()")
    still = page.evaluate(MEASURE, 1000)
    assert (still['width'], still['height']) == (648, 258) and not still['moved']
    page.get_by_role('button', name='Play', exact=True).click()
    assert page.evaluate(MEASURE, 1000)['moved']
    page.evaluate("window.scrollTo(0, 0)"); page.wait_for_timeout(300)
    page.evaluate("document.getElementById('cell').scrollIntoView()")
    assert page.evaluate(MEASURE, 1000)['moved'] # played when it left the view: plays again when it is back
    page.get_by_role('button', name='Pause', exact=True).click()
    page.evaluate("window.scrollTo(0, 0)"); page.wait_for_timeout(300)
    page.evaluate("document.getElementById('cell').scrollIntoView()")
    assert not page.evaluate(MEASURE, 1000)['moved'] # paused by the reader: stays paused
    assert not errors, errors

# ------------------------------------------------------------------ JupyterLab, Run All

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture(scope='module')
def jupyterlab(tmp_path_factory, browser):
    "A JupyterLab server on 127.0.0.1 over a temporary copy of the animation notebook."
    try: import jupyterlab # noqa: F401
    except ImportError: _missing('JupyterLab is not installed (pip install jupyterlab); the Run All test needs it')
    home = tmp_path_factory.mktemp('lab')
    root = home / 'root'; root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    settings = home / 'settings' / '@jupyterlab' / 'apputils-extension'
    settings.mkdir(parents=True) # no news pop-up over the notebook
    (settings / 'notification.jupyterlab-settings').write_text(json.dumps({'fetchNews': 'false'}))
    env = {k: v for k, v in os.environ.items() if k != 'MPLBACKEND'} | {
        'JUPYTERLAB_SETTINGS_DIR': str(home / 'settings'), 'JUPYTERLAB_WORKSPACES_DIR': str(home / 'workspaces'),
        'JUPYTER_RUNTIME_DIR': str(home / 'runtime'), 'JUPYTER_CONFIG_DIR': str(home / 'config')}
    port, token = _free_port(), secrets.token_hex(16)
    log = open(home / 'server.log', 'w')
    server = subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', '--allow-root', '--ip=127.0.0.1',
                               f'--port={port}', f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={root}',
                               '--LabApp.expose_app_in_browser=True', '--LabApp.news_url=',
                               '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate'],
                              cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(240):
            try: urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status?token={token}', timeout=2); break
            except OSError:
                assert server.poll() is None, (home / 'server.log').read_text()[-3000:]
                time.sleep(0.5)
        yield f'http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}?token={token}&reset'
    finally:
        server.terminate()
        try: server.wait(30)
        except subprocess.TimeoutExpired: server.kill(); server.wait()
        log.close()

STATUS = """() => { const nb = jupyterapp.shell.currentWidget.content;
    const code = nb.widgets.filter(c => c.model.type === 'code');
    return {pending: code.filter(c => c.model.executionCount === null).length,
            errors: code.flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue)),
            kernel: jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status}; }"""

# record, without touching its layout, whether the player's cell was ever in view before the test scrolls to it
WATCH_PLAYER = """() => { window.__player = {added: false, seen: false};
    new MutationObserver((records, self) => {
        const player = document.querySelector('.animation');
        if (!player) return;
        self.disconnect(); window.__player.added = true;
        new IntersectionObserver(es => { if (es.some(e => e.isIntersecting)) window.__player.seen = true; })
            .observe(player.closest('.jp-Cell'));
    }).observe(document.body, {childList: true, subtree: true}); }"""

SCROLL_TO = """async (text) => { const nb = jupyterapp.shell.currentWidget.content;
    const i = nb.widgets.findIndex(c => c.model.sharedModel.getSource().includes(text));
    await nb.scrollToItem(i, 'start'); return i; }"""

@pytest.fixture(scope='module')
def run_all(jupyterlab, browser, tmp_path_factory):
    "The notebook opened in JupyterLab at its top, and Run All; the page is returned when every cell has run."
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    page.goto(jupyterlab)
    page.wait_for_function("window.jupyterapp && jupyterapp.shell.currentWidget && jupyterapp.shell.currentWidget.sessionContext",
                           timeout=120_000)
    page.evaluate("async () => { const w = jupyterapp.shell.currentWidget; await w.context.ready; await w.sessionContext.ready; }")
    page.wait_for_function("jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'", timeout=120_000)
    page.evaluate("jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate(WATCH_PLAYER)
    t = time.time()
    page.evaluate("() => { jupyterapp.commands.execute('notebook:run-all-cells'); }") # not awaited: watch it run
    while time.time() - t < 600:
        page.wait_for_timeout(500)
        status = page.evaluate(STATUS)
        if status['errors'] or (status['pending'] == 0 and status['kernel'] == 'idle'): break
    page.wait_for_timeout(1000)
    print(f'Run All took {time.time() - t:.0f} s')
    yield page, status, page.evaluate('window.__player')
    page.close()

def test_run_all_runs_every_cell_without_error(run_all):
    page, status, player = run_all
    assert status['errors'] == [] and status['pending'] == 0

def test_the_player_shows_moving_frames_after_run_all_off_screen(run_all, tmp_path_factory):
    page, status, player = run_all
    assert player == {'added': True, 'seen': False} # the player's cell was off screen while it ran, and until now
    page.evaluate(SCROLL_TO, 'player = to_html(anim)')
    page.wait_for_timeout(1000)
    seen = page.evaluate(MEASURE, 1000)
    page.screenshot(path=tmp_path_factory.mktemp('shots') / 'player.png')
    assert seen['natural'] == [648, 258] and (seen['width'], seen['height']) == (648, 258), seen # was 0×0 before the fix
    assert seen['in_view'] and seen['moved'], seen # in view, and playing
    first = _frame_pixels(page); page.wait_for_timeout(600); second = _frame_pixels(page)
    assert first.std() > 20 and (first != second).any(-1).mean() > 0.001 # a picture on screen, and it moves

def _panel_values(page, text):
    "The slider readouts of the panel shown by the cell whose source contains `text`, once it is in view."
    page.evaluate(SCROLL_TO, text)
    page.wait_for_timeout(1000)
    return page.evaluate("""(text) => { const nb = jupyterapp.shell.currentWidget.content;
        const cell = nb.widgets.find(c => c.model.sharedModel.getSource().includes(text));
        return [...cell.node.querySelectorAll('.widget-slider')].map(s =>
            [s.querySelector('.widget-label').textContent.trim(), s.querySelector('.widget-readout').textContent.trim().replace('\u2212', '-')]); }""", text)

def test_each_panel_ends_in_the_state_its_prose_describes(run_all):
    page, status, player = run_all
    lab = dict(_panel_values(page, 'panel = explore()'))
    assert lab == {'lr': '0.10', 'iterations': '15', 'start w': '-15.0', 'start b': '-10.0', 'noise': '0.10', 'seed': '0'}
    over = dict(_panel_values(page, 'over = explore()'))
    assert over == lab | {'lr': '0.40'} # the second panel: only its learning rate moved, past the bound
    warning = page.evaluate("""() => { const nb = jupyterapp.shell.currentWidget.content;
        const cell = nb.widgets.find(c => c.model.sharedModel.getSource().includes('over = explore()'));
        return cell.node.querySelector('.widget-html').textContent; }""")
    assert 'will not converge' in warning
