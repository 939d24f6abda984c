"""What the reason generators share: grounding, decoding options, and the
base class of the neural generators.

Every generator follows :class:`reclib.protocol.ReasonGenerator`::

    gen.fit(train, items=items, users=users)        # training reviews (+ optional tables)
    gen.aspects_                                    # the aspect vocabulary of the reviews
    gen.generate(users, items)                      # list of str, one per pair
    gen.generate(users, items, aspects=[("location", "positive"), ...])  # grounded
    gen.generate_one(user, item)                    # a Reason (text + aspects named)
    gen.count_params()

A *grounded* generator takes, for each pair, the aspect to talk about and
optionally its sentiment, as ``"location"`` or ``("location", "positive")``;
the aspect must be one of ``aspects_``.

:class:`NeuralReasons` is the base of the seq2seq, GAN and Transformer
generators: encoding the reviews, training through ``keras.Model.fit``
(:mod:`reclib.reasons.training`), decoding (:mod:`reclib.reasons.decoding`),
perplexity, and saving to / loading from a directory (the network in
``.keras`` format, the vocabulary and settings in JSON).

Backends: the networks use ``keras.ops`` and train through ``fit`` with a
``compute_loss`` override, which runs on any Keras backend; the decoding
helpers are compiled with ``tf.function`` when the backend is TensorFlow
(:func:`compiled`) and run eagerly otherwise. Only the text GAN's
adversarial ``train_step`` (:mod:`reclib.reasons.gan`) needs TensorFlow.
"""
from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import numpy as np

import reclib  # noqa: F401  (sets the Keras backend)
import keras

from reclib.checks import (SENTIMENTS, check_choice, check_fitted, check_fraction, check_int,
                           check_optional_int, check_pairs, check_positive, check_reviews,
                           check_scale, check_seed)
from reclib.data.text import Vocabulary
from reclib.protocol import ReasonGenerator
from reclib.reasons import decoding
from reclib.reasons.text import pretty, proper_words
from reclib.reasons.training import fit_net, masked_ce
from reclib.reasons.options import DECODING_OPTIONS, METHODS, check_decoding  # noqa: F401

#: Sentiment ids of the grounding input; 2 means "not given".
SENTIMENT_IDS = {"negative": 0, "positive": 1, None: 2}
# METHODS, DECODING_OPTIONS and check_decoding live in reclib.reasons.options (no Keras).


def parse_grounding(aspects, vocabulary, n):
    """Turn ``aspects`` (``"location"`` or ``("location", "positive")`` per
    pair) into two int32 arrays: aspect ids (the index in ``vocabulary``,
    a generator's ``aspects_``) and sentiment ids (:data:`SENTIMENT_IDS`; 2
    when no sentiment is given)."""
    if isinstance(aspects, str):
        raise ValueError("aspects must be a list with one aspect per pair, not a single string")
    aspects = list(aspects)
    if len(aspects) != n:
        raise ValueError(f"mismatched lengths: {n} pairs but {len(aspects)} aspects")
    index = {a: k for k, a in enumerate(vocabulary)}
    a_ids = np.empty(n, dtype=np.int32)
    s_ids = np.empty(n, dtype=np.int32)
    for k, g in enumerate(aspects):
        if isinstance(g, str) or g is None:
            a, s = g, None
        elif isinstance(g, (tuple, list)) and len(g) == 2:
            a, s = g
        else:
            raise ValueError(f"aspects[{k}] must be an aspect or an (aspect, sentiment) pair, "
                             f"got {g!r}")
        if a not in index:
            raise ValueError(f"aspects[{k}]: unknown aspect {a!r}; known: {list(vocabulary)}")
        if s is not None and s not in SENTIMENTS:
            raise ValueError(f"aspects[{k}]: sentiment must be 'positive', 'negative' or "
                             f"None, got {s!r}")
        a_ids[k], s_ids[k] = index[a], SENTIMENT_IDS[s]
    return a_ids, s_ids


def stream_seed(seed, *stream):
    """A seed for one random stream of a network, drawn from ``seed`` and the
    stream's path (e.g. ``(2, k)`` for layer ``k`` of network part 2) through
    ``numpy.random.SeedSequence``, so that different streams are unrelated
    (nearby integer seeds would give correlated weights). None for None."""
    if seed is None:
        return None
    return int(np.random.SeedSequence([int(seed), *map(int, stream)]).generate_state(1)[0]
               % (2 ** 31 - 1))


def initializer(kind, seed, *stream):
    """A Keras initializer (``"glorot_uniform"``, ``"orthogonal"``,
    ``"uniform"``) seeded by :func:`stream_seed`, so that the weights depend on
    ``seed`` alone (never on the global random state). ``seed=None``: unseeded."""
    names = {"glorot_uniform": "GlorotUniform", "orthogonal": "Orthogonal",
             "uniform": "RandomUniform"}
    return keras.initializers.get({"class_name": names[kind],
                                   "config": {"seed": stream_seed(seed, *stream)}})


class SeededLayers:
    """Hands out seeded initializers of unrelated streams, in order:
    ``init = SeededLayers(seed, part)``, then ``Dense(...,
    kernel_initializer=init())``, ``Embedding(..., embeddings_initializer=init("uniform"))``."""

    def __init__(self, seed, *stream):
        self.seed, self.stream, self.count = seed, stream, 0

    def __call__(self, kind="glorot_uniform"):
        self.count += 1
        return initializer(kind, self.seed, *self.stream, self.count)

    def embedding(self, n, dim, name):
        """An ``Embedding(n, dim)`` with the next seeded (uniform) initializer."""
        return keras.layers.Embedding(n, dim, embeddings_initializer=self("uniform"), name=name)


def compiled(fn, *signature):
    """``fn`` compiled once for all batch sizes: ``tf.function`` with the
    input ``signature`` (``(shape, dtype)`` pairs, or lists of them; None for
    a free dimension) on the TensorFlow backend, unchanged (eager) on the
    others."""
    if keras.backend.backend() != "tensorflow":
        return fn
    import tensorflow as tf

    def spec(s):
        if isinstance(s, list):
            return [spec(x) for x in s]
        return tf.TensorSpec(s[0], s[1])

    return tf.function(fn, input_signature=[spec(s) for s in signature], autograph=False)


class SelfBuilding:
    """Mixin for the generators' ``keras.Model`` subclasses: they build their
    weights by calling themselves on dummy ids (:meth:`dummy_inputs`), which
    is also how a saved ``.keras`` file rebuilds them before loading weights."""

    def dummy_inputs(self):
        raise NotImplementedError

    def build_now(self):
        """Create the weights (a call on one dummy example)."""
        self(self.dummy_inputs())
        return self

    def get_build_config(self):
        return {"dummy_inputs": True}

    def build_from_config(self, config):
        self.build_now()


# ===================================================================== base class
class NeuralReasons(ReasonGenerator):
    """Base class of the neural generators: data preparation, training,
    ``generate``, ``perplexity``, ``count_params``, ``save`` and ``load``.

    A subclass implements ``_build()`` (the Keras network, built, not
    compiled; it computes its loss in ``compute_loss``) and may override
    ``_step_fn`` (faster incremental decoding) and ``_after_build`` (compiled
    helpers, called after fit and after load; the base compiles the forward
    pass, whose first output is the next-token logits at every position,
    (B, T, V)).

    ``fit(train, *, items=None, users=None, aspects=None, validation=None,
    callbacks=None)``: ``validation`` (held-out reviews) adds ``val_*``
    terms to ``history_``, ``callbacks`` go to ``keras.Model.fit`` (e.g.
    ``keras.callbacks.EarlyStopping(monitor="val_nll", mode="min")``).

    The item table is optional: with a ``brand`` column its names are
    capitalized in the generated texts; the seq2seq model also embeds
    categorical item columns (``item_attributes``). Nothing else about the
    items or users is assumed.
    """

    def __init__(self, grounded=False, max_len=20, vocab_size=320, max_reviews=20000,
                 epochs=2, batch_size=128, learning_rate=3e-3, sentiment_dropout=0.1,
                 seed=0):
        self.grounded = bool(grounded)
        self.max_len = check_int("max_len", max_len, 2)
        self.vocab_size = check_int("vocab_size", vocab_size, 1)
        self.max_reviews = check_optional_int("max_reviews", max_reviews)
        self.epochs = check_int("epochs", epochs)
        self.batch_size = check_int("batch_size", batch_size)
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.sentiment_dropout = check_fraction("sentiment_dropout", sentiment_dropout)
        self.seed = check_seed(seed)

    def get_params(self):
        """The constructor's settings, ``{name: value}``."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {p: getattr(self, p) for p in names}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------ data
    def _encode(self, reviews, hide_sentiment=False):
        """Encoded arrays of a review table (``u, i, a, s, tok_in, tok_out, r``)."""
        width = self.max_len + 1
        tok = self.vocab_.encode_batch(reviews["text"], max_len=width, add_bos=True,
                                       add_eos=True)
        # input: <bos> w1 .. wT ; target: w1 .. wT <eos> (pad 0 is ignored)
        tok_in = np.where(tok == self.vocab_.eos_id, self.vocab_.pad_id, tok)[:, :-1]
        index = {a: k for k, a in enumerate(self.aspects_)}
        unknown = sorted(set(reviews["aspect"]) - set(index))
        if unknown:
            raise ValueError(f"reviews have aspect(s) {unknown[:5]} the generator was not "
                             f"fitted on; known: {list(self.aspects_)}")
        s = reviews["sentiment"].map(SENTIMENT_IDS).to_numpy(np.int32)
        if hide_sentiment and self.sentiment_dropout:
            drop = np.random.default_rng(self.seed).random(len(s)) < self.sentiment_dropout
            s = np.where(drop, SENTIMENT_IDS[None], s).astype(np.int32)
        return dict(u=reviews["user_id"].to_numpy(np.int32),
                    i=reviews["item_id"].to_numpy(np.int32),
                    a=reviews["aspect"].map(index).to_numpy(np.int32), s=s,
                    tok_in=tok_in.astype(np.int32), tok_out=tok[:, 1:].astype(np.int32),
                    r=reviews["rating"].to_numpy(np.float32))

    def _prepare(self, train, vocab=None):
        """Encode the training reviews (a random subset of at most
        ``max_reviews``); sets ``vocab_`` (built from them unless ``vocab``
        is given), ``proper_`` and ``n_train_``."""
        if self.max_reviews is not None and len(train) > self.max_reviews:
            train = train.sample(self.max_reviews, random_state=self.seed)
        self.n_train_ = len(train)
        self.vocab_ = vocab if vocab is not None else \
            Vocabulary.from_texts(train["text"], max_size=self.vocab_size)
        self.proper_ = proper_words(self.items_)
        return self._encode(train, hide_sentiment=True)

    def _validation(self, validation):
        if validation is None:
            return None
        check_reviews(validation, self.columns, scale=self.scale_, name="validation reviews")
        check_pairs(validation["user_id"], validation["item_id"], self.n_users_, self.n_items_)
        return self._encode(validation)

    # ------------------------------------------------------------ training
    def _build(self):
        raise NotImplementedError

    def _compile(self, net):
        net.compile(optimizer=keras.optimizers.Adam(self.learning_rate, clipnorm=1.0))
        # its variables now, not in fit's first step (which would trace it twice)
        net.optimizer.build(net.trainable_variables)
        return net

    def _fit(self, train, validation=None, callbacks=None):
        data = self._prepare(train)
        val = self._validation(validation)
        self.net_ = self._compile(self._build())
        self._after_build()
        self.history_ = fit_net(self.net_, data, self.epochs, self.batch_size, self.seed,
                                validation=val, callbacks=callbacks)

    # ------------------------------------------------------------ generation
    def _query(self, users, items, aspects):
        """Id arrays (int32) and grounding arrays for checked pairs."""
        n = len(users)
        if self.grounded:
            a, s = parse_grounding(aspects, self.aspects_, n)
        else:
            if aspects is not None:
                raise ValueError(f"{type(self).__name__} is not grounded (grounded=False): "
                                 f"do not pass aspects=")
            a = np.zeros(n, dtype=np.int32)
            s = np.full(n, SENTIMENT_IDS[None], dtype=np.int32)
        return users.astype(np.int32), items.astype(np.int32), a, s

    def _after_build(self):
        """Compiled helpers for decoding (after fit and after load)."""
        net = self.net_
        ids = ((None,), "int32")
        self._forward = compiled(lambda u, i, a, s, tok: net((u, i, a, s, tok), training=False),
                                 ids, ids, ids, ids, ((None, self._token_width), "int32"))

    #: Token width of the compiled forward pass (None: any).
    _token_width = None

    def _outputs(self, u, i, a, s, tokens):
        """All outputs of the network (NumPy arrays) for one batch."""
        out = self._forward(*(np.asarray(x, np.int32) for x in (u, i, a, s, tokens)))
        return [keras.ops.convert_to_numpy(o) for o in out]

    def _logits(self, u, i, a, s, tokens):
        return self._outputs(u, i, a, s, tokens)[0]

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

    def _generate(self, users, items, aspects, **options):
        check_decoding(options)
        return self._decode(users, items, aspects, **options)

    def _decode(self, users, items, aspects, method="greedy", max_len=None,
                batch_size=1024, temperature=1.0, top_k=None, top_p=None, beam_width=4,
                length_penalty=1.0, seed=None):
        """Write one reason per (user, item) pair.

        ``method`` is ``"greedy"``, ``"sample"`` or ``"beam"``
        (:mod:`reclib.reasons.decoding`). Greedy decoding of a
        maximum-likelihood model tends to repeat the most common sentence;
        sampling (``temperature``, ``top_k``, ``top_p``; ``seed`` defaults
        to the generator's) gives diverse texts; beam search (``beam_width``,
        ``length_penalty``) decodes pair by pair (slow). ``max_len`` caps
        the length (at most the model's), ``batch_size`` pairs are decoded
        together.
        """
        check_choice("method", method, METHODS)
        u, i, a, s = self._query(users, items, aspects)
        max_len = self.max_len if max_len is None else check_int("max_len", max_len)
        max_len = min(max_len, self.max_len)
        batch_size = check_int("batch_size", batch_size)
        seed = self.seed if seed is None else check_seed(seed)
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

    # ------------------------------------------------------------ evaluation
    def perplexity(self, reviews, batch_size=1024):
        """Per-token perplexity of the reviews' texts (teacher forcing), e.g.
        on held-out reviews. Grounded models are given each review's own
        (aspect, sentiment), so compare grounded with grounded only."""
        check_fitted(self, "fit_time_")
        data = self._validation(reviews)
        batch_size = check_int("batch_size", batch_size)
        if not self.grounded:
            data["a"] = np.zeros_like(data["a"])
            data["s"] = np.full_like(data["s"], SENTIMENT_IDS[None])
        total, count = 0.0, 0.0
        for start in range(0, len(data["u"]), batch_size):
            sl = slice(start, start + batch_size)
            logits = self._logits(*(data[k][sl] for k in ("u", "i", "a", "s", "tok_in")))
            ce, n = masked_ce(logits, data["tok_out"][sl])
            total += float(ce) * float(n)
            count += float(n)
        return float(np.exp(total / count))

    def count_params(self):
        """Number of weights of the generator's network."""
        check_fitted(self, "fit_time_")
        return int(self.net_.count_params())

    # ------------------------------------------------------------ saving
    def save(self, path):
        """Save the fitted generator to the directory ``path``: ``net.keras``
        (the network, Keras format) and ``generator.json`` (settings, aspect
        vocabulary, word vocabulary, sizes, history). Returns the path."""
        check_fitted(self, "fit_time_")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.net_.save(path / "net.keras")
        state = {"class": f"{type(self).__module__}.{type(self).__qualname__}",
                 "params": self.get_params(), "aspects": list(self.aspects_),
                 "n_users": self.n_users_, "n_items": self.n_items_,
                 "scale": list(self.scale_), "vocab": self.vocab_.to_json(),
                 "proper": sorted(self.proper_), "n_train": self.n_train_,
                 "history": self.history_, "fit_time": self.fit_time_}
        (path / "generator.json").write_text(json.dumps(state, indent=1))
        return path

    @classmethod
    def load(cls, path):
        """A generator saved by :meth:`save` (call it on the class that saved
        it, or on :class:`NeuralReasons` to load any)."""
        path = Path(path)
        if not (path / "generator.json").is_file() or not (path / "net.keras").is_file():
            raise ValueError(f"{path} is not a saved generator (no generator.json / net.keras)")
        state = json.loads((path / "generator.json").read_text())
        module, _, name = state["class"].rpartition(".")
        klass = getattr(importlib.import_module(module), name)
        if not issubclass(klass, cls):
            raise ValueError(f"{path} holds a {name}, not a {cls.__name__}")
        gen = klass(**state["params"])
        gen.aspects_ = tuple(state["aspects"])
        gen.n_users_, gen.n_items_ = int(state["n_users"]), int(state["n_items"])
        gen.scale_ = check_scale(tuple(state["scale"]))
        gen.items_ = gen.users_ = None
        gen.vocab_ = Vocabulary.from_json(state["vocab"])
        gen.proper_ = set(state["proper"])
        gen.n_train_, gen.history_ = state["n_train"], state["history"]
        gen.net_ = keras.saving.load_model(path / "net.keras")
        gen._load_extra(path)
        gen._after_build()
        gen.fit_time_ = float(state["fit_time"])
        return gen

    def _load_extra(self, path):
        """Hook for subclasses that save more than the network."""
