# Sphinx configuration of the linreg2p site. Build it with `python tools/build_docs.py`, which writes the
# pages next to this file in a temporary folder (with `_site.json`) and runs Sphinx there.
import json, sys
from pathlib import Path

_site = json.loads((Path(__file__).parent / '_site.json').read_text())

project = 'linreg2p'
author = 'linreg2p maintainers'
copyright = '2026, linreg2p maintainers'
sys.path.insert(0, str(Path(__file__).parent / '_ext'))
# githubpages: .nojekyll, so GitHub serves _static; a11y: alt text for figures, valid lists in signatures
extensions = ['myst_nb', 'sphinx.ext.githubpages', 'a11y']
root_doc = 'index'
exclude_patterns = ['_build', 'notebooks', '**.ipynb_checkpoints']

# myst-nb: show the outputs saved in the notebooks, never execute
nb_execution_mode = 'off'
nb_merge_streams = True
nb_ipywidgets_js = {} # no widget manager from a CDN: a static site has no kernel to drive widgets
nb_mime_priority_overrides = [('html', 'application/vnd.jupyter.widget-view+json', None),
                              ('html', 'application/vnd.jupyter.widget-state+json', None)]
myst_enable_extensions = ['dollarmath', 'amsmath', 'attrs_block', 'colon_fence', 'fieldlist']
myst_heading_anchors = 3

# API reference entries: short names, one parameter per line when a signature is long
add_module_names = False
python_maximum_signature_line_length = 70

# math is rendered by MathJax served from this site (the build copies it into _static/mathjax), never a CDN
html_static_path = ['_static']
mathjax_path = 'mathjax/tex-svg-full.js'
mathjax3_config = {'svg': {'fontCache': 'global'}}

html_theme = 'sphinx_book_theme'
html_title = 'linreg2p'
html_css_files = ['linreg2p.css']
html_favicon = '_static/favicon.svg'
html_logo = '_static/favicon.svg'
html_context = {'default_mode': 'light'}
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    'repository_url': _site['repository'],
    'repository_branch': 'main',
    'path_to_docs': 'nbs',
    'use_repository_button': True,
    'use_download_button': False, # each page links to its own notebook instead of the processed copy
    'use_fullscreen_button': False,
    'home_page_in_toc': True,
    'show_toc_level': 2,
    'navigation_with_keys': False,
    'logo': {'text': 'linreg2p', 'alt_text': 'linreg2p: home'},
}

# the gradient-descent explorer (`tools/build_docs.py` puts it where a notebook has its marker): its script and
# styles only on the pages that have one
def _explorer_assets(app, pagename, templatename, context, doctree):
    if 'data-explorer="' in context.get('body', ''):
        app.add_css_file('linreg2p-explorer.css')
        app.add_js_file('linreg2p-explorer.js', defer='defer')

def setup(app):
    app.connect('html-page-context', _explorer_assets)
    return {'parallel_read_safe': True}
