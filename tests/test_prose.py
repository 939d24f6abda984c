"""Text that matches the code: checks that catch prose drifting away from
what the cells and reclib do.

- No chapter refers to one of its sections by a hard-coded number
  ("sections 5.2 and 5.3"): the book numbers sections itself, so such a
  number goes stale when a section moves. Use a MyST label and {ref}.
- Chapter 5 says how chapter 7's text GAN gets its gradient through sampled
  words; that must be what ``reclib.reasons.gan`` does (straight-through
  Gumbel-softmax, not REINFORCE).
"""
import inspect
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
#: "section 5.2", "sections 5.2 and 5.3", "Section 3.1", but not the source article's sections
SECTION_NUMBER = re.compile(r"\bsections?\s+\d+\.\d+(?!\S*\s+of\s+the\s+(source\s+)?article)", re.I)


def markdown(path):
    nb = nbformat.read(path, as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def paragraphs(text):
    return [p.replace("\n", " ") for p in re.split(r"\n\s*\n", text)]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_hard_coded_section_numbers(path):
    hits = [m.group(0) for m in SECTION_NUMBER.finditer(markdown(path))]
    assert not hits, f"{path.name} refers to sections by number: {hits} (use a label and {{ref}})"


def test_section_number_finder():
    assert SECTION_NUMBER.search("Using the formulas of sections 5.2 and 5.3, what")
    assert SECTION_NUMBER.search("the training curves of section 5.5 approach")
    assert not SECTION_NUMBER.search("Section 4.2 of the source article states the losses")
    assert not SECTION_NUMBER.search("the {ref}`ch05-jsd` section")


def test_chapter5_names_the_estimator_chapter7_uses():
    from reclib.reasons import gan

    text = markdown(ROOT / "chapters" / "05_gan_math.ipynb")
    about_ch7 = [p for p in paragraphs(text)
                 if "chapter 7" in p and re.search(r"fine-tun", p)]
    assert about_ch7, "chapter 5 no longer says how chapter 7's GAN is fine-tuned"
    for p in about_ch7:
        if "GAN" not in p:
            continue
        assert "Gumbel-softmax" in p and "straight-through" in p, p
        assert not re.search(r"chapter 7 is fine-tuned[^.]*REINFORCE", p), p
    # ... and that is what reclib does: straight-through Gumbel-softmax rollouts, by default
    assert inspect.signature(gan.GANReasons.__init__).parameters["straight_through"].default is True
    source = inspect.getsource(gan)
    assert "stop_gradient(y_hard - y)" in source          # forward: one-hot; backward: relaxed y
    assert not re.search(r"reinforce|log_prob\w* \* reward", source, re.I)


def test_chapter3_states_the_baselines_default_settings():
    """Chapter 3 prints no table of the baselines' settings; its prose names
    them, so the prose must name what the defaults are."""
    from reclib.models.implicit import BPR, EASE, ItemKNN

    text = " ".join(paragraphs(markdown(ROOT / "chapters" / "03_algorithms.ipynb")))
    bpr = inspect.signature(BPR.__init__).parameters
    said = re.search(r"BPR's (\d+) factors, L2 of ([\d.]+) and (\d+) epochs, EASE's "
                     r"\$\\lambda = (\d+)\$", text)
    assert said, "chapter 3 no longer states the baselines' settings in the expected words"
    assert int(said[1]) == bpr["n_factors"].default and float(said[2]) == bpr["l2"].default
    assert int(said[3]) == bpr["epochs"].default
    assert float(said[4]) == inspect.signature(EASE.__init__).parameters["l2"].default
    knn = re.search(r"each item keeps its (\d+) most\s+similar items", text)
    assert knn and int(knn[1]) == inspect.signature(ItemKNN.__init__).parameters["k"].default
