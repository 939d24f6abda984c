"""A small synthetic course-recommendation world whose learning gain is known.

In the spirit of :mod:`reclib.data.shopsim` and :mod:`reclib.data.credit`:
deterministic from a seed (a private ``numpy.random.Generator``, never the
global state), public tables beside a hidden truth, and an oracle.

Skills form a prerequisite graph (:data:`PREREQUISITES`: fractions need
arithmetic, algebra needs fractions and negative numbers, ...). Public:

- ``courses`` (row ``k`` is course ``item_id == k``): ``title``, ``skill``
  (the main skill), ``teaches`` and ``requires`` (``;``-separated skills);
- ``learners``: ``user_id`` and ``n_courses`` (how many they took);
- ``enrolments``: ``user_id, item_id, rating, timestamp``, one row per
  course a learner took, where ``rating`` is the *grade*, 1 (fail) to 5
  (excellent), so every reclib recommender can be fitted on it.

Hidden: ``mastery`` (learners x skills, in [0, 1], the state *after* the
observed courses: the truth a study plan is graded against), the mastery
before them, and each course's ``strength`` (how much it teaches) and
``effort`` (the cost of the learner's time, in mastery units).

The oracle, like ShopSim's ``expected_rating``, is the *learning gain*
(:meth:`CourseWorld.learning_gain`) of taking course ``c`` now::

    readiness(l, c) = prod_{r in requires(c)} sigmoid((m[l, r] - READY) / READY_SCALE)
    gain(l, c)      = readiness(l, c) * strength(c) * sum_{t in teaches(c)} (1 - m[l, t])
                      - effort(c)

A course helps when the learner has its prerequisites and does not yet know
what it teaches; it is worth less than nothing (negative gain) when its
content is already mastered or its prerequisites are missing.

How the record arises: each learner starts with a mastery that falls off
with a skill's depth in the graph (and never exceeds what the prerequisites
allow), then takes courses one at a time, choosing (noisily) those that
look useful and popular; a course raises the mastery of what it teaches by
``readiness * strength * (1 - m)``, and the grade reflects the mastery
after it (mostly of the taught skills, partly of the required ones), plus
noise. A learner with mastery at least :data:`MASTERED` in a skill is said
to have *mastered* it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reclib.checks import check_ids, check_int, check_number, check_pairs, check_seed

#: Each skill and the skills it builds on (a directed acyclic graph).
PREREQUISITES = {
    "counting": [],
    "arithmetic": ["counting"],
    "fractions": ["arithmetic"],
    "negative numbers": ["arithmetic"],
    "geometry": ["arithmetic"],
    "decimals": ["fractions"],
    "ratios": ["fractions"],
    "algebra": ["fractions", "negative numbers"],
    "percentages": ["decimals"],
    "equations": ["algebra"],
    "statistics": ["percentages"],
    "functions": ["equations"],
    "probability": ["ratios", "statistics"],
    "trigonometry": ["geometry", "functions"],
}
SKILLS = list(PREREQUISITES)
TITLE_SUFFIXES = ["I", "II", "in practice", "workshop", "crash course", "for everyday life",
                  "with projects", "revisited", "studio", "bootcamp"]

DEFAULT_SEED = 2026
MASTERED = 0.7      # true mastery at or above this: the skill is mastered
READY = 0.6         # prerequisite mastery at which readiness is one half
READY_SCALE = 0.06  # how sharply readiness rises around READY
GRADE_NOISE = 0.45  # standard deviation of the grade noise (in grade points)
WEEK = 7 * 24 * 3600
T0 = 1_735_689_600  # 2025-01-01 00:00:00 UTC
MAX_LEARNERS = 200_000
MAX_COURSES = 2_000


def _depths():
    depth = {}
    for s in SKILLS:  # SKILLS is in topological order
        depth[s] = 1 + max((depth[p] for p in PREREQUISITES[s]), default=-1)
    return np.array([depth[s] for s in SKILLS], dtype=float)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _split(value):
    return [s for s in str(value).split(";") if s] if isinstance(value, str) else []


@dataclass
class CourseWorld:
    """A course world: public ``courses``, ``learners`` and ``enrolments``
    tables, and the hidden ``mastery`` (learners x :data:`SKILLS`, after the
    observed courses), ``initial_mastery``, ``strength`` and ``effort``."""

    courses: pd.DataFrame
    learners: pd.DataFrame
    enrolments: pd.DataFrame
    mastery: np.ndarray
    initial_mastery: np.ndarray
    strength: np.ndarray
    effort: np.ndarray
    seed: int | None = None
    params: dict = field(default_factory=dict)

    @property
    def n_users(self):
        """Number of learners."""
        return len(self.learners)

    @property
    def n_items(self):
        """Number of courses."""
        return len(self.courses)

    @property
    def skills(self):
        """The skill vocabulary, in topological order."""
        return list(SKILLS)

    def _masks(self):
        """(teaches, requires): courses x skills 0/1 matrices."""
        if not hasattr(self, "_mask_cache"):
            index = {s: k for k, s in enumerate(SKILLS)}
            t = np.zeros((self.n_items, len(SKILLS)))
            r = np.zeros((self.n_items, len(SKILLS)))
            for c, (te, rq) in enumerate(zip(self.courses["teaches"], self.courses["requires"])):
                t[c, [index[s] for s in _split(te)]] = 1.0
                r[c, [index[s] for s in _split(rq)]] = 1.0
            self._mask_cache = (t, r)
        return self._mask_cache

    def skill_masks(self):
        """``(teaches, requires)``: two courses x :data:`SKILLS` 0/1 arrays
        (row ``c``, column ``s`` is 1 when course ``c`` teaches / requires
        skill ``s``), read from the public course table."""
        t, r = self._masks()
        return t.copy(), r.copy()

    def _pairs(self, users, items):
        return check_pairs(users, items, self.n_users, self.n_items)

    def readiness(self, users, items):
        """How ready each learner is for each course, in (0, 1]: the product
        over its required skills of ``sigmoid((m - READY) / READY_SCALE)``
        (1 for a course without prerequisites). One value per pair."""
        users, items = self._pairs(users, items)
        return _readiness(self.mastery[users], self._masks()[1][items])

    def learning_gain(self, users, items):
        """The oracle: the expected gain in mastery, net of the effort, of
        learner ``users[k]`` taking course ``items[k]`` now (one value per
        pair; positive means the course is worth taking)."""
        users, items = self._pairs(users, items)
        t, r = self._masks()
        m = self.mastery[users]
        new = np.sum((1.0 - m) * t[items], axis=1)
        return _readiness(m, r[items]) * self.strength[items] * new - self.effort[items]

    def gain_matrix(self, users=None):
        """True learning gain of every course for each of ``users`` (default:
        all learners), shape ``(len(users), n_courses)``."""
        users = np.arange(self.n_users) if users is None else check_ids("user", users,
                                                                         self.n_users)
        t, r = self._masks()
        m = self.mastery[users]
        log_ready = np.log(_sigmoid((m - READY) / READY_SCALE)) @ r.T
        return np.exp(log_ready) * self.strength * ((1.0 - m) @ t.T) - self.effort

    def true_mastery(self, users, skills):
        """True mastery (in [0, 1]) of ``skills[k]`` by learner ``users[k]``."""
        users = check_ids("user", users, self.n_users)
        if isinstance(skills, str):
            raise ValueError("skills must be a list (one skill per user), not a single string")
        skills = list(skills)
        if len(skills) != len(users):
            raise ValueError(f"mismatched lengths: {len(users)} users but {len(skills)} skills")
        unknown = sorted({s for s in skills if s not in PREREQUISITES}, key=str)
        if unknown:
            raise ValueError(f"unknown skill(s) {unknown[:5]}; known: {SKILLS}")
        cols = np.array([SKILLS.index(s) for s in skills], dtype=np.int64)
        return self.mastery[users, cols]

    def has_mastered(self, users, skills):
        """True where the learner's true mastery of the skill is at least
        :data:`MASTERED`."""
        return self.true_mastery(users, skills) >= MASTERED

    def course_skills(self, item):
        """``(teaches, requires)``: the skill lists of one course."""
        if np.ndim(item) != 0:
            raise ValueError(f"course_skills takes one course id, got {item!r}")
        (item,) = check_ids("item", [item], self.n_items)
        row = self.courses.iloc[int(item)]
        return _split(row["teaches"]), _split(row["requires"])

    def stats(self):
        """Sizes and rates of the world, as a dict."""
        g = self.gain_matrix()
        e = self.enrolments
        return {"learners": self.n_users, "courses": self.n_items, "skills": len(SKILLS),
                "enrolments": len(e), "mean_grade": float(e["rating"].mean()),
                "share_positive_gain": float((g > 0).mean()),
                "share_mastered": float((self.mastery >= MASTERED).mean()),
                "median_courses_per_learner": float(self.learners["n_courses"].median())}


def _readiness(m, requires):
    """Readiness of rows of mastery ``m`` for courses whose required-skill
    masks are the rows of ``requires`` (same number of rows)."""
    return np.exp(np.sum(requires * np.log(_sigmoid((m - READY) / READY_SCALE)), axis=1))


def _make_courses(rng, n_courses):
    """The course table and each course's hidden strength and effort."""
    n_s = len(SKILLS)
    primary = np.concatenate([np.arange(n_s), rng.integers(0, n_s, n_courses - n_s)])
    rows, seen = [], {}
    for c, k in enumerate(primary):
        skill = SKILLS[k]
        teaches = [skill]
        parents = list(PREREQUISITES[skill])
        # a third of the courses with prerequisites also revise one of them
        if parents and rng.random() < 0.33:
            teaches.append(parents[rng.integers(len(parents))])
        # a revision course needs what the revised skill needs
        needs = parents + [q for t in teaches[1:] for q in PREREQUISITES[t]]
        requires = [p for p in dict.fromkeys(needs) if p not in teaches]
        j = seen.get(skill, 0)
        seen[skill] = j + 1
        suffix = TITLE_SUFFIXES[j % len(TITLE_SUFFIXES)]
        title = f"{skill.capitalize()} {suffix}" + (f" {j // len(TITLE_SUFFIXES) + 1}"
                                                    if j >= len(TITLE_SUFFIXES) else "")
        rows.append((c, title, skill, ";".join(teaches), ";".join(requires)))
    courses = pd.DataFrame(rows, columns=["item_id", "title", "skill", "teaches", "requires"])
    strength = rng.uniform(0.35, 0.7, n_courses)
    effort = rng.uniform(0.08, 0.20, n_courses)
    return courses, strength, effort


def _initial_mastery(rng, n_learners):
    """Mastery before any observed course: falls off with a skill's depth,
    never far above what the prerequisites allow."""
    depth = _depths()
    ability = rng.normal(0.0, 1.0, n_learners)
    m = np.zeros((n_learners, len(SKILLS)))
    for k, s in enumerate(SKILLS):
        base = _sigmoid(1.6 * (ability + 1.4 - 0.6 * depth[k]) + rng.normal(0, 0.6, n_learners))
        for p in PREREQUISITES[s]:
            base = np.minimum(base, m[:, SKILLS.index(p)] + 0.1)
        m[:, k] = np.clip(base, 0.0, 1.0)
    return m


def generate(n_learners=1500, n_courses=60, mean_courses=6.0, seed=DEFAULT_SEED):
    """A fresh course world, deterministic from ``seed``.

    Parameters
    ----------
    n_learners : int
        Number of learners (10 to 200,000).
    n_courses : int
        Number of courses, at least one per skill (14 to 2,000).
    mean_courses : float
        Mean number of courses a learner has taken (each takes at least 1,
        at most ``n_courses``; the count is 1 + Poisson(mean_courses - 1)).
    seed : int
        Seeds the world's own random generator (never the global state).

    Returns
    -------
    CourseWorld
    """
    n_learners = check_int("n_learners", n_learners, low=10, high=MAX_LEARNERS)
    n_courses = check_int("n_courses", n_courses, low=len(SKILLS), high=MAX_COURSES)
    mean_courses = check_number("mean_courses", mean_courses, low=1, high=n_courses)
    seed = check_seed(seed, what="a course world")
    rng = np.random.default_rng(seed)
    courses, strength, effort = _make_courses(rng, n_courses)
    popularity = rng.lognormal(0.0, 0.6, n_courses)
    m0 = _initial_mastery(rng, n_learners)
    world = CourseWorld(courses, pd.DataFrame(), pd.DataFrame(), m0.copy(), m0, strength,
                        effort, seed)
    world.learners = pd.DataFrame({"user_id": np.arange(n_learners)})
    teach, req = world._masks()
    counts = np.minimum(1 + rng.poisson(mean_courses - 1.0, n_learners), n_courses)
    taken = np.zeros((n_learners, n_courses), bool)
    m = world.mastery
    rows = []
    for step in range(int(counts.max())):
        active = np.flatnonzero(counts > step)
        g = world.gain_matrix(active)
        # learners choose (noisily) what looks useful and what is popular
        score = 6.0 * g + np.log(popularity) + rng.gumbel(0.0, 1.0, g.shape)
        score[taken[active]] = -np.inf
        choice = np.argmax(score, axis=1)
        taken[active, choice] = True
        ready = _readiness(m[active], req[choice])
        t = teach[choice]
        m[active] += t * (ready * strength[choice])[:, None] * (1.0 - m[active])
        perf_t = np.sum(m[active] * t, axis=1) / t.sum(axis=1)
        r = req[choice]
        n_r = r.sum(axis=1)
        perf_r = np.where(n_r > 0, np.sum(m[active] * r, axis=1) / np.maximum(n_r, 1), perf_t)
        perf = 0.7 * perf_t + 0.3 * perf_r
        grade = np.clip(np.round(1 + 4 * perf + rng.normal(0, GRADE_NOISE, len(active))), 1, 5)
        ts = T0 + step * WEEK + rng.integers(0, WEEK, len(active))
        rows.append(pd.DataFrame({"user_id": active, "item_id": choice,
                                  "rating": grade.astype(np.int64), "timestamp": ts}))
    world.enrolments = pd.concat(rows, ignore_index=True).sort_values(
        ["user_id", "timestamp"], kind="stable").reset_index(drop=True)
    world.learners["n_courses"] = counts.astype(np.int64)
    world.params = {"seed": seed, "n_learners": n_learners, "n_courses": n_courses,
                    "mean_courses": mean_courses, "mastered": MASTERED, "ready": READY,
                    "ready_scale": READY_SCALE, "grade_noise": GRADE_NOISE}
    return world


__all__ = ["CourseWorld", "MASTERED", "PREREQUISITES", "READY", "READY_SCALE", "SKILLS",
           "generate"]
