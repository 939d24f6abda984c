"""The --nb-cache option (conftest.py): what nbval ran goes into the book's cache."""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[1]


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def nbval_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nbs")
    ok = _notebook(folder / "ok.ipynb", "x = 2", "print(x * 21)", "x + 1")
    bad = _notebook(folder / "bad.ipynb", "y = 1", "1 / 0", "print(y)")
    cache_dir = folder / "jc"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(ok), str(bad), "--nbval-lax", "-p", "conftest",
         "-p", "no:cacheprovider", "--rootdir", str(folder), "-c", os.devnull,
         f"--nb-cache={cache_dir}"],
        capture_output=True, text=True, env=env, cwd=folder, timeout=300)
    return ok, bad, cache_dir, run


def test_a_passing_notebook_is_cached_with_its_outputs(nbval_run):
    ok, _, cache_dir, run = nbval_run
    assert "1 of 2 notebooks written" in run.stdout, run.stdout + run.stderr
    record = get_cache(str(cache_dir)).match_cache_notebook(nbformat.read(ok, 4))
    assert record.data["execution_seconds"] > 0
    _, executed = get_cache(str(cache_dir)).merge_match_into_notebook(nbformat.read(ok, 4))
    cells = executed.cells
    assert [c.execution_count for c in cells] == [1, 2, 3]
    assert cells[0].outputs == []
    assert cells[1].outputs[0]["output_type"] == "stream"
    assert cells[1].outputs[0]["text"] == "42\n"
    result = cells[2].outputs[0]
    assert result["output_type"] == "execute_result"
    assert result["data"]["text/plain"] == "3" and result["execution_count"] == 3
    nbformat.validate(executed)


def test_a_failing_notebook_is_not_cached(nbval_run):
    _, bad, cache_dir, run = nbval_run
    assert run.returncode != 0                      # nbval reported the error
    with pytest.raises(KeyError):
        get_cache(str(cache_dir)).match_cache_notebook(nbformat.read(bad, 4))
