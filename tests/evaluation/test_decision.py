"""Tests for reclib.evaluation.decision: the choice model's stated properties
(no-reason baseline, true reasons help, wrong reasons hurt, reasons about
aspects the shopper does not weigh change nothing), the grading of reason
kinds, the bootstrap, bad input."""
import numpy as np
import pandas as pd
import pytest

from reclib.data.shopsim import ASPECTS
from reclib.data.splits import random_split
from reclib.evaluation import decision as dc
from reclib.reasons.kinds import BehaviouralReasons, SocialReasons


@pytest.fixture(scope="module")
def pairs(world_150x60):
    w = world_150x60
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(w.n_users), 10)
    items = np.concatenate([rng.choice(w.n_items, 10, replace=False) for _ in range(w.n_users)])
    return w, users, items


def test_pair_normals_depend_on_the_pair_only():
    u, i = np.arange(20000) % 97, np.arange(20000) // 97
    z = dc.pair_normals(3, u, i, 2)
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    assert np.array_equal(dc.pair_normals(3, u[::-1], i[::-1], 2), z[::-1])
    assert not np.allclose(dc.pair_normals(4, u, i, 2), z)
    assert not np.allclose(dc.pair_normals(3, u, i, 1), z)


def test_no_reason_is_an_imperfect_baseline_and_noise_free_is_perfect(pairs):
    w, users, items = pairs
    d = dc.simulate_decisions(w, users, items)
    q = dc.decision_quality(d)
    assert 0.55 < q["decision quality"] < 0.95
    assert set(d.columns) >= {"user_id", "item_id", "good", "take", "correct"}
    assert np.array_equal(d["good"], w.utility(users, items) >= 3.5)
    exact = dc.simulate_decisions(w, users, items, base_noise=0, aspect_noise=0)
    assert exact["correct"].all()
    assert d.equals(dc.simulate_decisions(w, users, items))  # seeded


def test_true_reasons_help_and_wrong_reasons_hurt(pairs):
    w, users, items = pairs
    truth = dc.true_top_aspects(w, users, items)
    base = dc.decision_quality(dc.simulate_decisions(w, users, items))["decision quality"]
    true1 = dc.decision_quality(dc.simulate_decisions(
        w, users, items, [t[:1] for t in truth]))["decision quality"]
    wrong = dc.decision_quality(dc.simulate_decisions(
        w, users, items, dc.wrong_claims(w, users, items)))["decision quality"]
    assert true1 > base + 0.05
    assert wrong < base - 0.1


def test_claims_about_unweighed_aspects_change_nothing(pairs):
    w, users, items = pairs
    claims = []
    for u in users:
        zero = [a for k, a in enumerate(ASPECTS) if w.user_weights[u, k] == 0]
        claims.append([(zero[0], "positive")] if zero else [])
    assert dc.simulate_decisions(w, users, items, claims).equals(
        dc.simulate_decisions(w, users, items))
    unknown_sign = [[(t[0][0], None)] for t in dc.true_top_aspects(w, users, items)]
    assert dc.simulate_decisions(w, users, items, unknown_sign).equals(
        dc.simulate_decisions(w, users, items))


def test_wrong_claims_flip_the_top_aspect(pairs):
    w, users, items = pairs
    for (u, i), wrong in zip(zip(users[:30], items[:30]), dc.wrong_claims(w, users[:30], items[:30])):
        top = w.true_reasons(u, i).iloc[0]
        assert wrong == [(top["aspect"], "negative" if top["sentiment"] == "positive"
                          else "positive")]


def test_true_top_aspects_match_the_world(pairs):
    w, users, items = pairs
    got = dc.true_top_aspects(w, users[:50], items[:50])
    for (u, i), g in zip(zip(users[:50], items[:50]), got):
        t = w.true_reasons(u, i)
        assert g == list(zip(t["aspect"], t["sentiment"]))


def test_grade_aspect_reasons(pairs):
    w, users, items = pairs
    truth = dc.true_top_aspects(w, users, items)
    g = dc.grade_aspect_reasons(w, users, items, [t[:1] for t in truth])
    assert g["faithfulness"] == 1.0 and g["hallucination"] == 0.0 and g["names aspect"] == 1.0
    weighed = np.mean([w.user_weights[u, ASPECTS.index(t[0][0])] != 0
                       for u, t in zip(users, truth)])
    assert g["personal"] == pytest.approx(weighed)
    g = dc.grade_aspect_reasons(w, users, items, dc.wrong_claims(w, users, items))
    assert g["faithfulness"] == 0.0 and g["hallucination"] == 1.0
    g = dc.grade_aspect_reasons(w, users, items, [[] for _ in users])
    assert g["personal"] == 0.0 and g["names aspect"] == 0.0


def test_grade_behavioural_and_social(world_150x60):
    w = world_150x60
    train, test = random_split(w.ratings, 0.2, seed=0)
    pairs = test.head(60)
    beh = BehaviouralReasons().fit(train, items=w.items, users=w.users)
    ev = beh.evidence(pairs["user_id"], pairs["item_id"])
    g = dc.grade_behavioural(w, train, ev)
    assert g["cited purchase real"] == 1.0 and 0 <= g["truly similar"] <= 1
    assert g["evidence true"] == g["truly similar"]
    lied = ev.assign(cited_rating=ev["cited_rating"] - 0.5)
    assert dc.grade_behavioural(w, train, lied)["cited purchase real"] == 0.0
    assert dc.grade_behavioural(w, train, ev, similar=-1)["truly similar"] == 1.0
    soc = SocialReasons(n_neighbours=5).fit(train, items=w.items, users=w.users)
    ev = soc.evidence(pairs["user_id"], pairs["item_id"])
    g = dc.grade_social(w, train, ev)
    assert g["mean rating real"] == g["cites someone"]
    assert g["tastes truly match"] > 0.6  # review-based tastes track the true weights
    lied = ev.assign(mean_rating=ev["mean_rating"] + 0.3)
    assert dc.grade_social(w, train, lied)["mean rating real"] == 0.0


def test_user_bootstrap(pairs):
    w, users, items = pairs
    a = dc.simulate_decisions(w, users, items)
    b = dc.simulate_decisions(w, users, items, dc.wrong_claims(w, users, items))
    t = dc.user_bootstrap({"none": a, "wrong": b}, n_boot=300)
    assert list(t.columns) == ["mean", "2.5%", "97.5%"]
    assert (t["2.5%"] <= t["mean"]).all() and (t["mean"] <= t["97.5%"]).all()
    assert t.at["none", "mean"] == pytest.approx(a["correct"].mean())
    assert t.at["wrong", "97.5%"] < t.at["none", "2.5%"]
    with pytest.raises(ValueError, match="other users"):
        dc.user_bootstrap({"none": a, "half": a[a.user_id < 50]})
    with pytest.raises(ValueError, match="non-empty dict"):
        dc.user_bootstrap({})
    with pytest.raises(ValueError, match="n_boot"):
        dc.user_bootstrap({"none": a}, n_boot=5)


def test_bad_input(pairs):
    w, users, items = pairs
    with pytest.raises(TypeError, match="known truth"):
        dc.simulate_decisions(object(), users, items)
    with pytest.raises(TypeError, match="without 'user_weights'"):
        dc.grade_behavioural(type("NoWeights", (), {"utility": len, "item_aspect_set": len,
                                                    "item_aspects": w.item_aspects})(),
                             None, None)

    class FewAspects:
        user_weights, utility, item_aspect_set = w.user_weights, w.utility, w.item_aspect_set
        item_aspects = w.item_aspects[:, :3]
    with pytest.raises(ValueError, match="aspects"):
        dc.simulate_decisions(FewAspects(), users, items)
    with pytest.raises(ValueError, match="unknown item id"):
        dc.simulate_decisions(w, [0], [w.n_items])
    with pytest.raises(ValueError, match="empty input"):
        dc.simulate_decisions(w, [], [])
    with pytest.raises(ValueError, match="mismatched lengths"):
        dc.simulate_decisions(w, users[:2], items[:2], [[]])
    with pytest.raises(ValueError, match="unknown aspect"):
        dc.simulate_decisions(w, [0], [0], [[("breakfast", "positive")]])
    with pytest.raises(ValueError, match="sentiment"):
        dc.simulate_decisions(w, [0], [0], [[("battery", "good")]])
    with pytest.raises(ValueError, match="not a string"):
        dc.simulate_decisions(w, [0], [0], "battery")
    with pytest.raises(ValueError, match="seed"):
        dc.simulate_decisions(w, [0], [0], seed=None)
    with pytest.raises(ValueError, match="base_noise"):
        dc.simulate_decisions(w, [0], [0], base_noise=-1)
    with pytest.raises(TypeError, match="DataFrame"):
        dc.decision_quality([1, 2])
    with pytest.raises(ValueError, match="missing column"):
        dc.decision_quality(pd.DataFrame({"user_id": [0]}))
    with pytest.raises(ValueError, match="evidence"):
        dc.grade_behavioural(w, w.ratings, pd.DataFrame({"user_id": [0]}))
    with pytest.raises(ValueError, match="evidence"):
        dc.grade_social(w, w.ratings, pd.DataFrame({"user_id": [0]}))
