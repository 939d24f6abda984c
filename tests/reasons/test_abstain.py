"""Tests for reclib.reasons.abstain: the stated rule, the abstention rate, that
the wrapped generator is used unchanged for the rest, consent, bad input."""
import numpy as np
import pytest

from reclib.checks import NotFittedError
from reclib.data import courses as cw
from reclib.data.splits import random_split
from reclib.protocol import Reason
from reclib.reasons.abstain import ABSTAIN_MESSAGE, AbstainingReasons
from reclib.reasons.study_plan import StudyPlanReasons
from reclib.reasons.templates import TemplateReasons


@pytest.fixture(scope="module")
def setup(world_150x60):
    w = world_150x60
    train, test = random_split(w.ratings, 0.2, seed=0)
    # thin out the first 40 users' histories to 2 ratings each
    thin = train["user_id"] < 40
    train = train[~thin | (train.groupby("user_id").cumcount() < 2)].reset_index(drop=True)
    return w, train, test


def test_abstains_exactly_by_the_rule_and_otherwise_says_what_the_generator_says(setup):
    w, train, test = setup
    tables = dict(items=w.items, users=w.users)
    plain = TemplateReasons(seed=0).fit(train, **tables)
    gen = AbstainingReasons(TemplateReasons(seed=0), min_user_records=5).fit(train, **tables)
    users, items = test["user_id"].to_numpy(), test["item_id"].to_numpy()
    counts = train.groupby("user_id").size().reindex(range(w.n_users), fill_value=0).to_numpy()
    expect = counts[users] < 5
    assert np.array_equal(gen.abstains(users, items), expect)
    assert gen.abstention_rate(users, items) == pytest.approx(expect.mean())
    assert 0.05 < expect.mean() < 0.9
    texts, base = gen.generate(users, items), plain.generate(users, items)
    for t, b, a, u in zip(texts, base, expect, users):
        if a:
            assert t == ABSTAIN_MESSAGE.format(n=counts[u], need=5)
            assert "Not enough evidence" in t
        else:
            assert t == b
    k = int(np.flatnonzero(expect)[0])
    r = gen.generate_one(int(users[k]), int(items[k]))
    assert isinstance(r, Reason) and r.kind == "abstain" and r.aspects == []
    k = int(np.flatnonzero(~expect)[0])
    assert gen.generate_one(int(users[k]), int(items[k])) == plain.generate_one(int(users[k]),
                                                                                 int(items[k]))
    assert gen.count_params() == plain.count_params() and gen.aspects_ == plain.aspects_
    assert np.array_equal(gen.evidence_counts(users, items)[0], counts[users])


def test_threshold_zero_never_abstains_and_item_rule(setup):
    w, train, test = setup
    users, items = test["user_id"].to_numpy(), test["item_id"].to_numpy()
    gen = AbstainingReasons(TemplateReasons(), min_user_records=0).fit(train, items=w.items)
    assert gen.abstention_rate(users, items) == 0
    item_counts = np.bincount(train["item_id"], minlength=w.n_items)
    need = int(np.median(item_counts[items]))
    gen = AbstainingReasons(TemplateReasons(), min_user_records=0,
                            min_item_records=need).fit(train, items=w.items)
    assert np.array_equal(gen.abstains(users, items), item_counts[items] < need)
    t = gen.generate(users, items)
    k = int(np.flatnonzero(item_counts[items] < need)[0])
    assert "this item has" in t[k]


def test_a_prefitted_generator_and_a_non_review_generator():
    world = cw.generate(n_learners=200, n_courses=30, seed=0)
    e, tables = world.enrolments, dict(items=world.courses, users=world.learners)
    inner = StudyPlanReasons().fit(e, **tables)
    gen = AbstainingReasons(inner, min_user_records=4, fit_generator=False).fit(e, **tables)
    users = np.arange(200)
    items = np.zeros(200, dtype=int)
    n = world.learners["n_courses"].to_numpy()
    assert np.array_equal(gen.abstains(users, items), n < 4)
    texts = gen.generate(users, items)
    assert all(("Not enough evidence" in t) == (k < 4) for t, k in zip(texts, n))


def test_consent_means_no_records_and_so_abstention(setup):
    w, train, test = setup
    consented = np.arange(w.n_users) % 3 != 0
    gen = AbstainingReasons(TemplateReasons(), min_user_records=1)
    gen.fit(train[consented[train["user_id"]]], items=w.items, users=w.users)
    users, items = test["user_id"].to_numpy(), test["item_id"].to_numpy()
    assert gen.abstains(users, items)[~consented[users]].all()


def test_bad_input(setup):
    w, train, test = setup
    with pytest.raises(TypeError, match="ReasonGenerator"):
        AbstainingReasons("template")
    with pytest.raises(TypeError, match="already an AbstainingReasons"):
        AbstainingReasons(AbstainingReasons(TemplateReasons()))
    with pytest.raises(ValueError, match="min_user_records"):
        AbstainingReasons(TemplateReasons(), min_user_records=-1)
    with pytest.raises(ValueError, match="min_item_records"):
        AbstainingReasons(TemplateReasons(), min_item_records=1.5)
    with pytest.raises(ValueError, match="message"):
        AbstainingReasons(TemplateReasons(), message="")
    with pytest.raises(ValueError, match="fields"):
        AbstainingReasons(TemplateReasons(), message="not enough {evidence}")
    with pytest.raises(ValueError, match="fit_generator"):
        AbstainingReasons(TemplateReasons(), fit_generator="no")
    with pytest.raises(ValueError, match="not fitted"):
        AbstainingReasons(TemplateReasons(), fit_generator=False).fit(train)
    with pytest.raises(ValueError, match="missing column"):
        AbstainingReasons(TemplateReasons()).fit(train.drop(columns="user_id"))
    gen = AbstainingReasons(TemplateReasons())
    with pytest.raises(NotFittedError):
        gen.generate([0], [0])
    gen.fit(train, items=w.items, users=w.users)
    with pytest.raises(ValueError, match="unknown user id"):
        gen.generate([w.n_users], [0])
    with pytest.raises(ValueError, match="same length"):
        gen.abstains([0, 1], [0])
    with pytest.raises(ValueError, match="one id each"):
        gen.generate_one([0, 1], 0)
