"""Personalized study-plan reasons, every claim backed by the learner's record.

"You have mastered fractions (grade 5 in Fractions I); Decimals II builds on
them and teaches decimals, which your record does not show yet." A study-plan
reason makes claims of four kinds about one learner and one course, each
read from the learner's *observed* record (their enrolments and grades) and
the public course table, never from a simulator's hidden mastery:

``"mastered"``
    a skill the course requires, which the learner has *shown*: they passed
    (grade at least ``pass_grade``) a course that teaches it (or, with
    ``use_requires=True``, the default, a course that builds on it); the
    claim cites that course and grade;
``"not shown"``
    a skill the course requires, with no such pass in the record ("your
    record does not show ... yet");
``"new"``
    a skill the course teaches, not shown in the record;
``"already shown"``
    a skill the course teaches, already shown (the course may add little).

Because the claims are about the record, they are true *of the record* by
construction; whether they are true of the learner is another question,
which :func:`grade_study_plans` answers against a world's truth (e.g.
:class:`reclib.data.courses.CourseWorld`): is a "mastered" skill truly
mastered, is a "new" skill truly not yet mastered, does the course have a
positive learning gain?

:class:`StudyPlanReasons` follows the generator protocol
(:class:`reclib.protocol.ReasonGenerator`): ``fit(enrolments, items=courses)``
then ``generate(users, items)`` / ``generate_one(user, item)``. Its
``aspects_`` are the skills. :meth:`StudyPlanReasons.plan_scores` ranks
courses by the same evidence ("prerequisites shown, content new"), a simple
rule-based recommender.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from reclib.checks import (aspects_of, check_bool, check_fitted, check_ids, check_int,
                           check_one_pair, check_pairs, check_ratings, check_scale, check_table)
from reclib.protocol import Reason, ReasonGenerator, timed_fit
from reclib.reasons.options import check_decoding

CLAIM_KINDS = ("mastered", "not shown", "new", "already shown")


class Claim(NamedTuple):
    """One claim of a study-plan reason: its ``kind`` (one of
    :data:`CLAIM_KINDS`), the ``skill``, and the evidence it cites: the
    ``course`` id and ``grade`` of the pass (None when the claim is that
    there is none)."""

    kind: str
    skill: str
    course: int | None = None
    grade: int | None = None


def _split(value):
    return [s for s in str(value).split(";") if s] if isinstance(value, str) else []


def _check_courses(items):
    if not isinstance(items, pd.DataFrame):
        raise ValueError("items must be the course table (a DataFrame with columns item_id, "
                         "title, teaches, requires), got "
                         f"{type(items).__name__}")
    check_table(items, ("item_id", "title", "teaches", "requires"), "course table")
    ids = check_ids("item", items["item_id"].to_numpy())
    if not np.array_equal(ids, np.arange(len(items))):
        raise ValueError(f"course table: item_id must be 0..{len(items) - 1} in row order")
    for col in ("teaches", "requires"):
        bad = [v for v in items[col] if not isinstance(v, str)]
        if bad:
            raise ValueError(f"course table: {col!r} must hold ';'-separated skill names "
                             f"(empty string for none), got {bad[0]!r}")
    if not all(_split(v) for v in items["teaches"]):
        raise ValueError("course table: every course must teach at least one skill")
    return items


def _join(words):
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


class StudyPlanReasons(ReasonGenerator):
    """Study-plan reasons from a learner's enrolments and grades.

    Parameters
    ----------
    pass_grade : int
        The smallest grade (on the 1-5 scale) that counts as having shown the
        skills a course teaches. ``pass_grade=1`` makes every enrolment count
        as mastery: the careless writer the chapter grades.
    use_requires : bool
        Whether passing a course also shows the skills it *requires* (it
        builds on them, and the grade partly reflects them); False counts only
        the skills a passed course teaches.
    max_claims : int
        At most this many claims of each kind are written into the text (all
        of them are returned by :meth:`claims`).

    ``fit(enrolments, *, items=courses, users=None, aspects=None)``: the
    enrolments have columns ``user_id, item_id, rating`` (the grade); the
    course table (required) has ``item_id, title, teaches, requires``.
    ``aspects`` is the skill vocabulary (default: every skill the course
    table names). ``count_params()`` is the size of the evidence table
    (learners x skills). Not grounded: ``generate`` takes no ``aspects``.
    """

    columns = ("user_id", "item_id", "rating")
    grounded = False

    def __init__(self, pass_grade=4, use_requires=True, max_claims=3):
        self.pass_grade = check_int("pass_grade", pass_grade, low=1, high=5)
        self.use_requires = check_bool("use_requires", use_requires)
        self.max_claims = check_int("max_claims", max_claims)

    def fit(self, train, *, items=None, users=None, aspects=None):
        """Read every learner's record. ``items`` must be the course table.
        Returns ``self``."""
        self.scale_ = check_scale(None)
        check_ratings(train, self.columns, scale=self.scale_, name="enrolments")
        if items is None:
            raise ValueError("StudyPlanReasons needs the course table: fit(enrolments, "
                             "items=courses)")
        _check_courses(items)
        named = sorted({s for col in ("teaches", "requires") for v in items[col]
                        for s in _split(v)})
        if aspects is None:
            self.aspects_ = tuple(named)
        else:
            self.aspects_ = aspects_of(None, aspects)
            unknown = sorted(set(named) - set(self.aspects_))
            if unknown:
                raise ValueError(f"course table names skill(s) {unknown[:5]} that are not in "
                                 f"aspects {list(self.aspects_)}")
        timed_fit(self, train, items, users, {})
        return self

    def _fit(self, train):
        index = {s: k for k, s in enumerate(self.aspects_)}
        n_s = len(self.aspects_)
        self.teaches_ = [_split(v) for v in self.items_["teaches"]]
        self.requires_ = [_split(v) for v in self.items_["requires"]]
        self.titles_ = self.items_["title"].astype(str).to_numpy()
        teach = np.zeros((self.n_items_, n_s))
        req = np.zeros((self.n_items_, n_s))
        for c in range(self.n_items_):
            teach[c, [index[s] for s in self.teaches_[c]]] = 1
            req[c, [index[s] for s in self.requires_[c]]] = 1
        self.teach_mask_, self.require_mask_ = teach, req
        # best grade per learner and skill, and the course that earned it
        best = np.zeros((self.n_users_, n_s), dtype=np.int64)
        source = np.full((self.n_users_, n_s), -1, dtype=np.int64)
        u = train["user_id"].to_numpy(dtype=np.int64)
        i = train["item_id"].to_numpy(dtype=np.int64)
        g = train["rating"].to_numpy(dtype=float).round().astype(np.int64)
        masks = (teach + req > 0) if self.use_requires else teach > 0
        for k in np.lexsort((i, g)):  # ascending grade: the last write is the best
            cols = np.flatnonzero(masks[i[k]])
            better = g[k] >= best[u[k], cols]
            best[u[k], cols[better]] = g[k]
            source[u[k], cols[better]] = i[k]
        self.best_grade_, self.best_course_ = best, source
        self.shown_ = best >= self.pass_grade
        self.taken_ = {int(a): set(b.tolist()) for a, b in
                       train.groupby("user_id")["item_id"].unique().items()}

    def count_params(self):
        """Size of the evidence table (learners x skills)."""
        check_fitted(self, "fit_time_")
        return int(self.best_grade_.size)

    def _one(self, user, item):
        check_fitted(self, "fit_time_")
        return check_one_pair(user, item, self.n_users_, self.n_items_)

    def shown(self, user):
        """``{skill: (course id, grade)}``: the skills the learner's record
        shows (a pass at ``pass_grade`` or better), with the best pass."""
        user, _ = self._one(user, 0)
        return {s: (int(self.best_course_[user, k]), int(self.best_grade_[user, k]))
                for k, s in enumerate(self.aspects_) if self.shown_[user, k]}

    def claims(self, user, item):
        """Every :class:`Claim` the reason for (user, item) makes, in the
        order: mastered, not shown, new, already shown."""
        user, item = self._one(user, item)
        index = {s: k for k, s in enumerate(self.aspects_)}
        out = {kind: [] for kind in CLAIM_KINDS}
        for s in self.requires_[item]:
            k = index[s]
            if self.shown_[user, k]:
                out["mastered"].append(Claim("mastered", s, int(self.best_course_[user, k]),
                                             int(self.best_grade_[user, k])))
            else:
                out["not shown"].append(Claim("not shown", s))
        for s in self.teaches_[item]:
            k = index[s]
            if self.shown_[user, k]:
                out["already shown"].append(Claim("already shown", s,
                                                  int(self.best_course_[user, k]),
                                                  int(self.best_grade_[user, k])))
            else:
                out["new"].append(Claim("new", s))
        return [c for kind in CLAIM_KINDS for c in out[kind]]

    def _text(self, item, claims):
        m = self.max_claims
        by = {kind: [c for c in claims if c.kind == kind][:m] for kind in CLAIM_KINDS}
        title = self.titles_[item]

        def cite(cs):
            return _join(f"{c.skill} (grade {c.grade} in {self.titles_[c.course]})" for c in cs)

        def it(cs):
            return "them" if len(cs) > 1 else "it"

        new = _join(c.skill for c in by["new"])
        gap = _join(c.skill for c in by["not shown"])
        if by["mastered"]:
            text = f"You have mastered {cite(by['mastered'])}; {title} builds on " \
                   f"{it(by['mastered'])}"
            text += f" and teaches {new}, which your record does not show yet." if new else "."
            if gap:
                text += (f" It also builds on {gap}, which your record does not show yet: "
                         f"consider a course on {it(by['not shown'])} first.")
        elif gap:
            text = (f"{title} builds on {gap}, which your record does not show yet: consider "
                    f"a course on {it(by['not shown'])} first.")
            if new:
                text += f" It teaches {new}, also not in your record yet."
        else:
            text = f"{title} needs no earlier skills"
            text += f" and teaches {new}, which your record does not show yet." if new else "."
        if by["already shown"]:
            text += (f" Your record already shows {cite(by['already shown'])}, so parts of it "
                     f"may be revision.")
        return text

    def generate_one(self, user, item, aspect=None, **decoding):
        """The :class:`~reclib.protocol.Reason` for (user, item): its text,
        and as ``aspects`` the ``(skill, claim kind)`` pairs it states;
        ``kind`` is ``"study plan"``. All claims, with the evidence they
        cite, are in :meth:`claims`."""
        check_decoding(decoding)
        if aspect is not None:
            raise ValueError("StudyPlanReasons is not grounded: do not pass aspect=")
        user, item = self._one(user, item)
        claims = self.claims(user, item)
        return Reason(self._text(item, claims), [(c.skill, c.kind) for c in claims],
                      "study plan")

    def _generate(self, users, items, aspects, **decoding):
        check_decoding(decoding)
        if aspects is not None:
            raise ValueError("StudyPlanReasons is not grounded: do not pass aspects=")
        return [self._text(int(i), self.claims(int(u), int(i))) for u, i in zip(users, items)]

    def plan_scores(self, users=None):
        """A rule-based score of every course for each of ``users`` (default:
        all), shape ``(len(users), n_courses)``: the share of its required
        skills the record shows, times the share of its taught skills it does
        not (1 x 1 for a course the learner is ready for and whose content is
        all new). Courses already taken score -inf."""
        check_fitted(self, "fit_time_")
        users = np.arange(self.n_users_) if users is None else \
            check_ids("user", users, self.n_users_)
        shown = self.shown_[users].astype(float)
        n_req = self.require_mask_.sum(axis=1)
        ready = np.where(n_req > 0, (shown @ self.require_mask_.T) / np.maximum(n_req, 1), 1.0)
        new = ((1 - shown) @ self.teach_mask_.T) / self.teach_mask_.sum(axis=1)
        scores = ready * new
        for r, u in enumerate(users):
            taken = list(self.taken_.get(int(u), ()))
            scores[r, taken] = -np.inf
        return scores


def grade_study_plans(world, users, items, claims):
    """Grade study-plan claims against a world's truth.

    Parameters
    ----------
    world : reclib.data.courses.CourseWorld
        Anything with ``has_mastered(users, skills)`` and
        ``learning_gain(users, items)``.
    users, items : sequence of int
        The (learner, course) pairs.
    claims : list of list of Claim
        Per pair, the claims (:meth:`StudyPlanReasons.claims`).

    Returns
    -------
    dict
        ``mastered true`` (share of "mastered" claims whose skill the learner
        truly masters), ``new true`` (share of "new" claims whose skill the
        learner truly has not mastered), ``not shown but mastered`` (share of
        "not shown" claims about a skill the learner in fact masters: the
        record's blind spot), ``all true`` (share of reasons whose mastered
        and new claims are all true), ``positive gain`` (share of pairs whose
        course has a positive true learning gain), ``mean gain``, and the
        numbers of claims of each kind (``n mastered``, ``n new``,
        ``n not shown``). A share with no claims to grade is NaN.
    """
    for method in ("has_mastered", "learning_gain"):
        if not callable(getattr(world, method, None)):
            raise ValueError(f"world must have {method}(...) (e.g. a CourseWorld), got "
                             f"{type(world).__name__}")
    users, items = check_pairs(users, items, world.n_users, world.n_items)
    if isinstance(claims, str) or len(claims) != len(users):
        got = "a string" if isinstance(claims, str) else len(claims)
        raise ValueError(f"claims must be a list with one list of claims per pair: "
                         f"{len(users)} pairs, got {got}")
    rows = []
    for k, (u, cl) in enumerate(zip(users, claims)):
        for c in cl:
            if not isinstance(c, Claim) or c.kind not in CLAIM_KINDS:
                raise ValueError(f"claims[{k}] must hold Claim tuples, got {c!r}")
            rows.append((k, int(u), c.kind, c.skill))
    df = pd.DataFrame(rows, columns=["pair", "user", "kind", "skill"])
    if len(df):
        df["truly mastered"] = world.has_mastered(df["user"].to_numpy(), list(df["skill"]))
    else:
        df["truly mastered"] = pd.Series(dtype=bool)
    df["true"] = np.where(df["kind"] == "mastered", df["truly mastered"],
                          np.where(df["kind"] == "new", ~df["truly mastered"].astype(bool), True))

    def share(mask, values):
        return float(values[mask].mean()) if mask.any() else float("nan")

    graded = df[df["kind"].isin(["mastered", "new"])]
    all_true = graded.groupby("pair")["true"].all().reindex(range(len(users)), fill_value=True)
    gain = world.learning_gain(users, items)
    tm = df["truly mastered"].astype(bool)
    return {"mastered true": share(df["kind"] == "mastered", df["true"].astype(float)),
            "new true": share(df["kind"] == "new", df["true"].astype(float)),
            "not shown but mastered": share(df["kind"] == "not shown", tm.astype(float)),
            "all true": float(all_true.mean()),
            "positive gain": float(np.mean(gain > 0)), "mean gain": float(np.mean(gain)),
            "n mastered": int((df["kind"] == "mastered").sum()),
            "n new": int((df["kind"] == "new").sum()),
            "n not shown": int((df["kind"] == "not shown").sum())}


__all__ = ["CLAIM_KINDS", "Claim", "StudyPlanReasons", "grade_study_plans"]
