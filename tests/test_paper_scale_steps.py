"""One training step of each paper-scale training path at the paper's own configuration, resolution and batch, on fake
tensors (no weights, no memory), so that a GPU node's first run does not fail on a shape or a dtype; and what that step
holds in memory against the analytic model `ctrlrepro.bench.training_memory`.

Each path is built as its `*/train` notebook builds it at `paper` scale, on the real architecture config
(`ctrlrepro.bench.build`, meta device): ControlNeXt SD1.5 (module A after `down_blocks.0`, `to_out` trained, 512 px,
batch 4), SDXL (its module on the input of `down_blocks.0`, `attn2.*to_out`, 1024 px, batch 4), SVD-v2 (the inference
module of the released checkpoint, whole UNet, 576x1024, 14 frames, batch 1); SCEdit SD1.5 (SC-Tuners, 512 px,
batch 32) and SD2.1 (CSC-Tuners, 512 px, batch 64). The step: forward under fp16 autocast, backward, AdamW step. Checked against
`training_memory` on the same path: parameter, gradient and optimizer-state bytes exactly, and the saved activations
within 1 %.

TSM (`tsm/train` at `paper` scale: scales (8, 1), r = alpha = 4, 512 px, batch 64) on SD1.5's UNet, PixArt-alpha's DiT
and SD3-medium's MM-DiT with the paper's targets (`PAPER_TARGETS`): the fostering step of the paper's schedule (expert i
of n = 8 only, `foster(8, interval=i)`) on all three, and the assembling step (routers only) on SD1.5. On fake
timesteps TSM routes every batch by the per-sample tensor path (`set_timestep`: no value to read). A TSM-attached model
does not survive `copy.deepcopy` (its hooks keep the original layers), so `_Fresh` rebuilds it where the step copies
it. The text-encoder experts (CLIP / T5) are not built here (bench builds denoisers only).

Not here: CAN has no paper-scale training notebook (its paper-scale rows are structural, `can/macs`)."""
import copy, time
import pytest, torch
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.autograd.graph import saved_tensors_hooks
from ctrlrepro import bench

pytestmark = pytest.mark.filterwarnings('ignore')


def _loss(model, inputs):
    args, kw = inputs
    kw = dict(kw); c = kw.pop('control', None)
    from ctrlrepro.scedit import SCEditModel
    if isinstance(model, SCEditModel) and c is not None:
        with model.condition(c): out = model(*args, **kw)
    elif c is not None: out = model(*args, control=c, **kw)
    else: out = model(*args, **kw)
    out = out.sample if hasattr(out, 'sample') else out
    return out.float().pow(2).mean()


def fake_step(model, inputs_fn, precision='fp16-mixed'):
    """Forward, backward and one AdamW step of `model` on fake tensors. Returns the bytes the step holds: parameters,
    gradients, optimizer state, and the tensors autograd saved (each storage once)."""
    half, fdt = bench._precision(precision, 'auto')
    model = copy.deepcopy(model)
    with FakeTensorMode():
        m = bench._to_fake(model, fdt)
        params = list(m.parameters())
        pkeys = {bench._skey(p) for p in params}
        saved = {}
        def pack(t):
            k = bench._skey(t)
            if k not in pkeys: saved[k] = t.untyped_storage().nbytes()
            return t
        inputs = inputs_fn()
        with saved_tensors_hooks(pack, lambda t: t), torch.autocast('cpu', dtype=half):
            loss = _loss(m, inputs)
        assert loss.dtype == torch.float32 and loss.requires_grad
        loss.backward()
        train = [p for p in params if p.requires_grad]
        missing = [n for n, p in m.named_parameters() if p.requires_grad and p.grad is None]
        assert not missing, f"trainable parameters without a gradient: {missing[:5]}"
        assert all(p.grad.shape == p.shape and p.grad.dtype == p.dtype for p in train)
        opt = torch.optim.AdamW(train, lr=1e-5, weight_decay=1e-2)
        opt.step()
        state = sum(t.untyped_storage().nbytes() for s in opt.state.values() for t in s.values()
                    if isinstance(t, torch.Tensor) and t.ndim > 0)
    return dict(params=sum(p.numel() * p.element_size() for p in params),
                grads=sum(p.grad.numel() * p.grad.element_size() for p in train), optimizer=state,
                activations=sum(saved.values()), n_trainable=sum(p.numel() for p in train))


def _inputs(name, batch, res, base, control=False, frames=14):
    def fn():
        a, k = bench.example_inputs(name, batch=batch, resolution=res, frames=frames, device='cpu', model=base)
        if len(a) == 4: a, k = a[:3], dict(k, added_time_ids=a[3])     # SVD: ControlledUNet takes (x, t, ehs, control, **kw)
        if control:
            n = a[0].shape[0] * (a[0].shape[1] if a[0].ndim == 5 else 1)
            h, w = (res, res) if isinstance(res, int) else res
            k = dict(k, control=torch.rand(n, 3, h, w))
        return a, k
    return fn


def _controlnext(name, variant, pattern):
    from ctrlrepro.controlnext import ControlledUNet, controlnext_variant
    with torch.device('meta'):
        u = bench.build(name, device='meta')
        return u, ControlledUNet(u, 'controlnext', controlnext_variant(variant), pattern=pattern)


def _scedit(name, csc):
    from ctrlrepro import scedit
    with torch.device('meta'):
        u = bench.build(name, device='meta')
        t = scedit.CSCTuners.from_unet(u, dense_kernel=1) if csc else scedit.SCEditTuners.from_unet(u)
        return u, scedit.SCEditModel(u, t)


class _Fresh(torch.nn.Module):
    "A model built by `build()`; `copy.deepcopy` builds it again (a TSM-attached model's hooks hold its own layers)."
    def __init__(self, build):
        super().__init__(); self.build = build; self.model = build()
    def __deepcopy__(self, memo): return _Fresh(self.build)
    def forward(self, *a, **k): return self.model(*a, **k)


def _tsm(name, targets, stage='foster', kind='discrete'):
    from ctrlrepro.tsm import TimestepMaster, TSMConfig, PAPER_TARGETS
    def build():
        with torch.device('meta'):
            u = bench.build(name, device='meta')
            tsm = TimestepMaster(TSMConfig(scales=(8, 1), r=4, lora_alpha=4, timestep_kind=kind))
            tsm.attach(u, PAPER_TARGETS[targets])
            tsm.foster(8, interval=3) if stage == 'foster' else tsm.assemble()
        return u
    m = _Fresh(build)
    return m.model, m


PATHS = {   # name: (builder, bench config, resolution, batch, control)
    'ControlNeXt SD1.5': (lambda: _controlnext('sd15-unet', 'sd15_train', 'to_out'), 'sd15-unet', 512, 4, True),
    'ControlNeXt SDXL': (lambda: _controlnext('sdxl-unet', 'sdxl', 'attn2.*to_out'), 'sdxl-unet', 1024, 4, True),
    'ControlNeXt SVD-v2': (lambda: _controlnext('svd-unet', 'svd_v2_infer', 'all'), 'svd-unet', (576, 1024), 1, True),
    'SCEdit SD1.5': (lambda: _scedit('sd15-unet', False), 'sd15-unet', 512, 32, False),
    'SCEdit SD2.1': (lambda: _scedit('sd21-unet', True), 'sd21-unet', 512, 64, True),
    'TSM SD1.5 fostering': (lambda: _tsm('sd15-unet', 'sd15-unet'), 'sd15-unet', 512, 64, False),
    'TSM SD1.5 assembling': (lambda: _tsm('sd15-unet', 'sd15-unet', 'assemble'), 'sd15-unet', 512, 64, False),
    'TSM PixArt-alpha fostering': (lambda: _tsm('pixart-alpha-xl-2', 'pixart-dit'), 'pixart-alpha-xl-2', 512, 64, False),
    'TSM SD3 fostering': (lambda: _tsm('sd3-medium-transformer', 'sd3-mmdit', kind='flow'), 'sd3-medium-transformer', 512, 64, False),
}


@pytest.mark.parametrize('path', list(PATHS))
def test_paper_scale_step(path):
    t0 = time.perf_counter()
    build, name, res, batch, control = PATHS[path]
    base, model = build()
    fn = _inputs(name, batch, res, base, control)
    step = fake_step(model, fn)
    pred = bench.training_memory(model, fn, loss_fn=_loss, precision='fp16-mixed')
    assert step['n_trainable'] == pred['n_trainable'] > 0
    assert step['params'] == pred['params'], (step['params'], pred['params'])
    assert step['grads'] == pred['grads'], (step['grads'], pred['grads'])
    assert step['optimizer'] == pred['optimizer'], (step['optimizer'], pred['optimizer'])
    acts = pred['activations'] + pred['autocast_weight_copies']
    assert abs(step['activations'] / acts - 1) < 0.01, (step['activations'], acts)
    print(f"{path}: {step['n_trainable'] / 1e6:.2f}M trainable, activations {acts / 2**30:.1f} GiB, peak "
          f"{pred['peak'] / 2**30:.1f} GiB ({time.perf_counter() - t0:.1f} s)")
