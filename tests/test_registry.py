"The experiment registry, the experiment notebooks and the committed run records agree with each other."
import json, os, subprocess
import nbformat
import pytest
from conftest import ROOT
from ctrlrepro.experiments import load_registry, notebook_parameters
from ctrlrepro.core import PAPERS, load_record
from ctrlrepro.report import targets, base_artifact

EXPS = load_registry()


def test_every_experiment_notebook_is_registered():
    nbs = {f'{f.parent.name}/{f.stem}' for f in (ROOT/'nbs'/'experiments').glob('*/*.ipynb')}
    assert nbs == {e.id for e in EXPS}, nbs ^ {e.id for e in EXPS}


@pytest.mark.parametrize('exp', EXPS, ids=[e.id for e in EXPS])
def test_experiment_notebook_contract(exp):
    params = notebook_parameters(exp.notebook)
    assert params['scale'][1].strip('"\'') == 'smoke', 'the parameters cell must default to smoke'
    assert 'out' in params
    nb = nbformat.read(exp.notebook, as_version=4)
    src = '\n'.join(c.source for c in nb.cells if c.cell_type == 'code')
    assert '#| export' not in src and 'default_exp' not in src, 'experiment notebooks export nothing'
    assert nb.cells[0].cell_type == 'markdown' and nb.cells[0].source.startswith(f'# {exp.id}')
    for a in exp.artifacts:
        paper, _, art = a.partition(':')
        if paper in PAPERS:
            arts = set(targets(paper).artifact)
            assert art in arts or art in {base_artifact(t) for t in arts}, f'{a} is not in TARGETS.md'


def test_committed_cpu_records_are_valid():
    recs = sorted((ROOT/'results'/'cpu').glob('*/*.json'))
    for f in recs:
        r = load_record(f)
        assert r['scale'] == 'cpu' and f'{f.parent.name}/{f.stem}' == r['experiment']
        assert r['git_commit'] and f.with_suffix('.ipynb').exists(), f
        assert r['experiment'] in {e.id for e in EXPS}


@pytest.mark.skipif(not os.environ.get('CI'), reason='only meaningful in a fresh clone')
def test_tests_write_no_tracked_outputs():
    st = subprocess.run(['git', 'status', '--porcelain', '--', 'figures', 'results'], cwd=ROOT,
                        capture_output=True, text=True, check=True).stdout
    assert not st.strip(), f'the test run changed committed outputs:\n{st}'
