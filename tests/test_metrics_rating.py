"""Tests for reclib.metrics.rating."""
import math

import numpy as np
import pytest

from reclib.metrics.rating import mae, rmse


def test_known_values():
    y = [1, 2, 3, 4]
    p = [2, 2, 3, 2]  # errors 1, 0, 0, 2
    assert rmse(y, p) == pytest.approx(math.sqrt(5 / 4))
    assert mae(y, p) == pytest.approx(3 / 4)


def test_predictions_are_clipped_to_rating_range():
    y = [5, 1]
    p = [6.5, -3.0]  # clipped to 5 and 1: perfect
    assert rmse(y, p) == 0.0
    assert mae(y, p) == 0.0
    # without clipping the raw errors count
    assert rmse(y, p, clip=None) == pytest.approx(math.sqrt((1.5**2 + 4**2) / 2))
    assert mae(y, p, clip=None) == pytest.approx((1.5 + 4) / 2)


def test_custom_clip_range():
    assert mae([0.5], [2.0], clip=(0, 1)) == pytest.approx(0.5)


def test_rmse_at_least_mae_random():
    rng = np.random.default_rng(0)
    y = rng.integers(1, 6, 200)
    p = rng.uniform(0, 6, 200)
    assert rmse(y, p) >= mae(y, p)
    assert rmse(y, p) == pytest.approx(np.sqrt(np.mean((y - np.clip(p, 1, 5)) ** 2)))


@pytest.mark.parametrize("fn", [rmse, mae])
@pytest.mark.parametrize("y,p,msg", [
    ([1, 2], [1], "mismatched lengths"),
    ([], [], "empty"),
    ([1, np.nan], [1, 2], "y_true contains NaN"),
    ([1, 2], [1, np.inf], "y_pred contains NaN"),
    ([0, 2], [1, 2], "outside the clip range"),
    (3, 3, "not scalars"),
])
def test_bad_input(fn, y, p, msg):
    with pytest.raises(ValueError, match=msg):
        fn(y, p)


@pytest.mark.parametrize("clip", [(5, 1), (1,), "ab"])
def test_bad_clip(clip):
    with pytest.raises(ValueError, match="clip"):
        rmse([1, 2], [1, 2], clip=clip)
