"""What the reason generators share: input checks, encoding, a training loop,
the ``generate`` interface and decoding through :mod:`reclib.reasons.decoding`.

Every generator is fitted on training reviews (a DataFrame with columns
``user_id, item_id, rating, text, aspect, sentiment``) and the public item
table, then writes reasons for arrays of (user, item) pairs::

    gen.fit(train, world.items, world.users)
    gen.generate(users, items)                      # list of str
    gen.generate(users, items, aspects=[("battery", "positive"), ...])  # grounded
    gen.generate_one(user, item)                    # one str

A *grounded* generator takes, for each pair, the aspect to talk about and
optionally its sentiment, as ``"battery"`` or ``("battery", "positive")``.
"""
from __future__ import annotations

import re
import time
from numbers import Integral, Real

import numpy as np
import pandas as pd

import reclib  # noqa: F401  (sets the Keras backend)
import keras
import tensorflow as tf

from reclib.data.shopsim import ASPECTS
from reclib.data.splits import check_table
from reclib.data.text import Vocabulary, tokenize
from reclib.models._checks import check_ids
from reclib.reasons import decoding

REVIEW_COLUMNS = ("user_id", "item_id", "rating", "text", "aspect", "sentiment")
#: Sentiment ids of the grounding input; 2 means "not given".
SENTIMENT_IDS = {"negative": 0, "positive": 1, None: 2}
METHODS = ("greedy", "sample", "beam")


# ===================================================================== checks
def check_int(name, value, low=1):
    """``value`` as an int, or ValueError if it is not an integer >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (Integral, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_fraction(name, value, low=0.0, high=1.0):
    """``value`` as a float in [low, high], or ValueError."""
    if isinstance(value, bool) or not isinstance(value, Real) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def check_query(users, items, n_users, n_items):
    """Checked, equally long, non-empty 1-D id arrays of the pairs to generate for."""
    users = check_ids("user", np.atleast_1d(users), n_users)
    items = check_ids("item", np.atleast_1d(items), n_items)
    if users.ndim != 1 or users.shape != items.shape:
        raise ValueError(f"mismatched lengths: users has shape {users.shape}, "
                         f"items {items.shape}")
    if len(users) == 0:
        raise ValueError("empty input: no (user, item) pairs to generate for")
    return users, items


def check_reviews(train, columns=REVIEW_COLUMNS):
    """Raise ValueError unless ``train`` is a non-empty review table."""
    check_table(train, columns, "training reviews (empty training data?)")
    nan = [c for c in columns if train[c].isna().any()]
    if nan:
        raise ValueError(f"training reviews have missing values in {nan}")
    if "aspect" in columns:
        unknown = set(train["aspect"]) - set(ASPECTS)
        if unknown:
            raise ValueError(f"unknown aspect(s) in training reviews: {sorted(unknown)[:5]}")
    if "sentiment" in columns:
        bad = set(train["sentiment"]) - {"positive", "negative"}
        if bad:
            raise ValueError(f"sentiment must be 'positive' or 'negative', got {sorted(bad)[:5]}")
    return train


def check_items(items):
    """Raise ValueError unless ``items`` is an item table with ``category`` and ``brand``."""
    if not isinstance(items, pd.DataFrame):
        raise ValueError(f"items must be a pandas DataFrame, got {type(items).__name__}")
    missing = [c for c in ("category", "brand") if c not in items.columns]
    if missing:
        raise ValueError(f"item table is missing column(s) {missing}")
    if len(items) == 0:
        raise ValueError("item table is empty")
    return items.reset_index(drop=True)


def parse_grounding(aspects, n):
    """Turn ``aspects`` (``"battery"`` or ``("battery", "positive")`` per pair)
    into two int arrays: aspect ids (index in :data:`ASPECTS`) and sentiment
    ids (:data:`SENTIMENT_IDS`; 2 when no sentiment is given)."""
    if isinstance(aspects, str):
        raise ValueError("aspects must be a list with one aspect per pair, not a single string")
    aspects = list(aspects)
    if len(aspects) != n:
        raise ValueError(f"mismatched lengths: {n} pairs but {len(aspects)} aspects")
    a_ids = np.empty(n, dtype=np.int32)
    s_ids = np.empty(n, dtype=np.int32)
    for k, g in enumerate(aspects):
        if isinstance(g, str) or g is None:
            a, s = g, None
        elif len(g) == 2:
            a, s = g
        else:
            raise ValueError(f"aspects[{k}] must be an aspect or an (aspect, sentiment) pair, "
                             f"got {g!r}")
        if a not in ASPECTS:
            raise ValueError(f"aspects[{k}]: unknown aspect {a!r}; known: {ASPECTS}")
        if s not in SENTIMENT_IDS:
            raise ValueError(f"aspects[{k}]: sentiment must be 'positive', 'negative' or "
                             f"None, got {s!r}")
        a_ids[k], s_ids[k] = ASPECTS.index(a), SENTIMENT_IDS[s]
    return a_ids, s_ids


# ===================================================================== text
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


def brand_words(items):
    """Lowercase tokens of the brand names, for :func:`pretty`."""
    return {t for b in items["brand"].astype(str).unique() for t in tokenize(b) if t.isalpha()}


# ===================================================================== training loop
def train_loop(loss_fn, variables, arrays, epochs, batch_size, learning_rate, seed,
               clipnorm=1.0):
    """Mini-batch Adam on ``loss_fn(*batch) -> dict of scalar terms`` (key
    ``"loss"`` is minimized), compiled once with ``tf.function``.

    ``arrays`` is a list of equally long NumPy arrays, shuffled each epoch with
    a NumPy generator seeded by ``seed``. Returns the history: a dict mapping
    each term to its per-epoch mean.
    """
    n = len(arrays[0])
    opt = keras.optimizers.Adam(learning_rate, clipnorm=clipnorm)
    opt.build(variables)

    # one trace for all batch sizes (the last batch of an epoch is smaller)
    spec = [tf.TensorSpec((None,) + a.shape[1:], tf.as_dtype(a.dtype)) for a in arrays]

    @tf.function(input_signature=spec, autograph=False)
    def step(*batch):
        with tf.GradientTape() as tape:
            terms = loss_fn(*batch, training=True)
        grads = tape.gradient(terms["loss"], variables)
        opt.apply_gradients(zip(grads, variables))
        return terms

    rng = np.random.default_rng(seed)
    history = {}
    for _ in range(epochs):
        order = rng.permutation(n)
        sums, count = {}, 0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            terms = step(*[tf.convert_to_tensor(a[idx]) for a in arrays])
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v) * len(idx)
            count += len(idx)
        for k, v in sums.items():
            history.setdefault(k, []).append(v / count)
    return history


def masked_ce(logits, targets, pad_id=0):
    """Mean token cross-entropy of ``logits`` (B, T, V) against ``targets`` (B, T),
    ignoring ``pad_id`` positions, and the number of counted tokens."""
    ce = keras.ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    mask = keras.ops.cast(keras.ops.not_equal(targets, pad_id), ce.dtype)
    n = keras.ops.maximum(keras.ops.sum(mask), 1.0)
    return keras.ops.sum(ce * mask) / n, n


# ===================================================================== base class
class ReasonGenerator:
    """Base class of the neural generators: data preparation, ``generate``,
    ``generate_one``, ``perplexity`` and ``param_count``.

    A subclass implements ``fit`` (using :meth:`_prepare` and
    :func:`train_loop`, and setting ``self.net_``, a Keras model, and
    ``fit_time_``) and ``_logits(u, i, a, s, tokens)`` (next-token logits at
    every position, shape (B, T, V), for tokens right-padded to ``max_len``);
    it may override ``_step_fn`` for faster incremental decoding.
    """

    def __init__(self, grounded=False, max_len=20, vocab_size=320, max_reviews=20000,
                 epochs=2, batch_size=128, learning_rate=3e-3, sentiment_dropout=0.1,
                 seed=0):
        self.grounded = bool(grounded)
        self.max_len = check_int("max_len", max_len, 2)
        self.vocab_size = check_int("vocab_size", vocab_size, 1)
        self.max_reviews = None if max_reviews is None else check_int("max_reviews", max_reviews)
        self.epochs = check_int("epochs", epochs, 0)
        self.batch_size = check_int("batch_size", batch_size)
        if not isinstance(learning_rate, Real) or learning_rate <= 0:
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
        self.learning_rate = float(learning_rate)
        self.sentiment_dropout = check_fraction("sentiment_dropout", sentiment_dropout)
        self.seed = seed

    # ------------------------------------------------------------ data
    def _prepare(self, train, items, users=None, vocab=None):
        """Check and encode the training reviews; sets the sizes and the
        vocabulary (built from ``train`` unless ``vocab`` is given)."""
        check_reviews(train)
        self.items_ = check_items(items)
        self.n_items_ = len(self.items_)
        if users is not None:
            if not isinstance(users, pd.DataFrame) or len(users) == 0:
                raise ValueError("users must be a non-empty DataFrame (or None)")
            self.n_users_ = len(users)
        else:
            self.n_users_ = int(train["user_id"].max()) + 1
        check_ids("user", train["user_id"].to_numpy(), self.n_users_)
        check_ids("item", train["item_id"].to_numpy(), self.n_items_)
        if self.max_reviews is not None and len(train) > self.max_reviews:
            train = train.sample(self.max_reviews, random_state=self.seed)
        self.n_train_ = len(train)
        self.vocab_ = vocab if vocab is not None else \
            Vocabulary.from_texts(train["text"], max_size=self.vocab_size)
        self.proper_ = brand_words(self.items_)
        width = self.max_len + 1
        tok = self.vocab_.encode_batch(train["text"], max_len=width, add_bos=True, add_eos=True)
        # input: <bos> w1 .. wT ; target: w1 .. wT <eos> (pad 0 is ignored)
        tok_in = np.where(tok == self.vocab_.eos_id, self.vocab_.pad_id, tok)[:, :-1]
        tok_out = tok[:, 1:]
        a = train["aspect"].map(ASPECTS.index).to_numpy(np.int32)
        s = train["sentiment"].map(SENTIMENT_IDS).to_numpy(np.int32)
        if self.sentiment_dropout:
            drop = np.random.default_rng(self.seed).random(len(s)) < self.sentiment_dropout
            s = np.where(drop, SENTIMENT_IDS[None], s).astype(np.int32)
        return dict(u=train["user_id"].to_numpy(np.int32), i=train["item_id"].to_numpy(np.int32),
                    a=a, s=s, tok_in=tok_in.astype(np.int32), tok_out=tok_out.astype(np.int32),
                    r=train["rating"].to_numpy(np.float32))

    def _check_fitted(self):
        if not hasattr(self, "net_"):
            raise ValueError(f"{type(self).__name__} is not fitted: call fit(train, items) first")

    def _query(self, users, items, aspects):
        """Checked id arrays (and grounding) for ``generate``."""
        self._check_fitted()
        users, items = check_query(users, items, self.n_users_, self.n_items_)
        n = len(users)
        if self.grounded:
            if aspects is None:
                raise ValueError("this generator is grounded: pass aspects=, one aspect "
                                 "(or (aspect, sentiment) pair) per pair")
            a, s = parse_grounding(aspects, n)
        else:
            if aspects is not None:
                raise ValueError("this generator is not grounded (grounded=False): "
                                 "do not pass aspects=")
            a = s = np.zeros(n, dtype=np.int32)
        return users.astype(np.int32), items.astype(np.int32), a, s

    # ------------------------------------------------------------ generation
    def _logits(self, u, i, a, s, tokens):
        raise NotImplementedError

    def _step_fn(self, u, i, a, s):
        """``tokens (B, t) -> logits (B, V)`` of the next token, recomputing the
        whole prefix (right-padded to the training width so one graph serves
        all t; the decoders are causal, so the padding does not matter)."""
        width = self.max_len

        def step(tokens):
            t = tokens.shape[1]
            if t > width:
                raise ValueError(f"prefix longer than the model's max_len ({self.max_len})")
            pad = np.zeros((len(tokens), width), dtype=np.int32)
            pad[:, :t] = tokens
            reps = len(tokens) // len(u)
            out = self._logits(np.repeat(u, reps), np.repeat(i, reps), np.repeat(a, reps),
                               np.repeat(s, reps), pad)
            return np.asarray(out[:, t - 1], dtype=np.float64)
        return step

    def generate(self, users, items, aspects=None, method="greedy", max_len=None,
                 batch_size=1024, temperature=1.0, top_k=None, top_p=None, beam_width=4,
                 length_penalty=1.0, seed=None):
        """Write one reason per (user, item) pair.

        Parameters
        ----------
        users, items : array-like of int
            Pairs of ids, same length.
        aspects : list, optional
            Grounded generators only (and then required): per pair, the aspect
            to talk about, as ``"battery"`` or ``("battery", "positive")``.
        method : {"greedy", "sample", "beam"}
            Decoding strategy (:mod:`reclib.reasons.decoding`). Greedy decoding
            of a maximum-likelihood model tends to repeat the most common
            sentence; sampling (with ``temperature``, ``top_k``, ``top_p``)
            gives diverse texts; beam search decodes pair by pair (slow).
        max_len : int, optional
            At most this many tokens (default: the model's ``max_len``).
        batch_size : int
            Pairs decoded together.
        temperature, top_k, top_p, seed
            Sampling settings (``seed`` defaults to the model's seed).
        beam_width, length_penalty
            Beam-search settings.

        Returns
        -------
        list of str
        """
        if method not in METHODS:
            raise ValueError(f"unknown decoding method {method!r}; use one of {METHODS}")
        u, i, a, s = self._query(users, items, aspects)
        max_len = self.max_len if max_len is None else check_int("max_len", max_len)
        max_len = min(max_len, self.max_len)
        batch_size = check_int("batch_size", batch_size)
        seed = self.seed if seed is None else seed
        bos, eos = self.vocab_.bos_id, self.vocab_.eos_id
        out = []
        for b, start in enumerate(range(0, len(u), batch_size)):
            sl = slice(start, start + batch_size)
            args = (u[sl], i[sl], a[sl], s[sl])
            if method == "greedy":
                ids = decoding.greedy(self._step_fn(*args), bos, eos, max_len,
                                      batch_size=len(args[0]))
            elif method == "sample":
                ids = decoding.sample(self._step_fn(*args), bos, eos, max_len,
                                      batch_size=len(args[0]), temperature=temperature,
                                      top_k=top_k, top_p=top_p,
                                      seed=None if seed is None else [seed, b])
            else:
                ids = [decoding.beam_search(self._step_fn(*[x[k:k + 1] for x in args]),
                                            bos, eos, max_len, beam_width=beam_width,
                                            length_penalty=length_penalty)
                       for k in range(len(args[0]))]
            out.extend(pretty(self.vocab_.decode_tokens(np.asarray(r, dtype=np.int64)),
                              self.proper_) for r in ids)
        return out

    def generate_one(self, user, item, aspect=None, **decoding_kw):
        """The reason for one (user, item) pair (``aspect`` for grounded models)."""
        aspects = None if aspect is None else [aspect]
        return self.generate([user], [item], aspects=aspects, **decoding_kw)[0]

    # ------------------------------------------------------------ evaluation
    def perplexity(self, reviews, batch_size=1024):
        """Per-token perplexity of the reviews' texts (teacher forcing), e.g.
        on held-out reviews. Grounded models are given each review's own
        (aspect, sentiment), so compare grounded with grounded only."""
        self._check_fitted()
        check_reviews(reviews)
        users, items = reviews["user_id"].to_numpy(), reviews["item_id"].to_numpy()
        aspects = list(zip(reviews["aspect"], reviews["sentiment"])) if self.grounded else None
        u, i, a, s = self._query(users, items, aspects)
        tok = self.vocab_.encode_batch(reviews["text"], max_len=self.max_len + 1,
                                       add_bos=True, add_eos=True)
        tok_in = np.where(tok == self.vocab_.eos_id, 0, tok)[:, :-1].astype(np.int32)
        tok_out = tok[:, 1:].astype(np.int32)
        total, count = 0.0, 0.0
        for start in range(0, len(u), batch_size):
            sl = slice(start, start + batch_size)
            logits = self._logits(u[sl], i[sl], a[sl], s[sl], tok_in[sl])
            ce, n = masked_ce(logits, tok_out[sl])
            total += float(ce) * float(n)
            count += float(n)
        return float(np.exp(total / count))

    def param_count(self):
        """Number of trainable and non-trainable weights of the generator."""
        self._check_fitted()
        return int(self.net_.count_params())

    def _fit_start(self):
        keras.utils.set_random_seed(self.seed)
        return time.perf_counter()
