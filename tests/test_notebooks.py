"Every notebook runs top to bottom and its lesson cells' assertions hold."
import subprocess
from conftest import ROOT, bin_path

def test_notebooks_run():
    res = subprocess.run([bin_path('nbdev-test'), '--n-workers', '2', '--timing'], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
