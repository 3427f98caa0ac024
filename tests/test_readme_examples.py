"The README's library examples run as written: every ```python block of its 'Use a method in your own code' section."
import re
import pytest
from conftest import ROOT

SECTION = '## Use a method in your own code'


def readme_examples(text=None):
    "The fenced python blocks of the README section `SECTION` (up to the next `## ` heading)."
    text = (ROOT/'README.md').read_text() if text is None else text
    if SECTION not in text: raise AssertionError(f'README.md has no {SECTION!r} section')
    body = text.split(SECTION, 1)[1]
    body = re.split(r'^## ', body, maxsplit=1, flags=re.M)[0]
    return re.findall(r'^```python\n(.*?)^```', body, flags=re.S | re.M)


def test_the_section_has_one_example_per_method():
    blocks = readme_examples()
    for name in ('ControlNeXtModel', 'CSCTuners', 'UViT', 'TimestepMaster'):
        assert sum(name in b for b in blocks) >= 1, f'no README example uses {name}'


def test_extraction_sees_only_the_section():
    text = '# x\n```python\nraise SystemExit\n```\n' + SECTION + '\n```python\na = 1\n```\n## Next\n```python\nb\n```\n'
    assert readme_examples(text) == ['a = 1\n']


@pytest.mark.parametrize('i', range(len(readme_examples())))
def test_readme_example_runs(i, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                     # the examples write folders (save_pretrained) in the cwd
    code = readme_examples()[i]
    exec(compile(code, f'README.md example {i + 1}', 'exec'), {'__name__': '__readme__'})


@pytest.mark.parametrize('nb, name', [('13_tsm', 'TimestepMaster'), ('12_can', 'UViT')])
def test_method_notebook_opens_with_the_readme_example(nb, name):
    "Each method notebook's `## Usage` cell (right after the title) holds its README example verbatim."
    import json
    cells = json.loads((ROOT/'nbs'/f'{nb}.ipynb').read_text())['cells']
    usage = next((i for i, c in enumerate(cells) if ''.join(c['source']).startswith('## Usage')), None)
    assert usage is not None and usage <= 2, f'nbs/{nb}.ipynb does not open with a ## Usage cell'
    first_test = next(i for i, c in enumerate(cells) if c['cell_type'] == 'code' and not ''.join(c['source']).startswith('#|'))
    assert usage < first_test
    ours = re.findall(r'^```python\n(.*?)^```', ''.join(cells[usage]['source']) + '\n', flags=re.S | re.M)
    readme = [b for b in readme_examples() if name in b]
    assert ours and readme and ours[0] == readme[0], f'nbs/{nb}.ipynb Usage differs from the README example: copy it'
