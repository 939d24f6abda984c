"""Tests for the reason generators: retrieval, seq2seq, GAN and PETER-style
Transformer, on a tiny ShopSim world (150 users, 60 items) and on a tiny
hotel-review table with other aspects.

Models are trained once per module with small sizes.
"""
import numpy as np
import pandas as pd
import pytest
from keras import ops

from reclib.checks import NotFittedError
from reclib.data.aspects import extract_aspects
from reclib.data.splits import random_split
from reclib.protocol import Reason, ReasonGenerator
from reclib.reasons import decoding
from reclib.reasons.base import NeuralReasons
from reclib.reasons.gan import GANReasons
from reclib.reasons.retrieval import RetrievalReasons, adapt_text, demonstrative
from reclib.reasons.seq2seq import Seq2SeqReasons
from reclib.reasons.templates import TemplateReasons
from reclib.reasons.transformer import TransformerReasons, peter_mask

SMALL = dict(max_len=12)
TINY_S2S = dict(emb_dim=32, hidden=64, epochs=4, batch_size=32, seed=0, **SMALL)
TINY_PETER = dict(d_model=32, n_heads=2, n_layers=1, d_ff=64, epochs=4, batch_size=32, seed=0,
                  **SMALL)


@pytest.fixture(scope="module")
def world(world_150x60):
    return world_150x60


@pytest.fixture(scope="module")
def split(world):
    return random_split(world.ratings, 0.2, seed=0)


@pytest.fixture(scope="module")
def tables(world):
    return dict(items=world.items, users=world.users)


@pytest.fixture(scope="module")
def s2s(split, tables):
    return Seq2SeqReasons(grounded=True, **TINY_S2S).fit(split[0], **tables)


@pytest.fixture(scope="module")
def peter(split, tables):
    return TransformerReasons(grounded=True, **TINY_PETER).fit(split[0], **tables)


@pytest.fixture(scope="module")
def gan(split, tables, s2s):
    return GANReasons(grounded=True, adv_steps=40, adv_batch_size=32, d_learning_rate=3e-3,
                      seed=0, **SMALL).fit(split[0], pretrained=s2s, **tables)


@pytest.fixture(scope="module")
def factors(world):
    rng = np.random.default_rng(0)
    return rng.normal(size=(len(world.users), 3)), rng.normal(size=(len(world.items), 3))


@pytest.fixture(scope="module")
def retrieval(split, tables, factors):
    P, Q = factors
    return RetrievalReasons(seed=0).fit(split[0], user_factors=P, item_factors=Q, **tables)


def pairs(split, n=40):
    test = split[1].head(n)
    return (test["user_id"].to_numpy(), test["item_id"].to_numpy(),
            list(zip(test["aspect"], test["sentiment"])))


# ------------------------------------------------------------------ interface
@pytest.mark.parametrize("name", ["s2s", "peter", "gan", "retrieval"])
def test_interface(name, request, split, world):
    gen = request.getfixturevalue(name)
    assert isinstance(gen, ReasonGenerator)
    users, items, aspects = pairs(split)
    kw = dict(aspects=aspects) if gen.grounded else {}
    for method in ("greedy", "sample"):
        out = gen.generate(users, items, method=method, **kw)
        assert isinstance(out, list) and len(out) == len(users)
        assert all(isinstance(t, str) for t in out)
    assert sum(len(t) > 0 for t in out) >= len(out) - 2
    one = gen.generate_one(int(users[0]), int(items[0]),
                           **(dict(aspect=aspects[0]) if gen.grounded else {}))
    assert isinstance(one, Reason) and one.text
    assert one.aspects == extract_aspects(one.text, gen.aspects_)
    assert gen.count_params() > 0
    assert isinstance(gen.fit_time_, float)
    assert set(gen.aspects_) == set(split[0]["aspect"])


@pytest.mark.parametrize("name", ["s2s", "peter"])
def test_beam_and_sampling_settings(name, request, split):
    gen = request.getfixturevalue(name)
    users, items, aspects = pairs(split, 3)
    beam = gen.generate(users, items, aspects=aspects, method="beam", beam_width=3)
    assert len(beam) == 3 and all(isinstance(t, str) for t in beam)
    a = gen.generate(users, items, aspects=aspects, method="sample", temperature=0.8, seed=1)
    b = gen.generate(users, items, aspects=aspects, method="sample", temperature=0.8, seed=1)
    assert a == b  # same seed, same texts
    # a very cold temperature is greedy decoding
    cold = gen.generate(users, items, aspects=aspects, method="sample", temperature=1e-4)
    assert cold == gen.generate(users, items, aspects=aspects, method="greedy")


def test_history_and_perplexity(s2s, peter, split):
    for gen in (s2s, peter):
        nll = gen.history_["nll"]
        assert len(nll) == gen.epochs and nll[-1] < nll[0]
        vocab = len(gen.vocab_)
        ppl = gen.perplexity(split[1])
        assert 1.0 < ppl < vocab / 4  # much better than a uniform guess over the vocabulary
    assert set(s2s.history_) == {"loss", "nll", "rating_mse"}
    assert set(peter.history_) == {"loss", "nll", "context_nll", "rating_mse"}


def test_sampling_is_more_diverse_than_greedy(s2s, split):
    users, items, aspects = pairs(split, 80)
    greedy = s2s.generate(users, items, aspects=aspects)
    sampled = s2s.generate(users, items, aspects=aspects, method="sample", temperature=1.0)
    assert len(set(sampled)) > len(set(greedy))


def _cached_vs_full(gen, users, items, aspects, n_tokens):
    from reclib.checks import check_pairs

    u, i = check_pairs(users, items, gen.n_users_, gen.n_items_)
    u, i, a, s = gen._query(u, i, aspects)
    bos, eos = gen.vocab_.bos_id, gen.vocab_.eos_id
    cached = decoding.greedy(gen._step_fn(u, i, a, s), bos, eos, n_tokens, batch_size=len(u))
    full = decoding.greedy(super(Seq2SeqReasons, gen)._step_fn(u, i, a, s), bos, eos,
                           n_tokens, batch_size=len(u))
    return cached, full


def test_cached_decoding_matches_full_recomputation(s2s, split):
    users, items, aspects = pairs(split, 12)
    cached, full = _cached_vs_full(s2s, users, items, aspects, 10)
    assert cached == full


def test_lstm_decoder(split, tables):
    gen = Seq2SeqReasons(rnn="lstm", emb_dim=16, hidden=16, epochs=1, max_reviews=200, **SMALL)
    gen.fit(split[0], **tables)
    users, items, _ = pairs(split, 5)
    cached, full = _cached_vs_full(gen, users, items, None, 8)
    assert cached == full and len(gen.generate(users, items, method="sample")) == 5


# ------------------------------------------------------------------ Keras 3 use
def test_training_goes_through_fit_callbacks_and_validation(split, tables):
    import keras

    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(logs))
    stop = keras.callbacks.EarlyStopping(monitor="val_nll", mode="min", patience=0)
    gen = Seq2SeqReasons(emb_dim=16, hidden=16, epochs=6, max_reviews=400, **SMALL)
    gen.fit(split[0], validation=split[1].head(100), callbacks=[record, stop], **tables)
    assert len(seen) == len(gen.history_["nll"]) <= 6
    assert {"loss", "nll", "rating_mse", "val_nll", "val_loss"} <= set(seen[0])
    assert gen.history_["val_nll"] == [logs["val_nll"] for logs in seen]


def test_no_global_random_state_is_touched(split, tables):
    np.random.seed(123)
    import random

    random.seed(7)
    before = (np.random.random(), random.random())
    np.random.seed(123)
    random.seed(7)
    Seq2SeqReasons(emb_dim=8, hidden=8, epochs=1, max_reviews=200, **SMALL).fit(split[0], **tables)
    assert (np.random.random(), random.random()) == before


@pytest.mark.parametrize("make", [
    lambda: Seq2SeqReasons(grounded=True, emb_dim=16, hidden=16, epochs=2, max_reviews=600,
                           **SMALL),
    lambda: TransformerReasons(grounded=True, d_model=16, n_heads=2, n_layers=1, d_ff=32,
                               epochs=2, max_reviews=600, dropout=0.1, **SMALL),
], ids=["seq2seq", "transformer"])
def test_same_seed_same_texts(make, split, tables):
    users, items, aspects = pairs(split, 20)
    runs = []
    for _ in range(2):
        gen = make().fit(split[0], **tables)
        runs.append((gen.history_, gen.generate(users, items, aspects=aspects, method="sample")))
    assert runs[0] == runs[1]
    other = make()
    other.seed = 1
    other.fit(split[0], **tables)
    assert other.history_ != runs[0][0]


def test_gan_is_deterministic(split, tables, s2s, gan):
    users, items, aspects = pairs(split, 20)
    again = GANReasons(grounded=True, adv_steps=40, adv_batch_size=32, d_learning_rate=3e-3,
                       seed=0, **SMALL).fit(split[0], pretrained=s2s, **tables)
    assert again.history_ == gan.history_
    assert again.generate(users, items, aspects=aspects, method="sample") == \
        gan.generate(users, items, aspects=aspects, method="sample")


@pytest.mark.parametrize("name", ["peter", "gan"])
def test_save_and_load_round_trip(name, request, split, tmp_path):
    gen = request.getfixturevalue(name)
    users, items, aspects = pairs(split, 15)
    path = gen.save(tmp_path / name)
    assert (path / "net.keras").is_file() and (path / "generator.json").is_file()
    back = NeuralReasons.load(path)
    assert type(back) is type(gen) and back.aspects_ == gen.aspects_
    for method in ("greedy", "sample"):
        assert back.generate(users, items, aspects=aspects, method=method) == \
            gen.generate(users, items, aspects=aspects, method=method)
    assert back.perplexity(split[1].head(50)) == pytest.approx(gen.perplexity(split[1].head(50)))
    assert back.count_params() == gen.count_params()
    if name == "gan":
        np.testing.assert_allclose(
            back.discriminate(users, items, list(split[1]["text"].head(15)), aspects=aspects),
            gen.discriminate(users, items, list(split[1]["text"].head(15)), aspects=aspects),
            atol=1e-6)
    with pytest.raises(ValueError, match="not a (Seq2Seq|Transformer)Reasons"):
        Seq2SeqReasons.load(path) if name == "peter" else TransformerReasons.load(path)
    with pytest.raises(ValueError, match="not a saved generator"):
        NeuralReasons.load(tmp_path / "nothing")


# ------------------------------------------------------------------ grounding
def _given_vs_other(gen, world, split, n=120, seed=0):
    """Share of texts naming the aspect they were given, and naming a
    different aspect of the same item that they were not given."""
    test = split[1].head(n)
    rng = np.random.default_rng(seed)
    given, other = [], []
    for item in test["item_id"]:
        has = [a for a in world.items.at[int(item), "aspects"].split(";") if a in gen.aspects_]
        pick = rng.choice(len(has), 2, replace=False)
        given.append(has[pick[0]])
        other.append(has[pick[1]])
    texts = gen.generate(test["user_id"].to_numpy(), test["item_id"].to_numpy(),
                         aspects=[(g, "positive") for g in given])
    words = [set(t.lower().replace(".", " ").replace(",", " ").split()) for t in texts]
    hit = np.mean([g in w for g, w in zip(given, words)])
    miss = np.mean([o in w for o, w in zip(other, words)])
    return hit, miss


@pytest.mark.parametrize("name", ["s2s", "peter"])
def test_grounded_generator_talks_about_the_given_aspect(name, request, world, split):
    gen = request.getfixturevalue(name)
    hit, miss = _given_vs_other(gen, world, split)
    assert hit > 0.5 and hit > miss + 0.3, (hit, miss)


def test_grounding_input_checks(s2s, split):
    users, items, aspects = pairs(split, 2)
    with pytest.raises(ValueError, match="grounded"):
        s2s.generate(users, items)
    with pytest.raises(ValueError, match="unknown aspect"):
        s2s.generate(users, items, aspects=["battery", "gills"])
    with pytest.raises(ValueError, match="sentiment"):
        s2s.generate(users, items, aspects=[("battery", "meh"), "screen"])
    with pytest.raises(ValueError, match="one entry per pair"):
        s2s.generate(users, items, aspects=["battery"])
    with pytest.raises(ValueError, match="aspect or an"):
        s2s.generate(users, items, aspects=[("battery", "positive", 1), "screen"])
    # an aspect alone (sentiment unknown) is accepted
    assert len(s2s.generate(users, items, aspects=["battery", "screen"])) == 2


def test_ungrounded_model_refuses_aspects(world, split):
    gen = Seq2SeqReasons(emb_dim=16, hidden=16, epochs=1, max_reviews=300, **SMALL)
    gen.fit(split[0], items=world.items)
    users, items, _ = pairs(split, 2)
    assert len(gen.generate(users, items)) == 2
    with pytest.raises(ValueError, match="not grounded"):
        gen.generate(users, items, aspects=["battery", "screen"])
    assert gen.n_train_ == 300


# ------------------------------------------------------------------ other data: hotels
HOTEL_ASPECTS = ("breakfast", "location", "room", "service")


def _hotel_check(gen, reviews, hotels, grounded):
    assert gen.aspects_ == HOTEL_ASPECTS
    pairs_ = reviews.drop_duplicates("item_id").head(10)
    users, items = pairs_["user_id"].to_numpy(), pairs_["item_id"].to_numpy()
    asked = [HOTEL_ASPECTS[k % 4] for k in range(len(users))]
    texts = gen.generate(users, items, aspects=asked if grounded else None)
    named = [[a for a, _ in extract_aspects(t, HOTEL_ASPECTS)] for t in texts]
    assert sum(bool(n) for n in named) >= 7, texts  # most reasons name a hotel aspect
    if grounded:
        assert np.mean([a in n for a, n in zip(asked, named)]) >= 0.7, texts
    reason = gen.generate_one(int(users[0]), int(items[0]),
                              **({"aspect": asked[0]} if grounded else {}))
    assert {a for a, _ in reason.aspects} <= set(HOTEL_ASPECTS)
    return texts


@pytest.mark.parametrize("make, grounded", [
    (lambda: TemplateReasons(seed=0), False),
    (lambda: RetrievalReasons(n_factors=4, mf_epochs=2, seed=0), False),
    (lambda: Seq2SeqReasons(grounded=True, emb_dim=16, hidden=32, epochs=25, batch_size=16,
                            max_len=12), True),
    (lambda: TransformerReasons(grounded=True, d_model=16, n_heads=2, n_layers=1, d_ff=32,
                                epochs=25, batch_size=16, max_len=12), True),
], ids=["template", "retrieval", "seq2seq", "transformer"])
def test_generators_fit_on_hotel_reviews(make, grounded, hotel_reviews):
    reviews, hotels = hotel_reviews
    gen = make().fit(reviews, items=hotels)
    texts = _hotel_check(gen, reviews, hotels, grounded)
    from reclib.data.text import tokenize

    words = set(tokenize(" ".join(texts)))
    assert not words & {"battery", "screen", "comfort"}  # no ShopSim aspect


def test_gan_fits_on_hotel_reviews(hotel_reviews):
    reviews, hotels = hotel_reviews
    gan = GANReasons(grounded=True, emb_dim=16, hidden=32, pretrain_epochs=25, batch_size=16,
                     adv_steps=5, adv_batch_size=16, max_len=12).fit(reviews, items=hotels)
    _hotel_check(gan, reviews, hotels, grounded=True)
    assert len(gan.history_["d_loss"]) == 5 and len(gan.pretrain_history_["nll"]) == 25


def test_aspects_can_be_passed_and_are_checked(hotel_reviews):
    reviews, hotels = hotel_reviews
    vocab = ("breakfast", "location", "pool", "room", "service")
    gen = TemplateReasons().fit(reviews, items=hotels, aspects=vocab)
    assert gen.aspects_ == vocab
    with pytest.raises(ValueError, match="unknown aspect"):
        TemplateReasons().fit(reviews, items=hotels, aspects=("location", "room"))


# ------------------------------------------------------------------ PETER mask
def test_peter_mask():
    m = ops.convert_to_numpy(peter_mask(4))  # user, item, <bos>, w1, w2, w3
    assert m.shape == (6, 6) and m.dtype == bool
    assert m[0, 1]  # the user position sees the item
    assert m[0, 0] and m[1, 0] and m[1, 1]
    assert not m[1, 2:].any()  # the item sees no word
    for q in range(2, 6):  # word positions: causal
        assert m[q, : q + 1].all() and not m[q, q + 1:].any()
    assert not m[0, 2:].any()  # the user sees no word either
    # nothing but the user->item exception looks ahead
    ahead = np.triu(m, k=1)
    assert ahead.sum() == 1 and ahead[0, 1]
    g = ops.convert_to_numpy(peter_mask(3, n_context=3))  # with a grounding token
    assert g.shape == (6, 6) and g[0, 1] and not g[0, 2] and not g[1, 2] and g[2, :3].all()
    with pytest.raises(ValueError):
        peter_mask(-1)
    with pytest.raises(ValueError):
        peter_mask(3, n_context=1)


def test_peter_words_do_not_see_the_future(peter):
    u = np.array([0, 1], np.int32)
    i = np.array([2, 3], np.int32)
    a = np.array([0, 1], np.int32)
    s = np.array([1, 0], np.int32)
    tok = np.array([[1, 5, 6, 7, 8, 9], [1, 9, 8, 7, 6, 5]], np.int32)
    changed = tok.copy()
    changed[:, 4:] = 10
    w1, c1, r1 = [ops.convert_to_numpy(x) for x in peter.net_((u, i, a, s, tok))]
    w2, c2, r2 = [ops.convert_to_numpy(x) for x in peter.net_((u, i, a, s, changed))]
    np.testing.assert_allclose(w1[:, :4], w2[:, :4], atol=1e-5)  # earlier positions unchanged
    assert np.abs(w1[:, 4:] - w2[:, 4:]).max() > 1e-4  # later ones do change
    np.testing.assert_allclose(c1, c2, atol=1e-5)  # context and rating see no word
    np.testing.assert_allclose(r1, r2, atol=1e-5)


def test_attention_projections_start_different():
    from reclib.reasons.transformer import PeterNet

    net = PeterNet(10, 5, 30, 13, 3, d_model=16, n_heads=2, n_layers=2, d_ff=32,
                   grounded=True, seed=0).build_now()
    att = net.blocks[1].att
    q, k, v = (ops.convert_to_numpy(d.kernel) for d in (att.query_dense, att.key_dense,
                                                          att.value_dense))
    assert not np.allclose(q, k) and not np.allclose(k, v)


def test_rating_heads(s2s, peter, split):
    test = split[1]
    for gen in (s2s, peter):
        pred = gen.predict_rating(test["user_id"], test["item_id"])
        assert pred.shape == (len(test),) and np.isfinite(pred).all()
        rmse = np.sqrt(np.mean((pred - test["rating"].to_numpy()) ** 2))
        spread = test["rating"].std()
        assert rmse < 1.5 * spread  # in the right range (not a scale bug)


def test_context_words(peter):
    words = peter.context_words(0, 5, aspect=("battery", "positive"), k=4)
    assert len(words) == 4 and all(isinstance(w, str) for w in words)
    with pytest.raises(ValueError, match="k must be"):
        peter.context_words(0, 5, aspect="battery", k=0)


# ------------------------------------------------------------------ GAN
def test_gan_history(gan):
    h = gan.history_
    assert set(h) == {"d_loss", "g_loss", "mle_loss", "d_real", "d_fake"}
    assert all(len(v) == gan.adv_steps for v in h.values())
    assert all(np.isfinite(v).all() for v in h.values())
    # the discriminator starts at chance, where L_D = 2 log 2, and then learns
    assert abs(h["d_loss"][0] - 2 * np.log(2)) < 0.1
    assert np.mean(h["d_loss"][-10:]) < h["d_loss"][0] - 0.05
    assert np.mean(h["d_real"][-10:]) > np.mean(h["d_fake"][-10:])
    assert gan.pretrain_history_ == {}
    assert gan.discriminator_.count_params() > 0


def test_gan_changes_the_generator_but_not_the_pretrained_model(gan, s2s):
    w_gan, w_pre = gan.net_.get_weights(), s2s.net_.get_weights()
    assert len(w_gan) == len(w_pre)
    assert any(not np.allclose(a, b) for a, b in zip(w_gan, w_pre))
    assert gan.vocab_ is s2s.vocab_


def test_gan_discriminate(gan, split):
    test = split[1].head(10)
    p = gan.discriminate(test["user_id"], test["item_id"], list(test["text"]),
                         aspects=list(zip(test["aspect"], test["sentiment"])))
    assert p.shape == (10,) and ((p > 0) & (p < 1)).all()
    with pytest.raises(ValueError, match="one text per pair"):
        gan.discriminate(test["user_id"], test["item_id"], ["a"], aspects=["battery"] * 10)


def test_gan_pretrained_must_match(world, split, s2s, hotel_reviews):
    with pytest.raises(ValueError, match="grounded"):
        GANReasons(grounded=False, adv_steps=1).fit(split[0], items=world.items,
                                                     users=world.users, pretrained=s2s)
    with pytest.raises(ValueError, match="fitted Seq2SeqReasons"):
        GANReasons(adv_steps=1).fit(split[0], items=world.items, pretrained=Seq2SeqReasons())
    with pytest.raises(ValueError, match="numbers of users"):
        GANReasons(grounded=True, adv_steps=1).fit(split[0], items=world.items,
                                                    pretrained=s2s, users=len(world.users) + 1)


# ------------------------------------------------------------------ retrieval
def test_adapt_text():
    src = dict(brand="Sonora", category="headphones")
    dst = dict(brand="Novaline", category="phone")
    text = ("Five weeks in with these Sonora headphones and I love the comfort during school. "
            "Sonora got this one right.")
    out = adapt_text(text, src, dst, "school", "travel")
    assert out == ("Five weeks in with this Novaline phone and I love the comfort during "
                   "travel. Novaline got this one right.")
    assert adapt_text("These Sonora headphones rock.", src, dst) == "This Novaline phone rock."
    assert demonstrative("running shoes") == "these" and demonstrative("skincare") == "this"
    # without brand or category columns nothing is swapped
    assert adapt_text("The room was clean.", {}, {"name": "Hotel 2"}) == "The room was clean."
    assert adapt_text("Love these Sonora headphones.", {"brand": "Sonora"},
                      {"brand": "Novaline"}) == "Love these Novaline headphones."


def test_retrieval_returns_an_adapted_training_review(retrieval, world, split):
    train = split[0]
    users, items, _ = pairs(split, 60)
    idx = retrieval.retrieve(users, items)
    texts = retrieval.generate(users, items)
    brands = world.items["brand"]
    checked = 0
    for k, j in enumerate(idx):
        src = retrieval.train_.iloc[j]
        assert src["text"] in set(train["text"])
        sb, tb = brands[src["item_id"]], brands[items[k]]
        if sb != tb and sb in src["text"]:
            assert tb in texts[k] and sb not in texts[k]
            checked += 1
    assert checked >= 5


def test_retrieval_is_nearest_in_factor_space(world, split):
    train = split[0]
    rng = np.random.default_rng(0)
    P = rng.normal(size=(150, 3))
    Q = rng.normal(size=(60, 3))
    gen = RetrievalReasons(adapt=False).fit(train, items=world.items, users=world.users,
                                            user_factors=P, item_factors=Q)
    assert gen.count_params() == P.size + Q.size
    keys = np.concatenate([P[train["user_id"]], Q[train["item_id"]]], axis=1)
    for u, i in [(0, 5), (7, 33), (149, 59)]:
        d = np.sum((keys - np.concatenate([P[u], Q[i]])) ** 2, axis=1)
        same = (train["user_id"].to_numpy() == u) & (train["item_id"].to_numpy() == i)
        d[same] = np.inf
        assert gen.generate_one(u, i).text == train["text"].iloc[int(np.argmin(d))]
    # a training pair never gets its own review back
    u, i = int(train["user_id"].iloc[0]), int(train["item_id"].iloc[0])
    assert gen.retrieve([u], [i])[0] != 0


def test_retrieval_with_aspects_and_sampling(retrieval, split):
    users, items, _ = pairs(split, 30)
    idx = retrieval.retrieve(users, items, aspects=[("battery", "negative")] * 30)
    assert (retrieval.train_["aspect"].iloc[idx] == "battery").all()
    assert (retrieval.train_["sentiment"].iloc[idx] == "negative").all()
    a = retrieval.retrieve(users, items, method="sample", seed=3)
    b = retrieval.retrieve(users, items, method="sample", seed=3)
    assert (a == b).all() and (a != retrieval.retrieve(users, items)).any()


def test_retrieval_with_a_fitted_mf(split, tables):
    from reclib.models.mf import MF

    mf = MF(n_factors=4, epochs=1, seed=0).fit(split[0], items=tables["items"],
                                              users=tables["users"])
    gen = RetrievalReasons(seed=0).fit(split[0], mf=mf, **tables)
    np.testing.assert_allclose(gen.P_, mf.user_factors, atol=1e-6)
    with pytest.raises(ValueError, match="not fitted"):
        RetrievalReasons().fit(split[0], mf=MF(), **tables)


# ------------------------------------------------------------------ errors
def _unfitted():
    return [Seq2SeqReasons(), TransformerReasons(), GANReasons(), RetrievalReasons(),
            TemplateReasons()]


@pytest.mark.parametrize("gen", _unfitted(), ids=lambda g: type(g).__name__)
def test_unfitted(gen):
    with pytest.raises(NotFittedError, match="not fitted"):
        gen.generate([0], [0])
    with pytest.raises(NotFittedError, match="not fitted"):
        gen.count_params()


@pytest.mark.parametrize("gen", _unfitted(), ids=lambda g: type(g).__name__)
def test_bad_training_data(gen, world):
    with pytest.raises(ValueError, match="empty"):
        gen.fit(world.ratings.iloc[:0], items=world.items)
    with pytest.raises(ValueError, match="missing column"):
        gen.fit(world.ratings.drop(columns="text"), items=world.items)
    bad = world.ratings.head(50).copy()
    bad.loc[0, "item_id"] = 10_000
    with pytest.raises(ValueError, match="unknown item"):
        gen.fit(bad, items=world.items)
    with pytest.raises(ValueError, match="DataFrame"):
        gen.fit([("a", "b")], items=world.items)
    with pytest.raises(TypeError):
        gen.fit(world.ratings, world.items)  # items is keyword-only


@pytest.mark.parametrize("name", ["s2s", "retrieval"])
def test_bad_queries(name, request, split):
    gen = request.getfixturevalue(name)
    kw = dict(aspects=["battery"]) if gen.grounded else {}
    with pytest.raises(ValueError, match="unknown user"):
        gen.generate([10_000], [0], **kw)
    with pytest.raises(ValueError, match="unknown item"):
        gen.generate([0], [-1], **kw)
    with pytest.raises(ValueError, match="same length"):
        gen.generate([0, 1], [0], **kw)
    with pytest.raises(ValueError, match="empty"):
        gen.generate([], [], **({"aspects": []} if kw else {}))
    with pytest.raises(ValueError, match="method"):
        gen.generate([0], [0], method="telepathy", **kw)
    with pytest.raises(ValueError, match="unknown decoding option"):
        gen.generate([0], [0], temprature=0.5, **kw)


def test_bad_settings():
    with pytest.raises(ValueError, match="rnn"):
        Seq2SeqReasons(rnn="transformer")
    with pytest.raises(ValueError, match="divisible"):
        TransformerReasons(d_model=30, n_heads=4)
    with pytest.raises(ValueError, match="mle_weight"):
        GANReasons(mle_weight=-1)
    with pytest.raises(ValueError, match="max_len"):
        Seq2SeqReasons(max_len=1)
    with pytest.raises(ValueError, match="epochs"):
        TransformerReasons(epochs=0)
    with pytest.raises(ValueError, match="adv_steps"):
        GANReasons(adv_steps=0)
    with pytest.raises(ValueError, match="learning_rate"):
        Seq2SeqReasons(learning_rate=-0.1)
    with pytest.raises(ValueError, match="item_attributes"):
        Seq2SeqReasons(item_attributes="brand")
    with pytest.raises(ValueError, match="seed"):
        TransformerReasons(seed=-1)
    with pytest.raises(ValueError, match="both"):
        RetrievalReasons().fit(pd.DataFrame({"user_id": [0], "item_id": [0], "rating": [5],
                                             "text": ["ok"], "aspect": ["battery"],
                                             "sentiment": ["positive"]}),
                               user_factors=np.zeros((1, 2)))
