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

The network computes this loss in ``compute_loss`` and is trained by
``keras.Model.fit``; it uses ``keras.ops`` only.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

import reclib  # noqa: F401  (sets the Keras backend)
import keras
from keras import layers, ops

from reclib.checks import check_choice, check_fitted, check_int, check_non_negative, check_pairs
from reclib.reasons.base import NeuralReasons, SeededLayers, SelfBuilding, compiled, stream_seed
from reclib.reasons.training import masked_ce

RNN_KINDS = ("gru", "lstm")
#: The item columns ``item_attributes=True`` embeds, when the item table has them.
ATTRIBUTE_COLUMNS = ("category", "brand")


@keras.saving.register_keras_serializable(package="reclib")
class Seq2SeqNet(SelfBuilding, keras.Model):
    """Keras model: (user, item, aspect, sentiment, tokens) -> (next-token
    logits (B, T, V), rating (B,)).

    :meth:`encode` gives the decoder's initial state(s) and context vector;
    :meth:`decode` runs the recurrent decoder over embedded tokens;
    :meth:`step` advances it by one token (used for fast decoding and by the
    GAN, which feeds it soft one-hot tokens). ``compute_loss`` is the token
    cross-entropy plus ``rating_weight`` times the rating MSE, with each term
    tracked (``nll``, ``rating_mse``) for ``fit``'s history and callbacks.
    """

    def __init__(self, n_users, n_items, vocab_size, n_aspects=1, emb_dim=64, hidden=128,
                 grounded=False, rnn="gru", unroll=True, item_codes=None, rating_weight=0.1,
                 seed=None, **kw):
        super().__init__(**kw)
        self.n_users, self.n_items, self.vocab_size = n_users, n_items, vocab_size
        self.n_aspects, self.emb_dim, self.hidden = n_aspects, emb_dim, hidden
        self.grounded, self.rnn_kind, self.unroll = grounded, rnn, unroll
        self.codes = [list(map(int, c)) for c in item_codes or []]
        self.rating_weight, self.seed = rating_weight, seed
        init = SeededLayers(seed, 1)


        self.user_emb = init.embedding(n_users, emb_dim, "user_emb")
        self.item_emb = init.embedding(n_items, emb_dim, "item_emb")
        # optional public item attributes (Att2Seq style): one (n_items,) code array each
        self.item_codes = [ops.convert_to_tensor(np.asarray(c, np.int32)) for c in self.codes]
        self.attr_embs = [init.embedding(max(c) + 1, emb_dim, f"item_attr_{k}")
                          for k, c in enumerate(self.codes)]
        if grounded:
            self.aspect_emb = init.embedding(n_aspects, emb_dim, "aspect_emb")
            self.sentiment_emb = init.embedding(3, emb_dim, "sentiment_emb")
        self.word_emb = init.embedding(vocab_size, emb_dim, "word_emb")
        self.init_h = layers.Dense(hidden, activation="tanh", kernel_initializer=init(),
                                   name="init_h")
        cell_kw = dict(kernel_initializer=init(), recurrent_initializer=init("orthogonal"))
        if rnn == "lstm":
            self.init_c = layers.Dense(hidden, activation="tanh", kernel_initializer=init(),
                                       name="init_c")
            self.cell = layers.LSTMCell(hidden, name="lstm_cell", seed=stream_seed(seed, 1, 0),
                                        **cell_kw)
        else:
            self.cell = layers.GRUCell(hidden, name="gru_cell", seed=stream_seed(seed, 1, 0),
                                       **cell_kw)
        self.rnn = layers.RNN(self.cell, return_sequences=True, return_state=True, unroll=unroll,
                              name="decoder")
        self.context = layers.Dense(emb_dim, activation="tanh", kernel_initializer=init(),
                                    name="context")
        self.out = layers.Dense(vocab_size, kernel_initializer=init(), name="word_logits")
        self.rating_hidden = layers.Dense(hidden, activation="relu", kernel_initializer=init(),
                                          name="rating_hidden")
        self.rating_out = layers.Dense(1, kernel_initializer=init(), name="rating")
        self.nll_tracker = keras.metrics.Mean(name="nll")
        self.rating_tracker = keras.metrics.Mean(name="rating_mse")

    def get_config(self):
        return dict(super().get_config(), n_users=self.n_users, n_items=self.n_items,
                    vocab_size=self.vocab_size, n_aspects=self.n_aspects, emb_dim=self.emb_dim,
                    hidden=self.hidden, grounded=self.grounded, rnn=self.rnn_kind,
                    unroll=self.unroll, item_codes=self.codes,
                    rating_weight=self.rating_weight, seed=self.seed)

    def dummy_inputs(self):
        z = np.zeros((1,), np.int32)
        return (z, z, z, z, np.ones((1, 2), np.int32))

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

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Token NLL + ``rating_weight`` x rating MSE; ``y = (tok_out, rating)``."""
        (logits, rating), (tok_out, r) = y_pred, y
        nll, _ = masked_ce(logits, tok_out)
        mse = ops.mean(ops.square(rating - ops.cast(r, rating.dtype)))
        n = ops.shape(tok_out)[0]
        self.nll_tracker.update_state(nll, sample_weight=n)
        self.rating_tracker.update_state(mse, sample_weight=n)
        return nll + self.rating_weight * mse


class Seq2SeqReasons(NeuralReasons):
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
    item_attributes : bool or list of str
        Add embeddings of the item's public attributes to its embedding (as
        Att2Seq conditions on attributes): True uses the item table's
        ``category`` and ``brand`` columns, those it has; a list names the
        columns; False (or no item table) uses none. Without them the decoder
        must learn each item's category from its reviews alone and often
        names the wrong one.
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
    epochs, batch_size, learning_rate : training settings (Adam, ``keras.Model.fit``).
    sentiment_dropout : float
        Grounded models: share of training reviews whose sentiment is hidden,
        so that the model also works when given an aspect alone.
    seed : int
        Seeds the weights and the order of the reviews (not the global state).

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
        self.emb_dim = check_int("emb_dim", emb_dim)
        self.hidden = check_int("hidden", hidden)
        self.rnn = check_choice("rnn", rnn, RNN_KINDS)
        if not isinstance(item_attributes, bool):
            if isinstance(item_attributes, str) or \
                    not all(isinstance(c, str) for c in item_attributes):
                raise ValueError(f"item_attributes must be True, False or a list of column "
                                 f"names, got {item_attributes!r}")
            item_attributes = list(item_attributes)
        self.item_attributes = item_attributes
        self.rating_weight = check_non_negative("rating_weight", rating_weight)

    def _attribute_codes(self):
        """One integer code array per embedded item attribute."""
        if self.item_attributes is False or self.items_ is None:
            return []
        if self.item_attributes is True:
            columns = [c for c in ATTRIBUTE_COLUMNS if c in self.items_]
        else:
            missing = [c for c in self.item_attributes if c not in self.items_]
            if missing:
                raise ValueError(f"item table is missing the item_attributes column(s) {missing}")
            columns = self.item_attributes
        return [pd.factorize(self.items_[c].astype(str))[0] for c in columns]

    def _build(self):
        net = Seq2SeqNet(self.n_users_, self.n_items_, len(self.vocab_), len(self.aspects_),
                         self.emb_dim, self.hidden, self.grounded, self.rnn,
                         item_codes=self._attribute_codes(), rating_weight=self.rating_weight,
                         seed=self.seed)
        return net.build_now()

    # ------------------------------------------------------------ decoding
    @property
    def _token_width(self):
        return self.max_len  # the unrolled decoder needs a fixed length

    def _after_build(self):
        super()._after_build()
        net = self.net_

        def step(tok, states, ctx):
            return net.step(net.word_emb(tok), states, ctx)

        state = ((None, self.hidden), "float32")
        self._step_compiled = compiled(step, ((None,), "int32"),
                                       [state] * (2 if self.rnn == "lstm" else 1),
                                       ((None, self.emb_dim), "float32"))

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
                logits, new = self._step_compiled(tokens[:, -1].astype(np.int32),
                                                  cache["states"], ctx)
                cache["tokens"], cache["states"] = tokens, new
                return ops.convert_to_numpy(logits).astype(np.float64)
            return full(tokens)
        return step

    def predict_rating(self, users, items):
        """Ratings predicted by the rating head (not clipped)."""
        check_fitted(self, "fit_time_")
        u, i = check_pairs(users, items, self.n_users_, self.n_items_)
        return ops.convert_to_numpy(self.net_.rating(u.astype(np.int32),
                                                     i.astype(np.int32))).astype(float)
