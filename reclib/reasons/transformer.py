"""A small PETER-style Transformer reason generator.

PETER (Li, Zhang and Chen, "Personalized Transformer for Explainable
Recommendation", ACL 2021) feeds one sequence to a Transformer encoder:

    [user, item, (aspect), <bos>, w1, ..., wT]

with a *causal* attention mask, except that the user position may also look at
the item, so the user position sums up the pair. Three heads share the
encoder:

* rating: an MLP on the output at the user position;
* context: from the output at the item position, a bag-of-words prediction of
  the explanation's words (it forces the item position to encode what the
  explanation will talk about);
* explanation: next-word logits at the word positions (the output at
  ``<bos>`` predicts w1, and so on).

    loss = explanation NLL + context_weight * context NLL + rating_weight * MSE

The grounded variant inserts the aspect (plus its sentiment) as an extra token
after the item, like PETER+ inserts a feature word.

The network computes this loss in ``compute_loss`` and is trained by
``keras.Model.fit``; it uses ``keras.ops`` only. (keras-hub's
``TransformerDecoder`` would need the PETER mask passed in; keras-hub is not
a dependency of the book, so the block is written here with Keras's own
``MultiHeadAttention``.)
"""
from __future__ import annotations

import numpy as np

import reclib  # noqa: F401  (sets the Keras backend)
import keras
from keras import layers, ops

from reclib.checks import check_fitted, check_fraction, check_int, check_non_negative, check_pairs
from reclib.reasons.base import (SENTIMENT_IDS, NeuralReasons, SeededLayers, SelfBuilding,
                                 initializer, stream_seed)
from reclib.reasons.training import masked_ce


def peter_mask(n_words, n_context=2):
    """The PETER attention mask, shape (L, L) with ``L = n_context + n_words``.

    ``mask[q, k]`` is True when query position ``q`` may attend to key
    position ``k``: causal (``k <= q``), plus ``mask[0, 1] = True`` so the
    user position (0) also sees the item (1). Positions ``n_context..`` hold
    the words; no word sees a later word.

    Parameters
    ----------
    n_words : int (or a scalar tensor inside a traced function)
        Number of word positions (``<bos>`` included), >= 0.
    n_context : int
        Number of context positions before the words: 2 (user, item) or 3
        with a grounding token.

    Returns
    -------
    boolean tensor of shape (L, L) (``keras.ops.convert_to_numpy`` gives an array)
    """
    if isinstance(n_words, (int, np.integer)):
        n_words = check_int("n_words", n_words, 0)
    n_context = check_int("n_context", n_context, 2)
    pos = ops.arange(n_context + n_words)
    causal = ops.less_equal(pos[None, :], pos[:, None])
    user_sees_item = ops.logical_and(ops.equal(pos[:, None], 0), ops.equal(pos[None, :], 1))
    return ops.logical_or(causal, user_sees_item)


@keras.saving.register_keras_serializable(package="reclib")
class PeterBlock(layers.Layer):
    """One pre-norm Transformer block: self-attention under the PETER mask
    (:func:`peter_mask` with ``n_context`` context positions) and a GELU
    feed-forward layer, each in a residual branch with dropout."""

    def __init__(self, d_model, n_heads, d_ff, dropout=0.0, n_context=2, seed=None, index=0,
                 **kw):
        super().__init__(**kw)
        self.d_model, self.n_heads, self.d_ff = d_model, n_heads, d_ff
        self.dropout, self.n_context, self.seed, self.index = dropout, n_context, seed, index
        init = SeededLayers(seed, 3, index)
        self.ln1 = layers.LayerNormalization(name="ln1")
        self.att = layers.MultiHeadAttention(n_heads, d_model // n_heads, dropout=dropout,
                                             kernel_initializer=init(),
                                             seed=stream_seed(seed, 4, index), name="attention")
        self.ln2 = layers.LayerNormalization(name="ln2")
        self.ff1 = layers.Dense(d_ff, activation="gelu", kernel_initializer=init(), name="ff1")
        self.ff2 = layers.Dense(d_model, kernel_initializer=init(), name="ff2")
        self.drop = layers.Dropout(dropout, seed=stream_seed(seed, 5, index), name="dropout")

    def distinct_projections(self):
        """Re-draw the attention's query, key, value and output kernels from
        streams of their own. MultiHeadAttention gives its projections copies
        of one initializer, i.e. the same initial values when it is seeded
        (query = key = value), which trains markedly worse. Called once the
        block is built (not in ``build``: Keras may build inside a scope that
        drops assignments)."""
        att = self.att
        for k, dense in enumerate((att.query_dense, att.key_dense, att.value_dense,
                                   att.output_dense)):
            kernel = dense.kernel
            kernel.assign(initializer("glorot_uniform", self.seed, 6, self.index, k)(kernel.shape))

    def call(self, x, training=False):
        mask = peter_mask(ops.shape(x)[1] - self.n_context, self.n_context)[None]
        h = self.ln1(x)
        x = x + self.drop(self.att(h, h, attention_mask=mask, training=training),
                          training=training)
        h = self.ln2(x)
        return x + self.drop(self.ff2(self.ff1(h)), training=training)

    def get_config(self):
        return dict(super().get_config(), d_model=self.d_model, n_heads=self.n_heads,
                    d_ff=self.d_ff, dropout=self.dropout, n_context=self.n_context,
                    seed=self.seed, index=self.index)


@keras.saving.register_keras_serializable(package="reclib")
class PeterNet(SelfBuilding, keras.Model):
    """Keras model: (user, item, aspect, sentiment, tokens) -> (word logits
    (B, T, V), context logits (B, V), rating (B,)).

    ``compute_loss`` is the explanation NLL plus ``context_weight`` times the
    context NLL plus ``rating_weight`` times the rating MSE, each term tracked
    (``nll``, ``context_nll``, ``rating_mse``)."""

    def __init__(self, n_users, n_items, vocab_size, max_words, n_aspects=1, d_model=64,
                 n_heads=2, n_layers=2, d_ff=128, dropout=0.1, grounded=False,
                 context_weight=1.0, rating_weight=0.1, seed=None, **kw):
        super().__init__(**kw)
        self.n_users, self.n_items, self.vocab_size = n_users, n_items, vocab_size
        self.max_words, self.n_aspects, self.d_model = max_words, n_aspects, d_model
        self.n_heads, self.n_layers, self.d_ff, self.dropout = n_heads, n_layers, d_ff, dropout
        self.grounded = grounded
        self.context_weight, self.rating_weight, self.seed = context_weight, rating_weight, seed
        self.n_context = 3 if grounded else 2
        init = SeededLayers(seed, 2)


        self.user_emb = init.embedding(n_users, d_model, "user_emb")
        self.item_emb = init.embedding(n_items, d_model, "item_emb")
        if grounded:
            self.aspect_emb = init.embedding(n_aspects, d_model, "aspect_emb")
            self.sentiment_emb = init.embedding(3, d_model, "sentiment_emb")
        self.word_emb = init.embedding(vocab_size, d_model, "word_emb")
        self.pos_emb = init.embedding(self.n_context + max_words, d_model, "pos_emb")
        self.blocks = [PeterBlock(d_model, n_heads, d_ff, dropout, self.n_context, seed=seed,
                                  index=k, name=f"block_{k}") for k in range(n_layers)]
        self.ln_out = layers.LayerNormalization(name="ln_out")
        self.out = layers.Dense(vocab_size, kernel_initializer=init(),
                                name="word_logits")  # shared by context and words
        self.rating_hidden = layers.Dense(d_model, activation="relu", kernel_initializer=init(),
                                          name="rating_hidden")
        self.rating_out = layers.Dense(1, kernel_initializer=init(), name="rating")
        self.nll_tracker = keras.metrics.Mean(name="nll")
        self.context_tracker = keras.metrics.Mean(name="context_nll")
        self.rating_tracker = keras.metrics.Mean(name="rating_mse")

    def get_config(self):
        return dict(super().get_config(), n_users=self.n_users, n_items=self.n_items,
                    vocab_size=self.vocab_size, max_words=self.max_words,
                    n_aspects=self.n_aspects, d_model=self.d_model, n_heads=self.n_heads,
                    n_layers=self.n_layers, d_ff=self.d_ff, dropout=self.dropout,
                    grounded=self.grounded, context_weight=self.context_weight,
                    rating_weight=self.rating_weight, seed=self.seed)

    def dummy_inputs(self):
        z = np.zeros((1,), np.int32)
        return (z, z, z, z, np.ones((1, self.max_words - 1), np.int32))

    def build_now(self):
        super().build_now()
        for block in self.blocks:
            block.distinct_projections()
        return self

    def call(self, inputs, training=False):
        u, i, a, s, tok = inputs
        ctx = [self.user_emb(u)[:, None], self.item_emb(i)[:, None]]
        if self.grounded:
            ctx.append((self.aspect_emb(a) + self.sentiment_emb(s))[:, None])
        x = ops.concatenate(ctx + [self.word_emb(tok)], axis=1)
        length = ops.shape(x)[1]
        x = x + self.pos_emb(ops.arange(length))[None]
        for block in self.blocks:
            x = block(x, training=training)
        x = self.ln_out(x)
        word_logits = self.out(x[:, self.n_context:])
        context_logits = self.out(x[:, 1])
        rating = self.rating_out(self.rating_hidden(x[:, 0]))[:, 0]
        return word_logits, context_logits, rating

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The PETER loss; ``y = (tok_out, rating)``."""
        (logits, ctx_logits, rating), (tok_out, r) = y_pred, y
        nll, _ = masked_ce(logits, tok_out)
        # context: every word of the explanation from the item position
        logp = ops.log_softmax(ctx_logits, axis=-1)
        mask = ops.cast(ops.not_equal(tok_out, 0), logp.dtype)
        picked = ops.take_along_axis(logp, tok_out, axis=1)
        ctx_nll = -ops.sum(picked * mask) / ops.maximum(ops.sum(mask), 1.0)
        mse = ops.mean(ops.square(rating - ops.cast(r, rating.dtype)))
        n = ops.shape(tok_out)[0]
        self.nll_tracker.update_state(nll, sample_weight=n)
        self.context_tracker.update_state(ctx_nll, sample_weight=n)
        self.rating_tracker.update_state(mse, sample_weight=n)
        return nll + self.context_weight * ctx_nll + self.rating_weight * mse


class TransformerReasons(NeuralReasons):
    """PETER-style Transformer reason generator.

    Parameters
    ----------
    grounded : bool
        Insert the (aspect, sentiment) to talk about as an extra token after
        the item (training: each review's own; generation: ``aspects=``).
    d_model, n_heads, n_layers, d_ff, dropout : Transformer size and dropout
        (short training on a small corpus: no dropout by default).
    context_weight, rating_weight : float
        Weights of the context (bag-of-words) and rating losses.
    max_len, vocab_size, max_reviews, epochs, batch_size, learning_rate,
    sentiment_dropout, seed
        As in :class:`reclib.reasons.seq2seq.Seq2SeqReasons`.

    Attributes (after fit): ``net_``, ``vocab_``, ``history_`` (per-epoch
    ``loss``, ``nll``, ``context_nll``, ``rating_mse``), ``fit_time_``.
    """

    def __init__(self, grounded=False, d_model=64, n_heads=2, n_layers=2, d_ff=128,
                 dropout=0.0, context_weight=1.0, rating_weight=0.1, max_len=20,
                 vocab_size=320, max_reviews=20000, epochs=3, batch_size=256,
                 learning_rate=5e-3, sentiment_dropout=0.1, seed=0):
        super().__init__(grounded=grounded, max_len=max_len, vocab_size=vocab_size,
                         max_reviews=max_reviews, epochs=epochs, batch_size=batch_size,
                         learning_rate=learning_rate, sentiment_dropout=sentiment_dropout,
                         seed=seed)
        self.d_model = check_int("d_model", d_model)
        self.n_heads = check_int("n_heads", n_heads)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.n_layers = check_int("n_layers", n_layers)
        self.d_ff = check_int("d_ff", d_ff)
        self.dropout = check_fraction("dropout", dropout)
        self.context_weight = check_non_negative("context_weight", context_weight)
        self.rating_weight = check_non_negative("rating_weight", rating_weight)

    def _build(self):
        net = PeterNet(self.n_users_, self.n_items_, len(self.vocab_), self.max_len + 1,
                       len(self.aspects_), self.d_model, self.n_heads, self.n_layers,
                       self.d_ff, self.dropout, self.grounded, self.context_weight,
                       self.rating_weight, seed=self.seed)
        return net.build_now()


    def predict_rating(self, users, items):
        """Ratings from the rating head (user position; not clipped). Grounded
        models are given no aspect here (aspect id 0, sentiment unknown): the
        user position does not see the grounding token, so it does not matter."""
        check_fitted(self, "fit_time_")
        u, i = check_pairs(users, items, self.n_users_, self.n_items_)
        z = np.zeros(len(u), np.int32)
        s = np.full(len(u), SENTIMENT_IDS[None], np.int32)
        tok = np.full((len(u), 1), self.vocab_.bos_id, np.int32)
        return np.asarray(self._outputs(u.astype(np.int32), i.astype(np.int32), z, s, tok)[2],
                          dtype=float)

    def context_words(self, user, item, aspect=None, k=5):
        """The ``k`` words the context head expects in the reason for (user, item)."""
        check_fitted(self, "fit_time_")
        k = check_int("k", k)
        users, items = check_pairs([user], [item], self.n_users_, self.n_items_)
        u, i, a, s = self._query(users, items, None if aspect is None else [aspect])
        tok = np.full((1, 1), self.vocab_.bos_id, np.int32)
        logits = np.array(self._outputs(u, i, a, s, tok)[1][0], dtype=float)
        logits[:4] = -np.inf  # specials
        return [self.vocab_.itos[j] for j in np.argsort(-logits)[:k]]
