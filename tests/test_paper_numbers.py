"""The paper-number registry (`ctrlrepro/paper_numbers/<paper>.csv`) and `ctrlrepro/targets.csv`.

Every table of the four papers is transcribed cell by cell. These tests check the files' shape, pin at least two
cells of every table to the value read from the paper, and (when the papers' text is available next to the repo,
in `../shared/papers/`) check that each pinned value occurs in the paper text.
"""
import importlib.resources
import re
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "ctrlrepro" / "paper_numbers"
TARGETS = REPO / "ctrlrepro" / "targets.csv"
PAPERS_TXT = REPO.parent / "shared" / "papers"
PAPERS = ["controlnext", "scedit", "can", "tsm"]
COLUMNS = ["paper", "artifact", "row", "column", "value", "unit", "note"]
TARGET_COLUMNS = ["paper", "artifact", "content", "target_status"]
STATUS_WORDS = {"exact", "ratio", "mini", "paper-scale", "not-reproducible", "diagram", "pending"}

# (artifact, row, column, expected value in the CSV, string as printed in the paper text)
PINS = {
    "controlnext": [
        ("Table 1", "ControlNet (SD1.5)", "total params", "1220", "1,220"),
        ("Table 1", "ControlNeXt (SD1.5)", "learnable params", "30", "30"),
        ("Table 1", "ControlNet (SDXL)", "learnable params", "1251", "1,251"),
        ("Table 1", "ControlNeXt-S (SVD)", "learnable params", "55", "55"),
        ("Table 1", "Base model (SVD)", "total params", "1524", "1,524"),
        ("Table 2", "ControlNet (SD1.5)", "inference time", "0.31", "0.31"),
        ("Table 2", "ControlNeXt (SDXL)", "inference time", "0.82", "0.82"),
        ("Table 2", "Base model (SVD)", "inference time", "1.23", "1.23"),
        ("Table 2", "ControlNeXt", "delta", "10.4", "+ 10.4%"),
    ],
    "scedit": [
        ("Table 1", "Full", "params", "859.52", "859.52M"),
        ("Table 1", "LoRA/r=64", "memory", "60.57", "60.57G"),
        ("Table 1", "SCEdit", "FID", "13.82", "13.82"),
        ("Table 1", "LoRA/r=6", "time", "1.20", "1.20"),
        ("Table 2", "ControlNet", "params", "364.23", "364.23M"),
        ("Table 2", "SCEdit/k=1", "FID", "73.18", "73.18"),
        ("Table 2", "ControlLoRA", "time", "1.34", "1.34"),
        ("Table 3", "COCO2017 Captions", "train images", "118287", "118,287"),
        ("Table 3", "COCO2017 Captions", "test prompts", "25014", "25,014"),
        ("Table 3", "LAION-ART", "train prompts", "624558", "624,558"),
        ("Table 3", "Watercolor", "train images", "30", "30"),
        ("Table 4", "Batch size", "Controllable Generation", "64", "64"),
        ("Table 4", "Training steps", "Text-to-image (few-shot)", "1500", "1500"),
        ("Table 4", "Guide scale", "Text-to-image", "3.0", "3.0"),
        ("Table 4", "Learning rate", "Text-to-image", "0.00005", "0.00005"),
        ("Table 5", "(a) ratio x5", "params", "3.94", "3.94M"),
        ("Table 5", "(b) SC {0,11}", "FID", "14.45", "14.45"),
        ("Table 5", "(c) ResPrefix", "memory", "30.54", "30.54G"),
        ("Table 6", "(a) kernel 3", "memory", "35.28", "35.28G"),
        ("Table 6", "(b) SC {0,3,4,6,7,9,11}", "FID", "85.42", "85.42"),
        ("Table 6", "(c) Dual Conv", "params", "37.82", "37.82M"),
    ],
    "can": [
        ("Table 1", "1. Baseline (Static Conv/Linear)", "FID", "28.32", "28.32"),
        ("Table 1", "5. + Output Projection", "CLIP score", "31.74", "31.74"),
        ("Table 1", "6. or + QKV Projection (X)", "FID", "9.71", "9.71"),
        ("Table 2", "CAN (Timestep Only)", "FID", "15.16", "15.16"),
        ("Table 2", "CAN (Class Label Only)", "CLIP score", "31.59", "31.59"),
        ("Table 3", "DiT-S/2: CAN + Adaptive Normalization", "FID", "21.76", "21.76"),
        ("Table 3", "UViT-S/2: CAN Only", "FID", "8.79", "8.79"),
        ("Table 3", "DiT-S/2: Adaptive Normalization", "CLIP score", "29.57", "29.57"),
        ("Table 4", "DiT-XL/2 (512x512)", "MACs per step", "525", "525G"),
        ("Table 4", "DiT-XL/2 (256x256)", "MACs per step", "119", "119G"),
        ("Table 4", "CaT-L0 (512x512)", "FID-50K", "2.78", "2.78"),
        ("Table 4", "UViT-H/2 (256x256)", "params", "501", "501M"),
        ("Table 4", "CAN (UViT-S-Deep/4) (512x512)", "params", "185", "185M"),
        ("Table 5", "DiT-XL/2", "Orin latency", "45.9", "45.9s"),
        ("Table 5", "CaT-L0", "steps", "20", "20"),
        ("Table 6", "UViT-S-Deep/2", "MACs", "19", "19G"),
        ("Table 6", "CaT-S1", "FID-30K", "5.22", "5.22"),
        ("Table 6", "CaT-S0", "params", "169", "169M"),
        ("Fig. 5", "efficient CAN implementation (grouped conv) vs static model", "training overhead on GPU",
         "30-40", "30%-40%"),
    ],
    "tsm": [
        ("Table 1", "SD1.5 + TSM (Ours)", "Color", "57.12", "57.12"),
        ("Table 1", "SD3 + TSM (Ours)", "Spatial", "34.50", "34.50"),
        ("Table 1", "DALLE3", "Complex", "37.73", "37.73"),
        ("Table 2", "PixArt-α + TSM (Ours)", "Spatial", "21.55", "21.55"),
        ("Table 2", "VC2 + LoRA", "Count", "27.89", "27.89"),
        ("Table 2", "VC2 + LoRA", "Count delta", "-25.88", "25.88"),
        ("Table 2", "VC2 + TSM (Ours)", "Amplitude", "54.0", "54.0"),
        ("Table 3", "DMD2 + TSM (Ours)", "FID", "9.90", "9.90"),
        ("Table 3", "DMD2 + LoRA", "N_params", "67", "67M"),
        ("Table 3", "DMD2 + TSM (Ours)", "training cost", "3.7", "3.7 A100 days"),
        ("Table 3", "DALL-E 2", "training cost", "41667", "41667 A100 days"),
        ("Table 4", "SD1.5 UNet / Vanilla LoRA", "Color", "51.57", "51.57"),
        ("Table 4", "PixArt-α DiT / TSM 1-stage", "Texture delta", "0.7", "0.7"),
        ("Table 4", "SD3 MM-DiT / TSM 2-stage", "Spatial", "34.50", "34.50"),
        ("Table 5", "PixArt-α / TSM 1-stage", "Spatial", "22.32", "22.32"),
        ("Table 5", "PixArt-α / TSM 2-stage", "Spatial", "16.18", "16.18"),
        ("Table 5", "VC2 / TSM 1-stage", "Count", "55.48", "55.48"),
        ("Table 6", "SD1.5 UNet / n=1, r=4, step=32000", "Complex", "29.84", "29.84"),
        ("Table 6", "PixArt-α DiT / n=4, r=4, step=8000", "Spatial", "25.64", "25.64"),
        ("Table 6", "SD3 MM-DiT / n=2, r=4, step=16000", "Texture", "77.80", "77.80"),
        ("Table 7", "SD1.5 UNet / n_core=-, n_context=1,4", "Color", "56.42", "56.42"),
        ("Table 7", "PixArt-α DiT / n_core=4, n_context=2", "Spatial", "26.17", "26.17"),
        ("Table 7", "SD3 MM-DiT / n_core=8, n_context=1,2,4", "Color", "83.02", "83.02"),
        ("Table 7", "SD1.5 UNet / n_core=8, n_context=1", "Spatial", "18.70", "18.70"),
        ("Table 8", "TSM 2-stage", "FID", "9.90", "9.90"),
        ("Table 8", "Vanilla LoRA", "Patch-FID", "15.43", "15.43"),
        ("Table 8", "TSM 1-stage", "CLIP-Score", "0.3208", "0.3208"),
        ("Table 9", "SD1.5 UNet / router(t only)", "Spatial", "13.56", "13.56"),
        ("Table 9", "PixArt-α DiT / router(z_t only)", "Shape", "44.69", "44.69"),
        ("Table 9", "SD3 MM-DiT / router(t only)", "Color", "80.99", "80.99"),
    ],
}


def load(paper):
    return pd.read_csv(DATA / f"{paper}.csv", dtype=str, keep_default_na=False)


def load_targets():
    return pd.read_csv(TARGETS, dtype=str, keep_default_na=False)


def paper_text(paper):
    f = PAPERS_TXT / f"{paper}.txt"
    return f.read_text(encoding="utf-8") if f.exists() else None


def table_no(artifact):
    m = re.match(r"^Table (\d+)\b", artifact)
    return int(m.group(1)) if m else None


@pytest.mark.parametrize("paper", PAPERS)
def test_schema(paper):
    df = load(paper)
    assert list(df.columns) == COLUMNS
    assert len(df) > 0
    assert (df.paper == paper).all(), "paper column must equal the file's paper id"
    for col in ("artifact", "row", "column"):
        assert (df[col].str.strip() != "").all(), f"empty {col}"
        assert (df[col] == df[col].str.strip()).all(), f"stray whitespace in {col}"
    bad = df[~df.artifact.str.fullmatch(r"(Table \d+|Fig\. \d+|Sec\. \d+(\.\d+)*)")]
    assert bad.empty, f"artifact not spelled like TARGETS.md: {sorted(set(bad.artifact))}"


@pytest.mark.parametrize("paper", PAPERS)
def test_no_duplicate_keys(paper):
    df = load(paper)
    dup = df[df.duplicated(["paper", "artifact", "row", "column"], keep=False)]
    assert dup.empty, dup[["artifact", "row", "column"]].to_string()


@pytest.mark.parametrize("paper", PAPERS)
def test_values_well_formed(paper):
    df = load(paper)
    # an empty value is only allowed where the note explains that the cell is missing from the paper text
    empty = df[df.value == ""]
    assert empty.note.str.contains("missing").all(), empty.to_string()
    # numeric-looking values parse; no thousands separators in numbers
    num = df[df.value.str.fullmatch(r"[-+]?[0-9][0-9,]*(\.[0-9]+)?")]
    assert not num.value.str.contains(",").any(), "write numbers without thousands separators"
    pd.to_numeric(num.value)  # raises if malformed
    # a number with a unit never carries the unit inside the value
    assert not df.value.str.fullmatch(r"[0-9.]+\s*[MGB]").any()


@pytest.mark.parametrize("paper", PAPERS)
def test_pins_cover_every_table(paper):
    df = load(paper)
    tables = sorted({a for a in df.artifact if a.startswith("Table")}, key=table_no)
    pinned = [p[0] for p in PINS[paper]]
    for t in tables:
        assert pinned.count(t) >= 2, f"{paper} {t}: pin at least two cells"


@pytest.mark.parametrize("paper,artifact,row,column,expected,printed",
                         [(p, *pin) for p in PAPERS for pin in PINS[p]])
def test_pinned_cells(paper, artifact, row, column, expected, printed):
    df = load(paper)
    hit = df[(df.artifact == artifact) & (df.row == row) & (df.column == column)]
    assert len(hit) == 1, f"missing cell {paper}/{artifact}/{row}/{column}"
    assert hit.value.iloc[0] == expected
    text = paper_text(paper)
    if text is None:
        pytest.skip(f"{PAPERS_TXT / (paper + '.txt')} not available")
    assert printed in text, f"{printed!r} does not occur in {paper}.txt"
    # a numeric pinned value, with the paper's thousands separators removed, is what the paper prints
    if re.fullmatch(r"-?[0-9.]+", expected):
        assert expected.lstrip("-") in printed.replace(",", "")


def test_targets_schema():
    t = load_targets()
    assert list(t.columns) == TARGET_COLUMNS
    assert set(t.paper) == set(PAPERS)
    assert not t.duplicated(["paper", "artifact"]).any()
    assert (t.target_status.str.strip() != "").all()
    assert (t.content.str.strip() != "").all()
    # every status names a word of the TARGETS.md vocabulary, except the side-by-side / derived rows
    odd = [s for s in t.target_status if not any(w in s for w in STATUS_WORDS)]
    assert all(("ours" in s or "our " in s) for s in odd), odd


def test_targets_match_targets_md():
    md = REPO.parent / "shared" / "TARGETS.md"
    if not md.exists():
        pytest.skip("TARGETS.md not available")
    lines = [l for l in md.read_text(encoding="utf-8").splitlines()
             if re.match(r"^\| (Table|Fig|Sec)", l)]
    t = load_targets()
    assert len(lines) == len(t)
    assert [l.split("|")[1].strip() for l in lines] == list(t.artifact)


@pytest.mark.parametrize("paper", PAPERS)
def test_every_target_table_has_numbers(paper):
    t = load_targets()
    df = load(paper)
    have = {table_no(a) for a in df.artifact if table_no(a) is not None}
    want = {table_no(a) for a in t[t.paper == paper].artifact if table_no(a) is not None}
    assert want, f"no tables listed for {paper} in targets.csv"
    assert want - have == set(), f"{paper}: tables without paper numbers: {sorted(want - have)}"
    assert have - want == set(), f"{paper}: transcribed tables missing from targets.csv: {sorted(have - want)}"


@pytest.mark.parametrize("paper", PAPERS)
def test_readable_as_package_data(paper):
    try:
        import ctrlrepro  # noqa: F401
    except ImportError:
        pytest.skip("ctrlrepro is not importable")
    res = importlib.resources.files("ctrlrepro") / "paper_numbers" / f"{paper}.csv"
    with importlib.resources.as_file(res) as f:
        assert pd.read_csv(f, dtype=str, keep_default_na=False).equals(load(paper))
