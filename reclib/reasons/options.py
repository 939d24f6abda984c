"""Decoding options every reason generator accepts (no Keras: the template
generator imports them, and runs in Spark's Python workers without TensorFlow)."""
from __future__ import annotations

from reclib.checks import check_choice

#: Decoding methods every generator accepts.
METHODS = ("greedy", "sample", "beam")
#: Keyword arguments of ``generate`` (a generator may ignore those it has no use for).
DECODING_OPTIONS = ("method", "max_len", "batch_size", "temperature", "top_k", "top_p",
                    "beam_width", "length_penalty", "seed")


def check_decoding(options):
    """Raise ValueError for a decoding keyword no generator knows, or an unknown method."""
    unknown = sorted(set(options) - set(DECODING_OPTIONS))
    if unknown:
        raise ValueError(f"unknown decoding option(s) {unknown}; known: {list(DECODING_OPTIONS)}")
    if "method" in options:
        check_choice("method", options["method"], METHODS)
