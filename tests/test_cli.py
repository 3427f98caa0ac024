"The `ctrlrepro` command end to end: list, run, skip, force, report, and bad input."
import json, shutil, subprocess
from pathlib import Path
import nbformat
import pandas as pd
import pytest
from conftest import ROOT
from ctrlrepro.core import load_record
from ctrlrepro.report import paper_numbers

CELL = paper_numbers('controlnext').iloc[0]

EXPERIMENT = f'''
from ctrlrepro.core import *
P = resolve_params(scale, dict(smoke=dict(n=2), cpu=dict(n=20)), n=n)
if fail: raise RuntimeError("asked to fail")
rec = RunRecord("demo/hello", P)
rec.add({CELL.artifact!r}, {CELL.row!r}, {CELL.column!r}, P["n"] * 1.5, {CELL.unit!r}, "parameter count", "exact",
        paper="controlnext")
rec.curve("twice", [0, 1, 2], [0, P["n"], 2 * P["n"]], artifact="Fig. 9", paper="controlnext")
rec.save(out)
'''


def _nb(cells):
    nb = nbformat.v4.new_notebook(cells=cells); nb.nbformat_minor = 4
    nb.metadata = {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}
    return nb


@pytest.fixture
def sandbox(tmp_path):
    "A throw-away checkout: our settings.ini, results notebooks, a registry with one demo experiment, git."
    shutil.copy(ROOT/'settings.ini', tmp_path/'settings.ini')
    shutil.copytree(ROOT/'nbs'/'results', tmp_path/'nbs'/'results')
    (tmp_path/'nbs'/'experiments'/'demo').mkdir(parents=True)
    p = nbformat.v4.new_code_cell('scale = "smoke"\nn: int = None\nfail = False\nout = None')
    p.metadata['tags'] = ['parameters']
    nbformat.write(_nb([nbformat.v4.new_markdown_cell('# demo/hello'), p, nbformat.v4.new_code_cell(EXPERIMENT)]),
                   tmp_path/'nbs'/'experiments'/'demo'/'hello.ipynb')
    reg = tmp_path/'ctrlrepro'/'registry'; reg.mkdir(parents=True)
    (reg/'demo.json').write_text(json.dumps([dict(id='demo/hello', artifacts=['controlnext:Table 1'],
                                                  description='demo', cpu_minutes=0.1)]))
    for cmd in (['init', '-q'], ['add', '.'], ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x']):
        subprocess.run(['git', *cmd], cwd=tmp_path, check=True, capture_output=True)
    (tmp_path/'.gitignore').write_text('results/\nfigures/\n')
    subprocess.run(['git', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'y'], cwd=tmp_path)
    subprocess.run(['git', 'add', '.gitignore'], cwd=tmp_path); subprocess.run(
        ['git', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'ignore'], cwd=tmp_path)
    return tmp_path


def test_run_skip_force_and_report(cli, sandbox):
    env = dict(CTRLREPRO_ROOT=str(sandbox))
    rc, out = cli('list', env=env)
    assert rc == 0 and 'demo/hello' in out and 'controlnext:Table 1' in out
    rc, out = cli('run', 'demo/hello', '--scale', 'smoke', '-p', 'n', '4', env=env)
    assert rc == 0, out
    rec = load_record(sandbox/'results'/'smoke'/'demo'/'hello.json')
    assert rec['rows'][0]['value'] == 6.0 and rec['parameters']['n'] == 4
    assert rec['request'] == dict(scale='smoke', overrides=dict(n=4)) and rec['git_dirty'] is False
    assert len(rec['git_commit']) == 40 and rec['environment']['torch']
    assert (sandbox/'results'/'smoke'/'demo'/'hello.ipynb').exists()
    rc, out = cli('run', 'demo/hello', '--scale', 'smoke', '-p', 'n', '4', env=env)
    assert rc == 0 and 'skipped' in out
    rc, out = cli('run', 'demo/hello', '--scale', 'smoke', '-p', 'n', '4', '--force', env=env)
    assert rc == 0 and 'skipped' not in out
    rc, out = cli('list', env=env)
    assert rec['git_commit'][:7] in out
    rc, out = cli('report', '--paper', 'controlnext', '--scale', 'smoke', env=env)
    assert rc == 0, out
    assert not (sandbox/'results'/'controlnext.csv').exists(), 'a smoke report must not write the committed cpu table'
    table = pd.read_csv(sandbox/'results'/'smoke'/'controlnext.csv', dtype=str, keep_default_na=False)
    hit = table[(table.artifact == CELL.artifact) & (table.row == CELL.row) & (table.column == CELL.column)]
    assert len(hit) == 1 and float(hit.ours.iloc[0]) == 6.0 and hit.status.iloc[0] == 'exact'
    assert hit['paper value'].iloc[0] == CELL.value
    assert set(table.artifact) >= {'Table 1', 'Table 2'}
    assert (table[table.artifact == 'Table 2'].status == 'pending').all()
    assert (sandbox/'results'/'smoke'/'figures'/'controlnext'/'fig9.png').exists()
    assert (sandbox/'results'/'smoke'/'report'/'controlnext.ipynb').exists()
    assert (sandbox/'results'/'smoke'/'claims.csv').exists() and not (sandbox/'results'/'claims.csv').exists()
    assert not (sandbox/'figures'/'controlnext').exists() and not (sandbox/'results'/'report').exists()


def test_failed_run_writes_no_result(cli, sandbox):
    env = dict(CTRLREPRO_ROOT=str(sandbox))
    rc, out = cli('run', 'demo/hello', '-p', 'fail', 'True', env=env)
    assert rc == 2 and 'asked to fail' in out
    assert not (sandbox/'results'/'smoke'/'demo'/'hello.json').exists()
    assert (sandbox/'results'/'smoke'/'demo'/'hello.failed.ipynb').exists()
    assert not [f for f in (sandbox/'results'/'smoke'/'demo').iterdir() if f.name.startswith('.')]


@pytest.mark.parametrize('args,msg', [
    (['run', 'demo/helo'], 'Did you mean demo/hello'),
    (['run', 'nothing/here'], 'ctrlrepro list'),
    (['run', 'demo/hello', '--scale', 'huge'], 'smoke, cpu, paper'),
    (['run', 'demo/hello', '-p', 'm', '3'], "no parameter 'm'"),
    (['run', 'demo/hello', '-p', 'n', 'abc'], 'expects n: int'),
    (['run', 'demo/hello', '-p', 'n', '2.5'], 'expects n: int'),
    (['run', 'demo/hello', '-p', 'scale', 'cpu'], 'use --scale'),
    (['report', '--paper', 'dalle'], 'unknown paper'),
])
def test_bad_input_is_refused(cli, sandbox, args, msg):
    rc, out = cli(*args, env=dict(CTRLREPRO_ROOT=str(sandbox)))
    assert rc == 2 and msg in out, out
    assert not (sandbox/'results'/'smoke'/'demo'/'hello.json').exists()
