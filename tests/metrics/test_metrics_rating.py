"""Tests for reclib.metrics.rating."""
import math

import numpy as np
import pytest

from reclib.checks import HALF_STARS
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
    assert rmse(y, p, clip=False) == pytest.approx(math.sqrt((1.5**2 + 4**2) / 2))
    assert mae(y, p, clip=False) == pytest.approx((1.5 + 4) / 2)
    assert rmse(y, p, clip=None) == rmse(y, p, clip=False)      # the 0.1 spelling


def test_other_scales():
    assert mae([0.5], [2.0], scale=(0, 1)) == pytest.approx(0.5)   # any value in [0, 1]
    # half stars: 0.5 is a rating, and predictions clip to 0.5..5
    assert rmse([0.5, 4.5], [-1.0, 4.5], scale=HALF_STARS) == 0.0
    with pytest.raises(ValueError, match="rating 0.5 is not on the scale 1..5"):
        rmse([0.5, 4.5], [1.0, 4.5])                                # whole stars by default
    with pytest.raises(ValueError, match="rating 4.2 is not on the scale 0.5..5 in steps of 0.5"):
        rmse([4.2], [4.0], scale=HALF_STARS)
    # raw values without a scale: any finite numbers (e.g. expected ratings)
    assert rmse([3.7, 0.2], [3.7, 0.2], clip=False) == 0.0
    with pytest.raises(ValueError, match="not on the scale"):
        rmse([0.2], [0.2], scale=(1, 5), clip=False)                # a given scale is checked


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
    ([0, 2], [1, 2], "rating 0 is not on the scale"),
    ([2.5, 2], [1, 2], "rating 2.5 is not on the scale"),
    (3, 3, "not scalars"),
])
def test_bad_input(fn, y, p, msg):
    with pytest.raises(ValueError, match=msg):
        fn(y, p)


@pytest.mark.parametrize("clip", [(1, 5), "yes", 1])
def test_bad_clip(clip):
    with pytest.raises(ValueError, match="clip must be True or False"):
        rmse([1, 2], [1, 2], clip=clip)


@pytest.mark.parametrize("scale, msg", [((5, 1), "low < high"), ("stars", "RatingScale"),
                                        ((1, 5, 0.3), "whole number of steps")])
def test_bad_scale(scale, msg):
    with pytest.raises(ValueError, match=msg):
        mae([1, 2], [1, 2], scale=scale)
