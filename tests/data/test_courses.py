"""Tests for reclib.data.courses: the synthetic course world (determinism, the
oracle's formula, how the record arises, bad input)."""
import numpy as np
import pandas as pd
import pytest

from reclib.data import courses as cw


@pytest.fixture(scope="module")
def world():
    return cw.generate(n_learners=400, n_courses=40, seed=3)


def test_deterministic_seed_dependent_and_no_global_state(world):
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    a = cw.generate(n_learners=400, n_courses=40, seed=3)
    assert np.random.random() == before  # the global generator was not touched
    pd.testing.assert_frame_equal(a.enrolments, world.enrolments)
    pd.testing.assert_frame_equal(a.courses, world.courses)
    assert np.array_equal(a.mastery, world.mastery)
    b = cw.generate(n_learners=400, n_courses=40, seed=4)
    assert not b.enrolments.equals(world.enrolments)


def test_tables_and_ranges(world):
    c, e = world.courses, world.enrolments
    assert list(c["item_id"]) == list(range(40)) and c["title"].is_unique
    assert set(cw.SKILLS) == set(c["skill"])  # every skill has a course
    for te, rq in zip(c["teaches"], c["requires"]):
        teaches, requires = te.split(";"), [s for s in rq.split(";") if s]
        assert set(teaches) <= set(cw.SKILLS) and set(requires) <= set(cw.SKILLS)
        assert not set(teaches) & set(requires)
        # a course requires what its main skill builds on (unless it teaches it)
        assert set(cw.PREREQUISITES[teaches[0]]) - set(teaches) <= set(requires)
    assert list(e.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert e["rating"].between(1, 5).all() and e["rating"].dtype.kind == "i"
    assert not e.duplicated(["user_id", "item_id"]).any()  # a course is taken once
    counts = e.groupby("user_id").size().reindex(range(400), fill_value=0)
    assert (counts.to_numpy() == world.learners["n_courses"].to_numpy()).all()
    assert counts.min() >= 1
    assert ((world.mastery >= 0) & (world.mastery <= 1)).all()
    assert (world.mastery >= world.initial_mastery - 1e-12).all()  # courses only teach


def test_learning_gain_follows_its_formula(world):
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 400, 50), rng.integers(0, 40, 50)
    gain = world.learning_gain(users, items)
    readiness = world.readiness(users, items)
    for g, r, u, i in zip(gain, readiness, users, items):
        teaches, requires = world.course_skills(int(i))
        m = dict(zip(cw.SKILLS, world.mastery[u]))
        ready = np.prod([1 / (1 + np.exp(-(m[r] - cw.READY) / cw.READY_SCALE))
                         for r in requires])
        expect = ready * world.strength[i] * sum(1 - m[t] for t in teaches) - world.effort[i]
        assert g == pytest.approx(expect, abs=1e-12)
        assert r == pytest.approx(ready, abs=1e-12)
    assert np.allclose(world.gain_matrix(users)[np.arange(50), items], gain)
    teach, req = world.skill_masks()
    for c in range(world.n_items):
        teaches, requires = world.course_skills(c)
        assert [cw.SKILLS[k] for k in np.flatnonzero(teach[c])] == sorted(teaches, key=cw.SKILLS.index)
        assert [cw.SKILLS[k] for k in np.flatnonzero(req[c])] == sorted(requires, key=cw.SKILLS.index)


def test_gain_is_negative_for_mastered_content_and_missing_prerequisites(world):
    w = cw.generate(n_learners=50, n_courses=30, seed=1)
    w.mastery[:] = 1.0  # knows everything: no course is worth its effort
    assert (w.gain_matrix() < 0).all()
    w.mastery[:] = 0.0  # knows nothing: only courses without prerequisites can help
    g = w.gain_matrix()
    no_req = (w.courses["requires"] == "").to_numpy()
    assert (g[:, ~no_req] < 0).all() and (g[:, no_req] > 0).all()


def test_grades_reflect_mastery(world):
    # learners who truly master a course's main skill get better grades in it
    e = world.enrolments
    skill = world.courses["skill"].to_numpy()[e["item_id"]]
    mastered = world.has_mastered(e["user_id"].to_numpy(), list(skill))
    assert e["rating"][mastered].mean() > e["rating"][~mastered].mean() + 0.5
    s = world.stats()
    assert s["enrolments"] == len(e) and 0.2 < s["share_positive_gain"] < 0.8


def test_bad_input():
    with pytest.raises(ValueError, match="n_learners"):
        cw.generate(n_learners=5)
    with pytest.raises(ValueError, match="n_courses"):
        cw.generate(n_courses=10)
    with pytest.raises(ValueError, match="mean_courses"):
        cw.generate(n_learners=20, n_courses=20, mean_courses=0.5)
    with pytest.raises(ValueError, match="seed"):
        cw.generate(seed=None)
    with pytest.raises(ValueError, match="seed"):
        cw.generate(seed=-1)
    w = cw.generate(n_learners=20, n_courses=20, seed=0)
    with pytest.raises(ValueError, match="unknown user id"):
        w.learning_gain([25], [0])
    with pytest.raises(ValueError, match="unknown item id"):
        w.readiness([0], [20])
    with pytest.raises(ValueError, match="same length"):
        w.learning_gain([0, 1], [0])
    with pytest.raises(ValueError, match="unknown skill"):
        w.true_mastery([0], ["knitting"])
    with pytest.raises(ValueError, match="mismatched lengths"):
        w.has_mastered([0, 1], ["fractions"])
    with pytest.raises(ValueError, match="single string"):
        w.true_mastery([0], "fractions")
    with pytest.raises(ValueError, match="one course id"):
        w.course_skills([0, 1])
