"""The same seed gives the same numbers: one chapter, run twice in two fresh
kernels, prints exactly the same outputs.

Each chapter seeds Python, NumPy and TensorFlow with
``keras.utils.set_random_seed`` and calls
``tf.config.experimental.enable_op_determinism()`` in its first code cell.
Both change process-wide state, so they belong to the program (the
notebook), never to a reclib function. Chapter 1 is run here: it is short
and trains a Keras model (matrix factorization), so an unseeded
initializer, an unseeded shuffle or a nondeterministic kernel large enough
to move a printed digit would show up as a difference.
"""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "chapters" / "01_background.ipynb"
#: the chapters that train with TensorFlow and so must switch op determinism on
DETERMINISTIC = ["01_background", "02_concepts", "03_algorithms", "04_mf_math",
                 "05_gan_math", "06_pipeline"]
#: addresses of Python objects ("at 0x7f..."), which differ from one process to the next
ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def run(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def printed(nb):
    """Every output a reader sees, cell by cell: stdout, results, displays
    (text, HTML and PNG); stderr (log lines with times and process ids) is left out."""
    seen = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stdout":
                seen.append((index, "stdout", ADDRESS.sub("", out.text)))
            elif out.output_type in ("execute_result", "display_data"):
                for kind in ("text/plain", "text/html", "image/png"):
                    if kind in out.data:
                        seen.append((index, kind, ADDRESS.sub("", str(out.data[kind]))))
            elif out.output_type == "error":
                seen.append((index, "error", out.ename, out.evalue))
    return seen


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_chapter_seeds_and_enables_op_determinism(name):
    nb = nbformat.read(ROOT / "chapters" / f"{name}.ipynb", as_version=4)
    first = next(c.source for c in nb.cells if c.cell_type == "code"
                 and "keras.utils.set_random_seed" in c.source)
    assert "tf.config.experimental.enable_op_determinism()" in first, name


def test_same_seed_same_outputs(monkeypatch):
    monkeypatch.setenv("PYTHONHASHSEED", "0")       # as make test and make book run it
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    first, second = printed(run(NOTEBOOK)), printed(run(NOTEBOOK))
    assert first, "the chapter printed nothing"
    assert not any(kind == "error" for _, kind, *_ in first), first
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert a == b, f"cell {a[0]} ({a[1]}) differs between two runs with the same seed"


def test_printed_ignores_stderr_and_addresses():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="I0000 12:00:01 pid 17"),
                    nbformat.v4.new_output("stream", name="stdout", text="<object at 0x7f3a>\n"),
                    nbformat.v4.new_output("execute_result", data={"text/plain": "0.873"})]
    nb.cells = [cell]
    assert printed(nb) == [(0, "stdout", "<object>\n"), (0, "text/plain", "0.873")]
