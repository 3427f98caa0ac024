"environment.yml and settings.ini carry the same requirements; Python is 3.11."
from configparser import ConfigParser
import yaml
from conftest import ROOT


def settings_requirements():
    c = ConfigParser(delimiters=['=']); c.read(ROOT/'settings.ini')
    d = c['DEFAULT']
    return d['requirements'].split() + d['dev_requirements'].split(), d


def test_environment_yml_matches_settings_ini():
    reqs, _ = settings_requirements()
    env = yaml.safe_load((ROOT/'environment.yml').read_text())
    deps = env['dependencies']
    assert 'python=3.11' in deps
    pip = next(d['pip'] for d in deps if isinstance(d, dict) and 'pip' in d)
    pip = [p for p in pip if p != '-e .']
    assert sorted(pip) == sorted(reqs), (set(pip) ^ set(reqs))


def test_settings_pins_and_papermill_tag():
    reqs, d = settings_requirements()
    assert 'nbdev==2.4.14' in reqs and any(r.startswith('execnb') and '<0.2' in r for r in reqs)
    assert d['allowed_cell_metadata_keys'].strip() == 'tags'
    assert d['console_scripts'].strip() == 'ctrlrepro=ctrlrepro.cli:main'
    assert d['min_python'] == '3.11'
