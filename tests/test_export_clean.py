"Notebooks are the source: export and clean leave no diff, and README.md is generated from nbs/index.ipynb."
import subprocess, sys
from pathlib import Path
from conftest import ROOT, BIN


def _state():
    st = subprocess.run(['git', 'status', '--porcelain', '--', 'nbs', 'ctrlrepro'], cwd=ROOT, capture_output=True,
                        text=True, check=True).stdout
    diff = subprocess.run(['git', 'diff', '--', 'nbs', 'ctrlrepro'], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout
    untracked = subprocess.run(['git', 'ls-files', '--others', '--exclude-standard', '--', 'nbs', 'ctrlrepro'],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return st, diff, {f: (ROOT/f).read_bytes() for f in untracked}


def test_export_and_clean_leave_no_diff():
    before = _state()
    subprocess.run([str(BIN/'nbdev_export')], cwd=ROOT, check=True, capture_output=True)
    subprocess.run([str(BIN/'nbdev_clean')], cwd=ROOT, check=True, capture_output=True)
    after = _state()
    assert before[0] == after[0], f'nbdev_export/nbdev_clean changed files:\n{after[0]}'
    assert before[1] == after[1], 'nbdev_export/nbdev_clean changed tracked files: run them and commit'
    assert before[2] == after[2], 'nbdev_export/nbdev_clean changed untracked files'


def test_readme_is_generated_from_index():
    out = subprocess.run([str(BIN/'jupyter'), 'nbconvert', '--to', 'markdown', '--stdout', 'nbs/index.ipynb'],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert (ROOT/'README.md').read_text() == out, 'README.md is stale: run `make readme`'


def test_parameters_tag_survives_clean():
    import nbformat
    nbs = sorted((ROOT/'nbs'/'experiments').glob('*/*.ipynb')) + sorted((ROOT/'nbs'/'results').glob('*.ipynb'))
    assert nbs
    for f in nbs:
        nb = nbformat.read(f, as_version=4)
        assert any('parameters' in c.metadata.get('tags', []) for c in nb.cells), f'{f} lost its parameters tag'
