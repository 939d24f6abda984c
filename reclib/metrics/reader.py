"""Two readers of reasons: the rule-based one and a trained, independent one.

A *reader* turns texts into the ``(aspect, sentiment)`` pairs they state, in
the format of :func:`reclib.data.aspects.extract_aspects` (a list per text,
distinct pairs in order of first mention, sentiment ``"positive"``,
``"negative"`` or None). The grader (:func:`reclib.evaluation.reasons.evaluate_reasons`)
and the guard (:mod:`reclib.reasons.guard`) need one. Two are here:

* :class:`RuleReader`: :func:`~reclib.data.aspects.extract_aspects` (keyword
  lists and sentiment cues) behind the reader interface; the guard's reader;
* :class:`TrainedReader`: a small classifier *learned* from labelled reviews
  (ShopSim's ``text, aspect, sentiment``), with no keyword list and no cue
  lexicon: a bag of word n-grams, averaged embeddings and a softmax over
  every (aspect, sentiment) pair, the fastText recipe of Joulin et al.
  ("Bag of Tricks for Efficient Text Classification", EACL 2017), in Keras.

Grading with the reader the guard does not use removes the circularity of
grading a guarded reason with the very rules that let it pass.
:func:`reading_accuracy` and :func:`reader_agreement` measure the readers:
against labelled reviews, and against each other.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

from reclib.checks import (check_fraction, check_int, check_positive, check_seed, check_table,
                           check_texts)
from reclib.data.aspects import compile_lexicon, extract_with
from reclib.data.text import tokenize

__all__ = ["RuleReader", "TrainedReader", "reading_accuracy", "reader_agreement",
           "segments"]

SENTIMENTS = ("negative", "positive")

# Where one statement ends and the next begins: sentence marks, clause
# punctuation and the conjunctions that join two statements. Punctuation and
# a few function words, not aspect keywords or sentiment cues.
_SEGMENT_SPLIT = re.compile(
    r"[.!?;:,\n]+|\b(?:but|however|although|though|whereas|while|and|plus)\b", re.IGNORECASE)


def segments(text):
    """The statements of a text: split at sentence marks (``. ! ?``), clause
    punctuation (``, ; :``) and the conjunctions "but, however, although,
    though, whereas, while, and, plus"; empty pieces dropped."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__} ({text!r})")
    return [s.strip() for s in _SEGMENT_SPLIT.split(text) if s and s.strip()]


class RuleReader:
    """:func:`reclib.data.aspects.extract_aspects` as a reader.

    Parameters
    ----------
    aspect_words : collection of str or dict
        The aspect vocabulary (or ``{aspect: [keywords]}``), as for
        :func:`~reclib.data.aspects.extract_aspects`.
    level : {"word", "char"}
    """

    name = "rule reader"

    def __init__(self, aspect_words, level="word"):
        self._lexicon = compile_lexicon(aspect_words, level=level)
        self.aspects_ = self._lexicon.aspects
        self.level = level

    def read(self, texts):
        """The ``(aspect, sentiment)`` pairs each text states (a list per text)."""
        return [extract_with(t, self._lexicon) for t in check_texts(texts, allow_empty=True)]

    def read_one(self, text):
        """The ``(aspect, sentiment)`` pairs one text states."""
        return self.read([_one_text(text)])[0]


def _one_text(text):
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__} ({text!r})")
    return text


class TrainedReader:
    """A reader learned from labelled reviews: which aspect a statement is
    about, and its sentiment.

    The model (Keras): each statement's word n-grams (``ngrams=2``: words and
    word pairs, kept when seen ``min_count`` times in training) are looked up
    in an embedding table of width ``dim``, averaged, and mapped by one dense
    layer to a softmax over every (aspect, sentiment) pair and one more
    class, "no aspect in particular". It learns from reviews with a known
    label, the aspect that contributed most and its sentiment (ShopSim's
    ``aspect`` and ``sentiment`` columns): each review is cut into
    statements (:func:`segments`), each distinct statement gets the mix of
    the labels of the reviews it occurs in (weighted by how often it
    occurs), and a statement whose most common aspect has a share below
    ``purity`` (a product's name, "highly recommend": found in reviews of
    many aspects) is labelled "no aspect in particular" instead. It knows no
    keyword and no sentiment cue: whatever tells the labels apart in the
    training reviews is learned. It always gives a sentiment (never None),
    and text worded unlike the training reviews (a template's "Reviewers
    also find the value good") is read less reliably: measure it on the
    texts you grade (:func:`reader_agreement`).

    **Several aspects in one reason.** A review carries one label, a reason
    may name two aspects ("Great battery, and reviewers also find the value
    good"). The reader therefore reads each *statement* separately
    (:func:`segments`: split at sentence marks, commas and joining
    conjunctions) and keeps a statement's most likely aspect, with the more
    likely of its two sentiments, when that aspect's probability (summed over
    both sentiments) is at least ``threshold``. A statement about no aspect
    ("highly recommended", "bought it for my commute") spreads its
    probability over many aspects and is skipped. Splitting into statements
    rather than a multi-label threshold on the whole text was chosen because
    the training labels are single-label: a whole-text model learns to name
    *the* main aspect, not every aspect present, while a one-statement
    segment usually is about one aspect, which is what the model learned.

    Parameters
    ----------
    ngrams : int
        Longest word n-gram used (1: words only).
    dim : int
        Embedding width.
    epochs, batch_size : int
    learning_rate : float
        Adam's learning rate.
    min_count : int
        An n-gram must occur at least this often in the training reviews.
    max_len : int
        At most this many n-grams are read per statement (the rest are cut).
    threshold : float in (0, 1)
        Smallest aspect probability of a statement that counts as a mention.
    purity : float in (0, 1)
        A training statement whose most common aspect label has a smaller
        share is taught as "no aspect in particular".
    seed : int
        Seeds the initial weights and the order of the training reviews (no
        global random state is read or changed).

    Attributes (after :meth:`fit`)
    ------------------------------
    aspects_ : list of str
        The aspects of the training labels.
    classes_ : list of (str, str)
        The (aspect, sentiment) pairs, in the column order of
        :meth:`predict_proba`.
    vocabulary_size_ : int
        The n-grams kept.
    n_statements_, n_vague_ : int
        Distinct training statements, and those taught as "no aspect in
        particular".
    fit_time_ : float
        Training seconds.
    """

    name = "trained reader"

    def __init__(self, ngrams=2, dim=32, epochs=30, batch_size=32, learning_rate=0.01,
                 min_count=2, max_len=32, threshold=0.5, purity=0.75, seed=0):
        self.ngrams = check_int("ngrams", ngrams)
        self.dim = check_int("dim", dim)
        self.epochs = check_int("epochs", epochs)
        self.batch_size = check_int("batch_size", batch_size)
        self.min_count = check_int("min_count", min_count)
        self.max_len = check_int("max_len", max_len)
        self.learning_rate = float(check_positive("learning_rate", learning_rate))
        self.threshold = check_fraction("threshold", threshold, open_interval=True)
        self.purity = check_fraction("purity", purity, open_interval=True)
        self.seed = check_seed(seed, what="a TrainedReader")

    # ----------------------------------------------------------------- features
    def _grams(self, text, ngrams=None):
        toks = [t for t in tokenize(text) if re.match(r"\w", t)]
        grams = list(toks)
        for n in range(2, (ngrams or self.ngrams) + 1):
            grams += [" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)]
        return grams

    def _ids(self, texts):
        out = np.zeros((len(texts), self.max_len), dtype="int32")
        for row, text in enumerate(texts):
            ids = [self._index[g] for g in self._grams(text) if g in self._index][:self.max_len]
            out[row, :len(ids)] = ids
        return out

    # ----------------------------------------------------------------- fitting
    def fit(self, reviews, text="text"):
        """Learn from labelled reviews.

        Parameters
        ----------
        reviews : pandas.DataFrame
            One review per row, with the ``text`` column and the labels
            ``aspect`` and ``sentiment`` ("positive"/"negative"), e.g. a
            training split of ShopSim's ratings.
        text : str
            The text column.

        Returns
        -------
        self
        """
        import time

        import keras

        from reclib.models._fit import fit_shuffled

        check_table(reviews, (text, "aspect", "sentiment"), "reviews")
        if len(reviews) < 2:
            raise ValueError(f"reviews: need at least 2 labelled reviews, got {len(reviews)}")
        texts = check_texts(reviews[text], name=f"reviews[{text!r}]")
        bad = ~reviews["sentiment"].isin(SENTIMENTS)
        if bad.any():
            raise ValueError(f"reviews: sentiment must be 'positive' or 'negative', got "
                             f"{reviews['sentiment'][bad].iloc[0]!r}")
        aspects = reviews["aspect"]
        if aspects.isna().any() or not aspects.map(lambda a: isinstance(a, str)).all():
            raise ValueError("reviews: every aspect label must be a string (drop unlabelled "
                             "reviews first)")
        if aspects.nunique() < 2:
            raise ValueError("reviews: need at least 2 different aspects to learn from")
        start = time.perf_counter()
        self.aspects_ = sorted(aspects.unique())
        self.classes_ = [(a, s) for a in self.aspects_ for s in SENTIMENTS]
        cls = {c: k for k, c in enumerate(self.classes_)}
        # every statement of a review carries the review's label; a statement seen in many
        # reviews carries the mix of their labels (its share of each), weighted by how often
        targets = {}
        for t, a, s in zip(texts, aspects, reviews["sentiment"]):
            for piece in segments(t):
                key = " ".join(self._grams(piece, 1))
                if key:
                    row = targets.setdefault(key, np.zeros(len(self.classes_)))
                    row[cls[(a, s)]] += 1.0
        keys = sorted(targets)
        counts = Counter()
        for k in keys:
            for g in set(self._grams(k)):
                counts[g] += int(targets[k].sum())
        kept = sorted(g for g, c in counts.items() if c >= self.min_count)
        self._index = {g: k + 1 for k, g in enumerate(kept)}  # 0 pads
        self.vocabulary_size_ = len(kept)
        y = np.array([targets[k] for k in keys], dtype="float32")
        weight = y.sum(axis=1)
        y /= weight[:, None]
        # a statement whose reviews have no dominant label (the product's name, "highly
        # recommend") is about no aspect in particular: it learns the extra class "none"
        aspect_share = y.reshape(len(keys), len(self.aspects_), 2).sum(axis=2)
        vague = aspect_share.max(axis=1) < self.purity
        y = np.concatenate([y, vague[:, None].astype("float32")], axis=1)
        y[vague, :-1] = 0.0
        self.n_vague_ = int(vague.sum())
        weight = (weight / weight.mean()).astype("float32")
        x = self._ids(keys)
        self.n_statements_ = len(keys)

        ids = keras.Input((self.max_len,), dtype="int32")
        emb = keras.layers.Embedding(
            len(kept) + 1, self.dim, mask_zero=True,
            embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05,
                                                                    seed=self.seed))(ids)
        pooled = keras.layers.GlobalAveragePooling1D()(emb)
        probs = keras.layers.Dense(
            len(self.classes_) + 1, activation="softmax",
            kernel_initializer=keras.initializers.GlorotUniform(seed=self.seed + 1))(pooled)
        self.model_ = keras.Model(ids, probs, name="trained_reader")
        self.model_.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                            loss="categorical_crossentropy")
        fit_shuffled(self.model_, x, y, sample_weight=weight, epochs=self.epochs,
                     batch_size=self.batch_size, seed=self.seed, verbose=0)
        self.fit_time_ = time.perf_counter() - start
        return self

    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise ValueError("this TrainedReader is not fitted yet: call fit(reviews) first")

    def predict_proba(self, texts):
        """Per text (read whole, not split), the probability of each
        ``(aspect, sentiment)`` pair of :attr:`classes_`: an array of shape
        ``(len(texts), len(classes_))``; the rest of each row, up to 1, is
        the probability of "no aspect in particular"."""
        self._check_fitted()
        texts = check_texts(texts, allow_empty=True)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        x = self._ids(texts)
        return np.asarray(self.model_.predict(x, batch_size=1024, verbose=0), dtype=float)[:, :-1]

    def read(self, texts):
        """The ``(aspect, sentiment)`` pairs each text states, one list per
        text, in the format of :func:`~reclib.data.aspects.extract_aspects`
        (distinct pairs in order of first mention)."""
        self._check_fitted()
        texts = check_texts(texts, allow_empty=True)
        pieces, owner = [], []
        for k, t in enumerate(texts):
            for s in segments(t):
                pieces.append(s)
                owner.append(k)
        out = [[] for _ in texts]
        if not pieces:
            return out
        p = self.predict_proba(pieces).reshape(len(pieces), len(self.aspects_), 2)
        per_aspect = p.sum(axis=2)
        best = per_aspect.argmax(axis=1)
        for k, (row, a) in enumerate(zip(owner, best)):
            if per_aspect[k, a] < self.threshold:
                continue
            pair = (self.aspects_[a], SENTIMENTS[int(p[k, a].argmax())])
            if pair not in out[row]:
                out[row].append(pair)
        return out

    def read_one(self, text):
        """The ``(aspect, sentiment)`` pairs one text states."""
        return self.read([_one_text(text)])[0]

    def count_params(self):
        """The number of learned weights."""
        self._check_fitted()
        return int(self.model_.count_params())


# ===================================================================== measuring readers
def _mention_lists(mentioned, name="mentioned"):
    if isinstance(mentioned, str):
        raise ValueError(f"{name} must be a list (one list of (aspect, sentiment) per text), "
                         f"not a string")
    out = []
    for k, m in enumerate(mentioned):
        if isinstance(m, str) or not hasattr(m, "__iter__"):
            raise ValueError(f"{name}[{k}] must be a list of (aspect, sentiment) pairs, "
                             f"got {m!r}")
        m = [tuple(p) for p in m]
        if any(len(p) != 2 for p in m):
            raise ValueError(f"{name}[{k}] must hold (aspect, sentiment) pairs, got {m!r}")
        out.append(m)
    return out


def reading_accuracy(mentioned, aspects, sentiments):
    """How well a reader reads labelled texts (e.g. held-out true reviews).

    Parameters
    ----------
    mentioned : list of list of (aspect, sentiment)
        A reader's output, one list per text.
    aspects, sentiments : sequence of str
        The known label of each text: its main aspect and that aspect's
        sentiment.

    Returns
    -------
    dict
        ``aspect``: share of texts whose *first* mention is the labelled
        aspect; ``aspect+sentiment``: ... with the labelled sentiment;
        ``label among mentions``: share where the labelled pair is among
        the mentions; ``no mention``: share read as naming no aspect. Each
        in [0, 1]; every text counts (one with no mention is wrong).
    """
    mentioned = _mention_lists(mentioned)
    aspects, sentiments = list(aspects), list(sentiments)
    if not (len(mentioned) == len(aspects) == len(sentiments)):
        raise ValueError(f"mismatched lengths: {len(mentioned)} readings, {len(aspects)} "
                         f"aspects, {len(sentiments)} sentiments")
    if not mentioned:
        raise ValueError("empty input: no texts to score")
    first = [m[0] if m else (None, None) for m in mentioned]
    return {"aspect": float(np.mean([f[0] == a for f, a in zip(first, aspects)])),
            "aspect+sentiment": float(np.mean([f == (a, s) for f, a, s
                                               in zip(first, aspects, sentiments)])),
            "label among mentions": float(np.mean([(a, s) in m for m, a, s
                                                   in zip(mentioned, aspects, sentiments)])),
            "no mention": float(np.mean([not m for m in mentioned]))}


def _kappa(a, b):
    """Cohen's kappa of two label sequences (NaN when chance agreement is 1)."""
    labels = sorted(set(a) | set(b), key=str)
    idx = {lab: k for k, lab in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    for x, y in zip(a, b):
        table[idx[x], idx[y]] += 1
    table /= table.sum()
    observed = np.trace(table)
    chance = float(table.sum(axis=1) @ table.sum(axis=0))
    return float("nan") if chance >= 1 else float((observed - chance) / (1 - chance))


def reader_agreement(first, second):
    """How often two readers read the same texts alike.

    Parameters
    ----------
    first, second : list of list of (aspect, sentiment)
        The two readers' output on the same texts.

    Returns
    -------
    dict
        ``same pairs``: share of texts read as the same *set* of (aspect,
        sentiment) pairs (both empty counts as agreeing); ``same aspects``:
        the same set of aspects, sentiment aside; ``kappa (first aspect)``:
        Cohen's kappa of the first aspect each reader names ("none" when it
        names none), agreement corrected for chance (NaN when both readers
        give one and the same label to every text).
    """
    first, second = _mention_lists(first, "first"), _mention_lists(second, "second")
    if len(first) != len(second):
        raise ValueError(f"mismatched lengths: {len(first)} and {len(second)} readings")
    if not first:
        raise ValueError("empty input: no readings to compare")
    return {"same pairs": float(np.mean([set(a) == set(b) for a, b in zip(first, second)])),
            "same aspects": float(np.mean([{x for x, _ in a} == {x for x, _ in b}
                                           for a, b in zip(first, second)])),
            "kappa (first aspect)": _kappa([a[0][0] if a else "none" for a in first],
                                           [b[0][0] if b else "none" for b in second])}
