"""Tests for reclib.evaluation.privacy: the likelihood membership-inference test."""
import numpy as np
import pytest

from reclib.data.splits import random_split
from reclib.evaluation.privacy import (membership_inference, membership_scores,
                                       review_log_likelihood)
from reclib.reasons.seq2seq import Seq2SeqReasons
from reclib.reasons.templates import TemplateReasons

TINY = dict(emb_dim=32, hidden=64, batch_size=32, max_len=12, max_reviews=None, seed=0)


@pytest.fixture(scope="module")
def data(world_150x60):
    train, test = random_split(world_150x60.ratings, 0.2, seed=0)
    members = train.sample(300, random_state=0)
    non_members = test.sample(300, random_state=0)
    return world_150x60, members, non_members


@pytest.fixture(scope="module")
def models(data):
    world, members, _ = data
    tables = dict(items=world.items, users=world.users)
    return {epochs: Seq2SeqReasons(grounded=True, epochs=epochs, **TINY).fit(members, **tables)
            for epochs in (1, 40)}


def test_log_likelihood_matches_perplexity(data, models):
    _, members, _ = data
    gen = models[1]
    ll = review_log_likelihood(gen, members.iloc[:1])
    assert ll.shape == (1,) and ll[0] < 0
    assert np.exp(-ll[0]) == pytest.approx(gen.perplexity(members.iloc[:1]), rel=1e-4)
    assert review_log_likelihood(gen, members).shape == (len(members),)


def test_overfitting_leaks_membership(data, models):
    _, members, non_members = data
    short, long = (membership_inference(models[e], members, non_members, n_boot=100)
                   for e in (1, 40))
    # 40 epochs on 300 reviews memorise them: members are far more likely
    assert long["auc"] > 0.7 and long["low"] > 0.6 and long["gap"] > 0
    # one epoch has barely seen them: the attack is close to a coin toss
    assert abs(short["auc"] - 0.5) < 0.1
    assert long["auc"] > short["high"]
    assert short["low"] <= short["auc"] <= short["high"]


def test_scores_perfect_and_chance():
    rng = np.random.default_rng(0)
    perfect = membership_scores(np.array([-1.0, -1.5, -0.5]), np.array([-3.0, -2.0, -4.0]),
                                n_boot=50)
    assert perfect["auc"] == 1.0 and perfect["low"] == 1.0 and perfect["gap"] > 0
    same = membership_scores(rng.normal(size=2000), rng.normal(size=2000), n_boot=50)
    assert abs(same["auc"] - 0.5) < 0.05 and same["low"] < 0.5 < same["high"]


def test_bad_input(data, models):
    world, members, non_members = data
    gen = models[1]
    with pytest.raises(ValueError, match="at least two"):
        membership_scores([0.1], [0.2, 0.3])
    with pytest.raises(ValueError, match="finite"):
        membership_scores([0.1, np.nan], [0.2, 0.3])
    with pytest.raises(TypeError, match="DataFrame"):
        membership_inference(gen, list(members["text"]), non_members)
    with pytest.raises(ValueError, match="both members and non-members"):
        membership_inference(gen, members, members.iloc[:5])
    with pytest.raises(ValueError, match="at least two reviews"):
        membership_inference(gen, members.iloc[:1], non_members)
    template = TemplateReasons(seed=0).fit(members, items=world.items, users=world.users)
    with pytest.raises(TypeError, match="neural generator"):
        review_log_likelihood(template, members)
    with pytest.raises(ValueError, match="batch_size"):
        review_log_likelihood(gen, members, batch_size=0)
    bad = members.iloc[:3].copy()
    bad["user_id"] = 10_000
    with pytest.raises(ValueError, match="user"):
        review_log_likelihood(gen, bad)
