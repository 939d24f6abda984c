"""Data: the ShopSim world, loaders for real files, splits, cleaning and text.

- :func:`load_shopsim` / :mod:`reclib.data.shopsim`: the book's synthetic shop;
- :func:`load_movielens`, :func:`load_amazon`: a reader's own MovieLens or
  Amazon-reviews file (read from disk, never downloaded), and
  :func:`index_ids` to map any raw ids to ``0..n-1``;
- :func:`label_aspects`: the aspect and sentiment of reviews that come
  without them, from a keyword lexicon;
- :mod:`reclib.data.credit`: the synthetic credit-applicant world of chapter 11;
- :mod:`reclib.data.courses`: the synthetic course world of chapter 12 (skills with
  prerequisites, learners' hidden mastery, a known learning gain per learner and course);
- :mod:`reclib.data.splits`, :mod:`reclib.data.cleaning`, :mod:`reclib.data.text`.
"""
from reclib.data.aspects import PRODUCT_LEXICON, label_aspects
from reclib.data.loaders import LoadedData, index_ids, load_amazon, load_movielens
from reclib.data.shopsim import World, generate


def load_shopsim(folder=None):
    """Load the committed default ShopSim world (``data/shopsim/``).

    Returns a :class:`reclib.data.shopsim.World` with the public tables
    ``items``, ``users``, ``ratings`` and the hidden truth used by the oracles.
    """
    from reclib.data import shopsim
    return shopsim.load(folder)


__all__ = ["LoadedData", "PRODUCT_LEXICON", "World", "generate", "index_ids", "label_aspects",
           "load_amazon", "load_movielens", "load_shopsim"]
