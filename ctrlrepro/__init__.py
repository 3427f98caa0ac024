"""ctrlrepro: ControlNeXt, SCEdit, CAN and TimeStep Master on diffusers.

The front door: the public names of each method, importable from the package (`from ctrlrepro import TimestepMaster`).
They load lazily (PEP 562): `import ctrlrepro` imports no torch, and a name imports only its own module, so the
modules never import this file's names and there is no import cycle. Every name is also in its module
(`ctrlrepro.tsm.TimestepMaster`). This file is kept by hand: `nbdev_export` only rewrites the `__version__` line.
"""
__version__ = "0.1.0"
import importlib

_PUBLIC = {
    'controlnext': ['ControlNeXtModel', 'ControlNeXtInjector', 'ControlNeXtPipeline', 'controlnext_variant', 'small_module',
                    'tiny_unet', 'save_delta', 'load_delta'],
    'scedit': ['SCEditTuners', 'CSCTuners', 'SCEditModel', 'SCEditHandle', 'SCEditPipeline', 'load_tuners'],
    'can': ['UViT', 'DiT', 'CondConv2d', 'CondLinear', 'WeightGenerator', 'CAN_DESIGN'],
    'tsm': ['TimestepMaster', 'TSMConfig', 'TSMRouters', 'expert_name', 'interval_training', 'PAPER_TARGETS', 'TSMPipeline'],
}
_WHERE = {name: mod for mod, names in _PUBLIC.items() for name in names}
_MODULES = ('core', 'claims', 'experiments', 'report', 'cli', 'pipeline', 'bench', 'data', 'compbench', 'metrics', 'diffusion', 'bases', 'baselines',
            'controlnext', 'scedit', 'scedit_mini', 'can', 'can_mini', 'tsm', 'tsm_mini', 'tsm_distill')
__all__ = list(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        value = getattr(importlib.import_module(f'.{_WHERE[name]}', __name__), name)
        globals()[name] = value                       # the next lookup is a plain attribute
        return value
    if name in _MODULES: return importlib.import_module(f'.{name}', __name__)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__(): return sorted(set(globals()) | set(__all__) | set(_MODULES))
