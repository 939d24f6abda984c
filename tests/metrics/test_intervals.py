"""Tests for reclib.metrics.intervals: the one percentile bootstrap, against a
direct NumPy computation and scipy.stats.bootstrap (percentile method), seed
determinism, the global NumPy state left alone, strata, the paired variant, the
variant over training runs and bad input."""
import numpy as np
import pytest
from scipy import stats

from reclib.metrics.intervals import bootstrap, bootstrap_runs, paired_bootstrap


@pytest.fixture
def x():
    return np.random.default_rng(3).gamma(2.0, 1.5, 200)


def test_matches_a_direct_numpy_computation(x):
    est, lo, hi, draws = bootstrap(np.mean, x, n_boot=500, seed=11, return_draws=True)
    idx = np.random.default_rng(11).integers(0, len(x), (500, len(x)))
    direct = x[idx].mean(1)
    np.testing.assert_array_equal(draws, direct)
    assert est == x.mean()
    assert (lo, hi) == tuple(np.quantile(direct, [0.025, 0.975]))


def test_agrees_with_scipy_percentile_bootstrap(x):
    # different random streams: the endpoints agree to Monte Carlo error,
    # a small share of the interval's width with 4000 replicates
    est, lo, hi = bootstrap(np.mean, x, n_boot=4000, seed=0)
    ref = stats.bootstrap((x,), np.mean, n_resamples=4000, method="percentile",
                          confidence_level=0.95, random_state=np.random.default_rng(1),
                          vectorized=False).confidence_interval
    width = ref.high - ref.low
    assert abs(lo - ref.low) < 0.1 * width and abs(hi - ref.high) < 0.1 * width
    assert lo < est < hi


def test_level_widens_the_interval(x):
    _, lo90, hi90 = bootstrap(np.mean, x, n_boot=500, level=0.9, seed=0)
    _, lo99, hi99 = bootstrap(np.mean, x, n_boot=500, level=0.99, seed=0)
    assert lo99 < lo90 < hi90 < hi99


def test_seed_determinism_and_no_global_state(x):
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    a = bootstrap(np.median, x, n_boot=100, seed=4)
    after = np.random.get_state()[1]
    np.testing.assert_array_equal(before, after)
    assert a == bootstrap(np.median, x, n_boot=100, seed=4)
    assert a != bootstrap(np.median, x, n_boot=100, seed=5)


def test_same_rows_of_every_array():
    a = np.arange(50.0)
    est, lo, hi, d = bootstrap(lambda u, v: np.mean(u - v), a, a.copy(), n_boot=50,
                               return_draws=True)
    assert est == lo == hi == 0.0 and (d == 0).all()


def test_vector_statistic_gives_one_interval_each(x):
    two = np.stack([x, 2 * x], 1)
    est, lo, hi = bootstrap(lambda m: m.mean(0), two, n_boot=300, seed=2)
    e1, l1, h1 = bootstrap(np.mean, x, n_boot=300, seed=2)
    np.testing.assert_allclose([est[0], lo[0], hi[0]], [e1, l1, h1], rtol=1e-12)
    np.testing.assert_allclose([est[1], lo[1], hi[1]], [2 * e1, 2 * l1, 2 * h1], rtol=1e-12)


def test_strata_keep_their_sizes():
    y = np.r_[np.ones(30), np.zeros(70)]
    _, lo, hi, d = bootstrap(np.mean, y, n_boot=50, strata=y, return_draws=True)
    assert (d == 0.3).all() and lo == hi == 0.3
    rng = np.random.default_rng(0)
    s = rng.normal(size=100)
    _, _, _, d = bootstrap(lambda yy, ss: ss[yy == 1].mean(), y, s, n_boot=200, seed=1,
                           strata=y, return_draws=True)
    r = np.random.default_rng(1)
    direct = []
    for _ in range(200):
        m = s[:30][r.integers(0, 30, 30)]
        r.integers(0, 70, 70)
        direct.append(m.mean())
    np.testing.assert_array_equal(d, direct)


def test_paired_difference_uses_the_same_units():
    rng = np.random.default_rng(0)
    unit = rng.normal(0, 5, 300)           # large per-unit effect shared by both methods
    a, b = unit + 0.3 + rng.normal(0, 0.2, 300), unit + rng.normal(0, 0.2, 300)
    est, lo, hi = paired_bootstrap(np.mean, a, b, n_boot=1000, seed=0)
    assert est == pytest.approx(a.mean() - b.mean())
    assert 0.2 < lo < est < hi < 0.4        # the shared unit effect cancels
    _, ua, _ = bootstrap(np.mean, a, n_boot=1000, seed=0)
    _, _, ub = bootstrap(np.mean, b, n_boot=1000, seed=0)
    assert ua < ub                           # unpaired intervals overlap
    _, _, _, da = bootstrap(np.mean, a, n_boot=200, seed=3, return_draws=True)
    _, _, _, db = bootstrap(np.mean, b, n_boot=200, seed=3, return_draws=True)
    _, _, _, dd = paired_bootstrap(np.mean, a, b, n_boot=200, seed=3, return_draws=True)
    np.testing.assert_allclose(dd, da - db, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_boot": 5}, ValueError, "n_boot"),
    ({"n_boot": 2.5}, ValueError, "n_boot"),
    ({"level": 1.0}, ValueError, "level"),
    ({"level": 0}, ValueError, "level"),
    ({"seed": -1}, ValueError, "seed"),
    ({"strata": [0, 1]}, ValueError, "one label per unit"),
])
def test_bad_options(x, kwargs, error, match):
    with pytest.raises(error, match=match):
        bootstrap(np.mean, x, **kwargs)


def test_bad_input(x):
    with pytest.raises(TypeError, match="stat must be a function"):
        bootstrap("mean", x)
    with pytest.raises(ValueError, match="at least one array"):
        bootstrap(np.mean)
    with pytest.raises(ValueError, match="mismatched lengths"):
        bootstrap(lambda a, b: a.mean(), x, x[:5])
    with pytest.raises(ValueError, match="at least two units"):
        bootstrap(np.mean, x[:1])
    with pytest.raises(ValueError, match="scalar"):
        bootstrap(np.mean, 3.0)
    with pytest.raises(ValueError, match="non-finite"):
        bootstrap(np.mean, np.r_[x, np.nan])
    with pytest.raises(ValueError, match="1-D array"):
        bootstrap(lambda a: np.ones((2, 2)), x, n_boot=10)
    with pytest.raises(ValueError, match="stratum"):
        bootstrap(np.mean, x[:5], strata=[0, 0, 0, 0, 1], n_boot=10)
    with pytest.raises(ValueError, match="same units"):
        paired_bootstrap(np.mean, x, x[:10])
    with pytest.raises(TypeError, match="stat must be a function"):
        paired_bootstrap(None, x, x)


def test_runs_bootstrap_is_a_direct_computation():
    """Each replicate: the units of bootstrap(seed), one run from default_rng([seed, 1])."""
    rng = np.random.default_rng(5)
    values = rng.normal(size=(3, 150, 2)) + np.array([0.0, 0.3, 0.6])[:, None, None]
    est, lo, hi = bootstrap_runs(values, n_boot=400, seed=9)
    units = np.random.default_rng(9).integers(0, 150, (400, 150))
    run = np.random.default_rng([9, 1]).integers(3, size=400)
    direct = np.stack([values[r, idx].mean(axis=0) for r, idx in zip(run, units)])
    assert np.allclose(est, values.mean(axis=(0, 1)))
    assert np.allclose(lo, np.quantile(direct, 0.025, axis=0))
    assert np.allclose(hi, np.quantile(direct, 0.975, axis=0))


def test_runs_bootstrap_with_one_run_is_the_units_bootstrap(x):
    assert np.allclose(bootstrap_runs(x[None], n_boot=300, seed=4),
                       bootstrap(np.mean, x, n_boot=300, seed=4))


def test_runs_that_disagree_widen_the_interval(x):
    same = bootstrap_runs(np.stack([x, x, x]), n_boot=500, seed=1)
    apart = bootstrap_runs(np.stack([x - 1.0, x, x + 1.0]), n_boot=500, seed=1)
    assert np.isclose(same[0], apart[0])
    assert apart[2] - apart[1] > 3 * (same[2] - same[1])
    assert apart[1] < x.mean() - 0.9 and apart[2] > x.mean() + 0.9


def test_runs_bootstrap_bad_input(x):
    with pytest.raises(ValueError, match=r"shape \(runs, units\)"):
        bootstrap_runs(x)
    with pytest.raises(ValueError, match="no training run"):
        bootstrap_runs(np.empty((0, 10)))
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_runs(np.stack([x, np.r_[x[:-1], np.nan]]))
    with pytest.raises(ValueError, match="at least two units"):
        bootstrap_runs(np.ones((3, 1)))
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_runs(np.stack([x, x]), n_boot=3)
