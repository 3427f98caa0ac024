import os, sys, subprocess
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture
def cli():
    "Run the `ctrlrepro` console script; return (returncode, stdout+stderr)."
    def run(*args, env=None, cwd=ROOT):
        p = subprocess.run([str(BIN/'ctrlrepro'), *map(str, args)], capture_output=True, text=True,
                           env={**os.environ, **(env or {})}, cwd=cwd)
        return p.returncode, p.stdout + p.stderr
    return run
