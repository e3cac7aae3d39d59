"""Write README.md from nbs/index.ipynb without Quarto; `--check` exits 1 when README.md is stale.

Markdown cells are copied as they are; code cells appear as Python blocks with their `#|` directive
lines removed, followed by their text output; cells marked `#| hide` are left out."""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = '<!-- Generated from nbs/index.ipynb by `python tools/readme.py`: edit the notebook, not this file. -->\n\n'

def _text(src): return ''.join(src) if isinstance(src, list) else src

def _directives(src):
    return [l[2:].strip() for l in src.splitlines() if l.startswith('#|')]

def _outputs(cell):
    "Text outputs of a code cell, joined."
    parts = []
    for out in cell.get('outputs', []):
        if out['output_type'] == 'stream': parts.append(_text(out['text']))
        elif 'text/plain' in out.get('data', {}) and not any(k.startswith('image/') for k in out['data']):
            parts.append(_text(out['data']['text/plain']) + '\n')
    return ''.join(parts).strip('\n')

def render(nb_path=ROOT / 'nbs' / 'index.ipynb'):
    "The README text for the notebook at `nb_path`."
    blocks = []
    for cell in json.loads(Path(nb_path).read_text())['cells']:
        src = _text(cell['source'])
        if cell['cell_type'] == 'markdown': blocks.append(src.strip('\n')); continue
        if cell['cell_type'] != 'code' or 'hide' in _directives(src): continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip('\n')
        if code: blocks.append(f'```python\n{code}\n```')
        out = _outputs(cell)
        if out: blocks.append(f'```\n{out}\n```')
    return HEADER + '\n\n'.join(blocks) + '\n'

def main(argv=sys.argv[1:]):
    readme, text = ROOT / 'README.md', render()
    if '--check' in argv:
        if not readme.exists() or readme.read_text() != text:
            print('README.md is stale: run `python tools/readme.py` and commit the result', file=sys.stderr)
            return 1
        return 0
    readme.write_text(text)
    return 0

if __name__ == '__main__': sys.exit(main())
