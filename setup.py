"""Packaging from settings.ini (nbdev 2 layout)."""
from configparser import ConfigParser
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']
reqs = cfg.get('requirements', '').split()
dev_reqs = cfg.get('dev_requirements', '').split()
scripts = [s.strip() for s in cfg.get('console_scripts', '').split('\n') if s.strip()]

setuptools.setup(
    name=cfg['lib_name'], version=cfg['version'], description=cfg['description'],
    license='Apache-2.0', author=cfg['author'], author_email=cfg['author_email'],
    packages=setuptools.find_packages(include=['ctrlrepro', 'ctrlrepro.*']),
    include_package_data=True,
    package_data={'ctrlrepro': ['registry/*.json', 'paper_numbers/*.csv', 'targets.csv', 'assets/*.safetensors']},
    install_requires=reqs, extras_require={'dev': dev_reqs},
    python_requires='>=' + cfg['min_python'],
    entry_points={'console_scripts': scripts, 'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    zip_safe=False,
)
