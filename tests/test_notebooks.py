"""Book hygiene: every notebook is in the table of contents and vice versa,
notebooks are stored without outputs, with the python3 kernel."""
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections", []))

    for part in toc.get("parts", []):
        walk(part["chapters"])
    return files


def test_toc_and_chapters_agree():
    listed = toc_files()
    for f in listed:
        assert any((ROOT / (f + ext)).exists() for ext in (".ipynb", ".md")), f"{f} in _toc.yml does not exist"
    for nb in NOTEBOOKS:
        assert str(nb.relative_to(ROOT).with_suffix("")) in listed, f"{nb.name} is not in _toc.yml"
    for md in (ROOT / "chapters").glob("*.md"):
        assert str(md.relative_to(ROOT).with_suffix("")) in listed, f"{md.name} is not in _toc.yml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stripped_with_python3_kernel(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} has stored outputs"
            assert cell.execution_count is None, f"{path.name} has execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_sets_seed_and_has_summary_and_exercises(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "keras.utils.set_random_seed" in code
    assert "## Summary" in text and "## Exercises" in text
    assert "{exercise}" in text and "{solution-start}" in text
    assert "verbose=1" not in code
