"""The same seed gives the same numbers: a chapter, run twice in two fresh
kernels, prints exactly the same outputs.

Each notebook that runs Keras on TensorFlow seeds Python, NumPy and
TensorFlow with ``keras.utils.set_random_seed`` and calls
``tf.config.experimental.enable_op_determinism()`` in its first code cell
(EXEMPT lists the notebooks that do not, with the reason).
Both change process-wide state, so they belong to the program (the
notebook), never to a reclib function. Chapter 1 is run here: it is short
and trains a Keras model (matrix factorization), so an unseeded
initializer, an unseeded shuffle or a nondeterministic kernel large enough
to move a printed digit would show up as a difference. Chapter 12 is run
twice as well: the shortest of chapters 7-14 that trains a Keras model (MF on
the course world), so the chapters after the pipeline are held to the same
promise (durations it prints are masked, they are the one thing a seed does
not fix).
"""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
NOTEBOOK = CHAPTERS / "01_background.ipynb"
#: the notebooks that run Keras on TensorFlow and so must switch op determinism on
DETERMINISTIC = ["01_background", "02_concepts", "03_algorithms", "04_mf_math",
                 "05_gan_math", "06_pipeline", "07_reason_generators", "09_evaluation",
                 "10_case_ecommerce", "11_case_finance", "12_other_domains", "14_outlook",
                 "faq", "capstones/fair_credit", "capstones/gan_vs_mle",
                 "capstones/your_reviews"]
#: the notebooks that do not, and why
EXEMPT = {
    # measured on 2 cores, quiet (2026-12-03): greedy decoding 8.5 -> 7.0 tokens/s at batch 1
    # and 32.1 -> 22.3 at batch 16, a 16-step PEPLER fit 205 -> 215 s, max RSS 3.8 -> 4.1 GB,
    # losses equal to 1e-6; the chapter is already over its time and memory budget (issue 8)
    "08_language_model": "costs a third of the decoding speed at batch 16 and 0.35 GB in a "
                         "chapter over its time and memory budget; greedy decoding is "
                         "deterministic without it, and its fine-tuning is checked against "
                         "the stored run within a tolerance",
    "13_scaling_out": "runs Keras on JAX and asserts that TensorFlow is never imported",
}
#: the chapter of 7-14 run twice: the shortest that trains a Keras model
LATER_NOTEBOOK = CHAPTERS / "12_other_domains.ipynb"
#: addresses of Python objects ("at 0x7f..."), which differ from one process to the next
ADDRESS = re.compile(r" at 0x[0-9a-f]+")
#: a duration the chapter measured and printed ("fitted in 1.3 s"): wall-clock time
DURATION = re.compile(r"\d[\d,]*(?:\.\d+)? s\b")


def run(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def printed(nb, durations=False):
    """Every output a reader sees, cell by cell: stdout, results, displays
    (text, HTML and PNG); stderr (log lines with times and process ids) is left out.
    With ``durations=True`` printed durations ("in 1.3 s") become "<t> s"."""
    def clean(text):
        text = ADDRESS.sub("", text)
        return DURATION.sub("<t> s", text) if durations else text

    seen = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stdout":
                seen.append((index, "stdout", clean(out.text)))
            elif out.output_type in ("execute_result", "display_data"):
                for kind in ("text/plain", "text/html", "image/png"):
                    if kind in out.data:
                        seen.append((index, kind, clean(str(out.data[kind]))))
            elif out.output_type == "error":
                seen.append((index, "error", out.ename, out.evalue))
    return seen


def notebooks():
    """Every notebook of the book, as "12_other_domains" or "capstones/gan_vs_mle"."""
    return sorted(p.relative_to(CHAPTERS).with_suffix("").as_posix()
                  for p in CHAPTERS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def first_code_cell(name):
    nb = nbformat.read(CHAPTERS / f"{name}.ipynb", as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


def assert_same(first, second):
    assert first, "the chapter printed nothing"
    assert not any(kind == "error" for _, kind, *_ in first), first
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert a == b, f"cell {a[0]} ({a[1]}) differs between two runs with the same seed"


def test_every_notebook_is_listed():
    assert not set(DETERMINISTIC) & set(EXEMPT)
    assert set(DETERMINISTIC) | set(EXEMPT) == set(notebooks()), \
        "a notebook was added or renamed: list it in DETERMINISTIC or, with a reason, in EXEMPT"


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_notebook_seeds_and_enables_op_determinism(name):
    # in the first code cell, before any TensorFlow op has run
    first = first_code_cell(name)
    assert "keras.utils.set_random_seed(SEED)" in first, name
    assert "import tensorflow as tf" in first, name
    assert "tf.config.experimental.enable_op_determinism()" in first, name


def test_scaling_out_never_loads_tensorflow():
    first = first_code_cell("13_scaling_out")
    assert 'os.environ["KERAS_BACKEND"] = "jax"' in first
    assert "tensorflow" not in first


def test_same_seed_same_outputs(monkeypatch):
    monkeypatch.setenv("PYTHONHASHSEED", "0")       # as make test and make book run it
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert_same(printed(run(NOTEBOOK)), printed(run(NOTEBOOK)))


@pytest.mark.slow
def test_same_seed_same_outputs_after_the_pipeline(monkeypatch):
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    first = printed(run(LATER_NOTEBOOK), durations=True)
    second = printed(run(LATER_NOTEBOOK), durations=True)
    assert_same(first, second)


def test_printed_ignores_stderr_and_addresses():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="I0000 12:00:01 pid 17"),
                    nbformat.v4.new_output("stream", name="stdout", text="<object at 0x7f3a>\n"),
                    nbformat.v4.new_output("execute_result", data={"text/plain": "0.873"})]
    nb.cells = [cell]
    assert printed(nb) == [(0, "stdout", "<object>\n"), (0, "text/plain", "0.873")]


def test_printed_masks_durations_only_when_asked():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                           text="three writers fitted in 1.3 s; 12 s; 0.873 AUC\n")]
    nb.cells = [cell]
    assert printed(nb, durations=True) == [
        (0, "stdout", "three writers fitted in <t> s; <t> s; 0.873 AUC\n")]
    assert printed(nb) == [(0, "stdout", "three writers fitted in 1.3 s; 12 s; 0.873 AUC\n")]
