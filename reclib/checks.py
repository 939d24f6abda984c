"""Every argument check in reclib, with one message style.

A public function calls these on its inputs before doing anything, so bad
input gets a ``ValueError`` that names the argument and what is wrong with
it ("n_factors must be an integer >= 1, got 0"), never a silent wrong answer
and never an error from deep inside NumPy or Keras.

Messages read ``<name> must be <what>, got <value>``. Nothing here imports
from the rest of reclib, so every module can use it.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import pandas as pd

RATING_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
REVIEW_COLUMNS = ("user_id", "item_id", "rating", "text", "aspect", "sentiment")
SENTIMENTS = ("positive", "negative")


class NotFittedError(ValueError):
    """A model or generator was used before ``fit``."""


# ============================================================ numbers
def check_int(name, value, low=1, high=None):
    """``value`` as an int in ``[low, high]``; bools and non-integral floats
    are rejected (``epochs=2.5`` is an error, not 2)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Integral, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be an integer <= {high}, got {value!r}")
    return int(value)


def check_optional_int(name, value, low=1, high=None):
    """None, or :func:`check_int`."""
    return None if value is None else check_int(name, value, low, high)


def check_number(name, value, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a finite float within the bounds (open or closed)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return value


def check_positive(name, value):
    """A finite number > 0 (a learning rate, a temperature, a noise level)."""
    return check_number(name, value, low=0, low_open=True)


def check_non_negative(name, value):
    """A finite number >= 0 (a penalty, a prior strength)."""
    return check_number(name, value, low=0)


def check_fraction(name, value, open_interval=False):
    """A number in [0, 1], or in (0, 1) when ``open_interval``."""
    return check_number(name, value, 0, 1, low_open=open_interval, high_open=open_interval)


def check_choice(name, value, choices):
    """``value`` if it is one of ``choices``."""
    if isinstance(value, str) or not isinstance(value, (list, dict, set, np.ndarray)):
        if value in choices:
            return value
    raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")


def check_seed(seed, name="seed", what=None):
    """None or a non-negative int (what NumPy's and Keras's generators accept).

    With ``what`` (e.g. "a credit world"), None is refused: that thing is always seeded."""
    if seed is None and what is not None:
        raise ValueError(f"{name} must be a non-negative integer ({what} is always seeded), "
                         f"got None")
    return None if seed is None else check_int(name, seed, low=0)


def check_one_pair(user, item, n_users, n_items):
    """One (user, item) pair of ids in range, as two ints."""
    if np.ndim(user) or np.ndim(item):
        raise ValueError(f"user and item must be one id each, got {user!r} and {item!r}")
    (user,) = check_ids("user", [user], n_users)
    (item,) = check_ids("item", [item], n_items)
    return int(user), int(item)


def check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# ============================================================ rating scale
class RatingScale(NamedTuple):
    """The scale ratings live on: ``low``..``high`` in steps of ``step``
    (``step=None``: any value in the range). ShopSim and MovieLens-100K use
    whole stars 1-5; MovieLens latest-small, 1M-style ``ratings.csv`` files
    and many shops use half stars 0.5-5."""

    low: float = 1.0
    high: float = 5.0
    step: float | None = 1.0

    def values(self):
        """Every allowed rating, lowest first (None for a continuous scale)."""
        if self.step is None:
            return None
        n = int(round((self.high - self.low) / self.step))
        return self.low + self.step * np.arange(n + 1)

    def contains(self, r):
        """Boolean mask: which ratings lie on the scale (range and step)."""
        r = np.asarray(r, dtype=float)
        ok = (r >= self.low - 1e-9) & (r <= self.high + 1e-9)
        if self.step is not None:
            k = (r - self.low) / self.step
            ok &= np.abs(k - np.round(k)) < 1e-6
        return ok

    def clip(self, r):
        return np.clip(r, self.low, self.high)


STARS = RatingScale(1.0, 5.0, 1.0)
HALF_STARS = RatingScale(0.5, 5.0, 0.5)


def check_scale(scale, name="scale"):
    """A :class:`RatingScale` from a RatingScale, ``(low, high)`` or
    ``(low, high, step)``; None gives the book's default, whole stars 1-5."""
    if scale is None:
        return STARS
    if isinstance(scale, RatingScale):
        parts = tuple(scale)
    elif isinstance(scale, (tuple, list)) and len(scale) in (2, 3):
        parts = tuple(scale) + ((None,) if len(scale) == 2 else ())
    else:
        raise ValueError(f"{name} must be a RatingScale or a (low, high[, step]) tuple, "
                         f"got {scale!r}")
    low = check_number(f"{name} low", parts[0])
    high = check_number(f"{name} high", parts[1])
    if not low < high:
        raise ValueError(f"{name} must have low < high, got {scale!r}")
    step = None if parts[2] is None else check_positive(f"{name} step", parts[2])
    if step is not None:
        k = (high - low) / step
        if abs(k - round(k)) > 1e-6:
            raise ValueError(f"{name}: high - low must be a whole number of steps, got {scale!r}")
    return RatingScale(low, high, step)


# ============================================================ ids
def _py(x):
    """A NumPy scalar as the Python value, so messages read 1.5, not np.float64(1.5)."""
    return x.item() if isinstance(x, np.generic) else x


def check_ids(name, ids, n=None):
    """``ids`` as a 1-D int64 array; every id must be a whole number in
    ``0..n-1`` (when ``n`` is given). ``name`` is "user" or "item"."""
    arr = np.asarray(ids)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} ids must be a 1-D sequence, got shape {arr.shape}")
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind in "USO":
        example = next((x for x in arr if not isinstance(x, (Integral, np.integer))), arr[0])
        if arr.dtype.kind == "O" and all(isinstance(x, (Integral, np.integer))
                                         and not isinstance(x, bool) for x in arr):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"{name} ids must be integers 0..n-1, got {_py(example)!r}; map raw "
                             f"ids to integers first (reclib.data.index_ids does this)")
    if arr.dtype.kind == "b":
        raise ValueError(f"{name} ids must be integers, got booleans")
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or not np.all(arr == np.round(arr)):
            bad = arr[~np.isfinite(arr) | (arr != np.round(arr))][0]
            raise ValueError(f"{name} ids must be whole numbers, got {_py(bad)!r}")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"{name} ids must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if n is not None:
        if (arr < 0).any() or (arr >= n).any():
            bad = arr[(arr < 0) | (arr >= n)][0]
            raise ValueError(f"unknown {name} id {bad}: known ids are 0..{n - 1}")
    return arr


def check_pairs(users, items, n_users=None, n_items=None, allow_empty=False):
    """Two equally long 1-D id arrays of (user, item) pairs."""
    users = check_ids("user", users, n_users)
    items = check_ids("item", items, n_items)
    if users.shape != items.shape:
        raise ValueError(f"users and items must have the same length, got "
                         f"{len(users)} and {len(items)}")
    if not allow_empty and len(users) == 0:
        raise ValueError("empty input: no (user, item) pairs")
    return users, items


def check_k(k, name="k"):
    """A cut-off: an integer >= 1."""
    return check_int(name, k, low=1)


def check_same_length(**arrays):
    """Raise unless every named sequence has the same length."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError("mismatched lengths: " +
                         ", ".join(f"{k} has {n}" for k, n in lengths.items()))


# ============================================================ tables
def check_table(df, columns=(), name="table"):
    """``df`` if it is a non-empty DataFrame with ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}")
    if len(df) == 0:
        raise ValueError(f"{name} is empty")
    return df


def check_catalogue(df, columns=(), id_column="item_id", name="items table"):
    """A copy of ``df`` sorted by ``id_column``, if it is a non-empty table with
    ``columns`` and no missing values in them, whose ids are ``0..n-1``, each
    exactly once (row ``k`` is id ``k``: what an ``items=`` or ``users=``
    table must look like)."""
    check_table(df, (id_column, *columns), name)
    ids = check_ids(id_column.split("_")[0], df[id_column].to_numpy())
    if not np.array_equal(np.sort(ids), np.arange(len(df))):
        raise ValueError(f"{name}: {id_column} must be 0..{len(df) - 1}, each exactly once")
    nan = [c for c in columns if df[c].isna().any()]
    if nan:
        raise ValueError(f"{name} has missing values in column(s) {nan}")
    return df.sort_values(id_column, kind="stable").reset_index(drop=True)


def check_ratings(df, columns=RATING_COLUMNS, scale=None, name="ratings table"):
    """``df`` if it is a non-empty ratings table: the columns exist, none has
    a missing value, ids are whole numbers >= 0, and every rating lies on
    ``scale`` (default: whole stars 1-5)."""
    check_table(df, columns, name)
    nan = [c for c in columns if df[c].isna().any()]
    if nan:
        raise ValueError(f"{name} has missing values in column(s) {nan}")
    for col in ("user_id", "item_id"):
        if col in columns:
            check_ids(col.split("_")[0], df[col].to_numpy())
    if "rating" in columns:
        scale = check_scale(scale)
        if not pd.api.types.is_numeric_dtype(df["rating"]) or \
                pd.api.types.is_bool_dtype(df["rating"]):
            raise ValueError(f"{name}: ratings must be numbers, got dtype {df['rating'].dtype}")
        r = df["rating"].to_numpy(dtype=float)
        if not np.isfinite(r).all():
            raise ValueError(f"{name}: ratings must be finite")
        check_on_scale(r, scale, name)
    return df


def check_on_scale(ratings, scale=None, name="ratings"):
    """``ratings`` as a float array, if every one lies on ``scale`` (its range
    and step; default whole stars 1-5)."""
    scale = check_scale(scale)
    r = np.asarray(ratings, dtype=float)
    off = ~scale.contains(r)
    if off.any():
        step = "" if scale.step is None else f" in steps of {scale.step:g}"
        raise ValueError(f"{name}: rating {r[off][0]:g} is not on the scale "
                         f"{scale.low:g}..{scale.high:g}{step} ({int(off.sum())} such "
                         f"rows); pass scale= for another scale")
    return r


def check_reviews(df, columns=REVIEW_COLUMNS, aspects=None, scale=None,
                  name="reviews"):
    """``df`` if it is a review table (ratings plus ``text``, ``aspect`` and
    ``sentiment``); when ``aspects`` is given every review's aspect must be
    one of them."""
    check_ratings(df, columns, scale=scale, name=name)
    if "aspect" in columns:
        if aspects is not None:
            unknown = sorted(set(df["aspect"]) - set(aspects))
            if unknown:
                raise ValueError(f"{name}: unknown aspect(s) {unknown[:5]}; known: "
                                 f"{list(aspects)}")
        non_str = [a for a in df["aspect"].unique() if not isinstance(a, str)]
        if non_str:
            raise ValueError(f"{name}: aspects must be strings, got {non_str[0]!r}")
    if "sentiment" in columns:
        bad = sorted(map(str, set(df["sentiment"]) - set(SENTIMENTS)))
        if bad:
            raise ValueError(f"{name}: sentiment must be 'positive' or 'negative', got {bad[:5]}")
    if "text" in columns:
        if not all(isinstance(t, str) for t in df["text"]):
            raise ValueError(f"{name}: every text must be a string")
    return df


def aspects_of(df, aspects=None, name="reviews"):
    """The aspect vocabulary of a review table: ``aspects`` when given
    (checked to cover every review), else the sorted distinct values of its
    ``aspect`` column."""
    if aspects is None:
        check_table(df, ("aspect",), name)
        return tuple(sorted(df["aspect"].astype(str).unique()))
    if isinstance(aspects, str):
        raise ValueError(f"aspects must be a list of aspect names, not the string {aspects!r}")
    aspects = tuple(aspects)
    if not aspects or not all(isinstance(a, str) and a for a in aspects):
        raise ValueError(f"aspects must be a non-empty list of strings, got {aspects!r}")
    if len(set(aspects)) != len(aspects):
        raise ValueError(f"aspects must not repeat, got {aspects!r}")
    if isinstance(df, pd.DataFrame) and "aspect" in df:
        unknown = sorted(set(df["aspect"]) - set(aspects))
        if unknown:
            raise ValueError(f"{name}: unknown aspect(s) {unknown[:5]}; known: {list(aspects)}")
    return aspects


def check_texts(texts, name="texts", allow_empty=False):
    """A list of strings (a single string is an error: wrap it in a list)."""
    if isinstance(texts, str):
        raise ValueError(f"{name} must be a list of strings, not a single string")
    try:
        texts = list(texts)
    except TypeError:
        raise ValueError(f"{name} must be a list of strings, got {type(texts).__name__}") from None
    bad = [t for t in texts if not isinstance(t, str)]
    if bad:
        raise ValueError(f"{name} must contain only strings, got {bad[0]!r}")
    if not texts and not allow_empty:
        raise ValueError(f"{name} is empty")
    return texts


def check_fitted(obj, attribute):
    """Raise :class:`NotFittedError` unless ``obj`` has ``attribute`` (set by ``fit``)."""
    if not hasattr(obj, attribute):
        raise NotFittedError(f"{type(obj).__name__} is not fitted yet: call fit(...) first")
