"""Glossary links (issue 14): tools/link_glossary.py links the first bold use of each term.

Every book notebook has its links in place (``link_glossary.py --check`` passes), and every
``{term}`` target of every notebook is a term of chapters/glossary.md (Sphinx warns on a
missing term, and the book builds with ``-W``). The rest checks the tool's own rules on
small texts: first use only, never inside code, maths, headings, directive options or links,
idempotent, and bold links moved back to the first use after an edit.
"""
import sys
from pathlib import Path

import nbformat
import pytest

import test_glossary as glossary

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import link_glossary  # noqa: E402

#: the glossary's terms as Sphinx looks them up (case-insensitive text, code marks dropped)
SPHINX_TERMS = {glossary.plain(line).lower() for row in glossary.ROWS for line in row.lines}


def link(*cells, tags=None):
    """The sources of markdown ``cells`` after linking, and the number of links added."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(c) for c in cells])
    if tags:
        nb.cells[0].metadata["tags"] = tags
    added = link_glossary.link_notebook(nb)
    return [c.source for c in nb.cells], added


@pytest.mark.parametrize("path", glossary.LINKED, ids=lambda p: p.name)
def test_first_bold_uses_are_linked(path):
    nb = nbformat.read(path, as_version=4)
    before = [c.source for c in nb.cells]
    added = link_glossary.link_notebook(nb)
    assert [c.source for c in nb.cells] == before, (
        f"{path.name}: {added} glossary link(s) missing or misplaced: run python tools/link_glossary.py")


@pytest.mark.parametrize("path", glossary.LINKED, ids=lambda p: p.name)
def test_term_links_name_glossary_terms(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    missing = sorted({m["target"] or m["text"] for m in glossary.TERM_ROLE.finditer(text)
                      if glossary.plain(m["target"] or m["text"]).lower() not in SPHINX_TERMS})
    assert not missing, f"{path.name}: {{term}} links to terms not in glossary.md: {missing}"


def test_first_use_of_each_term_is_linked_and_bold_kept():
    (src,), added = link("The **matrix factorization** model; **MF** for short; again **MF** and "
                         "**matrix factorizations**.")
    assert src == ("The **{term}`matrix factorization`** model; **{term}`MF`** for short; again **MF** "
                   "and **matrix factorizations**.")
    assert added == 2


def test_first_use_counts_across_cells_and_names_the_covering_term():
    src, added = link("An **LSTM user tower** and **BPR-MF**.", "Then the **user tower** and **Networks**.")
    assert src == ["An **{term}`LSTM user tower <user tower>`** and **{term}`BPR-MF <MF>`**.",
                   "Then the **user tower** and **{term}`Networks <neural network>`**."]
    assert added == 3


def test_claims_and_emphasis_stay_plain():
    text = "**Grounding does most of the work.** **true** **0 is reserved** **every** **not a term at all**"
    assert link(text) == ([text], 0)


def test_code_maths_headings_links_and_directive_options_are_left_alone():
    text = ("## The **MF** heading\n"
            "`**MF**` and $**MF**$ and [**MF**](x.md) and **`mapInPandas`**\n"
            "```python\nx = '**MF**'\n```\n"
            "$$\n**MF**\n$$\n"
            "````{exercise}\n:label: **MF**\nUse **MF**.\n````\n")
    (src,), added = link(text)
    assert src == text.replace("Use **MF**.", "Use **{term}`MF`**.")
    assert added == 1


def test_cells_the_book_removes_are_left_alone():
    assert link("**MF**", tags=["remove-cell", "jupyterlab-exercise"]) == (["**MF**"], 0)


def test_idempotent_and_links_follow_the_first_use():
    once, _ = link("**MF** then **ALS**", "**MF** and **ALS**")
    assert link(*once) == (once, 0)
    # an edit puts a plain use before the link: the link moves to the first use
    moved, added = link("A new **ALS** sentence.", *once)
    assert moved == ["A new **{term}`ALS`** sentence.", "**{term}`MF`** then **ALS**", "**MF** and **ALS**"]
    assert added == 1
    assert link(*moved) == (moved, 0)


def test_check_reports_an_unlinked_notebook(tmp_path, capsys):
    path = tmp_path / "x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("**MF**")]), path)
    assert link_glossary.main([str(path), "--check"]) == 1
    assert "**MF**" in nbformat.read(path, as_version=4).cells[0].source
    assert link_glossary.main([str(path)]) == 0
    assert nbformat.read(path, as_version=4).cells[0].source == "**{term}`MF`**"
    assert link_glossary.main([str(path), "--check"]) == 0
    assert "1 glossary link(s) added" in capsys.readouterr().out


def test_bad_paths_are_refused(tmp_path):
    with pytest.raises(SystemExit, match="not a notebook"):
        link_glossary.main([str(tmp_path / "missing.ipynb")])
