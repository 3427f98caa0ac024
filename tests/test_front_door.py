"`ctrlrepro/__init__.py` exports each method's public names, lazily, without import cycles; nbdev keeps it."
import subprocess, sys
from conftest import ROOT


def _py(code):
    return subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True)


def test_import_is_light_and_every_name_resolves():
    p = _py("import sys, ctrlrepro\n"
            "assert 'torch' not in sys.modules, 'import ctrlrepro imported torch'\n"
            "for n in ctrlrepro.__all__:\n"
            "    mod = ctrlrepro._WHERE[n]\n"
            "    assert getattr(ctrlrepro, n) is getattr(__import__(f'ctrlrepro.{mod}', fromlist=[n]), n), n\n"
            "assert ctrlrepro.tsm.TimestepMaster is ctrlrepro.TimestepMaster\n"
            "print(len(ctrlrepro.__all__))")
    assert p.returncode == 0, p.stderr[-2000:]
    assert int(p.stdout.split()[-1]) >= 20


def test_each_name_imports_alone_no_cycle():
    "A fresh interpreter per method: `from ctrlrepro import <name>` first thing (a cycle would fail here)."
    import ctrlrepro
    for mod, names in ctrlrepro._PUBLIC.items():
        p = _py(f"from ctrlrepro import {names[0]}")
        assert p.returncode == 0, (mod, p.stderr[-2000:])
    p = _py("import ctrlrepro; ctrlrepro.no_such_name")
    assert p.returncode != 0 and 'no attribute' in p.stderr


def test_every_public_name_is_in_its_module_all():
    import ctrlrepro, re
    for mod, names in ctrlrepro._PUBLIC.items():
        src = (ROOT/'ctrlrepro'/f'{mod}.py').read_text()
        all_ = re.search(r'^__all__ = \[(.*?)\]', src, re.S | re.M).group(1)
        missing = [n for n in names if f"'{n}'" not in all_]
        assert not missing, f'ctrlrepro/__init__.py exports {missing}, not in ctrlrepro.{mod}.__all__'
    assert (ROOT/'ctrlrepro'/'__init__.py').read_text().count('__version__ = ') == 1
