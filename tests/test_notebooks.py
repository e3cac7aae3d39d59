"Every notebook runs top to bottom, its `#| slow` cells included, and its lesson cells' assertions hold."
import subprocess
import pytest
from conftest import ROOT, bin_path
pytestmark = pytest.mark.slow # runs every notebook: left out of the fast tier, `pytest -m "not slow"`

def test_notebooks_run():
    res = subprocess.run([bin_path('nbdev-test'), '--n-workers', '2', '--flags', 'slow', '--timing'], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
