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
"""
from __future__ import annotations

import time

import numpy as np

import reclib  # noqa: F401
import keras
import tensorflow as tf
from keras import layers, ops

from reclib.data.shopsim import ASPECTS
from reclib.models._checks import check_pairs
from reclib.reasons._common import ReasonGenerator, check_int, masked_ce, train_loop


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


class PeterNet(keras.Model):
    """Keras model: (user, item, aspect, sentiment, tokens) -> (word logits
    (B, T, V), context logits (B, V), rating (B,))."""

    def __init__(self, n_users, n_items, vocab_size, max_words, d_model=64, n_heads=2,
                 n_layers=2, d_ff=128, dropout=0.1, grounded=False, **kw):
        super().__init__(**kw)
        self.grounded = grounded
        self.n_context = 3 if grounded else 2
        self.user_emb = layers.Embedding(n_users, d_model, name="user_emb")
        self.item_emb = layers.Embedding(n_items, d_model, name="item_emb")
        if grounded:
            self.aspect_emb = layers.Embedding(len(ASPECTS), d_model, name="aspect_emb")
            self.sentiment_emb = layers.Embedding(3, d_model, name="sentiment_emb")
        self.word_emb = layers.Embedding(vocab_size, d_model, name="word_emb")
        self.pos_emb = layers.Embedding(self.n_context + max_words, d_model, name="pos_emb")
        self.blocks = []
        for k in range(n_layers):
            self.blocks.append(dict(
                ln1=layers.LayerNormalization(name=f"ln1_{k}"),
                att=layers.MultiHeadAttention(n_heads, d_model // n_heads, dropout=dropout,
                                              name=f"attention_{k}"),
                ln2=layers.LayerNormalization(name=f"ln2_{k}"),
                ff1=layers.Dense(d_ff, activation="gelu", name=f"ff1_{k}"),
                ff2=layers.Dense(d_model, name=f"ff2_{k}"),
                drop=layers.Dropout(dropout, name=f"dropout_{k}")))
        self.ln_out = layers.LayerNormalization(name="ln_out")
        self.out = layers.Dense(vocab_size, name="word_logits")  # shared by context and words
        self.rating_hidden = layers.Dense(d_model, activation="relu", name="rating_hidden")
        self.rating_out = layers.Dense(1, name="rating")

    def call(self, inputs, training=False):
        u, i, a, s, tok = inputs
        ctx = [self.user_emb(u)[:, None], self.item_emb(i)[:, None]]
        if self.grounded:
            ctx.append((self.aspect_emb(a) + self.sentiment_emb(s))[:, None])
        x = ops.concatenate(ctx + [self.word_emb(tok)], axis=1)
        length = ops.shape(x)[1]
        x = x + self.pos_emb(ops.arange(length))[None]
        mask = peter_mask(ops.shape(tok)[1], self.n_context)[None]
        for b in self.blocks:
            h = b["ln1"](x)
            x = x + b["drop"](b["att"](h, h, attention_mask=mask, training=training),
                              training=training)
            h = b["ln2"](x)
            x = x + b["drop"](b["ff2"](b["ff1"](h)), training=training)
        x = self.ln_out(x)
        word_logits = self.out(x[:, self.n_context:])
        context_logits = self.out(x[:, 1])
        rating = self.rating_out(self.rating_hidden(x[:, 0]))[:, 0]
        return word_logits, context_logits, rating


class TransformerReasons(ReasonGenerator):
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
        self.dropout = float(dropout)
        self.context_weight = float(context_weight)
        self.rating_weight = float(rating_weight)

    def _build(self):
        net = PeterNet(self.n_users_, self.n_items_, len(self.vocab_), self.max_len + 1,
                       self.d_model, self.n_heads, self.n_layers, self.d_ff, self.dropout,
                       self.grounded)
        z = np.zeros((1,), np.int32)
        net((z, z, z, z, np.ones((1, self.max_len), np.int32)))
        return net

    def _loss(self, u, i, a, s, tok_in, tok_out, r, training=False):
        logits, ctx_logits, rating = self.net_((u, i, a, s, tok_in), training=training)
        nll, _ = masked_ce(logits, tok_out)
        # context: every word of the explanation from the item position
        logp = ops.log_softmax(ctx_logits, axis=-1)
        mask = ops.cast(ops.not_equal(tok_out, 0), logp.dtype)
        picked = ops.take_along_axis(logp, tok_out, axis=1)
        ctx_nll = -ops.sum(picked * mask) / ops.maximum(ops.sum(mask), 1.0)
        mse = ops.mean(ops.square(rating - r))
        loss = nll + self.context_weight * ctx_nll + self.rating_weight * mse
        return {"loss": loss, "nll": nll, "context_nll": ctx_nll, "rating_mse": mse}

    def fit(self, train, items, users=None):
        """Train on review rows (``user_id, item_id, rating, text, aspect,
        sentiment``) with the public ``items`` table. Returns self."""
        t0 = self._fit_start()
        data = self._prepare(train, items, users)
        self.net_ = self._build()
        net = self.net_

        ids = tf.TensorSpec((None,), tf.int32)

        tokens = tf.TensorSpec((None, None), tf.int32)

        @tf.function(input_signature=[ids] * 4 + [tokens], autograph=False)
        def logits_fn(u, i, a, s, tok):
            return net((u, i, a, s, tok), training=False)

        self._logits_tf = logits_fn
        arrays = [data[k] for k in ("u", "i", "a", "s", "tok_in", "tok_out", "r")]
        self.history_ = train_loop(self._loss, net.trainable_variables, arrays, self.epochs,
                                   self.batch_size, self.learning_rate, self.seed)
        self.fit_time_ = time.perf_counter() - t0
        return self

    def _logits(self, u, i, a, s, tokens):
        return self._logits_tf(u, i, a, s, np.asarray(tokens, np.int32))[0].numpy()

    def predict_rating(self, users, items):
        """Ratings from the rating head (user position; not clipped). Grounded
        models are given no aspect here (aspect id 0, sentiment unknown): the
        user position does not see the grounding token, so it does not matter."""
        self._check_fitted()
        u, i = check_pairs(users, items, self.n_users_, self.n_items_)
        z = np.zeros(len(u), np.int32)
        s = np.full(len(u), 2, np.int32)
        tok = np.full((len(u), 1), self.vocab_.bos_id, np.int32)
        return self._logits_tf(u.astype(np.int32), i.astype(np.int32), z, s, tok)[2].numpy() \
            .astype(float)

    def context_words(self, user, item, aspect=None, k=5):
        """The ``k`` words the context head expects in the reason for (user, item)."""
        u, i, a, s = self._query([user], [item], None if aspect is None else [aspect])
        tok = np.full((1, 1), self.vocab_.bos_id, np.int32)
        logits = self._logits_tf(u, i, a, s, tok)[1].numpy()[0]
        logits[:4] = -np.inf  # specials
        return [self.vocab_.itos[j] for j in np.argsort(-logits)[:check_int("k", k)]]
