"""Accessibility of the rendered site, fixed where the markup is made (a Sphinx extension loaded by conf.py).

1. Alt text. A notebook's figures are saved outputs: myst-nb gives their <img> no alt, and Sphinx then
   writes the file name as alt. Every image of a page gets a text that says what it shows, taken from,
   in this order:
   a. the output's own metadata, `output.metadata['image/png']['alt']` (the Jupyter place for
      per-image attributes, beside width and height);
   b. a comment the cell opens with (`# the loss surface from above`);
   c. the nearest paragraph of prose before the figure, which in these notebooks introduces it.
      Asides (a paragraph opening with a bold label, such as "**Fixed: ...**") and the page's
      download links are skipped; the docstring of an inline API entry (`show_doc`) counts only when
      the figure's cell calls the name it documents. The text is cut to whole sentences of about 250
      characters.
   Several figures from one cell are numbered ("picture 2 of 6"). HTML outputs (matplotlib's animation
   player) get the same text on each <img> without alt, and an aria-label on unlabelled controls.
   A picture for which nothing is found is a Sphinx warning, so the build fails instead of shipping it.
2. Signatures split over several lines: Sphinx writes their parameters as <dd> items of a <dl> without
   any <dt>, which is not a valid definition list. Here they become plain <div> lines (same layout,
   see linreg2p.css).
"""
from __future__ import annotations
import base64, hashlib, json, os, re
from pathlib import Path
from docutils import nodes
from sphinx.util import logging
from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)
MAX_ALT = 250
_IMAGE_MIMES = ('image/png', 'image/jpeg', 'image/gif', 'image/svg+xml')

# ------------------------------------------------------------------ alt text from the notebook and its prose
def _text(v): return ''.join(v) if isinstance(v, list) else (v or '')

def _image_bytes(mime, content):
    "The bytes myst-nb writes for an image output (it names the file by their sha256)."
    content = _text(content)
    if mime in ('image/png', 'image/jpeg', 'image/gif'): return base64.b64decode(content)
    return os.linesep.join(content.splitlines()).encode('utf-8')

def output_alts(nb):
    "{sha256 of the image: alt} for every image output of the notebook `nb` (a dict) that carries an `alt` in its metadata."
    alts = {}
    for cell in nb.get('cells', []):
        for out in cell.get('outputs', []):
            for mime in _IMAGE_MIMES:
                if mime not in out.get('data', {}): continue
                alt = ' '.join(str(out.get('metadata', {}).get(mime, {}).get('alt', '')).split())
                if alt: alts.setdefault(hashlib.sha256(_image_bytes(mime, out['data'][mime])).hexdigest(), alt)
    return alts

def leading_comment(source):
    "The comment a code cell opens with (full `#` lines before any code), as one line of text; '' when it opens with code."
    lines = []
    for line in _text(source).splitlines():
        s = line.strip()
        if s.startswith('#|'): continue
        if not s.startswith('#'): break
        lines.append(s.lstrip('#').strip())
    return ' '.join(l for l in lines if l)

def shorten(text, limit=MAX_ALT):
    "`text` on one line, cut after the last whole sentence that fits in `limit` characters (at least the first sentence, itself cut at a word if longer)."
    text = ' '.join(text.split())
    if len(text) <= limit: return text
    sentences = re.split(r'(?<=[.!?:])\s+(?=[A-Z0-9(“"‘\'])', text)
    out = ''
    for s in sentences:
        if out and len(out) + 1 + len(s) > limit: break
        out = f'{out} {s}'.strip()
    if len(out) > limit: out = out[:limit].rsplit(' ', 1)[0].rstrip(',;:') + '…'
    return out

def _ancestor(node, test):
    p = node.parent
    while p is not None:
        if test(p): return p
        p = p.parent

def _in_code_cell(node):
    return _ancestor(node, lambda p: isinstance(p, nodes.container) and str(p.get('nb_element', '')).startswith('cell_code')) is not None

def _cell_of(node):
    return _ancestor(node, lambda p: isinstance(p, nodes.container) and p.get('nb_element') == 'cell_code')

def _api_box(node):
    "The inline API entry (a `show_doc` block) `node` is in, or None."
    return _ancestor(node, lambda p: isinstance(p, nodes.container) and 'api-inline' in p.get('classes', []))

def _documented_name(box):
    "The name an inline API entry documents: its first line reads `name · API reference · source`."
    first = next(iter(box.findall(nodes.paragraph)), None)
    name = first.astext().split('·')[0].strip() if first is not None else ''
    return name.rsplit('.', 1)[-1]

def _is_aside(par):
    "A paragraph that opens with a bold label (`**Fixed: ...**`) is an aside, not the introduction of a figure."
    first = next((c for c in par.children if not (isinstance(c, nodes.Text) and not c.strip())), None)
    return isinstance(first, nodes.strong)

def _cell_code(cell):
    return ' '.join(n.astext() for n in cell.findall(nodes.literal_block)) if cell is not None else ''

def prose_before(node, doctree):
    """Plain text of the nearest paragraph of prose before `node`: outside code cells, not an aside, not the
    download links; the docstring in an inline API entry counts only when the figure's cell calls that name."""
    code, last = _cell_code(_cell_of(node)), None
    for n in doctree.findall(lambda n: n is node or isinstance(n, nodes.paragraph)):
        if n is node: break
        if _in_code_cell(n) or _is_aside(n) or 'notebook-links' in n.get('classes', []) or not n.astext().strip(): continue
        if (box := _api_box(n)) is not None:
            name = _documented_name(box)
            if not name or not re.search(rf'\b{re.escape(name)}\b', code): continue
        last = n
    if last is None: return ''
    text = last.astext()
    if _api_box(last) is not None: text = re.sub(r';\s*returns\b[^;]*$', '.', text.strip().rstrip('.')) # what it shows, not what it returns
    return shorten(text)

def _is_file_name(alt, uri):
    return not alt or alt == uri or alt.strip() == Path(uri).name or bool(re.fullmatch(r'[\w./-]+\.(png|jpe?g|gif|svg)', alt.strip()))

def _numbered(text, k, n): return text if n == 1 else f'{text} (picture {k} of {n})'

_IMG_NO_ALT = re.compile(r'<img\b(?![^>]*\balt\s*=)', re.I)
_INPUT = re.compile(r'<input\b[^>]*>', re.I)

def label_controls(html, alt):
    "`html` with `alt` on every <img> lacking one and an aria-label on every unlabelled input; also the inputs it could not name."
    html = _IMG_NO_ALT.sub(lambda m: f'<img alt="{_attr(alt)}"', html)
    labelled = set(re.findall(r'<label\b[^>]*\bfor\s*=\s*["\']?([^"\'\s>]+)', html, re.I))
    unnamed = []
    def fix(m):
        tag = m.group(0)
        kind = (re.search(r'\btype\s*=\s*["\']?(\w+)', tag, re.I) or [None, 'text'])[1].lower()
        if kind in ('hidden', 'submit', 'button', 'reset', 'image') or re.search(r'\baria-label(ledby)?\s*=', tag, re.I): return tag
        if (i := re.search(r'\bid\s*=\s*["\']?([^"\'\s>]+)', tag, re.I)) and i.group(1) in labelled: return tag
        title = re.search(r'\btitle\s*=\s*"([^"]+)"', tag, re.I)
        if title: name = title.group(1)
        elif re.search(r'\bclass\s*=\s*["\'][^"\']*\banim-slider\b', tag, re.I): name = 'Animation frame' # matplotlib's player
        else: unnamed.append(tag[:120]); return tag
        return tag[:6] + f' aria-label="{_attr(name)}"' + tag[6:]
    return _INPUT.sub(fix, html), unnamed

def _attr(s): return s.replace('&', '&amp;').replace('"', '&quot;').replace('<', '&lt;').replace('>', '&gt;')

def add_alt_text(app, doctree):
    "doctree-read: give every image of the page an alt that says what it shows (see the module docstring)."
    docname = app.env.docname
    path = Path(app.env.doc2path(docname))
    nb = json.loads(path.read_text(encoding='utf-8')) if path.suffix == '.ipynb' else {'cells': []}
    meta_alts = output_alts(nb)
    cells = nb.get('cells', [])
    comment = lambda cell: leading_comment(cells[cell['cell_index']].get('source', '')) if cell is not None and cell.get('cell_index') is not None and cell['cell_index'] < len(cells) else ''
    images = [n for n in doctree.findall(nodes.image) if _is_file_name(n.get('alt', ''), n['uri'])]
    per_cell = {}
    for img in images: per_cell.setdefault(id(_cell_of(img)), []).append(img)
    for img in images:
        cell = _cell_of(img)
        group = per_cell[id(cell)] if cell is not None else [img]
        alt = meta_alts.get(Path(img['uri']).stem)
        if not alt:
            text = comment(cell) or prose_before(img, doctree)
            alt = _numbered(text, group.index(img) + 1, len(group)) if text else ''
        if alt: img['alt'] = alt
        else: logger.warning(f'an image has no alt text and no prose or comment to derive it from: {img["uri"]}', location=img)
    for raw in list(doctree.findall(nodes.raw)):
        if 'html' not in raw.get('format', '').split(): continue
        html = raw.astext()
        if not _IMG_NO_ALT.search(html) and not _INPUT.search(html): continue
        cell = _cell_of(raw)
        text = comment(cell) or prose_before(raw, doctree)
        if _IMG_NO_ALT.search(html) and not text:
            logger.warning('an HTML output has an image without alt text and no prose or comment to derive it from', location=raw)
        animation = 'class="animation"' in html and 'animation' not in text.lower()[:40] # matplotlib's player
        new, unnamed = label_controls(html, f'Animation: {text}' if animation else text)
        for tag in unnamed: logger.warning(f'an HTML output has a control without a label: {tag}', location=raw)
        if new != html: raw[:] = [nodes.Text(new)]

# ------------------------------------------------------------------ signatures on several lines
class A11yHTML5Translator(HTML5Translator):
    "Sphinx's HTML writer, with the parameters of a multi-line signature as <div> lines instead of <dd> items of a <dl> without <dt>."
    def _visit_sig_parameter_list(self, node, *args):
        self.__dict__.setdefault('_sig_starts', []).append(len(self.body))
        super()._visit_sig_parameter_list(node, *args)

    def _depart_sig_parameter_list(self, node):
        super()._depart_sig_parameter_list(node)
        start = self._sig_starts.pop()
        if not node.get('multi_line_parameter_list'): return
        for i in range(start, len(self.body)):
            b = self.body[i]
            if b.startswith(('<dl', '<dd')) and b[3] in ' >':
                cls = 'sig-param-list' if b.startswith('<dl') else 'sig-param-line'
                rest = b[3:].replace(' class="', f' class="{cls} ', 1) if ' class="' in b else f' class="{cls}"' + b[3:]
                self.body[i] = '<div' + rest
            elif b.startswith(('</dl>', '</dd>')): self.body[i] = '</div>' + b[5:]

def setup(app):
    app.set_translator('html', A11yHTML5Translator)
    app.connect('doctree-read', add_alt_text)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
