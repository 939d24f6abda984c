"""Text clean-up for generated reasons: from word tokens to a readable sentence."""
from __future__ import annotations

import re

import pandas as pd

from reclib.data.text import tokenize

_SPACE_BEFORE = re.compile(r" ([,.;:!?])")


def pretty(tokens, proper=()):
    """Join word tokens into a readable sentence: no space before punctuation,
    ``n't``/``'s`` re-attached, first letter of each sentence and the words in
    ``proper`` (e.g. brand names) capitalized. The metrics re-tokenize, so
    this changes nothing they measure."""
    proper = set(proper)
    words = [t.capitalize() if t in proper else t for t in tokens]
    text = " ".join(words)
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = re.sub(r" ' (t|s|re|ve|ll|m|d)\b", r"'\1", text)
    text = re.sub(r"(^|[.!?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return text


def proper_words(items, column="brand"):
    """Lowercase alphabetic tokens of the names in ``items[column]`` (e.g.
    brand names), for :func:`pretty`; empty when there is no item table or
    it has no such column."""
    if not isinstance(items, pd.DataFrame) or column not in items:
        return set()
    return {t for b in items[column].astype(str).unique() for t in tokenize(b) if t.isalpha()}
