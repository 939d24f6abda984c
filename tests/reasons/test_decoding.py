"""Tests for reclib.reasons.decoding with hand-made Markov-chain step functions."""
import numpy as np
import pytest

from reclib.reasons.decoding import beam_search, filter_logits, greedy, sample, softmax

PAD, BOS, EOS = 0, 1, 2
A, B, C, D, E, F = 3, 4, 5, 6, 7, 8
V = 9


def chain(rows, floor=1e-6):
    """step_fn of a Markov chain: rows[last_token] = {next_token: probability}."""
    P = np.full((V, V), floor)
    for s, nxt in rows.items():
        for t, p in nxt.items():
            P[s, t] = p
    P /= P.sum(axis=1, keepdims=True)
    logP = np.log(P)
    calls = []

    def step_fn(tokens):
        tokens = np.asarray(tokens)
        assert tokens.ndim == 2
        calls.append(tokens.shape)
        return logP[tokens[:, -1]]

    step_fn.calls = calls
    step_fn.logP = logP
    return step_fn


def logprob(step_fn, seq):
    """Total log-probability of bos + seq + eos under a chain."""
    path = [BOS] + list(seq) + [EOS]
    return sum(step_fn.logP[a, b] for a, b in zip(path, path[1:]))


# greedy is myopic here: A looks best first, but every continuation of A is
# uncertain, while B -> F -> eos is almost sure.
MYOPIC = {BOS: {A: 0.55, B: 0.45}, A: {C: 0.34, D: 0.33, E: 0.33}, B: {F: 0.95, C: 0.05},
          C: {EOS: 1.0}, D: {EOS: 1.0}, E: {EOS: 1.0}, F: {EOS: 1.0}}


def random_chain(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(V, V)) * 2
    logits[:, PAD] = -np.inf
    logits[:, BOS] = -np.inf

    def step_fn(tokens):
        return logits[np.asarray(tokens)[:, -1]]

    return step_fn


# ------------------------------------------------------------------ greedy
def test_greedy_follows_argmax_path():
    f = chain({BOS: {A: 0.6, B: 0.4}, A: {C: 0.7, EOS: 0.3}, C: {EOS: 0.9, A: 0.1}})
    assert greedy(f, BOS, EOS, max_len=10) == [[A, C]]
    assert len(f.calls) == 3  # stops once every row emitted eos


def test_greedy_respects_max_len_and_prefix_and_batch():
    loop = chain({BOS: {A: 1.0}, A: {B: 1.0}, B: {A: 1.0}})
    assert greedy(loop, BOS, EOS, max_len=5) == [[A, B, A, B, A]]
    f = chain(MYOPIC)
    assert greedy(f, BOS, EOS, 5, batch_size=2, prefix=[[A], [B]]) == [[C], [F]]
    assert greedy(f, BOS, EOS, 5, batch_size=3, prefix=[B]) == [[F]] * 3


def test_greedy_finished_rows_are_fed_eos():
    f = chain({BOS: {A: 1.0}, A: {EOS: 1.0}, B: {C: 1.0}, C: {D: 1.0}, D: {EOS: 1.0}})
    out = greedy(f, BOS, EOS, 10, batch_size=2, prefix=[[A], [B]])
    assert out == [[], [C, D]]


def test_greedy_with_a_keras_model():
    import reclib  # noqa: F401  (backend)
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              keras.layers.Embedding(V, 8), keras.layers.Dense(V)])

    def step_fn(tokens):
        return model(tokens)[:, -1, :]  # a tensor, not a NumPy array

    out = greedy(step_fn, BOS, EOS, max_len=4, batch_size=2)
    # reference: the same loop by hand
    toks = np.full((2, 1), BOS)
    for _ in range(4):
        nxt = np.argmax(keras.ops.convert_to_numpy(step_fn(toks)), axis=1)
        toks = np.concatenate([toks, nxt[:, None]], axis=1)
    ref = [list(r[1:]) for r in toks]
    ref = [r[: r.index(EOS)] if EOS in r else r for r in ref]
    assert out == ref


# ------------------------------------------------------------------ beam search
def test_beam_search_beats_myopic_greedy():
    f = chain(MYOPIC)
    g = greedy(f, BOS, EOS, 5)[0]
    b = beam_search(f, BOS, EOS, 5, beam_width=2)
    assert g == [A, C] and b == [B, F]
    assert logprob(f, b) > logprob(f, g) + 0.5


def test_beam_width_one_is_greedy():
    for seed in range(5):
        f = random_chain(seed)
        assert beam_search(f, BOS, EOS, 8, beam_width=1) == greedy(f, BOS, EOS, 8)[0]


def test_wide_beam_finds_the_exact_optimum():
    """Against brute force over every output of at most 3 tokens."""
    import itertools

    tokens = [EOS, A, B, C, D, E, F]
    for seed in range(3):
        rng = np.random.default_rng(seed)
        f = chain({s: dict(zip(tokens, rng.dirichlet(np.full(len(tokens), 0.5))))
                   for s in [BOS] + tokens})
        best = -np.inf
        for n in range(4):
            for seq in itertools.product(tokens[1:], repeat=n):
                path = [BOS, *seq] + ([EOS] if n < 3 else [])  # at max_len no eos needed
                best = max(best, sum(f.logP[x, y] for x, y in zip(path, path[1:])))
        ranked = beam_search(f, BOS, EOS, 3, beam_width=500, return_all=True)
        assert ranked[0][1] == pytest.approx(best)
        assert ranked[0][0] == beam_search(f, BOS, EOS, 3, beam_width=500)
        scores = [sc for _, _, sc in ranked]
        assert scores == sorted(scores, reverse=True)
        for ids, lp, _ in ranked:  # reported log-probabilities are right
            if len(ids) < 3:
                assert lp == pytest.approx(logprob(f, ids))


def test_length_penalty_prefers_longer_outputs():
    f = chain({BOS: {EOS: 0.5, A: 0.5}, A: {B: 0.9, EOS: 0.1}, B: {EOS: 0.9, C: 0.1}})
    assert beam_search(f, BOS, EOS, 5, beam_width=3, length_penalty=0.0) == []
    assert beam_search(f, BOS, EOS, 5, beam_width=3, length_penalty=1.0) == [A, B]


# ------------------------------------------------------------------ filtering
def test_filter_logits_top_p_keeps_smallest_nucleus():
    probs = np.array([0.15, 0.5, 0.05, 0.3])
    logits = np.log(probs) + 7.0  # a shift does not change the distribution
    kept = lambda p: set(np.flatnonzero(np.isfinite(filter_logits(logits, top_p=p))))  # noqa
    assert kept(0.4) == {1}
    assert kept(0.5) == {1}
    assert kept(0.8) == {1, 3}          # 0.5 + 0.3 reaches 0.8 exactly
    assert kept(0.81) == {1, 3, 0}
    assert kept(1.0) == {0, 1, 2, 3}
    out = filter_logits(logits, top_p=0.8)
    assert softmax(out)[[1, 3]] == pytest.approx([0.5 / 0.8, 0.3 / 0.8])
    assert out[1] == logits[1]  # kept logits are unchanged


def test_filter_logits_top_k_and_batch():
    logits = np.array([[1.0, 3.0, 2.0, 0.0], [0.0, 0.0, 5.0, 1.0]])
    out = filter_logits(logits, top_k=2)
    assert np.isfinite(out).tolist() == [[False, True, True, False], [False, False, True, True]]
    assert np.isfinite(filter_logits(logits, top_k=10)).all()
    # top-k then top-p
    out = filter_logits(np.log([0.4, 0.3, 0.2, 0.1]), top_k=3, top_p=0.5)
    assert np.isfinite(out).tolist() == [True, True, False, False]


# ------------------------------------------------------------------ sampling
def test_top_k_one_and_cold_temperature_equal_greedy():
    for seed in range(4):
        f = random_chain(seed)
        g = greedy(f, BOS, EOS, 8, batch_size=3)
        assert sample(f, BOS, EOS, 8, batch_size=3, top_k=1, seed=seed) == g
        assert sample(f, BOS, EOS, 8, batch_size=3, temperature=1e-4, seed=seed) == g


def test_sampling_is_reproducible():
    f = random_chain(7)
    a = sample(f, BOS, EOS, 10, batch_size=8, seed=123)
    assert a == sample(f, BOS, EOS, 10, batch_size=8, seed=123)
    assert a != sample(f, BOS, EOS, 10, batch_size=8, seed=124)


@pytest.mark.parametrize("temperature,top_k,top_p", [(1.0, None, None), (2.0, None, None),
                                                     (0.5, 3, None), (1.0, None, 0.7)])
def test_sampling_frequencies_match_softmax(temperature, top_k, top_p):
    logits = np.array([-np.inf, -np.inf, 0.5, 1.0, 0.2, -0.3, 1.5, 0.0, -1.0])

    def step_fn(tokens):
        return np.tile(logits, (len(tokens), 1))

    n = 20000
    out = sample(step_fn, BOS, EOS, 1, batch_size=n, temperature=temperature,
                 top_k=top_k, top_p=top_p, seed=0)
    counts = np.bincount([r[0] if r else EOS for r in out], minlength=V) / n
    expected = softmax(filter_logits(logits / temperature, top_k, top_p))
    assert counts == pytest.approx(expected, abs=0.02)
    assert counts[expected == 0].sum() == 0  # filtered tokens never appear


# ------------------------------------------------------------------ errors
F0 = chain(MYOPIC)


@pytest.mark.parametrize("call,msg", [
    (lambda: sample(F0, BOS, EOS, 5, temperature=0), "temperature"),
    (lambda: sample(F0, BOS, EOS, 5, temperature=-1.0), "temperature"),
    (lambda: sample(F0, BOS, EOS, 5, top_p=0.0), "top_p"),
    (lambda: sample(F0, BOS, EOS, 5, top_p=1.5), "top_p"),
    (lambda: sample(F0, BOS, EOS, 5, top_k=0), "top_k"),
    (lambda: filter_logits([1.0, 2.0], top_p=0), "top_p"),
    (lambda: filter_logits([[[1.0]]]), "shape"),
    (lambda: filter_logits([1.0, np.nan]), "NaN"),
    (lambda: beam_search(F0, BOS, EOS, 5, beam_width=0), "beam_width"),
    (lambda: beam_search(F0, BOS, EOS, 5, length_penalty=-1), "length_penalty"),
    (lambda: beam_search(F0, BOS, EOS, 0), "max_len"),
    (lambda: greedy(F0, BOS, EOS, 0), "max_len"),
    (lambda: sample(F0, BOS, EOS, 0), "max_len"),
    (lambda: greedy(F0, BOS, EOS, 5, batch_size=0), "batch_size"),
    (lambda: greedy(F0, BOS, EOS, 5, batch_size=2, prefix=[[A], [B], [C]]), "prefix"),
    (lambda: greedy(lambda t: np.zeros((5, V)), BOS, EOS, 5), "shape"),
    (lambda: greedy(lambda t: np.full((1, V), np.nan), BOS, EOS, 5), "NaN"),
    (lambda: greedy(lambda t: np.full((1, V), -np.inf), BOS, EOS, 5), "all -inf"),
])
def test_errors(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
