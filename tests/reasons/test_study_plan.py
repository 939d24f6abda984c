"""Tests for reclib.reasons.study_plan: every claim is backed by the record,
the text states the claims, grading against the course world's truth, bad input."""
import numpy as np
import pytest

from reclib.checks import NotFittedError
from reclib.data import courses as cw
from reclib.protocol import Reason
from reclib.reasons.study_plan import CLAIM_KINDS, Claim, StudyPlanReasons, grade_study_plans


@pytest.fixture(scope="module")
def world():
    return cw.generate(n_learners=300, n_courses=40, seed=2)


@pytest.fixture(scope="module")
def fitted(world):
    gen = StudyPlanReasons().fit(world.enrolments, items=world.courses, users=world.learners)
    return world, gen


def _pairs(world, n=200, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, world.n_users, n), rng.integers(0, world.n_items, n)


def test_every_claim_is_backed_by_the_record(fitted):
    world, gen = fitted
    e = world.enrolments
    grades = {(u, i): g for u, i, g in e[["user_id", "item_id", "rating"]].itertuples(index=False)}
    users, items = _pairs(world)
    n_claims = 0
    for u, i in zip(users, items):
        teaches, requires = world.course_skills(int(i))
        mine = e[e["user_id"] == u]
        passed = mine[mine["rating"] >= 4]["item_id"].to_numpy()
        covered = {s for c in passed for part in world.course_skills(int(c)) for s in part}
        for c in gen.claims(int(u), int(i)):
            n_claims += 1
            assert c.kind in CLAIM_KINDS
            if c.kind in ("mastered", "already shown"):
                # the cited course is in the record, passed, and teaches or requires the skill
                assert grades[(int(u), c.course)] == c.grade >= 4
                assert c.skill in sum(world.course_skills(c.course), [])
            else:
                assert c.skill not in covered and c.course is None
            assert c.skill in (requires if c.kind in ("mastered", "not shown") else teaches)
        kinds = {c.kind for c in gen.claims(int(u), int(i))}
        assert len(gen.claims(int(u), int(i))) == len(teaches) + len(requires)
        assert kinds <= set(CLAIM_KINDS)
    assert n_claims > 300


def test_the_text_states_the_claims(fitted):
    world, gen = fitted
    users, items = _pairs(world, 100, seed=1)
    texts = gen.generate(users, items)
    for t, u, i in zip(texts, users, items):
        claims = gen.claims(int(u), int(i))
        assert world.courses.at[int(i), "title"] in t
        for c in claims:
            assert c.skill in t
            if c.kind == "mastered":
                assert f"grade {c.grade} in {world.courses.at[c.course, 'title']}" in t
                assert "You have mastered" in t
            if c.kind in ("new", "not shown"):
                assert "your record does not show" in t
        r = gen.generate_one(int(u), int(i))
        assert isinstance(r, Reason) and r.text == t and r.kind == "study plan"
        assert r.aspects == [(c.skill, c.kind) for c in claims]
    assert gen.aspects_ == tuple(sorted(cw.SKILLS))
    assert gen.count_params() == world.n_users * len(cw.SKILLS)


def test_a_careless_pass_grade_claims_more_and_is_less_often_right(world):
    e, tables = world.enrolments, dict(items=world.courses, users=world.learners)
    strict = StudyPlanReasons(pass_grade=5).fit(e, **tables)
    careless = StudyPlanReasons(pass_grade=1).fit(e, **tables)
    users, items = _pairs(world, 600, seed=2)
    g_strict = grade_study_plans(world, users, items,
                                 [strict.claims(u, i) for u, i in zip(users, items)])
    g_care = grade_study_plans(world, users, items,
                               [careless.claims(u, i) for u, i in zip(users, items)])
    assert g_care["n mastered"] > g_strict["n mastered"]
    assert g_strict["mastered true"] > g_care["mastered true"] + 0.1


def test_grading_counts_against_the_truth(world):
    users, items = np.array([0, 0, 1]), np.array([0, 1, 2])
    mastered = world.has_mastered([0, 1], ["fractions", "fractions"])
    claims = [[Claim("mastered", "fractions", 0, 5)], [Claim("new", "fractions")], []]
    g = grade_study_plans(world, users, items, claims)
    assert g["mastered true"] == float(mastered[0])
    assert g["new true"] == float(not mastered[0])
    assert g["n mastered"] == 1 and g["n new"] == 1 and np.isnan(g["not shown but mastered"])
    gain = world.learning_gain(users, items)
    assert g["positive gain"] == pytest.approx(np.mean(gain > 0))
    assert g["mean gain"] == pytest.approx(gain.mean())
    assert g["all true"] == pytest.approx((float(mastered[0]) + float(not mastered[0]) + 1) / 3)


def test_plan_scores_prefer_ready_and_new_and_beat_predicting_grades(fitted):
    world, gen = fitted
    s = gen.plan_scores()
    e = world.enrolments
    assert np.isneginf(s[e["user_id"], e["item_id"]]).all()  # taken courses are never planned
    ok = np.isfinite(s)
    assert ((s[ok] >= 0) & (s[ok] <= 1)).all()
    # courses the rule scores 1 (ready, all new) truly help more often than those it scores 0
    g = world.gain_matrix()
    assert (g[s == 1] > 0).mean() > (g[s == 0] > 0).mean() + 0.2


def test_bad_input(world):
    e = world.enrolments
    with pytest.raises(ValueError, match="pass_grade"):
        StudyPlanReasons(pass_grade=6)
    with pytest.raises(ValueError, match="max_claims"):
        StudyPlanReasons(max_claims=0)
    with pytest.raises(ValueError, match="use_requires"):
        StudyPlanReasons(use_requires="yes")
    with pytest.raises(ValueError, match="course table"):
        StudyPlanReasons().fit(e)
    with pytest.raises(ValueError, match="missing column"):
        StudyPlanReasons().fit(e, items=world.courses.drop(columns="requires"))
    with pytest.raises(ValueError, match="missing column"):
        StudyPlanReasons().fit(e.drop(columns="rating"), items=world.courses)
    bad = e.copy()
    bad.loc[0, "rating"] = 7
    with pytest.raises(ValueError, match="not on the scale"):
        StudyPlanReasons().fit(bad, items=world.courses)
    with pytest.raises(ValueError, match="unknown item id"):
        StudyPlanReasons().fit(e, items=world.courses.head(5))
    courses = world.courses.copy()
    courses.loc[0, "teaches"] = ""
    with pytest.raises(ValueError, match="teach at least one"):
        StudyPlanReasons().fit(e, items=courses)
    with pytest.raises(ValueError, match="not in aspects"):
        StudyPlanReasons().fit(e, items=world.courses, aspects=["fractions"])
    with pytest.raises(NotFittedError):
        StudyPlanReasons().generate([0], [0])
    gen = StudyPlanReasons().fit(e, items=world.courses, users=world.learners)
    with pytest.raises(ValueError, match="unknown user id"):
        gen.generate([world.n_users], [0])
    with pytest.raises(ValueError, match="not grounded"):
        gen.generate([0], [0], aspects=["fractions"])
    with pytest.raises(ValueError, match="one id each"):
        gen.claims([0, 1], 0)
    with pytest.raises(ValueError, match="one list of claims per pair"):
        grade_study_plans(world, [0, 1], [0, 1], [[]])
    with pytest.raises(ValueError, match="Claim tuples"):
        grade_study_plans(world, [0], [0], [[("mastered", "fractions")]])
    with pytest.raises(ValueError, match="world must have"):
        grade_study_plans(object(), [0], [0], [[]])
