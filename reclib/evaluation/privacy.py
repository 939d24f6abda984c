"""Does a fitted generator give away what it was trained on? A likelihood
membership-inference test.

An attacker who can score text with the model (its per-token likelihood)
guesses that the reviews the model finds most likely were in its training
data. The test: take reviews that *were* in the training set (members) and
reviews of the same kind that were not (held-out, non-members), score each by
the model's mean per-token log-likelihood, and measure how well that score
tells the two apart (ROC AUC, :func:`reclib.metrics.risk.auc`). AUC 0.5: the
model's likelihood says nothing about membership; 1.0: every member is more
likely than every non-member. This is the loss-threshold attack of Yeom et
al. (2018); stronger attacks (shadow models, per-example calibration) can
only do better, so its AUC is a lower bound on what leaks.

The copying measures, which take only texts, are in
:mod:`reclib.metrics.copying`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from reclib.checks import check_fitted, check_int, check_pairs, check_reviews
from reclib.metrics.intervals import bootstrap
from reclib.metrics.risk import auc
from reclib.reasons.base import SENTIMENT_IDS, NeuralReasons


def _neural_ll(gen, reviews, batch_size):
    data = gen._validation(reviews)
    if not gen.grounded:
        data["a"] = np.zeros_like(data["a"])
        data["s"] = np.full_like(data["s"], SENTIMENT_IDS[None])
    out = []
    for start in range(0, len(data["u"]), batch_size):
        sl = slice(start, start + batch_size)
        logits = np.asarray(gen._logits(*(data[k][sl] for k in ("u", "i", "a", "s", "tok_in"))),
                            dtype=np.float64)
        target = data["tok_out"][sl]
        logp = logits - logits.max(-1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
        picked = np.take_along_axis(logp, target[..., None], axis=-1)[..., 0]
        mask = target != gen.vocab_.pad_id
        out.append((picked * mask).sum(1) / np.maximum(mask.sum(1), 1))
    return np.concatenate(out)


def _pepler_ll(gen, reviews, batch_size):
    ids, mask, targets, weights = gen.encode_reviews(reviews)
    users = reviews["user_id"].to_numpy("int32")
    items = reviews["item_id"].to_numpy("int32")
    out = []
    for start in range(0, len(ids), batch_size):
        sl = slice(start, start + batch_size)
        logits = gen.model_({"token_ids": ids[sl], "padding_mask": mask[sl],
                             "user": users[sl], "item": items[sl]})
        logits = np.asarray(logits, dtype=np.float32)
        picked = np.take_along_axis(logits, targets[sl][..., None], axis=-1)[..., 0]
        m = logits.max(-1)
        lse = m + np.log(np.exp(logits - m[..., None]).sum(-1))
        w = weights[sl]
        out.append(((picked - lse) * w).sum(1) / np.maximum(w.sum(1), 1))
    return np.concatenate(out).astype(np.float64)


def review_log_likelihood(gen, reviews, batch_size=256):
    """Mean per-token log-likelihood (nats, teacher forcing) of each review's
    text under a fitted generator: one float per row of ``reviews``.

    ``gen`` is a neural generator (:class:`reclib.reasons.base.NeuralReasons`:
    seq2seq, GAN, Transformer; a grounded one is given each review's own
    aspect and sentiment, as in its ``perplexity``) or a fitted
    :class:`reclib.reasons.pepler.PeplerReasons` (only the review's tokens and
    the end token are scored, after the soft prompt and the grounding
    prefix). ``reviews`` needs ``user_id, item_id, rating, text, aspect,
    sentiment`` with ids the generator knows.
    """
    batch_size = check_int("batch_size", batch_size)
    if isinstance(gen, NeuralReasons):
        check_fitted(gen, "fit_time_")
        return _neural_ll(gen, reviews, batch_size)
    if hasattr(gen, "encode_reviews") and hasattr(gen, "model_"):
        check_reviews(reviews, ("user_id", "item_id", "text", "aspect", "sentiment"),
                      name="reviews")
        check_pairs(reviews["user_id"], reviews["item_id"], gen.n_users_, gen.n_items_)
        return _pepler_ll(gen, reviews, batch_size)
    raise TypeError(f"review_log_likelihood needs a fitted neural generator (seq2seq, GAN, "
                    f"Transformer) or PeplerReasons, got {type(gen).__name__}")


def membership_scores(member_ll, non_member_ll, n_boot=500, seed=0):
    """The likelihood attack's AUC from precomputed scores, with a 95%
    percentile-bootstrap interval (members and non-members resampled
    separately: :func:`reclib.metrics.intervals.bootstrap` with strata).
    Returns a dict: ``auc``, ``low``, ``high``, ``gap`` (mean member minus
    mean non-member log-likelihood), ``members``, ``non_members`` (the
    counts)."""
    member_ll = np.asarray(member_ll, dtype=float).reshape(-1)
    non_member_ll = np.asarray(non_member_ll, dtype=float).reshape(-1)
    for name, a in (("member_ll", member_ll), ("non_member_ll", non_member_ll)):
        if len(a) < 2:
            raise ValueError(f"{name} needs at least two scores, got {len(a)}")
        if not np.isfinite(a).all():
            raise ValueError(f"{name} must be finite (no NaN or inf)")
    y = np.r_[np.ones(len(member_ll)), np.zeros(len(non_member_ll))]
    est, low, high = bootstrap(auc, y, np.r_[member_ll, non_member_ll], n_boot=n_boot,
                               seed=seed, strata=y)
    return {"auc": est, "low": low, "high": high,
            "gap": float(member_ll.mean() - non_member_ll.mean()),
            "members": len(member_ll), "non_members": len(non_member_ll)}


def membership_inference(gen, members, non_members, n_boot=500, seed=0, batch_size=256):
    """Can an attacker tell ``members`` (reviews ``gen`` was trained on) from
    ``non_members`` (held-out reviews) by ``gen``'s likelihood?

    Scores both tables with :func:`review_log_likelihood` and returns
    :func:`membership_scores`' dict (AUC with a bootstrap interval, the
    mean log-likelihood gap, the counts). Only reviews the generator really
    trained on may be passed as members: a neural generator trains on a
    random subset when the training table has more than ``max_reviews``
    rows (fit it on exactly the members, with ``max_reviews=None``).
    """
    for name, t in (("members", members), ("non_members", non_members)):
        if not isinstance(t, pd.DataFrame):
            raise TypeError(f"{name} must be a DataFrame of reviews, got {type(t).__name__}")
        if len(t) < 2:
            raise ValueError(f"{name} needs at least two reviews, got {len(t)}")
    overlap = pd.merge(members[["user_id", "item_id", "text"]],
                       non_members[["user_id", "item_id", "text"]], how="inner")
    if len(overlap):
        raise ValueError(f"{len(overlap)} review(s) are both members and non-members, e.g. "
                         f"{overlap.iloc[0].to_dict()}")
    return membership_scores(review_log_likelihood(gen, members, batch_size),
                             review_log_likelihood(gen, non_members, batch_size),
                             n_boot=n_boot, seed=seed)


__all__ = ["membership_inference", "membership_scores", "review_log_likelihood"]
