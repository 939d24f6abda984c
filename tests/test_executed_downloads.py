"""tools/executed_downloads.py: the download copies get the outputs from the build's cache."""
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import executed_downloads  # noqa: E402


def _book(tmp_path, cached_outputs):
    """A one-notebook book: its stripped source, the build's download copy, and a cache."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A"),
                                         nbformat.v4.new_code_cell("print(1 + 1)")])
    source = tmp_path / "chapters" / "a.ipynb"
    copy = tmp_path / "_build" / "html" / "_sources" / "chapters" / "a.ipynb"
    for path in (source, copy):
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
    if cached_outputs is not None:
        run = nbformat.from_dict(nb)
        run.cells[1].outputs = cached_outputs
        get_cache(str(tmp_path / "_build" / ".jupyter_cache")).cache_notebook_bundle(
            CacheBundleIn(run, str(source)), check_validity=False)
    return copy


def test_the_download_copy_gets_the_cached_outputs(tmp_path):
    copy = _book(tmp_path, [nbformat.v4.new_output("stream", name="stdout", text="2\n")])
    assert executed_downloads.replace_sources(tmp_path / "_build", tmp_path) == 1
    cell = nbformat.read(copy, 4).cells[1]
    assert cell.outputs[0]["text"] == "2\n"


def test_a_notebook_without_a_cached_execution_fails_by_name(tmp_path):
    _book(tmp_path, None)
    get_cache(str(tmp_path / "_build" / ".jupyter_cache"))
    with pytest.raises(SystemExit, match="chapters/a.ipynb: no execution"):
        executed_downloads.replace_sources(tmp_path / "_build", tmp_path)


def test_a_cached_execution_without_outputs_fails(tmp_path):
    _book(tmp_path, [])
    with pytest.raises(SystemExit, match="has no outputs"):
        executed_downloads.replace_sources(tmp_path / "_build", tmp_path)


def test_no_build_fails_with_a_hint(tmp_path):
    with pytest.raises(SystemExit, match="make book"):
        executed_downloads.replace_sources(tmp_path / "_build", tmp_path)
