"""A recurrent reason generator in the style of NRT and Att2Seq.

The user and item embeddings (plus, when grounded, the embedding of the aspect
and sentiment to talk about) are turned into the initial state of a GRU (or
LSTM) decoder and into a context vector fed to it at every step; the decoder
writes the reason word by word. A small rating head predicts the rating from
the same user and item embeddings, and both are trained together by maximum
likelihood with teacher forcing:

    loss = mean token cross-entropy + rating_weight * rating MSE

(Li et al., "Neural Rating Regression with Abstractive Tips Generation", SIGIR
2017; Dong et al., "Learning to Generate Product Reviews from Attributes",
EACL 2017.)
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

import reclib  # noqa: F401
import keras
import tensorflow as tf
from keras import layers, ops

from reclib.data.shopsim import ASPECTS
from reclib.models._checks import check_pairs
from reclib.reasons._common import ReasonGenerator, check_int, masked_ce, train_loop

RNN_KINDS = ("gru", "lstm")


class Seq2SeqNet(keras.Model):
    """Keras model: (user, item, aspect, sentiment, tokens) -> (next-token
    logits (B, T, V), rating (B,)).

    :meth:`encode` gives the decoder's initial state(s) and context vector;
    :meth:`decode` runs the recurrent decoder over embedded tokens;
    :meth:`step` advances it by one token (used for fast decoding and by the
    GAN, which feeds it soft one-hot tokens).
    """

    def __init__(self, n_users, n_items, vocab_size, emb_dim=64, hidden=128, grounded=False,
                 rnn="gru", unroll=True, item_codes=None, **kw):
        super().__init__(**kw)
        self.grounded, self.rnn_kind = grounded, rnn
        self.user_emb = layers.Embedding(n_users, emb_dim, name="user_emb")
        self.item_emb = layers.Embedding(n_items, emb_dim, name="item_emb")
        # optional public item attributes (Att2Seq style): one (n_items,) code array each
        self.item_codes = [ops.convert_to_tensor(np.asarray(c, np.int32)) for c in item_codes or []]
        self.attr_embs = [layers.Embedding(int(np.max(c)) + 1, emb_dim, name=f"item_attr_{k}")
                          for k, c in enumerate(item_codes or [])]
        if grounded:
            self.aspect_emb = layers.Embedding(len(ASPECTS), emb_dim, name="aspect_emb")
            self.sentiment_emb = layers.Embedding(3, emb_dim, name="sentiment_emb")
        self.word_emb = layers.Embedding(vocab_size, emb_dim, name="word_emb")
        self.init_h = layers.Dense(hidden, activation="tanh", name="init_h")
        if rnn == "lstm":
            self.init_c = layers.Dense(hidden, activation="tanh", name="init_c")
            self.cell = layers.LSTMCell(hidden, name="lstm_cell")
        else:
            self.cell = layers.GRUCell(hidden, name="gru_cell")
        self.rnn = layers.RNN(self.cell, return_sequences=True, return_state=True, unroll=unroll,
                              name="decoder")
        self.context = layers.Dense(emb_dim, activation="tanh", name="context")
        self.out = layers.Dense(vocab_size, name="word_logits")
        self.rating_hidden = layers.Dense(hidden, activation="relu", name="rating_hidden")
        self.rating_out = layers.Dense(1, name="rating")

    def item_vector(self, i):
        """Item embedding, plus the embeddings of its attributes if any."""
        ie = self.item_emb(i)
        for codes, emb in zip(self.item_codes, self.attr_embs):
            ie = ie + emb(ops.take(codes, i))
        return ie

    def features(self, u, i, a, s):
        """User and item embeddings, and the conditioning vector."""
        ue, ie = self.user_emb(u), self.item_vector(i)
        parts = [ue, ie]
        if self.grounded:
            parts.append(self.aspect_emb(a) + self.sentiment_emb(s))
        return ue, ie, ops.concatenate(parts, axis=-1)

    def encode(self, u, i, a, s):
        """Initial decoder state(s) (a list) and the context vector."""
        _, _, c = self.features(u, i, a, s)
        states = [self.init_h(c)]
        if self.rnn_kind == "lstm":
            states.append(self.init_c(c))
        return states, self.context(c)

    def decode(self, x, states, ctx):
        """Run the decoder over embedded tokens ``x`` (B, T, E) -> logits, final states."""
        t = ops.shape(x)[1]
        x = ops.concatenate([x, ops.repeat(ops.expand_dims(ctx, 1), t, axis=1)], axis=-1)
        out = self.rnn(x, initial_state=states)
        return self.out(out[0]), list(out[1:])

    def step(self, x, states, ctx):
        """One decoder step on embedded tokens ``x`` (B, E) -> logits (B, V), new states."""
        h, new = self.cell(ops.concatenate([x, ctx], axis=-1), states)
        new = list(new) if isinstance(new, (list, tuple)) else [new]
        return self.out(h), new

    def rating(self, u, i):
        """Predicted rating from the user and item embeddings."""
        h = self.rating_hidden(ops.concatenate([self.user_emb(u), self.item_vector(i)], axis=-1))
        return self.rating_out(h)[:, 0]

    def call(self, inputs, training=False):
        u, i, a, s, tok = inputs
        states, ctx = self.encode(u, i, a, s)
        logits, _ = self.decode(self.word_emb(tok), states, ctx)
        return logits, self.rating(u, i)


class Seq2SeqReasons(ReasonGenerator):
    """GRU/LSTM reason generator conditioned on user and item (NRT / Att2Seq style).

    Parameters
    ----------
    grounded : bool
        If True the decoder is also conditioned on the aspect (and sentiment)
        to talk about: at training time each review's own feature word and
        sentiment, at generation time ``aspects=`` (e.g. from
        :meth:`TemplateReasons.predicted_aspect`, which uses training evidence
        only).
    emb_dim, hidden : int
        Embedding and recurrent state sizes.
    rnn : {"gru", "lstm"}
    item_attributes : bool
        Add embeddings of the item's public category and brand to its
        embedding (as Att2Seq conditions on attributes). Without them the
        decoder must learn each item's category from its reviews alone and
        often names the wrong one.
    rating_weight : float
        Weight of the rating MSE in the loss.
    max_len : int
        Maximum reason length in tokens (longer reviews are truncated).
    vocab_size : int
        Most frequent training words kept (others become ``<unk>``).
    max_reviews : int or None
        Train on a random subset of at most this many reviews (for speed;
        None uses them all). The defaults (20 000 reviews, 2 epochs) train in
        about 20 s on a 2-core CPU.
    epochs, batch_size, learning_rate : training settings (Adam).
    sentiment_dropout : float
        Grounded models: share of training reviews whose sentiment is hidden,
        so that the model also works when given an aspect alone.
    seed : int

    Attributes (after fit)
    ----------------------
    net_ : Seq2SeqNet
    vocab_ : reclib.data.text.Vocabulary
    history_ : dict of per-epoch losses (``loss``, ``nll``, ``rating_mse``)
    fit_time_ : float, seconds
    """

    def __init__(self, grounded=False, emb_dim=64, hidden=128, rnn="gru", item_attributes=True,
                 rating_weight=0.1, max_len=20, vocab_size=320, max_reviews=20000, epochs=2,
                 batch_size=128, learning_rate=3e-3, sentiment_dropout=0.1, seed=0):
        super().__init__(grounded=grounded, max_len=max_len, vocab_size=vocab_size,
                         max_reviews=max_reviews, epochs=epochs, batch_size=batch_size,
                         learning_rate=learning_rate, sentiment_dropout=sentiment_dropout,
                         seed=seed)
        if rnn not in RNN_KINDS:
            raise ValueError(f"unknown rnn {rnn!r}; use one of {RNN_KINDS}")
        self.emb_dim = check_int("emb_dim", emb_dim)
        self.hidden = check_int("hidden", hidden)
        self.rnn = rnn
        self.item_attributes = bool(item_attributes)
        self.rating_weight = float(rating_weight)

    def _build(self):
        codes = None
        if self.item_attributes:
            codes = [pd.factorize(self.items_[c].astype(str))[0] for c in ("category", "brand")]
        net = Seq2SeqNet(self.n_users_, self.n_items_, len(self.vocab_), self.emb_dim,
                         self.hidden, self.grounded, self.rnn, item_codes=codes)
        z = np.zeros((1,), np.int32)
        net((z, z, z, z, np.ones((1, 2), np.int32)))  # create the weights
        return net

    def _loss(self, u, i, a, s, tok_in, tok_out, r, training=False):
        logits, rating = self.net_((u, i, a, s, tok_in), training=training)
        nll, _ = masked_ce(logits, tok_out)
        mse = ops.mean(ops.square(rating - r))
        return {"loss": nll + self.rating_weight * mse, "nll": nll, "rating_mse": mse}

    def fit(self, train, items, users=None):
        """Train on review rows (``user_id, item_id, rating, text, aspect,
        sentiment``) with the public ``items`` table (and ``users``, optional:
        fixes the number of users). Returns self."""
        t0 = self._fit_start()
        data = self._prepare(train, items, users)
        self.net_ = self._build()
        self._compile_decoding()
        arrays = [data[k] for k in ("u", "i", "a", "s", "tok_in", "tok_out", "r")]
        self.history_ = train_loop(self._loss, self.net_.trainable_variables, arrays,
                                   self.epochs, self.batch_size, self.learning_rate, self.seed)
        self.fit_time_ = time.perf_counter() - t0
        return self

    # ------------------------------------------------------------ decoding
    def _compile_decoding(self):
        net = self.net_
        ids = tf.TensorSpec((None,), tf.int32)
        n_states = 2 if self.rnn == "lstm" else 1
        state = [tf.TensorSpec((None, self.hidden), tf.float32)] * n_states
        ctx = tf.TensorSpec((None, self.emb_dim), tf.float32)

        # always called with max_len tokens (the unrolled decoder needs a fixed length)
        tokens = tf.TensorSpec((None, self.max_len), tf.int32)

        @tf.function(input_signature=[ids] * 4 + [tokens], autograph=False)
        def logits_fn(u, i, a, s, tok):
            return net((u, i, a, s, tok), training=False)[0]

        @tf.function(input_signature=[ids, state, ctx], autograph=False)
        def step_fn(tok, states, ctx):
            return net.step(net.word_emb(tok), states, ctx)

        self._logits_tf, self._step_tf = logits_fn, step_fn

    def _logits(self, u, i, a, s, tokens):
        return self._logits_tf(u, i, a, s, np.asarray(tokens, np.int32)).numpy()

    def _step_fn(self, u, i, a, s):
        """Next-token logits with the recurrent state cached between calls:
        when the new prefix extends the previous one row by row (greedy and
        sampling), only the last token is fed; otherwise (beam search) the
        prefix is recomputed."""
        full = super()._step_fn(u, i, a, s)
        states, ctx = self.net_.encode(u, i, a, s)
        cache = {"tokens": np.zeros((len(u), 0), np.int64), "states": states}

        def step(tokens):
            tokens = np.asarray(tokens)
            prev = cache["tokens"]
            if tokens.shape == (len(u), prev.shape[1] + 1) and np.array_equal(tokens[:, :-1], prev):
                logits, new = self._step_tf(tokens[:, -1].astype(np.int32), cache["states"], ctx)
                cache["tokens"], cache["states"] = tokens, new
                return logits.numpy().astype(np.float64)
            return full(tokens)
        return step

    def predict_rating(self, users, items):
        """Ratings predicted by the rating head (not clipped)."""
        self._check_fitted()
        u, i = check_pairs(users, items, self.n_users_, self.n_items_)
        return ops.convert_to_numpy(self.net_.rating(u.astype(np.int32),
                                                     i.astype(np.int32))).astype(float)

