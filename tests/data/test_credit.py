import filecmp

import numpy as np
import pandas as pd
import pytest

from reclib.data import credit


@pytest.fixture(scope="module")
def small():
    return credit.generate(n_applicants=3000, seed=5)


def test_default_world_regenerates_byte_for_byte(tmp_path):
    credit.make_credit_data(tmp_path)
    for f in ["applicants.csv", "truth/truth.csv", "truth/params.json"]:
        assert filecmp.cmp(tmp_path / f, credit.DATA_DIR / f, shallow=False), f
    # what make_data writes, and nothing else (lm_reports.csv is tools/credit_reports.py's)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["applicants.csv", "truth/params.json", "truth/truth.csv"]


def test_load_matches_generate():
    w, g = credit.load(), credit.generate()
    pd.testing.assert_frame_equal(w.applicants, g.applicants)
    assert (w.group == g.group).all()
    assert np.abs(w.p_default - g.p_default).max() < 1e-8
    s = w.stats()
    assert s["applicants"] == credit.DEFAULT_N
    assert 0.1 < s["default_rate"] < 0.3


def test_deterministic_and_seed_dependent():
    a = credit.generate(200, seed=1)
    b = credit.generate(200, seed=1)
    c = credit.generate(200, seed=2)
    pd.testing.assert_frame_equal(a.applicants, b.applicants)
    assert not a.applicants.equals(c.applicants)


def test_columns_ranges_and_no_group_in_public_table(small):
    X = small.applicants
    assert list(small.X.columns) == credit.FEATURES
    assert "group" not in X.columns
    assert (X["income"] > 0).all() and X["dti"].between(0, 75).all()
    assert X["utilisation"].between(0, 100).all() and (X["late_payments"] >= 0).all()
    for c, levels in credit.CATEGORICAL.items():
        assert set(X[c]) <= set(levels)


def test_outcomes_follow_the_true_probability(small):
    # the observed default rate in each decile of the true probability is
    # close to that decile's mean probability (binomial noise: 300 per decile)
    order = np.argsort(small.p_default)
    for chunk in np.array_split(order, 10):
        p, y = small.p_default[chunk].mean(), small.y[chunk].mean()
        assert abs(p - y) < 4 * np.sqrt(p * (1 - p) / len(chunk)) + 0.01


def test_protected_group_is_correlated_with_history_only_through_the_data(small):
    h = small.applicants["history_years"]
    assert h[small.group == "B"].median() < h[small.group == "A"].median() - 2
    # the group is not an input of the true probability: same features, same p
    X = small.X.copy()
    assert np.allclose(credit.true_probability(X), small.p_default)


def test_true_contributions_are_shapley_and_sum_to_the_logit_gap(small):
    c = small.true_contributions()
    base = credit.true_logit(credit.baseline_frame())[0]
    assert np.abs(c.sum(axis=1).to_numpy() - (small.true_logit() - base)).max() < 1e-10
    assert (credit.true_contributions(credit.baseline_frame()).abs().to_numpy() < 1e-12).all()
    # the dti x utilisation interaction is split half and half: with only those two
    # features moved from the baseline, each gets its main effect plus half the product
    row = credit.baseline_frame()
    row.loc[0, ["dti", "utilisation"]] = [50.0, 85.0]
    one = credit.true_contributions(row).iloc[0]
    half = credit.DTI_UTIL * 20 * 50 / 2
    assert one["dti"] == pytest.approx(0.04 * 20 + half)
    assert one["utilisation"] == pytest.approx(0.015 * 50 + half)
    assert one.drop(["dti", "utilisation"]).abs().max() < 1e-12


@pytest.mark.parametrize("n, seed", [(0, 1), (5, 1), (2.5, 1), ("100", 1), (True, 1),
                                     (10 ** 7, 1), (100, -1), (100, None), (100, 1.5)])
def test_bad_sizes_and_seeds(n, seed):
    with pytest.raises(ValueError, match="n_applicants|seed"):
        credit.generate(n, seed=seed)


def test_bad_applicant_tables():
    X = credit.baseline_frame()
    with pytest.raises(ValueError, match="missing column"):
        credit.true_logit(X.drop(columns="dti"))
    with pytest.raises(ValueError, match="empty"):
        credit.true_logit(X.iloc[:0])
    bad = X.copy()
    bad["employment"] = "astronaut"
    with pytest.raises(ValueError, match="employment"):
        credit.true_logit(bad)
    bad = X.copy()
    bad["income"] = -5.0
    with pytest.raises(ValueError, match="income"):
        credit.true_logit(bad)
    bad = X.copy()
    bad["dti"] = np.nan
    with pytest.raises(ValueError, match="dti"):
        credit.true_logit(bad)
    with pytest.raises(ValueError, match="DataFrame"):
        credit.true_logit(X.to_numpy())
    w = credit.generate(50, seed=0)
    with pytest.raises(ValueError, match="rows"):
        w.true_contributions([0, 99])
    with pytest.raises(ValueError, match="no credit world"):
        credit.load("/nonexistent/credit")
