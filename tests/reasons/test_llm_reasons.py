"""The language-model reason generators: prompts, few-shot examples,
constrained decoding and PEPLER-style fine-tuning (on a small world)."""
import numpy as np
import pytest

from reclib.data.aspects import extract_aspects
from reclib.data.splits import random_split
from reclib.llm.smollm import load_smollm2
from reclib.reasons.llm import PromptedLMReasons, aspect_word_tokens, clean_reason
from reclib.reasons.pepler import N_SOFT, PeplerReasons, _BatchLoss
from reclib.reasons.templates import TemplateReasons


@pytest.fixture(scope="module")
def setup(world_150x60):
    w = world_150x60
    train, test = random_split(w.ratings, 0.2, seed=0)
    pairs = test.iloc[:8]
    template = TemplateReasons(seed=0).fit(train, items=w.items, users=w.users)
    grounding = [template.predicted_aspect(u, i) for u, i in zip(pairs.user_id, pairs.item_id)]
    return w, train, pairs, template, grounding


@pytest.fixture(scope="module")
def lm():
    return load_smollm2()


@pytest.fixture(scope="module")
def prompted(setup, lm):
    w, train = setup[:2]
    return {name: PromptedLMReasons(lm=lm, max_new_tokens=24, **kw).fit(train, items=w.items, users=w.users)
            for name, kw in {"zero": {}, "few": dict(examples=2),
                             "constrained": dict(examples=2, constrained=True)}.items()}


def test_prompt_states_the_evidence(prompted, setup):
    w, _, pairs, _, grounding = setup
    u, i = int(pairs.user_id.iloc[0]), int(pairs.item_id.iloc[0])
    text = prompted["zero"].prompt_text(u, i, "battery", "positive")
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\n")
    assert w.items.title[i] in text and "battery" in text and w.users.context[u] in text
    assert "Reviews by other shoppers" not in text


def test_few_shot_examples_are_other_shoppers_reviews_of_the_same_kind(prompted, setup):
    w, train, pairs, _, grounding = setup
    gen = prompted["few"]
    for (u, i), (a, s) in zip(zip(pairs.user_id, pairs.item_id), grounding):
        shots = gen.few_shot_examples(u, i, a, s)
        same = train[(train.aspect == a) & (train.sentiment == s) & (train.user_id != u)
                     & (w.items.category.to_numpy()[train.item_id] == w.items.category[i])]
        assert len(shots) == min(2, len(same))
        assert set(shots) <= set(same.text)
        assert shots == gen.few_shot_examples(u, i, a, s)  # the same every time


def test_generation_is_deterministic_and_one_sentence(prompted, setup):
    _, _, pairs, _, grounding = setup
    gen = prompted["zero"]
    a = gen.generate(pairs.user_id, pairs.item_id, aspects=grounding)
    b = gen.generate(pairs.user_id, pairs.item_id, aspects=grounding)
    assert a == b and len(a) == len(pairs)
    assert all(isinstance(t, str) and "\n" not in t for t in a)
    assert gen.count_params() == 134_515_008


def test_constrained_decoding_never_names_an_absent_aspect(prompted, setup):
    w, _, pairs, template, grounding = setup
    gen = prompted["constrained"]
    has = template.evidence_.item_aspects
    bias = gen.logit_bias(pairs.item_id.to_numpy())
    table = aspect_word_tokens(gen.lm_.tokenizer, gen.aspects_)
    for r, item in enumerate(pairs.item_id):
        allowed = {t for a in has[item] for t in table[a]}
        for aspect, ids in table.items():
            if aspect in has[item]:
                assert (bias[r, ids] == 0).all()
            else:
                assert (bias[r, [t for t in ids if t not in allowed]] < -1e8).all()
    texts = gen.generate(pairs.user_id, pairs.item_id, aspects=grounding)
    for text, item in zip(texts, pairs.item_id):
        named = {a for a, _ in extract_aspects(text, gen.aspects_)}
        assert named <= set(has[item]), (text, has[item])
    assert not prompted["zero"].logit_bias(pairs.item_id.to_numpy()).any()


def test_bad_arguments_are_named(prompted, setup):
    _, _, pairs, _, grounding = setup
    with pytest.raises(ValueError, match="examples"):
        PromptedLMReasons(examples=-1)
    with pytest.raises(ValueError, match="constrained"):
        PromptedLMReasons(constrained="yes")
    with pytest.raises(ValueError, match="decodes greedily"):
        prompted["zero"].generate(pairs.user_id, pairs.item_id, aspects=grounding,
                                  temperature=0.5)
    with pytest.raises(ValueError, match="grounded"):
        prompted["zero"].generate(pairs.user_id, pairs.item_id)


def test_clean_reason_keeps_the_first_sentence():
    assert clean_reason('"Reason: Great battery. Also fast."\nMore') == "Great battery."
    assert clean_reason("  The screen is sharp  ") == "The screen is sharp"


# --------------------------------------------------------------------- PEPLER
def frozen_weights(backbone):
    top, bottom = backbone.get_layer("transformer_layer_29"), backbone.get_layer("transformer_layer_0")
    return {"top query": top._self_attention_layer._query_dense._kernel,
            "top gate": top._feedforward_gate_dense.kernel,
            "bottom query": bottom._self_attention_layer._query_dense.kernel,
            "embedding": backbone.token_embedding.embeddings}


@pytest.fixture(scope="module")
def pepler(setup):
    w, train = setup[:2]
    model = load_smollm2()  # its own copy: fine-tuning changes the backbone
    before = {k: np.asarray(v).copy() for k, v in frozen_weights(model.backbone).items()}
    gen = PeplerReasons(lm=model, prompt_steps=2, lora_steps=3, lora_layers=2, batch_size=4,
                        max_reviews=64, max_new_tokens=16, seed=0)
    gen.fit(train, items=w.items, users=w.users)
    return gen, before


def test_pepler_trains_prompts_and_lora_only(pepler, setup):
    gen, before = pepler
    w = setup[0]
    for name, v in frozen_weights(gen.lm_.backbone).items():
        assert np.array_equal(np.asarray(v), before[name]), name  # frozen
    # the top layer's effective query kernel (frozen kernel + LoRA's B A) has moved
    query = gen.lm_.backbone.get_layer("transformer_layer_29")._self_attention_layer._query_dense
    assert not np.array_equal(np.asarray(query.kernel), before["top query"])
    lora_b = [v for v in gen.lm_.backbone.weights if "lora_kernel_b" in v.path]
    assert len(lora_b) == 2 * 2 and any(np.abs(np.asarray(v)).max() > 0 for v in lora_b)
    # Keras factorises an EinsumDense kernel (hidden, heads, head_dim) as
    # A (hidden, heads, rank) times B (rank, head_dim)
    rank, hidden, head_dim = 4, 576, 64
    per_layer = sum(hidden * heads * rank + rank * head_dim for heads in (9, 3))  # query, value
    assert gen.trainable_count() == (w.n_users + w.n_items) * hidden + 2 * per_layer
    assert gen.history_["stage"] == ["prompt"] * 2 + ["lora"] * 3
    lengths = [len(gen.lm_.tokenizer.encode(" " + t)) for t in setup[1].text]
    assert gen.skipped_reviews_ == sum(n > gen.max_tokens for n in lengths)
    assert np.isfinite(gen.history_["loss"]).all()


def test_pepler_loss_covers_the_review_only(pepler, setup):
    gen = pepler[0]
    train = setup[1]
    rows = train.iloc[:3]
    ids, mask, targets, weights = gen.encode_reviews(rows)
    long = train.iloc[:1].assign(text=" ".join(["word"] * 40))
    with pytest.raises(ValueError, match="more than max_tokens"):
        gen.encode_reviews(long)
    tok = gen.lm_.tokenizer
    for r, text in enumerate(rows.text):
        scored = targets[r][weights[r] > 0]
        assert scored[-1] == tok.im_end_id
        assert tok.decode(scored[:-1]).strip() == text
        assert mask[r].sum() == len(np.trim_zeros(ids[r, N_SOFT:], "b")) + N_SOFT


def test_pepler_generates_per_pair(pepler, setup):
    _, _, pairs, _, grounding = setup
    gen = pepler[0]
    texts = gen.generate(pairs.user_id, pairs.item_id, aspects=grounding)
    assert len(texts) == len(pairs) and texts == gen.generate(pairs.user_id, pairs.item_id,
                                                              aspects=grounding)
    with pytest.raises(ValueError, match="lora_rank"):
        PeplerReasons(lora_rank=0)


def test_batch_loss_recovers_each_batch_from_running_means():
    history = {"stage": [], "loss": []}
    cb = _BatchLoss(history, "x")
    losses = [3.0, 1.0, 2.0, 6.0]
    for k in range(len(losses)):
        cb.on_train_batch_end(k, {"loss": float(np.mean(losses[:k + 1]))})
    assert np.allclose(history["loss"], losses)
