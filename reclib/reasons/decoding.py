"""Decoding strategies: greedy, beam search and sampling (temperature, top-k, top-p).

Every strategy drives a ``step_fn``: a function that takes the token ids so far,
an integer array of shape ``(batch, t)`` starting with ``<bos>``, and returns
the logits of the next token, shape ``(batch, vocab)``. Any Keras model fits
behind it, called directly, e.g.
``lambda toks: model([users, items, toks.astype("int32")], training=False)[:, -1]``
(``keras.ops.convert_to_numpy`` is applied to what it returns). Call the model,
not ``model.predict`` or ``model.predict_on_batch``: the width ``t`` grows by one
at every step, and ``predict`` traces a new ``tf.function`` graph for each new
input shape (TensorFlow's "triggered tf.function retracing" warning), while a
direct call runs eagerly and traces nothing. The strategies themselves are
plain NumPy: they only look at the logits.

All strategies return the generated ids *without* ``<bos>`` (and without the
prefix), cut before the first ``<eos>``; at most ``max_len`` tokens each.
Rows that finished early are fed ``eos_id`` while the others continue.
"""
from __future__ import annotations

import numpy as np

from reclib.checks import check_int, check_non_negative, check_number, check_optional_int, \
    check_positive


# --------------------------------------------------------------------- checks
def _check_top(top_k, top_p):
    check_optional_int("top_k", top_k)
    if top_p is not None:
        check_number("top_p", top_p, 0, 1, low_open=True)


def _start(bos_id, batch_size, prefix):
    bos_id = check_int("bos_id", bos_id, 0)
    batch_size = check_int("batch_size", batch_size, 1)
    start = np.full((batch_size, 1), bos_id, dtype=np.int64)
    if prefix is None:
        return start
    prefix = np.asarray(prefix)
    if prefix.size and not np.issubdtype(prefix.dtype, np.integer):
        raise ValueError(f"prefix must hold integer token ids, got dtype {prefix.dtype}")
    if prefix.ndim == 1:
        prefix = np.broadcast_to(prefix, (batch_size, prefix.shape[0]))
    if prefix.ndim != 2 or prefix.shape[0] != batch_size:
        raise ValueError(f"prefix must have shape (p,) or (batch_size={batch_size}, p), "
                         f"got {prefix.shape}")
    if prefix.size and prefix.min() < 0:
        raise ValueError("prefix contains a negative token id")
    return np.concatenate([start, prefix.astype(np.int64)], axis=1)


def _call(step_fn, tokens):
    """Call step_fn and check that it returned finite (or -inf) logits of the right shape."""
    out = step_fn(tokens)
    if not isinstance(out, np.ndarray):
        import keras  # only needed for framework tensors

        out = keras.ops.convert_to_numpy(out)
    logits = np.asarray(out, dtype=np.float64)
    if logits.ndim != 2 or logits.shape[0] != tokens.shape[0]:
        raise ValueError(f"step_fn must return logits of shape (batch={tokens.shape[0]}, vocab), "
                         f"got {logits.shape}")
    if np.isnan(logits).any() or np.isposinf(logits).any():
        raise ValueError("step_fn returned NaN or +inf logits")
    if np.isneginf(logits).all(axis=1).any():
        raise ValueError("step_fn returned a row whose logits are all -inf")
    return logits


def log_softmax(logits):
    """Numerically stable log-softmax over the last axis (``-inf`` logits stay ``-inf``)."""
    logits = np.asarray(logits, dtype=np.float64)
    m = np.max(logits, axis=-1, keepdims=True)
    z = logits - m
    with np.errstate(divide="ignore"):
        return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def softmax(logits):
    """Numerically stable softmax over the last axis."""
    return np.exp(log_softmax(logits))


def _cut(rows, eos_id):
    out = []
    for r in rows:
        r = list(map(int, r))
        out.append(r[: r.index(eos_id)] if eos_id in r else r)
    return out


# --------------------------------------------------------------------- filters
def filter_logits(logits, top_k=None, top_p=None):
    """Keep the top-k and/or nucleus (top-p) tokens; set the others to ``-inf``.

    Parameters
    ----------
    logits : array_like, shape (vocab,) or (batch, vocab)
    top_k : int or None
        Keep the ``top_k`` largest logits (ties at the boundary: the lower
        token id wins). ``top_k >= vocab`` keeps everything.
    top_p : float in (0, 1] or None
        Nucleus filtering (Holtzman et al., 2020): keep the *smallest* set of
        most probable tokens whose total probability is ``>= top_p`` (computed
        after the top-k filter when both are given). ``top_p=1`` keeps all.

    Returns
    -------
    numpy.ndarray of float64, same shape as ``logits``
    """
    _check_top(top_k, top_p)
    x = np.array(logits, dtype=np.float64)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"logits must have shape (vocab,) or (batch, vocab), got {x.shape}")
    if np.isnan(x).any():
        raise ValueError("logits contain NaN")
    squeeze = x.ndim == 1
    x = np.atleast_2d(x)
    order = np.argsort(-x, axis=1, kind="stable")  # descending, stable on ties
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(x.shape[1])[None, :].repeat(len(x), 0), axis=1)
    keep = np.ones_like(x, dtype=bool)
    if top_k is not None:
        keep &= ranks < top_k
    if top_p is not None:
        probs = softmax(np.where(keep, x, -np.inf))
        sorted_p = np.take_along_axis(probs, order, axis=1)
        before = np.cumsum(sorted_p, axis=1) - sorted_p  # mass strictly before each token
        # keep a token if the tokens ranked above it do not yet reach top_p
        # (small tolerance so that e.g. 0.3 + 0.2 counts as reaching 0.5)
        keep_sorted = before < top_p - 1e-12
        keep_sorted[:, 0] = True
        keep_p = np.empty_like(keep_sorted)
        np.put_along_axis(keep_p, order, keep_sorted, axis=1)
        keep &= keep_p
    out = np.where(keep, x, -np.inf)
    return out[0] if squeeze else out


# --------------------------------------------------------------------- greedy
def greedy(step_fn, bos_id, eos_id, max_len, batch_size=1, prefix=None):
    """Greedy decoding: take the most probable token at every step.

    Parameters
    ----------
    step_fn : callable
        ``tokens (batch, t) -> next-token logits (batch, vocab)``.
    bos_id, eos_id : int
        Start and end token ids.
    max_len : int
        Maximum number of generated tokens (>= 1), ``<eos>`` not counted.
    batch_size : int
        Number of sequences decoded together.
    prefix : array_like of int, shape (p,) or (batch_size, p), optional
        Tokens forced after ``<bos>`` (e.g. a feature word); not returned.

    Returns
    -------
    list of list of int
        One id list per row, without ``<bos>``/prefix, cut before ``<eos>``.
        Ties go to the lower token id.
    """
    max_len = check_int("max_len", max_len, 1)
    eos_id = check_int("eos_id", eos_id, 0)
    return _decode(step_fn, bos_id, eos_id, max_len, batch_size, prefix,
                   lambda logits: np.argmax(logits, axis=1))


def _decode(step_fn, bos_id, eos_id, max_len, batch_size, prefix, choose):
    """The token-by-token loop shared by :func:`greedy` and :func:`sample`:
    ``choose(logits) -> next ids``; finished rows keep emitting <eos>."""
    tokens = _start(bos_id, batch_size, prefix)
    start = tokens.shape[1]
    done = np.zeros(len(tokens), dtype=bool)
    for _ in range(max_len):
        nxt = np.where(done, eos_id, choose(_call(step_fn, tokens)))
        tokens = np.concatenate([tokens, nxt[:, None]], axis=1)
        done |= nxt == eos_id
        if done.all():
            break
    return _cut(tokens[:, start:], eos_id)


# --------------------------------------------------------------------- sampling
def sample(step_fn, bos_id, eos_id, max_len, batch_size=1, temperature=1.0,
           top_k=None, top_p=None, seed=None, prefix=None):
    """Ancestral sampling with temperature, top-k and nucleus (top-p) filtering.

    At each step the logits are divided by ``temperature``, filtered with
    :func:`filter_logits` and a token is drawn from the softmax.
    ``top_k=1`` (or a temperature near 0) reproduces :func:`greedy`.

    Parameters
    ----------
    step_fn, bos_id, eos_id, max_len, batch_size, prefix
        As in :func:`greedy`.
    temperature : float
        > 0; below 1 sharpens the distribution, above 1 flattens it.
    top_k : int or None
    top_p : float in (0, 1] or None
    seed : int or None
        Seed of the NumPy generator: the same seed gives the same output.

    Returns
    -------
    list of list of int
    """
    max_len = check_int("max_len", max_len, 1)
    eos_id = check_int("eos_id", eos_id, 0)
    temperature = check_positive("temperature", temperature)
    _check_top(top_k, top_p)
    rng = np.random.default_rng(seed)

    def draw(logits):
        probs = softmax(filter_logits(logits / temperature, top_k, top_p))
        cdf = np.cumsum(probs, axis=1)
        u = rng.random(len(probs)) * cdf[:, -1]
        return np.minimum((cdf <= u[:, None]).sum(axis=1), probs.shape[1] - 1)

    return _decode(step_fn, bos_id, eos_id, max_len, batch_size, prefix, draw)


# --------------------------------------------------------------------- beam search
def beam_search(step_fn, bos_id, eos_id, max_len, beam_width=4, length_penalty=0.0,
                prefix=None, return_all=False):
    """Beam search for one sequence.

    Keeps the ``beam_width`` best partial sequences by total log-probability.
    A hypothesis ends when it emits ``<eos>`` or reaches ``max_len`` tokens;
    the search stops once ``beam_width`` hypotheses have ended and no live
    beam can still overtake them (or none is alive). Finished hypotheses are ranked by
    ``log p(y) / len(y) ** length_penalty``, where ``len(y)`` counts the
    generated tokens including ``<eos>``: ``length_penalty=0`` ranks by total
    log-probability (which favours short outputs), ``1`` by the per-token mean.
    ``beam_width=1`` is greedy decoding.

    Parameters
    ----------
    step_fn : callable
        ``tokens (n, t) -> logits (n, vocab)``. It is called with one row per
        live beam, so ``n`` varies: a step_fn conditioned on one user/item
        must repeat its context to ``n`` rows.
    bos_id, eos_id, max_len, prefix
        As in :func:`greedy` (``prefix`` 1-D).
    beam_width : int
        >= 1.
    length_penalty : float
        >= 0, the exponent above.
    return_all : bool
        If True return all finished hypotheses as ``(ids, log_prob, score)``
        sorted by score, best first.

    Returns
    -------
    list of int
        The best hypothesis without ``<bos>``/prefix and ``<eos>``.
    """
    max_len = check_int("max_len", max_len, 1)
    eos_id = check_int("eos_id", eos_id, 0)
    beam_width = check_int("beam_width", beam_width, 1)
    length_penalty = check_non_negative("length_penalty", length_penalty)
    if prefix is not None and np.ndim(prefix) != 1:
        raise ValueError("beam_search decodes one sequence: prefix must be 1-D")
    start_row = _start(bos_id, 1, prefix)
    start = start_row.shape[1]

    def score(n_tokens, logp):
        return logp / (n_tokens ** length_penalty)

    beams = [(start_row[0], 0.0)]
    finished = []  # (generated ids incl. eos if any, logp)
    for step in range(max_len):
        tokens = np.stack([b for b, _ in beams])
        logp = log_softmax(_call(step_fn, tokens))
        totals = np.array([s for _, s in beams])[:, None] + logp
        flat = totals.ravel()
        # best 2 * beam_width candidates (at most beam_width of them end with
        # eos, so at least beam_width stay alive); ties by (beam, token) order
        order = np.argsort(-flat, kind="stable")[: 2 * beam_width]
        new_beams = []
        for rank, idx in enumerate(order):
            if not np.isfinite(flat[idx]):
                break
            b, tok = divmod(int(idx), logp.shape[1])
            seq = np.append(beams[b][0], tok)
            if tok == eos_id:
                # an ending counts only if it is among the beam_width best
                # candidates (so that beam_width=1 is exactly greedy)
                if rank < beam_width:
                    finished.append((seq[start:], float(flat[idx])))
            elif len(new_beams) < beam_width:
                new_beams.append((seq, float(flat[idx])))
        beams = new_beams
        if step == max_len - 1:  # live beams end here without eos
            finished.extend((seq[start:], s) for seq, s in beams)
            break
        if not beams:
            break
        if len(finished) >= beam_width:
            # stop when no live beam can still beat the beam_width-th best
            # finished score: log p only decreases, and the length
            # normalization can at most divide by (max_len + 1) ** length_penalty
            kth = sorted((score(len(ids), lp) for ids, lp in finished),
                         reverse=True)[beam_width - 1]
            best_live = max(s for _, s in beams) / (max_len + 1) ** length_penalty
            if best_live <= kth:
                break
    ranked = sorted(((list(map(int, ids)), lp, score(len(ids), lp)) for ids, lp in finished),
                    key=lambda r: -r[2])
    ranked = [(_cut([ids], eos_id)[0], lp, sc) for ids, lp, sc in ranked]
    if return_all:
        return ranked
    return ranked[0][0]
