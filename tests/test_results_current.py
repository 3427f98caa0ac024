"""The committed tables follow from the committed records: each `results/<paper>.csv` is exactly what `ctrlrepro report`
(`ctrlrepro.report.collect`) writes from `results/cpu/**.json`, and so is `results/claims.csv` (`claims_csv`). A record committed without rerunning the report fails here
(it happened: a remeasured `tsm/overhead` record sat beside a table that still showed the previous run)."""
from pathlib import Path
import pytest
from conftest import ROOT
from ctrlrepro.report import PAPERS, collect, load_records, claims_csv

RECORDS = None


@pytest.mark.parametrize('paper', PAPERS)
def test_committed_table_is_the_report_of_the_committed_records(paper):
    global RECORDS
    f = Path(ROOT) / 'results' / f'{paper}.csv'
    if not f.exists(): pytest.skip(f'{f.name} is not committed')
    RECORDS = RECORDS if RECORDS is not None else load_records('cpu', root=ROOT)
    _same(f, collect(paper, 'cpu', RECORDS).to_csv(index=False))


def _same(f, want):
    "Fail with the first differing lines unless the committed file `f` holds exactly `want`."
    have = f.read_text()
    if have != want:
        old, new = have.splitlines(), want.splitlines()
        diff = [f'- {a[:160]}\n+ {b[:160]}' for a, b in zip(old, new) if a != b][:3]
        pytest.fail(f'results/{f.name} is not the report of the committed records ({len(old)} vs {len(new)} lines); '
                    f'run `make report` (`ctrlrepro report --scale cpu`) and commit it. First differences:\n' + '\n'.join(diff))


def test_committed_claims_table_is_the_report_of_the_committed_records():
    "`results/claims.csv` (every paper's claims, written by `ctrlrepro report`) is `claims_table` of the committed records."
    global RECORDS
    f = Path(ROOT) / 'results' / 'claims.csv'
    if not f.exists(): pytest.skip('results/claims.csv is not committed')
    RECORDS = RECORDS if RECORDS is not None else load_records('cpu', root=ROOT)
    _same(f, claims_csv(RECORDS))
