import numpy as np
import pytest

from reclib.metrics.risk import (approval_rate_gap, approval_rates, auc, bootstrap_interval,
                                     brier, reliability, tpr_gap)



def sklearn(module):
    """scikit-learn's module (the reference implementation), or skip the test."""
    return pytest.importorskip(f"sklearn.{module}")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    p = rng.random(2000)
    y = (rng.random(2000) < p).astype(int)
    return y, p


def test_auc_and_brier_match_scikit_learn(data):
    sk = sklearn("metrics")
    y, p = data
    assert auc(y, p) == pytest.approx(sk.roc_auc_score(y, p), abs=1e-12)
    rounded = np.round(p, 1)  # many ties
    assert auc(y, rounded) == pytest.approx(sk.roc_auc_score(y, rounded), abs=1e-12)
    assert brier(y, p) == pytest.approx(sk.brier_score_loss(y, p), abs=1e-12)
    assert auc([0, 1], [0.2, 0.9]) == 1.0 and auc([0, 1, 0, 1], [1, 1, 1, 1]) == 0.5


def test_reliability_matches_scikit_learn(data):
    calibration = sklearn("calibration")
    y, p = data
    mp, obs, cnt = reliability(y, p, n_bins=10)
    ref_obs, ref_mp = calibration.calibration_curve(y, p, n_bins=10, strategy="uniform")
    assert np.allclose(mp, ref_mp) and np.allclose(obs, ref_obs)
    assert cnt.sum() == len(y)


def test_gaps_by_hand():
    approved = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    group = np.array(["A", "A", "A", "A", "B", "B", "B", "B"])
    repaid = np.array([1, 1, 1, 0, 1, 1, 0, 0])
    assert approval_rates(approved, group) == {"A": 0.5, "B": 0.25}
    assert approval_rate_gap(approved, group) == 0.25
    # repaid in A: 3, approved 2 -> 2/3; in B: 2, approved 1 -> 1/2
    assert tpr_gap(repaid, approved, group) == pytest.approx(2 / 3 - 1 / 2)
    # TPR is the recall of "approved" among those who repaid (scikit-learn's recall_score)
    sk = sklearn("metrics")
    for g in "AB":
        m = group == g
        assert sk.recall_score(repaid[m], approved[m]) == pytest.approx({"A": 2 / 3, "B": 1 / 2}[g])


def test_bootstrap_interval_contains_the_estimate_and_is_seeded(data):
    y, p = data
    est, lo, hi = bootstrap_interval(auc, y, p, n_boot=200, seed=1)
    assert lo < est < hi and hi - lo < 0.06
    assert bootstrap_interval(auc, y, p, n_boot=200, seed=1) == (est, lo, hi)


def test_bad_inputs(data):
    y, p = data
    with pytest.raises(ValueError, match="both classes"):
        auc(np.zeros(5, int), np.ones(5))
    with pytest.raises(ValueError, match="only 0 and 1"):
        auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="one value per outcome"):
        brier(y, p[:10])
    with pytest.raises(ValueError, match=r"\[0.0, 1.0\]"):
        brier([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match="finite"):
        auc([0, 1], [np.nan, 0.3])
    with pytest.raises(ValueError, match="exactly two"):
        approval_rate_gap([1, 0, 1], ["A", "B", "C"])
    with pytest.raises(ValueError, match="one label per applicant"):
        approval_rate_gap([1, 0, 1], ["A", "B"])
    with pytest.raises(ValueError, match="nobody who repaid"):
        tpr_gap([0, 0, 1], [1, 0, 1], ["A", "A", "B"])
    with pytest.raises(ValueError, match="same length"):
        tpr_gap([0, 1], [1, 0, 1], ["A", "B"])
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_interval(auc, y, p, n_boot=1)
    with pytest.raises(ValueError, match="one length"):
        bootstrap_interval(auc, y, p[:5])
    with pytest.raises(ValueError, match="n_bins"):
        reliability(y, p, n_bins=0)
