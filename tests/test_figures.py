"""Every figure in the book is numbered, captioned, described and fits the page (issue 14).

A code cell that draws (``plt.subplots``, ``plt.figure``, ``subplot_mosaic``) must carry
myst-nb's figure options, which turn its image output into a numbered figure with a caption
and a label, and an alt text for readers who cannot see it::

    {"mystnb": {"figure": {"caption": "...", "name": "fig-04-..."}, "image": {"alt": "..."}}}

myst-nb wraps *every* rich output of such a cell (each display or execute result, an image
or a table) in a figure with that label, so a figure cell draws one figure and shows nothing
else: no second ``plt.show()``, no ``display(...)``, and no value on its last line (a table
there is a second figure with the same label, a duplicate target that fails the ``-W``
build). Printed text is a stream, not a rich output, and is allowed. Labels are unique across the
book. A figure is at most ``MAX_WIDTH_IN`` inches wide: the book's text column is about
730 px, and a wider figure drawn at 100 dpi is shrunk until its 10-pt tick labels are too
small to read.
"""
import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
DRAWS = re.compile(r"\bplt\.subplots\(|\bplt\.figure\(|\bsubplot_mosaic\(")
MAX_WIDTH_IN = 8.5
MIN_ALT_CHARS = 60


def _code(source):
    """The cell's source without comments, so a mention in a comment is not a call."""
    return re.sub(r"#.*", "", source)


def drawing_cells(path):
    """(index, cell) of each code cell the book shows that creates a matplotlib figure."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "remove-cell" in cell.metadata.get("tags", []):
            continue
        if DRAWS.search(_code(cell.source)):
            yield i, cell


def figure_widths(source):
    """Literal widths of every ``figsize=(w, h)`` in the source (non-literal ones skipped)."""
    widths = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg == "figsize" and isinstance(node.value, ast.Tuple):
            first = node.value.elts[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, (int, float)):
                widths.append(float(first.value))
    return widths


def extra_outputs(source):
    """How many rich outputs besides the figure the cell's code makes: ``display(...)`` calls,
    ``plt.show()`` calls after the first, and the last line's value (unless it ends in ``;``
    or is a call that returns None: ``plt.show()``, ``fig.tight_layout()``...)."""
    tree = ast.parse(source)
    name = lambda c: ast.unparse(c.func)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    extra = sum(name(c) in ("display", "IPython.display.display") for c in calls)
    extra += max(0, sum(name(c) == "plt.show" for c in calls) - 1)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not source.rstrip().endswith(";"):
        returns_none = isinstance(last.value, ast.Call) and (
            name(last.value) in ("plt.show", "print", "display") or name(last.value).endswith(
                (".tight_layout", "plt.tight_layout", "set_layout_engine")))
        extra += not returns_none
    return extra


def _label(path):
    stem = path.stem
    return stem[:2] if stem[:2].isdigit() else stem.replace("_", "-")


@pytest.mark.parametrize("path", BOOK, ids=lambda p: p.stem)
def test_every_figure_is_captioned_named_described(path):
    for i, cell in drawing_cells(path):
        where = f"{path.name} cell {i}"
        opts = cell.metadata.get("mystnb", {})
        fig, img = opts.get("figure", {}), opts.get("image", {})
        assert isinstance(fig.get("caption"), str) and fig["caption"].strip(), f"{where}: no figure caption"
        name = fig.get("name")
        assert isinstance(name, str) and re.fullmatch(rf"fig-{_label(path)}-[a-z0-9-]+", name), (
            f"{where}: figure name {name!r} is not fig-{_label(path)}-<words>")
        alt = img.get("alt")
        assert isinstance(alt, str) and len(alt.strip()) >= MIN_ALT_CHARS, (
            f"{where}: alt text missing or shorter than {MIN_ALT_CHARS} characters")


@pytest.mark.parametrize("path", BOOK, ids=lambda p: p.stem)
def test_one_figure_per_cell_and_it_fits_the_page(path):
    for i, cell in drawing_cells(path):
        code = _code(cell.source)
        assert len(DRAWS.findall(code)) == 1, f"{path.name} cell {i} draws more than one figure"
        assert extra_outputs(cell.source) == 0, (
            f"{path.name} cell {i} shows something besides its figure: move the table or value "
            "into a cell of its own (myst-nb would give it the figure's label too)")
        for w in figure_widths(cell.source):
            assert w <= MAX_WIDTH_IN, f"{path.name} cell {i}: figsize width {w} in > {MAX_WIDTH_IN} in"


def test_figure_names_are_unique_across_the_book():
    seen = {}
    for path in BOOK:
        for i, cell in drawing_cells(path):
            name = cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
            if name:
                assert name not in seen, f"{name} in {path.name} cell {i} and {seen[name]}"
                seen[name] = f"{path.name} cell {i}"
    assert len(seen) >= 40, f"only {len(seen)} named figures found: is the drawing pattern still right?"


def test_rules_catch_what_they_should():
    """The checks themselves: a comment is not a call; widths are read from the literal."""
    assert not DRAWS.search(_code("x = 1  # plt.subplots(1, 2)"))
    assert DRAWS.search(_code("fig, ax = plt.subplots(1, 2, figsize=(11, 3))"))
    assert figure_widths("fig, ax = plt.subplots(1, 2, figsize=(11, 3))") == [11.0]
    assert figure_widths("fig = plt.figure(figsize=(w, 3))") == []
    assert extra_outputs("fig, ax = plt.subplots()\nax.plot([1])\nplt.show()") == 0
    assert extra_outputs("fig, ax = plt.subplots()\nax.legend();") == 0
    assert extra_outputs("fig, ax = plt.subplots()\nplt.show()\nprint(3)") == 0
    assert extra_outputs("fig, ax = plt.subplots()\nfig.tight_layout()") == 0
    assert extra_outputs("fig, ax = plt.subplots()\nplt.show()\ntable") == 1
    assert extra_outputs("fig, ax = plt.subplots()\nplt.show()\ndisplay(t)") == 1
    assert extra_outputs("fig, ax = plt.subplots()\nax.legend()") == 1   # shows a Legend repr
    assert _label(Path("chapters/04_mf_math.ipynb")) == "04"
    assert _label(Path("chapters/faq.ipynb")) == "faq"
