"""Probes: bad input and interrupted runs, tried as a new user would. Each probe asserts the message the user gets
and that nothing was written. They run against a throw-away copy of the checkout (`CTRLREPRO_ROOT`), never the
real results/. Every registered experiment is also walked: each parameter must declare a usable type."""
import ast, copy, errno, hashlib, json, os, re, shutil, signal, subprocess, sys, time
from pathlib import Path
import nbformat
import pytest
from conftest import ROOT, BIN
from ctrlrepro import cli, pipeline
from ctrlrepro.cli import main
from ctrlrepro.experiments import load_registry, notebook_parameters, check_value, _parse_range
from ctrlrepro.core import SCALES

EXPS = load_registry()

# --- every registered experiment declares a usable, self-consistent type for every knob ---------------------------
@pytest.mark.parametrize('exp', EXPS, ids=[e.id for e in EXPS])
def test_every_parameter_declares_a_usable_type(exp):
    params = notebook_parameters(exp.notebook)
    untyped = [k for k, p in params.items() if p.type is None and k != 'out']
    assert not untyped, (f'{exp.id}: no usable type for {untyped}: annotate them in the parameters cell, '
                         f'e.g. `steps: int | None = None` (DEVELOPING.md)')
    assert params['scale'].type == 'str' and (params['scale'].choices or tuple(SCALES)) == tuple(SCALES)
    for k, p in params.items():
        if k == 'out': continue
        check_value(exp.id, k, p, ast.literal_eval(p.default))   # the default fits its own declaration
        ann = p.type.replace(' ', '')
        if p.range: assert 'int' in ann or 'float' in ann, f'{exp.id}: {k} has a range but no number type'
        if p.choices: assert 'str' in ann, f'{exp.id}: {k} has choices but no str type'
        if _numeric(p): assert p.range, (f'{exp.id}: the number knob {k} ({p.type}) declares no range: add e.g. '
                                         f'`# range: >0` to its line of the parameters cell (DEVELOPING.md)')


def _numeric(p): return bool(re.search(r'\b(int|float)\b', p.type or ''))


def _outside(p):
    "Values just outside each bound of the knob's range, shaped like the knob (a list / dict of lists gets one element)."
    is_int = 'float' not in p.type
    out = []
    for op, b in _parse_range(p.range):
        v = {'>': b, '>=': b - (1 if is_int else 1e-3), '<': b, '<=': b + (1 if is_int else 1e-3)}[op]
        v = int(v) if is_int else v
        t = p.type.replace(' ', '')
        out.append({'x': [v]} if t.startswith('dict') else [v] if t.startswith(('list', 'tuple')) else v)
    return out


@pytest.mark.parametrize('exp', EXPS, ids=[e.id for e in EXPS])
def test_every_out_of_range_value_is_refused(exp):
    "Through the registry: for every number knob of every experiment, a value past each bound is refused (`-p`)."
    for k, p in notebook_parameters(exp.notebook).items():
        if k in ('scale', 'out') or not p.range: continue
        for v in _outside(p):
            with pytest.raises(ValueError, match=f'{k} must be'): check_value(exp.id, k, p, repr(v))


# --- a throw-away checkout: the real experiments and registry, plus a demo group ------------------------------------
DEMO = '''
import os, time
from ctrlrepro.core import *
P = resolve_params(scale, dict(smoke=dict(n=2), cpu=dict(n=20)), n=n)
rec = RunRecord("demo/hello", P)
d = experiment_dir(scale, "demo/hello")
atomic_write_text(d / "weights.txt", f"weights of the run at {time.time()}")   # the run's large outputs
(figures_dir("demo") / "grid.txt").write_text(f"grid of the run at {time.time()}")    # written in place, not atomically
(d / "kernel.pid").write_text(str(os.getpid()))
if fail: raise RuntimeError("asked to fail")
time.sleep(sleep)
rec.curve("twice", [0, 1], [0, 2 * P["n"]])
rec.save(out)
'''

CACHE = '''
import json, time
from ctrlrepro.core import *
from ctrlrepro.pipeline import load_run_cache
P = resolve_params(scale)
f = repo_root() / "results" / scale / "demo" / "runs" / "r-seed0.json"     # a mini's cached run, as can.train_mini keeps it
if load_run_cache(f) is None: atomic_write_text(f, json.dumps(dict(trained_at=time.time())))   # "train" it
rec = RunRecord("demo/cache", P)
rec.curve("one", [0, 1], [0, 1])
rec.save(out)
'''


def _nb(path, params, code=None):
    p = nbformat.v4.new_code_cell(params); p.metadata['tags'] = ['parameters']
    cells = [nbformat.v4.new_markdown_cell(f'# {path.parent.name}/{path.stem}'), p] + ([nbformat.v4.new_code_cell(code)] if code else [])
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}
    path.parent.mkdir(parents=True, exist_ok=True); nbformat.write(nb, path)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp('checkout')
    shutil.copy(ROOT/'settings.ini', r/'settings.ini')
    for d in ('nbs/experiments', 'nbs/results', 'ctrlrepro/registry'): shutil.copytree(ROOT/d, r/d)
    demo = r/'nbs'/'experiments'/'demo'
    _nb(demo/'hello.ipynb', 'scale: str = "smoke"\nn: int | None = None  # range: >0\nfail: bool = False\n'
                            'sleep: float = 0.0  # range: >=0\nout: str | None = None', DEMO)
    _nb(demo/'bare.ipynb', 'scale: str = "smoke"\nout: str | None = None', 'raise RuntimeError("never run here")')
    _nb(demo/'cache.ipynb', 'scale: str = "smoke"\nout: str | None = None', CACHE)
    (r/'ctrlrepro'/'registry'/'demo.json').write_text(json.dumps(
        [dict(id='demo/hello', artifacts=[], description='demo', cpu_minutes=0.1),
         dict(id='demo/bare', artifacts=[], description='no parameters', cpu_minutes=0.1),
         dict(id='demo/cache', artifacts=[], description='reads a run cache', cpu_minutes=0.1)]))
    return r


def tree(r):
    "Every file under results/ and figures/ -> its sha256 (what a probe may not change)."
    return {str(f.relative_to(r)): hashlib.sha256(f.read_bytes()).hexdigest()
            for d in ('results', 'figures') for f in sorted((r/d).rglob('*')) if f.is_file()}


def dirs(r):
    return sorted(str(d.relative_to(r)) for x in ('results', 'figures') for d in (r/x).rglob('*') if d.is_dir())


@pytest.fixture
def run(root, monkeypatch, capsys):
    "Call `ctrlrepro ARGS` in-process in the throw-away checkout; return (rc, stderr) and check nothing was written."
    monkeypatch.setenv('CTRLREPRO_ROOT', str(root))
    def call(*args, writes=False):
        before, before_dirs = tree(root), dirs(root)
        rc = main([str(a) for a in args])
        out = capsys.readouterr()
        if not writes: assert tree(root) == before and dirs(root) == before_dirs, 'the probe wrote something'
        return rc, out.err
    return call


# --- the command: each probe gets exit 2 and a message that says what to do ---------------------------------------
@pytest.mark.parametrize('args,msgs', [
    # unknown experiment
    (['run', 'nothing/here'], ["unknown experiment 'nothing/here'", '`ctrlrepro list` shows all']),
    # near-miss ids: a typo, a missing group
    (['run', 'controlnext/convergance'], ['Did you mean controlnext/convergence?']),
    (['run', 'convergence'], ['Did you mean controlnext/convergence?']),
    # unknown scale
    (['run', 'controlnext/params', '--scale', 'huge'], ["unknown scale 'huge': use one of smoke, cpu, paper"]),
    # unknown -p name: the real ones are listed, a near miss suggested
    (['run', 'controlnext/convergence', '-p', 'step', '3'],
     ["has no parameter 'step'. Did you mean 'steps'?", 'Its parameters are: steps (int | None), eval_every (int | None)']),
    # -p on an experiment without parameters says so
    (['run', 'controlnext/params', '-p', 'nosuch', '1'], ['controlnext/params takes no parameters (only --scale): drop -p nosuch']),
    # wrong -p type (the issue's `-p steps abc`, a float for an int, an int for a list)
    (['run', 'controlnext/convergence', '-p', 'steps', 'abc'],
     ["-p steps 'abc': controlnext/convergence expects steps: int | None (training steps per run), got the text 'abc'"]),
    (['run', 'controlnext/convergence', '-p', 'steps', '2.5'], ['expects steps: int | None (training steps per run), got float 2.5']),
    (['run', 'controlnext/convergence', '-p', 'seeds', '3'], ['expects seeds: list[int] | None, got int 3; e.g. -p seeds "[0, 1]"']),
    (['run', 'can/macs', '-p', 'scale', 'cpu'], ['-p scale is set by `ctrlrepro run` itself: use --scale']),
    # malformed literal
    (['run', 'controlnext/convergence', '-p', 'seeds', '[0, 1'], ["-p seeds '[0, 1' is not a Python literal ('[' was never closed)"]),
    # out of range / not one of the choices
    (['run', 'controlnext/convergence', '-p', 'steps', '0'], ["-p steps '0': steps must be >0 (> 0 fails for 0)"]),
    (['run', 'controlnext/convergence', '-p', 'seeds', '[0, -1]'], ['every element of seeds must be >=0 (>= 0 fails for -1)']),
    (['run', 'controlnext/lora', '-p', 'threads', '0'], ['threads must be >=1']),
    (['run', 'tsm/fostering', '--scale', 'smoke', '-p', 'step', '-5'], ["-p step '-5': step must be >0 (> 0 fails for -5)"]),
    (['run', 'tsm/fostering', '-p', 'seeds', "{'tiny-sd': [-1]}"], ['every element of seeds must be >=0']),
    (['run', 'scedit/train', '-p', 'cond_dropout', '1.5'], ['cond_dropout must be 0..1']),
    (['run', 'controlnext/train', '-p', 'control_scale', '-1.0'], ['control_scale must be >=0']),
    # several experiments: each -p is checked against each one's own knobs
    (['run', 'controlnext/convergence', 'can/macs', '-p', 'steps', '3'], ['can/macs takes no parameters (only --scale): drop -p steps']),
    (['run', 'controlnext/convergence', '-p', 'bridge', 'oficial'],
     ["bridge must be one of paper, official, got 'oficial'. Did you mean 'official'?"]),
    (['run', 'controlnext/convergence', '-p', 'arms', "['controlnet', 'controlnxt']"],
     ["every element of arms must be one of controlnet, controlnext, controlnext_zero, controlnext_frozen, got 'controlnxt'"]),
    (['run', 'controlnext/latency', '-p', 'dtype', 'fp64'], ["dtype must be one of bf16, fp32, fp16, got 'fp64'"]),
    (['run', 'controlnext/convergence', '-p', 'steps', '1', '-p', 'steps', '2'], ['-p steps is given twice']),
    # unknown paper for `report` (checked before any results notebook runs)
    (['report', '--paper', 'dalle'], ["unknown paper 'dalle': use one of controlnext, scedit, can, tsm, world"]),
    (['report', '--paper', 'controlnxt'], ["unknown paper 'controlnxt' (did you mean 'controlnext'?)"]),
])
def test_probe_refused(run, args, msgs):
    rc, err = run(*args)
    assert rc == 2, err
    assert err.startswith(f'ctrlrepro {args[0]}: error: ') and 'Traceback' not in err, err
    for m in msgs: assert m in err, (m, err)


# --- a corrupted run record: `list` and `report` name the file and go on -------------------------------------------
def test_probe_corrupted_record(root, run):
    bad = root/'results'/'smoke'/'demo'/'bare.json'
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text('{"experiment": "demo/bare", "rows": [')
    try:
        rc, err = run('list')
        assert rc == 0 and 'results/smoke/demo/bare.json is not a valid run record (JSONDecodeError' in err, err
        assert 'ctrlrepro run demo/bare --scale smoke --force' in err
        rc, err = run('report', '--paper', 'world', '--scale', 'smoke')     # it would drop that record's rows: refused
        assert rc == 2 and 'the report would drop the rows of results/smoke/demo/bare.json, which is not a valid run record' in err, err
        assert 'restore it with `ctrlrepro run demo/bare --scale smoke --force`' in err and 'Nothing was regenerated' in err
        assert bad.read_text() == '{"experiment": "demo/bare", "rows": ['          # named, never rewritten or deleted
    finally:
        bad.unlink()


def test_list_marks_the_invalid_record(root, run, capsys):
    bad = root/'results'/'cpu'/'demo'/'bare.json'
    bad.parent.mkdir(parents=True, exist_ok=True); bad.write_text('[]')
    try:
        rc = main(['list'])
        out = capsys.readouterr()
        line = next(l for l in out.out.splitlines() if l.startswith('demo/bare'))
        assert rc == 0 and 'invalid' in line and 'results/cpu/demo/bare.json is not a valid run record' in out.err
        assert 'controlnext/convergence' in out.out                       # and it goes on
    finally:
        shutil.rmtree(bad.parent)


# --- library-level probes: bad input to the methods gets a ValueError / FileNotFoundError that says what to do ----
def test_probe_missing_base_path(root, monkeypatch):
    from ctrlrepro.bases import load_base
    monkeypatch.setenv('CTRLREPRO_ROOT', str(root))
    before = tree(root)
    with pytest.raises(FileNotFoundError, match='no base folder at /no/such/sd15'): load_base('/no/such/sd15')
    with pytest.raises(FileNotFoundError, match=r'does not exist: train it with `ctrlrepro run world/bases --scale cpu`'):
        load_base('tiny-sd', 'cpu')
    assert tree(root) == before


@pytest.fixture(scope='module')
def tiny():
    import torch
    from ctrlrepro.controlnext import tiny_unet, small_module, ControlNeXtInjector
    torch.manual_seed(0)
    unet = tiny_unet('sd15').eval()
    return unet, ControlNeXtInjector(unet, small_module('sd15_train', out_channels=32, injection_point='down_blocks.0'))


@pytest.mark.parametrize('shape,msg', [
    ((2, 3, 60, 64), 'control image is (60, 64) but the latents (8, 8) with vae_scale_factor 8 need (64, 64): resize the control image'),
    ((2, 1, 64, 64), 'control image has 1 channels; this module takes 3'),
    ((3, 3, 64, 64), 'control batch 3 does not match the model batch 2'),
    ((3, 64, 64), 'control image must be (B, C, H, W); got (3, 64, 64)'),
], ids=['size', 'channels', 'batch', 'no-batch-dim'])
def test_probe_control_image(tiny, shape, msg):
    import torch
    unet, inj = tiny
    x, t, ehs = torch.randn(2, 4, 8, 8), torch.tensor([3, 700]), torch.randn(2, 5, 32)
    with pytest.raises(ValueError) as e, torch.no_grad(), inj.control(torch.rand(*shape)): unet(x, t, ehs)
    assert msg in str(e.value), str(e.value)


def test_probe_delta_for_another_base(tmp_path):
    import torch
    from ctrlrepro.controlnext import tiny_unet, small_module, save_delta, load_delta
    torch.manual_seed(1); unet = tiny_unet('sd15')
    p = save_delta(tmp_path/'delta.safetensors', small_module('sd15_train', out_channels=32), unet, 'to_out')
    before = p.read_bytes()
    other = tiny_unet('sdxl'); state = copy.deepcopy(other.state_dict())
    with pytest.raises(ValueError, match='delta delta.safetensors was made for a different base architecture'): load_delta(p, other)
    assert all(torch.equal(v, other.state_dict()[k]) for k, v in state.items())     # the refused base is untouched
    with pytest.raises(ValueError, match='trained on different base weights .*pass allow_other_weights=True'):
        load_delta(p, tiny_unet('sd15'))
    with pytest.raises(FileNotFoundError, match='no ControlNeXt delta at'): load_delta(tmp_path/'none.safetensors', unet)
    assert p.read_bytes() == before and sorted(os.listdir(tmp_path)) == ['delta.safetensors']


@pytest.mark.parametrize('labels,msg', [
    ([3, 11], 'class id out of range: got min 3, max 11; valid ids are 0..9 and 10 for the null (unconditional) class'),
    ([-1, 0], 'class id out of range: got min -1'),
    ([0.5, 1.0], 'class_labels must be integer ids'),
], ids=['too-high', 'negative', 'float'])
def test_probe_can_class_id(labels, msg):
    import torch
    from ctrlrepro.can_mini import mini_model
    m = mini_model('uvit-can', smoke=True).eval()
    c = m.config
    x = torch.randn(2, c.in_channels, c.sample_size, c.sample_size)
    with pytest.raises(ValueError) as e, torch.no_grad(): m(x, torch.tensor([10, 500]), class_labels=torch.tensor(labels))
    assert msg in str(e.value), str(e.value)


# --- runs that fail or are interrupted: the committed record is never damaged, nothing is left behind --------------
def _cli(root, *args, **kw):
    return subprocess.Popen([str(BIN/'ctrlrepro'), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, 'CTRLREPRO_ROOT': str(root)}, cwd=root,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kw)   # as a terminal would


@pytest.fixture(scope='module')
def recorded(root):
    "demo/hello with a committed-like record (json, executed notebook, outputs, figure) from one successful run."
    p = _cli(root, 'run', 'demo/hello', '-p', 'n', '3')
    out, _ = p.communicate(timeout=300)
    assert p.returncode == 0, out
    rec = root/'results'/'smoke'/'demo'/'hello.json'
    assert json.loads(rec.read_text())['request'] == dict(scale='smoke', overrides=dict(n=3))
    return root


def _alive(pid):
    try: os.kill(pid, 0)
    except ProcessLookupError: return False
    return True


def test_probe_interrupted_force_rerun(recorded):
    root, before, before_dirs = recorded, tree(recorded), dirs(recorded)
    pidf = root/'results'/'smoke'/'demo'/'hello'/'kernel.pid'
    old_pid = pidf.read_text()
    p = _cli(root, 'run', 'demo/hello', '-p', 'n', '3', '-p', 'sleep', '120', '--force')
    t0 = time.time()
    while pidf.read_text() in (old_pid, ''):                # the rerun has overwritten outputs and figure, and sleeps
        assert p.poll() is None and time.time() - t0 < 240, p.communicate()[0]
        time.sleep(0.2)
    kernel = int(pidf.read_text())
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=120)
    assert p.returncode == 130, out
    assert 'ctrlrepro run: interrupted, nothing written' in out and 'Traceback' not in out, out
    assert tree(root) == before and dirs(root) == before_dirs       # record, notebook, outputs, figure byte-identical
    assert not list((root/'results').rglob('.run-*')) and not list((root/'results').rglob('*.failed.ipynb'))
    assert not _alive(kernel), 'the kernel of the interrupted run is still running'


def test_probe_notebook_raises(recorded):
    root, before = recorded, tree(recorded)
    p = _cli(root, 'run', 'demo/hello', '-p', 'fail', 'True', '--force')
    out, _ = p.communicate(timeout=300)
    assert p.returncode == 2, out
    assert 'ctrlrepro run: error: demo/hello [smoke] failed after' in out
    assert 'cell [3] raised RuntimeError: asked to fail' in out and 'nothing else was written' in out, out
    failed = root/'results'/'smoke'/'demo'/'hello.failed.ipynb'
    assert f'its executed notebook is kept at {failed}' in out
    after = tree(root); after.pop(str(failed.relative_to(root)))
    assert after == before                                           # only the debugging copy is new
    failed.unlink()


def test_probe_fresh_run_fails_leaves_no_folders(root, run):
    "A failing first run of an experiment leaves no empty results/<scale>/<group>/<name>/ (nor figures/<group>/)."
    rc, err = run('run', 'demo/bare', '--scale', 'cpu', writes=True)
    assert rc == 2 and "cell [3] raised RuntimeError: never run here" in err, err
    failed = root/'results'/'cpu'/'demo'/'bare.failed.ipynb'
    assert [f for f in (root/'results'/'cpu').rglob('*')] == [failed.parent, failed]
    shutil.rmtree(failed.parent)
    assert not (root/'results'/'cpu').exists() or not any((root/'results'/'cpu').iterdir())


def test_probe_sigterm(root, run, monkeypatch):
    "SIGTERM is handled like Ctrl-C: one line, exit 143, no traceback (the run is undone by the same path)."
    monkeypatch.setattr(cli, 'run_experiment', lambda *a, **k: os.kill(os.getpid(), signal.SIGTERM) or time.sleep(5))
    rc, err = run('run', 'demo/hello')
    assert rc == 143 and err.strip() == 'ctrlrepro run: interrupted (SIGTERM), nothing written', err


# --- dry runs run nothing and write nothing ----------------------------------------------------------------------
def test_probe_dry_run_writes_nothing(recorded, run):
    rc, err = run('run', 'demo/cache', 'demo/hello', '--dry-run')
    assert rc == 0, err
    for a in (['run', 'demo/hello', '-p', 'n', '5', '--dry-run'], ['run', 'demo/hello', '-p', 'n', '3', '--force', '--dry-run'],
              ['verify', 'demo/hello', '--scale', 'smoke', '--dry-run'], ['reproduce', '--group', 'demo', '--scale', 'smoke', '--dry-run']):
        before = tree(recorded)
        rc, err = run(*a)                  # `run` checks that nothing under results/ or figures/ changed
        assert rc == 0 and 'Traceback' not in err, (a, err)
    # a dry run with a cached run: record and run cache untouched, it says why it would run
    rc, _ = run('run', 'demo/cache', writes=True); assert rc == 0
    cache = recorded/'results'/'smoke'/'demo'/'runs'/'r-seed0.json'; before = cache.read_bytes()
    rc, _ = run('run', 'demo/cache', '--force', '--dry-run'); assert rc == 0 and cache.read_bytes() == before


def test_probe_dry_run_says_what_would_run(recorded, monkeypatch, capsys):
    monkeypatch.setenv('CTRLREPRO_ROOT', str(recorded))
    assert main(['run', 'demo/hello', '-p', 'n', '5', '--dry-run']) == 0
    out = capsys.readouterr().out
    assert 'demo/hello [smoke]: would run (request {"n": 3} -> {"n": 5})' in out and 'dry run, nothing was run or written' in out, out
    assert main(['run', 'demo/hello', '-p', 'n', '3', '--force', '--dry-run']) == 0
    assert 'would run (--force)' in capsys.readouterr().out
    assert main(['verify', 'demo/hello', '--scale', 'smoke', '--dry-run']) == 0
    out = capsys.readouterr().out
    assert 'demo/hello [smoke]: would rerun in a scratch checkout with -p {"n": 3} and compare its' in out and 'nothing was rerun' in out, out


def test_probe_several_experiments_get_their_own_overrides(recorded, monkeypatch):
    "`run A B -p k v`: each experiment's -p checked against its own knobs and given to it alone (not A's to B)."
    got = {}
    monkeypatch.setattr(pipeline, 'execute', lambda tasks, *a, **k: got.update({t.exp.id: t.overrides for t in tasks}) or {})
    monkeypatch.setenv('CTRLREPRO_ROOT', str(recorded))
    assert main(['run', 'demo/hello', 'demo/cache', '-p', 'n', '2']) == 2      # demo/cache has no n: refused, nothing runs
    assert got == {}
    assert main(['run', 'demo/hello', 'demo/hello', '-p', 'n', '2']) == 0 and got == {'demo/hello': {'n': 2}}


# --- a corrupted run cache: named, with what to do; --force trains it again --------------------------------------
def test_probe_corrupted_run_cache(root, run):
    cache = root/'results'/'smoke'/'demo'/'runs'/'r-seed0.json'
    rec = root/'results'/'smoke'/'demo'/'cache.json'
    rc, err = run('run', 'demo/cache', writes=True); assert rc == 0, err
    cache.write_text('{"trained_at": 17'); rec.unlink()            # a truncated cache, and the record to remake
    rc, err = run('run', 'demo/cache', writes=True)
    assert rc == 2 and 'raised ValueError: the run cache results/smoke/demo/runs/r-seed0.json is corrupted (JSONDecodeError' in err, err
    assert 'delete it (`rm results/smoke/demo/runs/r-seed0.json`) or rerun the experiment with --force' in err
    assert cache.read_text() == '{"trained_at": 17' and not rec.exists()
    rc, err = run('run', 'demo/cache', '--force', writes=True)        # --force: the corrupted entry is trained again
    assert rc == 0, err
    assert 'trained_at' in json.loads(cache.read_text()) and rec.exists()
    (root/'results'/'smoke'/'demo'/'cache.failed.ipynb').unlink(missing_ok=True)


# --- a read-only results/ (EROFS), another filesystem (EXDEV), CTRLREPRO_DATA a file ------------------------------
@pytest.mark.parametrize('code,msgs', [
    (errno.EROFS, ['the filesystem is read-only', 'make results/ and figures/ of the checkout writable']),
    (errno.EXDEV, ['different filesystems', 'keep results/<scale>/ (and its .run-* backups) on one filesystem']),
])
def test_probe_unwritable_results(recorded, run, monkeypatch, code, msgs):
    def refuse(*a, dir=None, **k): raise OSError(code, os.strerror(code), str(dir))
    monkeypatch.setattr(pipeline.tempfile, 'mkdtemp', refuse)
    rc, err = run('run', 'demo/hello', '-p', 'n', '7')
    assert rc == 2 and 'Traceback' not in err, err
    assert f"ctrlrepro run: error: cannot write {recorded/'results'/'smoke'}" in err, err
    for m in msgs: assert m in err, (m, err)


def test_restore_across_filesystems(tmp_path, monkeypatch):
    "Putting a backup back across filesystems (EXDEV from os.replace) copies it instead."
    b, d = tmp_path/'backup', tmp_path/'figures'/'demo'
    b.mkdir(); (b/'grid.txt').write_text('old'); d.parent.mkdir()
    real = os.replace
    def exdev(src, dst):
        if Path(src) == b: raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(src), None, str(dst))
        return real(src, dst)
    monkeypatch.setattr(os, 'replace', exdev)
    pipeline._move_back(b, d)
    assert (d/'grid.txt').read_text() == 'old' and not b.exists()


def test_probe_data_dir_is_a_file(tmp_path, monkeypatch, capsys):
    from ctrlrepro.data import data_dir
    f = tmp_path/'data.txt'; f.write_text('not a folder')
    monkeypatch.setenv('CTRLREPRO_DATA', str(f))
    with pytest.raises(ValueError, match=f'CTRLREPRO_DATA={f} is a file, not a folder: point CTRLREPRO_DATA at a folder'): data_dir()
    monkeypatch.setenv('CTRLREPRO_DATA', str(f/'sub'))
    with pytest.raises(ValueError, match='cannot make the folder'): data_dir()
    monkeypatch.setenv('CTRLREPRO_DATA', str(f))
    assert main(['data', 'openmoji']) == 2
    assert f'ctrlrepro data: error: CTRLREPRO_DATA={f} is a file' in capsys.readouterr().err


def test_probe_report_refuses_a_corrupted_cpu_record(root, run):
    bad = root/'results'/'cpu'/'demo'/'bare.json'
    bad.parent.mkdir(parents=True, exist_ok=True); bad.write_text('{"rows": [')
    try:
        rc, err = run('report', '--paper', 'world')
        assert rc == 2 and 'results/cpu/demo/bare.json, which is not a valid run record' in err, err
        assert '`git checkout results/cpu/demo/bare.json` (the committed record) or `ctrlrepro run demo/bare --scale cpu --force`' in err
    finally:
        shutil.rmtree(bad.parent)


# --- SIGKILL: nothing can undo the run; the next run puts the folders back from its backup -----------------------
def test_probe_sigkill_backup_is_restored_by_the_next_run(recorded):
    root, before, before_dirs = recorded, tree(recorded), dirs(recorded)
    pidf = root/'results'/'smoke'/'demo'/'hello'/'kernel.pid'
    old_pid = pidf.read_text()
    p = _cli(root, 'run', 'demo/hello', '-p', 'n', '3', '-p', 'sleep', '120', '--force', start_new_session=True)
    t0 = time.time()
    while pidf.read_text() in (old_pid, ''):                # the run has overwritten outputs and figure, and sleeps
        assert p.poll() is None and time.time() - t0 < 240, p.communicate()[0]
        time.sleep(0.2)
    kernel = int(pidf.read_text())
    os.kill(p.pid, signal.SIGKILL); p.communicate(timeout=60)
    os.kill(kernel, signal.SIGKILL)                          # the orphaned kernel of that run (we started it)
    assert tree(root) != before and list((root/'results'/'smoke').glob('.run-demo-*'))   # half-written, backup left
    q = _cli(root, 'run', 'demo/hello', '-p', 'n', '3')
    out, _ = q.communicate(timeout=300)
    assert q.returncode == 0 and 'a run killed before it finished left .run-demo-' in out and 'put back' in out, out
    assert 'up to date' in out, out
    assert tree(root) == before and dirs(root) == before_dirs and not list((root/'results').rglob('.run-*'))
