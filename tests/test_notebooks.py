"""Every notebook runs top to bottom, its `#| slow` cells included, and its lesson cells' assertions hold.

The notebooks 00-05 run in tests/test_download.py, in a learner's fresh environment outside the repository (a harder
test of the same cells, which also compares what they print with the committed outputs); `nbdev-test` runs the others
here, so that each notebook runs once per test session."""
import re, subprocess
import pytest
from conftest import ROOT, bin_path
from test_download import NOTEBOOKS as RUN_OUTSIDE
pytestmark = pytest.mark.slow # runs notebooks: left out of the fast tier, `pytest -m "not slow"`

def test_notebooks_run():
    rest = sorted(p.name for p in (ROOT / 'nbs').glob('*.ipynb') if not p.name.startswith('_') and p.name not in RUN_OUTSIDE)
    skip = '^(' + '|'.join(map(re.escape, RUN_OUTSIDE)) + ')$'
    # one worker: the two cores are busy with the rest of the suite, and each more worker imports the library again
    res = subprocess.run([bin_path('nbdev-test'), '--n-workers', '1', '--flags', 'slow', '--timing', '--skip-file-re', skip],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    ran = sorted(re.findall(r'^(\S+\.ipynb): \d+ secs$', res.stdout + res.stderr, re.M))
    assert rest and ran == rest, (ran, rest) # every other notebook, each once
