"""`nbdev-test`, the developers' command, runs the notebooks that check with fastcore's helpers, `#| slow` cells included.

Every notebook runs in tests/test_download.py, in a learner's fresh environment outside the repository, which has no
fastcore: there those notebooks check with plain stand-ins of their own (a harder test, which also compares what they
print with the committed outputs). Here they run once more with fastcore's own helpers, as a developer runs them, so
both branches of their import cell run in every test session."""
import re, subprocess
import pytest
from conftest import NOTEBOOKS, ROOT, bin_path
pytestmark = pytest.mark.slow # runs notebooks: left out of the fast tier, `pytest -m "not slow"`

def test_notebooks_run_under_nbdev_test():
    names = [name for name in NOTEBOOKS if 'from fastcore.test import' in (ROOT / 'nbs' / name).read_text()]
    skip = '^(?!(' + '|'.join(map(re.escape, names)) + ')$)'
    # one worker: the two cores are busy with the rest of the suite, and each more worker imports the library again
    res = subprocess.run([bin_path('nbdev-test'), '--n-workers', '1', '--flags', 'slow', '--timing', '--skip-file-re', skip],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    ran = sorted(re.findall(r'^(\S+\.ipynb): \d+ secs$', res.stdout + res.stderr, re.M))
    assert names and ran == names, (ran, names) # each of them, once
