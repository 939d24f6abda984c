"""Neural feature extraction for recommendation, in Keras 3.

Two feature extractors and a recommender built from them:

* :func:`item_tokens` + :func:`title_cnn`: a 1-D convolutional network reads
  an item's title words plus one token each for its category, brand and
  price level, and returns an *item vector*;
* :func:`user_sequences` + :func:`behaviour_lstm`: an LSTM reads the items a
  user rated, in time order, and returns a *user vector*;
* :class:`FeatureRecommender`: a two-tower model,
  ``score(u, i) = <user_vec(u), item_vec(i)> + b_i``, trained to predict the
  *next* item of each training history (softmax over the catalogue), so its
  scores rank items by how likely the user is to pick them next.

Sequence conventions (used by every function here): a behaviour sequence
holds ``item_id + 1`` so that **0 is reserved for padding**; it is in time
order (oldest first) and **left-padded**, so the most recent item is always in
the last column. Token rows of :func:`item_tokens` are right-padded with 0.
"""
from __future__ import annotations

import numpy as np

import reclib  # noqa: F401  (sets the Keras backend)
import keras
from keras import layers, ops

from reclib.checks import (check_bool, check_catalogue, check_fitted, check_ids, check_int,
                           check_positive, check_ratings, check_seed)
from reclib.data.text import Vocabulary
from reclib.models._fit import fit_shuffled, run_seed
from reclib.protocol import Recommender

PRICE_LEVELS = ("low", "mid", "high")
CATALOGUE_COLUMNS = ("category", "brand", "title", "price")


def _init(kind, seed, k):
    """A seeded initializer (each layer gets its own offset ``k``)."""
    s = run_seed(seed) * 101 + k
    if kind == "uniform":
        return keras.initializers.RandomUniform(-0.05, 0.05, seed=s)
    if kind == "glorot":
        return keras.initializers.GlorotUniform(seed=s)
    return keras.initializers.Orthogonal(seed=s)


# --------------------------------------------------------------- item side
def item_texts(items):
    """One text per item: its title, then ``category_<c> brand_<b> price_<level>``.

    The price level is the item's price rank *within its category*, scaled
    to ``q`` in [0, 1] (cheapest 0, dearest 1) and cut in thirds: ``low``
    (q < 1/3), ``mid``, ``high`` (q >= 2/3); a category with one item is
    ``mid``. So a cheap laptop and a cheap tea both read ``price_low``. Rows
    are returned in ``item_id`` order.
    """
    items = check_catalogue(items, CATALOGUE_COLUMNS)
    by_cat = items["price"].astype(float).groupby(items["category"])
    rank = by_cat.rank(method="first").to_numpy() - 1
    size = by_cat.transform("size").to_numpy()
    q = np.divide(rank, size - 1, out=np.full(len(items), 0.5), where=size > 1)
    bucket = np.minimum((3 * q).astype(int), 2)
    slug = lambda s: str(s).lower().replace(" ", "_").replace("&", "and")  # noqa: E731
    return [f"{t} category_{slug(c)} brand_{slug(b)} price_{PRICE_LEVELS[p]}"
            for t, c, b, p in zip(items["title"], items["category"], items["brand"], bucket)]


def item_tokens(items, vocab=None, max_len=10):
    """Token ids of every item's text (see :func:`item_texts`).

    Parameters
    ----------
    items : DataFrame
        The catalogue, with ``item_id`` 0..n-1, ``category``, ``brand``,
        ``title`` and ``price``.
    vocab : reclib.data.text.Vocabulary or None
        Reuse a vocabulary (unknown words map to ``<unk>``); None builds one
        from these items (word level: ``"all-day"`` becomes ``all``, ``-``,
        ``day``).
    max_len : int
        Tokens kept per item; rows are right-padded with 0 (``<pad>``).

    Returns
    -------
    tokens : int32 array, shape (n_items, max_len)
        Row ``i`` belongs to item ``i``.
    vocab : Vocabulary
    """
    max_len = check_int("max_len", max_len)
    texts = item_texts(items)
    if vocab is None:
        vocab = Vocabulary.from_texts(texts)
    return vocab.encode_batch(texts, max_len=max_len), vocab


def title_cnn(vocab_size, seq_len=10, embed_dim=16, filters=32, kernel_size=2,
              out_dim=16, seed=0):
    """Keras model: item token ids ``(batch, seq_len)`` -> item vectors ``(batch, out_dim)``.

    Embedding -> Conv1D (ReLU, ``kernel_size`` neighbouring tokens, so it
    can read two-word cues such as ``all - day`` or ``running shoes``) ->
    GlobalMaxPooling1D (did any position fire?) -> Dense. The padding token 0
    has an embedding like any other token; every row is padded to the same
    length, so it acts as a learned constant.

    Parameters
    ----------
    vocab_size : int
        Number of token ids (``len(vocab)``).
    seq_len, embed_dim, filters, kernel_size, out_dim : int
        Sizes.
    seed : int or None
        Seeds the initial weights.
    """
    vocab_size = check_int("vocab_size", vocab_size, 2)
    for name, v in [("seq_len", seq_len), ("embed_dim", embed_dim), ("filters", filters),
                    ("kernel_size", kernel_size), ("out_dim", out_dim)]:
        check_int(name, v)
    check_seed(seed)
    tokens = keras.Input((seq_len,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, embed_dim, name="token_embedding",
                         embeddings_initializer=_init("uniform", seed, 1))(tokens)
    x = layers.Conv1D(filters, kernel_size, padding="same", activation="relu",
                      kernel_initializer=_init("glorot", seed, 2), name="conv")(x)
    x = layers.GlobalMaxPooling1D(name="max_over_positions")(x)
    out = layers.Dense(out_dim, kernel_initializer=_init("glorot", seed, 3),
                       name="item_vector")(x)
    return keras.Model(tokens, out, name="title_cnn")


# --------------------------------------------------------------- user side
def user_sequences(ratings, n_users, max_len, n_items=None):
    """Each user's rated items in time order, as a left-padded id matrix.

    Parameters
    ----------
    ratings : DataFrame
        With ``user_id``, ``item_id``, ``timestamp``.
    n_users : int
        Number of rows of the result (users without ratings get a row of 0s).
    max_len : int
        Columns; a longer history keeps its *most recent* ``max_len`` items.
    n_items : int or None
        If given, item ids must lie in 0..n_items-1.

    Returns
    -------
    int32 array, shape (n_users, max_len)
        Entry ``[u, t]`` is ``item_id + 1`` (0 means padding). Oldest first;
        padding on the left, so ``[u, -1]`` is the user's latest item. Equal
        timestamps keep the table's row order.
    """
    max_len = check_int("max_len", max_len)
    n_users = check_int("n_users", n_users)
    check_ratings(ratings, columns=("user_id", "item_id", "timestamp"))
    users = check_ids("user", ratings["user_id"].to_numpy(), n_users)
    items = check_ids("item", ratings["item_id"].to_numpy())
    n_items = int(items.max()) + 1 if n_items is None else check_int("n_items", n_items)
    items = check_ids("item", items, n_items)
    ts = ratings["timestamp"].to_numpy()
    order = np.lexsort((np.arange(len(users)), ts, users))
    users, items = users[order], items[order]
    # position counted from the end of each user's history: 0 = latest
    counts = np.bincount(users, minlength=n_users)
    ends = np.cumsum(counts)
    from_end = ends[users] - 1 - np.arange(len(users))
    keep = from_end < max_len
    out = np.zeros((n_users, max_len), dtype=np.int32)
    out[users[keep], max_len - 1 - from_end[keep]] = items[keep] + 1
    return out


def behaviour_lstm(n_items, seq_len=30, embed_dim=16, units=32, out_dim=None,
                   return_sequences=False, seed=0):
    """Keras model: behaviour sequences ``(batch, seq_len)`` -> user vectors.

    Embedding of ``item_id + 1`` with ``mask_zero=True`` (so padding is
    skipped, wherever it is) -> LSTM -> optional Dense to ``out_dim``.

    Parameters
    ----------
    n_items : int
        Catalogue size; the embedding has ``n_items + 1`` rows (row 0 = pad).
    seq_len, embed_dim, units : int
        Sizes.
    out_dim : int or None
        Size of the user vector (None: the LSTM state of size ``units``).
    return_sequences : bool
        False: one vector per sequence, after its last real item, shape
        ``(batch, out_dim)``. True: one after every prefix, shape
        ``(batch, seq_len, out_dim)`` (used for next-item training).
        A sequence of padding only gives the zero state.
    seed : int or None
        Seeds the initial weights.
    """
    n_items = check_int("n_items", n_items)
    for name, v in [("seq_len", seq_len), ("embed_dim", embed_dim), ("units", units)]:
        check_int(name, v)
    if out_dim is not None:
        check_int("out_dim", out_dim)
    check_bool("return_sequences", return_sequences)
    check_seed(seed)
    seq = keras.Input((seq_len,), dtype="int32", name="history")
    x = layers.Embedding(n_items + 1, embed_dim, mask_zero=True, name="item_embedding",
                         embeddings_initializer=_init("uniform", seed, 11))(seq)
    # the LSTM's own seed (for dropout, unused here) keeps Keras from drawing
    # one from Python's global random state
    x = layers.LSTM(units, return_sequences=return_sequences, name="lstm",
                    kernel_initializer=_init("glorot", seed, 12),
                    recurrent_initializer=_init("orthogonal", seed, 13),
                    seed=run_seed(seed) * 101 + 15)(x)
    if out_dim is not None:
        x = layers.Dense(out_dim, kernel_initializer=_init("glorot", seed, 14),
                         name="user_vector")(x)
    return keras.Model(seq, x, name="behaviour_lstm")


# --------------------------------------------------------------- recommender
class CatalogueScores(layers.Layer):
    """Keras layer: user vectors ``(..., dim)`` -> scores for every item
    ``(..., n_items)``, ``<u, v_i> + b_i``.

    The item vectors ``v_i`` are computed inside the layer from the fixed
    token matrix by ``item_encoder`` (the title CNN; None to skip it), plus a
    free ID embedding when ``use_ids`` is True.
    """

    def __init__(self, tokens, item_encoder, n_items, dim, use_ids=True, seed=0, **kw):
        super().__init__(**kw)
        self.supports_masking = True  # padded positions stay masked in the loss
        if item_encoder is None and not use_ids:
            raise ValueError("the item tower needs titles, ids or both")
        self.tokens = np.asarray(tokens, dtype="int32") if tokens is not None else None
        self.item_encoder, self.use_ids, self.n_items = item_encoder, use_ids, n_items
        self.id_vectors = layers.Embedding(
            n_items, dim, name="item_id_vectors",
            embeddings_initializer=_init("uniform", seed, 21)) if use_ids else None
        self.bias = layers.Embedding(n_items, 1, embeddings_initializer="zeros",
                                     name="item_bias")

    def item_vectors(self):
        """All item vectors, shape (n_items, dim)."""
        ids = ops.arange(self.n_items)
        v = 0.0
        if self.item_encoder is not None:
            v = self.item_encoder(ops.convert_to_tensor(self.tokens))
        if self.use_ids:
            v = v + self.id_vectors(ids)
        return v

    def call(self, user_vectors):
        v = self.item_vectors()
        b = self.bias(ops.arange(self.n_items))[:, 0]
        return ops.matmul(user_vectors, ops.transpose(v)) + b


class FeatureRecommender(Recommender):
    """Two-tower recommender on learned features (Keras 3).

    * item tower: :func:`title_cnn` over :func:`item_tokens` (``use_titles``)
      plus an ID embedding (``use_ids``), and an item bias;
    * user tower: :func:`behaviour_lstm` over the user's training history;
    * ``score(u, i) = <user_vec(u), item_vec(i)> + b_i``.

    Training is *next-item prediction*: after each prefix of a user's
    time-ordered training history, a softmax over the whole catalogue should
    put the following item first (sparse categorical cross-entropy). Scores
    are therefore unnormalized log-probabilities of "picked next", **not**
    ratings; the rating values are not used (any interaction table with
    ``user_id, item_id, timestamp`` works). Padded positions are masked out
    of the loss.

    ``fit(train, *, items, users=None, verbose=0)`` needs the catalogue
    ``items`` (a table with ``item_id`` 0..n-1, ``category``, ``brand``,
    ``title``, ``price``); ``users`` is the user table or their number.

    Parameters
    ----------
    max_len : int
        History length read by the LSTM (most recent items).
    dim : int
        Size of the user and item vectors.
    embed_dim, filters, units : int
        Sizes of the token/item embeddings, CNN filters and LSTM state.
    use_titles, use_ids : bool
        Which parts the item tower has (at least one).
    epochs, batch_size, learning_rate : training settings (Adam); a batch is
        ``batch_size`` users.
    seed : int or None
        Seeds the weights and the shuffling (never the global random state).
    """

    columns = ("user_id", "item_id", "timestamp")

    def __init__(self, max_len=20, dim=32, embed_dim=16, filters=32, units=32,
                 use_titles=True, use_ids=True, epochs=6, batch_size=256,
                 learning_rate=0.03, seed=0):
        self.max_len = check_int("max_len", max_len)
        self.dim, self.embed_dim, self.filters, self.units, self.epochs, self.batch_size = (
            check_int(name, v) for name, v in
            [("dim", dim), ("embed_dim", embed_dim), ("filters", filters), ("units", units),
             ("epochs", epochs), ("batch_size", batch_size)])
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.use_titles = check_bool("use_titles", use_titles)
        self.use_ids = check_bool("use_ids", use_ids)
        if not (use_titles or use_ids):
            raise ValueError("use_titles and use_ids cannot both be False: "
                             "the item tower needs at least one input")
        self.seed = check_seed(seed)

    def build(self, n_items, tokens, vocab_size, seed=None):
        """The Keras model: histories ``(batch, max_len)`` -> scores
        ``(batch, max_len, n_items)`` for the item following each prefix
        (the mask of the padded positions is carried to the loss), with
        initial weights from ``seed`` (default: the model's)."""
        seed = run_seed(self.seed if seed is None else seed)
        cnn = title_cnn(vocab_size, tokens.shape[1], self.embed_dim, self.filters,
                        out_dim=self.dim, seed=seed) if self.use_titles else None
        lstm = behaviour_lstm(n_items, self.max_len, self.embed_dim, self.units,
                              out_dim=self.dim, return_sequences=True, seed=seed)
        seq = keras.Input((self.max_len,), dtype="int32", name="history")
        scores = CatalogueScores(tokens if self.use_titles else None, cnn, n_items,
                                 self.dim, self.use_ids, seed=seed,
                                 name="catalogue")(lstm(seq))
        model = keras.Model(seq, scores, name="two_tower")
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      # XLA compiling costs more than it saves here; running 8
                      # batches per call saves Python overhead
                      jit_compile=False, steps_per_execution=8)
        # Adam's slots exist before fit, so the training step is traced once, not twice
        model.optimizer.build(model.trainable_variables)
        return model

    def _fit(self, train, verbose=0):
        """Train from scratch (fitting again, e.g. on another training set,
        starts from the same initial weights and reuses the compiled Keras
        model when the catalogue is the same).

        Sets ``model_`` (the Keras model), ``history_`` (loss per epoch),
        ``tokens_`` and ``vocab_`` (the item tokens) and ``sequences_`` (each
        user's training history as the LSTM reads it, see
        :func:`user_sequences`).
        """
        if self.items_ is None:
            raise ValueError("FeatureRecommender.fit needs the catalogue: pass items= a table "
                             "with item_id, category, brand, title and price")
        tokens, vocab = item_tokens(self.items_)
        seqs = user_sequences(train, self.n_users_, self.max_len + 1, self.n_items_)
        x, y = seqs[:, :-1], seqs[:, 1:]
        weight = (x > 0).astype("float32")  # a real item follows a real prefix
        rows = weight.sum(axis=1) > 0
        if not rows.any():
            raise ValueError("no user has two or more training interactions: "
                             "nothing to learn a next item from")
        seed = run_seed(self.seed)
        if self._can_reuse(tokens):
            self._reset()  # same architecture: skip rebuilding and retracing
        else:
            self.model_ = self.build(self.n_items_, tokens, len(vocab), seed)
            self._initial_weights = self.model_.get_weights()
            self._built_with = self._config()
        self.tokens_, self.vocab_ = tokens, vocab
        hist = fit_shuffled(self.model_, x[rows], np.maximum(y[rows] - 1, 0),
                            sample_weight=weight[rows], epochs=self.epochs,
                            batch_size=self.batch_size, seed=seed, verbose=verbose)
        self.history_ = hist.history
        self.sequences_ = seqs[:, 1:]

    def _config(self):
        return (self.max_len, self.dim, self.embed_dim, self.filters, self.units,
                self.use_titles, self.use_ids, self.learning_rate, self.seed)

    def _can_reuse(self, tokens):
        return (getattr(self, "model_", None) is not None
                and self._built_with == self._config()
                and tokens.shape == self.tokens_.shape
                and np.array_equal(tokens, self.tokens_))

    def _reset(self):
        """Back to the initial weights and a fresh optimizer state, so a
        refit equals a fit from scratch (the compiled graph is kept: tracing
        it is a large part of a small model's training time)."""
        self.model_.set_weights(self._initial_weights)
        opt = self.model_.optimizer
        for v in opt.variables:
            v.assign(ops.zeros_like(v))
        opt.learning_rate = self.learning_rate

    # ------------------------------------------------------------ scoring
    def _last_scores(self, seqs):
        seqs = np.asarray(seqs)
        if seqs.ndim != 2 or seqs.shape[1] != self.max_len:
            raise ValueError(f"sequences must have shape (n, {self.max_len}), got {seqs.shape}")
        check_ids("sequence item", seqs.ravel(), self.n_items_ + 1)
        cat = self.model_.get_layer("catalogue")
        return np.asarray(cat(self._user_states(seqs)), dtype=float)

    def _user_states(self, seqs):
        """LSTM state after the last real item of each sequence (direct calls
        in chunks: cheaper than ``predict`` for a few thousand rows)."""
        lstm = self.model_.get_layer("behaviour_lstm")
        seqs = np.asarray(seqs, dtype="int32")
        out = [ops.convert_to_numpy(lstm(seqs[i:i + 1024])[:, -1])
               for i in range(0, len(seqs), 1024)]
        return np.concatenate(out) if out else np.zeros((0, self.dim), "float32")

    def score_sequences(self, sequences):
        """Scores of every item after each given history, shape (n, n_items).

        ``sequences`` follow the :func:`user_sequences` convention
        (``item_id + 1``, left-padded, width ``max_len``). Works for users
        the model never saw: no retraining needed.
        """
        check_fitted(self, "fit_time_")
        return self._last_scores(sequences)

    def score_matrix(self, users=None):
        """Scores of every item for each user (default: all), shape (n, n_items)."""
        users = self._users(users)
        return self._last_scores(self.sequences_[users])

    def _predict(self, users, items):
        """Scores for id pairs: unnormalized log-probabilities of being picked
        next (higher is better; not ratings)."""
        uniq, inv = np.unique(users, return_inverse=True)
        return self.score_matrix(uniq)[inv, items]

    def item_vectors(self):
        """The learned item vectors, shape (n_items, dim)."""
        check_fitted(self, "fit_time_")
        return np.asarray(self.model_.get_layer("catalogue").item_vectors())

    def user_vectors(self, users=None):
        """The user vectors (LSTM over the training history), shape (n, dim)."""
        users = self._users(users)
        return self._user_states(self.sequences_[users])
