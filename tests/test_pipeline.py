"""`ctrlrepro.pipeline` end to end: the local executor runs experiments in parallel subprocesses, `verify` passes on
unchanged smoke records and fails on a perturbed one, and the SLURM job it would submit (no cluster here)."""
import json, os, shutil
from pathlib import Path
import cloudpickle
import pytest
from conftest import ROOT
from ctrlrepro.experiments import get_experiment
from ctrlrepro.pipeline import Task, execute, make_scratch, make_executor, _job

IDS = ('controlnext/params', 'can/macs')   # two smoke experiments of seconds, with exact cells


@pytest.fixture(scope='module')
def committed(tmp_path_factory):
    "A scratch checkout holding smoke records of IDS, made by the local executor (two jobs at once)."
    root = make_scratch([get_experiment(i) for i in IDS], 'smoke', dest=tmp_path_factory.mktemp('committed'))
    res = execute([Task(get_experiment(i)) for i in IDS], 'smoke', executor='local', jobs=2, force=True, root=root,
                  data=os.environ.get('CTRLREPRO_DATA'), log=lambda m: None)
    return root, res


def test_local_executor_runs_jobs_in_parallel_subprocesses(committed):
    root, res = committed
    assert all(r['state'] == 'ran' for r in res.values()), res
    a, b = (res[i] for i in IDS)
    assert a['pid'] != b['pid'] and os.getpid() not in (a['pid'], b['pid']), 'each job is its own process'
    assert max(a['start'], b['start']) < min(a['end'], b['end']), f'the jobs did not overlap: {a} {b}'
    for i in IDS:
        rec = json.loads((root/'results'/'smoke'/f'{i}.json').read_text())
        assert rec['input_key']['combined'] and rec['request'] == dict(scale='smoke', overrides={})
    assert not list((root/'results'/'smoke').rglob('*.failed.ipynb'))


def test_verify_passes_then_fails_on_a_perturbed_value(cli, committed, tmp_path):
    root, _ = committed
    against = tmp_path/'against'
    shutil.copytree(root/'results', against/'results')
    f = against/'results'/'smoke'/'can'/'macs.json'
    rec = json.loads(f.read_text())
    cell = next(r for r in rec['rows'] if r['status'] == 'exact' and isinstance(r['value'], (int, float)))
    cell['value'] = cell['value'] * 1.01 + 1          # the deliberate perturbation
    f.write_text(json.dumps(rec))
    rc, out = cli('verify', *IDS, '--scale', 'smoke', '--against', against, '--scratch', tmp_path/'scratch',
                  '--csv', tmp_path/'cells.csv')
    assert rc == 1 and 'MISMATCH' in out, out
    moved = [l for l in out.splitlines() if l.lstrip().startswith('MOVED')]
    assert len(moved) == 1 and 'can/macs' in moved[0] and cell['row'] in moved[0], out
    import pandas as pd
    cells = pd.read_csv(tmp_path/'cells.csv')
    assert (cells[cells.experiment == 'controlnext/params'].verdict == 'same').all(), 'the unperturbed one agrees'
    assert (cells.verdict == 'moved').sum() == 1
    assert json.loads((root/'results'/'smoke'/'can'/'macs.json').read_text())['rows'] != rec['rows'], 'reference untouched'


def test_slurm_job_it_would_submit(tmp_path, monkeypatch):
    b = tmp_path/'bin'; b.mkdir()
    (b/'sbatch').write_text(f'#!/bin/sh\ncp "$1" {tmp_path}/submitted.sh\necho "Submitted batch job 4242"\n')
    (b/'srun').write_text('#!/bin/sh\nexit 1\n')
    for x in b.iterdir(): x.chmod(0o755)
    monkeypatch.setenv('PATH', f"{b}:{os.environ['PATH']}")
    ex = make_executor('slurm', folder=tmp_path/'jobs', partition='gpu', gpus=1, time_min=120, mem_gb=32, cpus=8)
    job = ex.submit(_job, 'controlnext/train', 'paper', {'steps': 100}, None, '/shared/ctrlrepro', None)
    assert job.job_id == '4242'
    script = (tmp_path/'submitted.sh').read_text()
    for flag in ('--partition=gpu', '--gpus-per-node=1', '--time=120', '--mem=32GB', '--cpus-per-task=8', '--job-name=ctrlrepro'):
        assert f'#SBATCH {flag}' in script, script
    assert 'submitit.core._submit' in script
    sub = cloudpickle.loads(Path(job.paths.submitted_pickle).read_bytes())
    assert sub.function is _job and sub.args == ('controlnext/train', 'paper', {'steps': 100}, None, '/shared/ctrlrepro', None)
    with pytest.raises(ValueError, match='unknown executor'): make_executor('k8s')


from test_cli import sandbox  # noqa: F401  (the throw-away checkout with the demo/hello experiment)


def test_sweep_one_job_per_point_and_merge(cli, sandbox):
    env = dict(CTRLREPRO_ROOT=str(sandbox))
    rc, out = cli('run', 'demo/hello', '--sweep', 'n', '[2, 4]', '--executor', 'local', '--jobs', '2', env=env)
    assert rc == 0, out
    pts = sorted((sandbox/'results'/'smoke'/'demo'/'hello.sweep').glob('*.json'))
    assert [p.name for p in pts] == ['n=2.json', 'n=4.json'], pts
    rec = json.loads((sandbox/'results'/'smoke'/'demo'/'hello.json').read_text())
    cell = rec['rows'][0]
    assert cell['value'] == 4.5 and abs(cell['spread'] - 2.1213203) < 1e-6 and 'n=4: 6.0' in cell['note'], cell
    assert rec['request']['sweep'] == {'n': [2, 4]} and len(rec['curves']) == 2 and rec['input_key']['combined']
    rc, out = cli('run', 'demo/hello', '--sweep', 'n', '[2, 4]', env=env)      # nothing missing or stale: no job
    assert rc == 0 and out.count('up to date, skipped') == 2 and 'submitted' not in out, out
    rc, out = cli('run', 'demo/hello', '-p', 'fail', 'True', '--sweep', 'n', '[2]', '--executor', 'local', env=env)
    assert rc == 2 and 'asked to fail' in out and (sandbox/'results'/'smoke'/'demo'/'hello.sweep'/'n=2.failed.ipynb').exists(), out
