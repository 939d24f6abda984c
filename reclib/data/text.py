"""Text processing for reason generators: a tokenizer and a vocabulary.

Two tokenization levels share one interface:

* ``level="word"``: lowercase, then split into runs of word characters and
  single punctuation marks with the regular expression ``\\w+|[^\\w\\s]``.
  ``"Great battery, isn't it?"`` becomes
  ``["great", "battery", ",", "isn", "'", "t", "it", "?"]``.
* ``level="char"``: lowercase, then one token per character, whitespace
  dropped. This is the usual choice for Chinese, which has no spaces between
  words: ``"电池续航很长"`` becomes ``["电", "池", "续", "航", "很", "长"]``.

The same :func:`tokenize` is used by :mod:`reclib.metrics.text`, so a
vocabulary, BLEU/ROUGE and the feature-word metrics all see the same tokens.
"""
from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np

from reclib.checks import check_int, check_optional_int

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)  # ids 0, 1, 2, 3
LEVELS = ("word", "char")
_WORD_RE = re.compile(r"\w+|[^\w\s]")


def check_level(level):
    """Refuse a tokenization level other than ``"word"`` or ``"char"``."""
    if level not in LEVELS:
        raise ValueError(f"unknown tokenization level {level!r}; use 'word' or 'char'")


def _check_text(text, where="text"):
    if not isinstance(text, str):
        raise ValueError(f"{where} must be a string, got {type(text).__name__} ({text!r})")


def tokenize(text, level="word"):
    """Split a text into tokens.

    Parameters
    ----------
    text : str
        The text.
    level : {"word", "char"}
        ``"word"``: lowercase words and punctuation marks (regex
        ``\\w+|[^\\w\\s]``); ``"char"``: lowercase characters, whitespace dropped.

    Returns
    -------
    list of str
    """
    check_level(level)
    _check_text(text)
    text = text.lower()
    if level == "word":
        return _WORD_RE.findall(text)
    return [c for c in text if not c.isspace()]


def detokenize(tokens, level="word"):
    """Join tokens back into a string (spaces for words, nothing for chars).

    Word level does not restore the original spacing around punctuation:
    ``detokenize(tokenize("Great, isn't it?"))`` is ``"great , isn ' t it ?"``.
    """
    check_level(level)
    return (" " if level == "word" else "").join(tokens)


class Vocabulary:
    """A token <-> id mapping with the special tokens of sequence models.

    Ids 0-3 are ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``; regular tokens
    follow, most frequent first (ties in alphabetical order, so a vocabulary
    is deterministic). Build one with :meth:`Vocabulary.from_texts`.

    Parameters
    ----------
    tokens : list of str
        Regular tokens in id order (without the special tokens).
    level : {"word", "char"}
        Tokenization level used by :meth:`encode`.
    """

    def __init__(self, tokens, level="word"):
        check_level(level)
        tokens = list(tokens)
        for t in tokens:
            _check_text(t, "a vocabulary token")
        clash = set(tokens) & set(SPECIALS)
        if clash:
            raise ValueError(f"regular tokens may not be special tokens: {sorted(clash)}")
        if len(set(tokens)) != len(tokens):
            dup = [t for t, c in Counter(tokens).items() if c > 1]
            raise ValueError(f"duplicate tokens in vocabulary: {dup[:5]}")
        self.level = level
        self.itos = list(SPECIALS) + tokens
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    # ------------------------------------------------------------ building
    @classmethod
    def from_texts(cls, texts, level="word", min_count=1, max_size=None):
        """Build a vocabulary from a corpus.

        Parameters
        ----------
        texts : iterable of str
            The training texts (never the test texts: that would leak).
        level : {"word", "char"}
            Tokenization level.
        min_count : int
            Keep tokens occurring at least this often (>= 1).
        max_size : int or None
            Keep at most this many regular tokens (the special tokens are not
            counted), the most frequent ones.

        Returns
        -------
        Vocabulary
        """
        check_level(level)
        min_count = check_int("min_count", min_count, low=1)
        max_size = check_optional_int("max_size", max_size, low=1)
        if isinstance(texts, str):
            raise ValueError("texts must be a list of strings, not a single string")
        counts = Counter()
        n = 0
        for i, t in enumerate(texts):
            _check_text(t, f"texts[{i}]")
            counts.update(tokenize(t, level))
            n += 1
        if n == 0 or not counts:
            raise ValueError("empty corpus: no texts (or no tokens) to build a vocabulary from")
        for s in SPECIALS:
            counts.pop(s, None)
        kept = sorted(((t, c) for t, c in counts.items() if c >= min_count),
                      key=lambda tc: (-tc[1], tc[0]))
        if not kept:
            raise ValueError(f"no token occurs at least min_count={min_count} times")
        if max_size is not None:
            kept = kept[:max_size]
        return cls([t for t, _ in kept], level=level)

    # ------------------------------------------------------------ basics
    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __repr__(self):
        return f"Vocabulary(level={self.level!r}, size={len(self)})"

    pad_id = property(lambda self: 0, doc="Id of ``<pad>`` (0).")
    bos_id = property(lambda self: 1, doc="Id of ``<bos>`` (1).")
    eos_id = property(lambda self: 2, doc="Id of ``<eos>`` (2).")
    unk_id = property(lambda self: 3, doc="Id of ``<unk>`` (3).")

    def token_to_id(self, token):
        """Id of ``token`` (the ``<unk>`` id when it is not in the vocabulary)."""
        return self.stoi.get(token, self.unk_id)

    def id_to_token(self, idx):
        """Token of id ``idx``; ValueError for an id outside the vocabulary."""
        idx = check_int("token id", idx, low=None)
        if not 0 <= idx < len(self.itos):
            raise ValueError(f"unknown token id {idx} (vocabulary size {len(self)})")
        return self.itos[idx]

    # ------------------------------------------------------------ encoding
    def encode(self, text, max_len=None, add_bos=False, add_eos=False):
        """Turn a text into a list of ids.

        Parameters
        ----------
        text : str
        max_len : int or None
            If given, the result has exactly ``max_len`` ids: the tokens are
            truncated so that ``<bos>``/``<eos>`` (when requested) always fit,
            and the rest is filled with ``<pad>`` (0) on the right.
        add_bos, add_eos : bool
            Put ``<bos>`` first / ``<eos>`` after the last token.

        Returns
        -------
        list of int
            Unknown tokens map to the ``<unk>`` id (3).
        """
        ids = [self.token_to_id(t) for t in tokenize(text, self.level)]
        n_special = int(bool(add_bos)) + int(bool(add_eos))
        max_len = check_optional_int("max_len", max_len, low=1)
        if max_len is not None:
            if max_len <= n_special and n_special:
                raise ValueError(f"max_len={max_len} leaves no room for a token next to "
                                 f"{n_special} special token(s)")
            ids = ids[: max_len - n_special]
        out = ([self.bos_id] if add_bos else []) + ids + ([self.eos_id] if add_eos else [])
        if max_len is not None:
            out += [self.pad_id] * (max_len - len(out))
        return out

    def encode_batch(self, texts, max_len=None, add_bos=False, add_eos=False):
        """Encode several texts into a right-padded int32 array.

        Parameters
        ----------
        texts : list of str
        max_len : int or None
            Row length; ``None`` pads to the longest encoded text.
        add_bos, add_eos : bool
            As in :meth:`encode`.

        Returns
        -------
        numpy.ndarray of int32, shape (len(texts), max_len)
        """
        if isinstance(texts, str):
            raise ValueError("texts must be a list of strings, not a single string")
        texts = list(texts)
        if not texts:
            raise ValueError("empty input: texts has no elements")
        rows = [self.encode(t, max_len, add_bos, add_eos) for t in texts]
        width = max_len if max_len is not None else max(1, max(len(r) for r in rows))
        out = np.full((len(rows), width), self.pad_id, dtype=np.int32)
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
        return out

    def decode_tokens(self, ids):
        """Ids -> tokens: stop at the first ``<eos>``, drop ``<pad>`` and ``<bos>``.

        ``<unk>`` is kept (as the string ``"<unk>"``); an id outside the
        vocabulary raises ValueError.
        """
        ids = np.asarray(ids)
        if ids.ndim != 1:
            raise ValueError(f"ids must be one sequence (1-D), got shape {ids.shape}")
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"token ids must be integers, got dtype {ids.dtype}")
        out = []
        for i in ids.tolist():
            tok = self.id_to_token(i)
            if i == self.eos_id:
                break
            if i in (self.pad_id, self.bos_id):
                continue
            out.append(tok)
        return out

    def decode(self, ids):
        """Ids -> text (tokens joined by spaces at word level, directly at char level).

        Stops at the first ``<eos>`` and drops ``<pad>``/``<bos>``; see
        :meth:`decode_tokens`.
        """
        return detokenize(self.decode_tokens(ids), self.level)

    # ------------------------------------------------------------ saving
    def to_json(self):
        """Serialize to a JSON string (level and tokens in id order)."""
        return json.dumps({"level": self.level, "itos": self.itos}, ensure_ascii=False)

    @classmethod
    def from_json(cls, s):
        """Inverse of :meth:`to_json`."""
        try:
            d = json.loads(s)
            level, itos = d["level"], d["itos"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"not a serialized Vocabulary: {e}") from None
        if list(itos[: len(SPECIALS)]) != list(SPECIALS):
            raise ValueError(f"serialized vocabulary must start with {list(SPECIALS)}")
        return cls(itos[len(SPECIALS):], level=level)
