"""Cleaning a ratings log and scaling item features without leaking the test set.

A raw interaction log is never clean: clients retry and log a purchase twice,
fields arrive empty, a buggy form sends a rating of 0 or 7, or 3.5 on a
whole-star scale, an item id points at a product that was deleted.
:func:`validate_ratings` finds every such problem and reports it, row by row;
:func:`clean_ratings` drops the offending rows and says how many it dropped
for each reason. Neither guesses a value: a row that cannot be trusted is
removed, not repaired. The rating scale is a parameter (``scale``, a
:class:`reclib.checks.RatingScale`): on ``HALF_STARS`` a 3.5 is a valid
rating, on the default whole stars 1-5 it is not.

Numeric item features (a price, a purchase count) are heavy-tailed and on
different scales, so they are log-transformed (:func:`item_features`) and standardized
with a ``keras.layers.Normalization`` layer whose mean and variance come from
the *training* rows only (:func:`fit_normalizer`, :func:`scale_train_test`).
Identifiers are never scaled: an id is a label, not a quantity; it indexes an
embedding table (or goes through ``keras.layers.IntegerLookup``).
"""
from __future__ import annotations

import keras
import numpy as np
import pandas as pd

from reclib.checks import RATING_COLUMNS, check_optional_int, check_scale, check_table

REQUIRED = RATING_COLUMNS

#: The problems :func:`validate_ratings` reports, in the order they are checked.
PROBLEMS = ("missing_value", "not_numeric", "off_step_rating",
            "out_of_range_rating", "unknown_user", "unknown_item", "duplicate")

REPORT_COLUMNS = ["row", "column", "problem", "value"]


def validate_ratings(df, n_users=None, n_items=None, scale=None, columns=REQUIRED):
    """Find every problem in a ratings table, without changing it.

    Checks, in this order (the names are those of :data:`PROBLEMS`):

    * ``missing_value``: an empty (NaN / None) cell in one of ``columns``;
    * ``not_numeric``: a cell that is not a number (e.g. the text "five");
    * ``off_step_rating``: a rating between two steps of ``scale`` (3.5 on
      whole stars, 3.25 on half stars);
    * ``out_of_range_rating``: a rating outside ``scale`` (0 or 7 on 1-5);
    * ``unknown_user`` / ``unknown_item``: an id that is negative, not a whole
      number, or ``>= n_users`` / ``>= n_items`` (the range is not checked
      when ``n_users`` / ``n_items`` is None);
    * ``duplicate``: a (user_id, item_id) pair that appears again among the
      rows without any of the problems above. The row with the latest
      timestamp is kept (the user's latest opinion; the first of equally late
      rows); the others are duplicates.

    Parameters
    ----------
    df : pandas.DataFrame
        The raw table, with at least ``columns``.
    n_users, n_items : int or None
        Number of known users and items (ids are ``0 .. n - 1``).
    scale : RatingScale, (low, high[, step]) or None
        The rating scale (:func:`reclib.checks.check_scale`); default whole
        stars 1-5, ``reclib.checks.HALF_STARS`` for 0.5-5 in half stars.
    columns : sequence of str
        The columns that must be present and filled.

    Returns
    -------
    pandas.DataFrame
        One line per problem found, with columns ``row`` (0-based position in
        ``df``), ``column``, ``problem`` and ``value`` (the offending value),
        sorted by row; empty for a clean table. A row can have several
        problems (e.g. a rating of 0 for an unknown item).

    Raises
    ------
    ValueError
        If ``df`` is not a DataFrame, lacks a column, or is empty, or if an
        argument is invalid.
    """
    columns = list(columns)
    check_table(df, columns, "ratings table")
    n_users = check_optional_int("n_users", n_users)
    n_items = check_optional_int("n_items", n_items)
    scale = check_scale(scale)

    lines = []

    def report(mask, column, problem, values):
        for pos in np.flatnonzero(mask):
            lines.append((int(pos), column, problem, values[pos]))

    numeric, bad = {}, np.zeros(len(df), dtype=bool)
    for c in columns:
        raw = df[c].to_numpy(dtype=object)
        missing = df[c].isna().to_numpy()
        report(missing, c, "missing_value", raw)
        if c in ("user_id", "item_id", "rating", "timestamp"):
            num = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
            not_num = ~missing & np.isnan(num)
            report(not_num, c, "not_numeric", raw)
            numeric[c] = num
            bad |= not_num
        bad |= missing

    if "rating" in numeric:
        r = numeric["rating"]
        ok = ~np.isnan(r)
        # off the scale's steps whatever the range: 0.5 on 1-5 is off-step and out of range
        off_step = ok & ~_on_grid(scale, r)
        report(off_step, "rating", "off_step_rating", _raw(df, "rating"))
        out = ok & ((r < scale.low) | (r > scale.high))
        report(out, "rating", "out_of_range_rating", _raw(df, "rating"))
        bad |= off_step | out
    for c, n, problem in (("user_id", n_users, "unknown_user"),
                          ("item_id", n_items, "unknown_item")):
        if c not in numeric:
            continue
        x = numeric[c]
        ok = ~np.isnan(x)
        unknown = ok & ((x < 0) | (x != np.round(x)))
        if n is not None:
            unknown |= ok & (x >= n)
        report(unknown, c, problem, _raw(df, c))
        bad |= unknown

    if "user_id" in numeric and "item_id" in numeric:
        good = np.flatnonzero(~bad)
        key = pd.DataFrame({"u": numeric["user_id"][good], "i": numeric["item_id"][good],
                            "pos": good})
        key["t"] = numeric["timestamp"][good] if "timestamp" in numeric else 0.0
        # keep the latest timestamp of each pair; ties: the first row
        keep = key.sort_values(["t", "pos"], ascending=[False, True], kind="stable") \
            .drop_duplicates(["u", "i"], keep="first")["pos"].to_numpy()
        dup = np.zeros(len(df), dtype=bool)
        dup[good] = True
        dup[keep] = False
        pairs = np.array([f"({u:g}, {i:g})" for u, i in
                          zip(numeric["user_id"], numeric["item_id"])], dtype=object)
        report(dup, "user_id,item_id", "duplicate", pairs)

    out = pd.DataFrame(lines, columns=REPORT_COLUMNS)
    order = {p: k for k, p in enumerate(PROBLEMS)}
    out["_order"] = out["problem"].map(order)
    out = out.sort_values(["row", "_order"], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def _on_grid(scale, r):
    """Which ratings are a whole number of steps from the scale's low end."""
    if scale.step is None:
        return np.ones(len(r), dtype=bool)
    k = (r - scale.low) / scale.step
    return np.abs(k - np.round(k)) < 1e-6


def _raw(df, column):
    """The values of ``df[column]`` as a NumPy object array (for reports)."""
    return df[column].to_numpy(dtype=object)


def clean_ratings(df, n_users=None, n_items=None, scale=None, columns=REQUIRED):
    """Drop every row :func:`validate_ratings` reports.

    Parameters are those of :func:`validate_ratings`.

    Returns
    -------
    clean : pandas.DataFrame
        The remaining rows in their original order, with a fresh 0-based
        index, the id and timestamp columns (those of ``columns``) as
        ``int64``, and the ratings as ``int64`` on a scale of whole numbers
        (1-5) or ``float64`` on any other (half stars). A table without
        problems comes back unchanged (up to that index and dtype).
    dropped : pandas.Series
        Number of rows dropped for each problem in :data:`PROBLEMS` (a row
        with several problems counts once, under the first of them), so
        ``dropped.sum() == len(df) - len(clean)``.
    """
    scale = check_scale(scale)
    report = validate_ratings(df, n_users, n_items, scale, columns)
    first = report.drop_duplicates("row", keep="first")
    dropped = first["problem"].value_counts().reindex(list(PROBLEMS), fill_value=0)
    dropped.name = "rows dropped"
    keep = np.ones(len(df), dtype=bool)
    keep[first["row"].to_numpy(dtype=int)] = False
    clean = df.iloc[np.flatnonzero(keep)].reset_index(drop=True)
    whole = scale.step is not None and float(scale.step).is_integer() \
        and float(scale.low).is_integer()
    for c in ("user_id", "item_id", "rating", "timestamp"):
        dtype = np.int64 if c != "rating" or whole else np.float64
        if c in columns and clean[c].dtype != dtype:
            clean[c] = pd.to_numeric(clean[c]).astype(dtype)
    return clean, dropped


# --- scaling -----------------------------------------------------------------

def item_features(items, log=("price",)):
    """Numeric item features ready for scaling: ``log_<name>`` for each column
    in ``log`` (positive, heavy-tailed columns such as a price or a purchase
    count).

    The default is the price only. ShopSim's ``popularity`` column is the
    simulator's *exposure parameter* (how often the world shows an item),
    an oracle quantity no real shop log contains: pass it explicitly
    (``log=("price", "popularity")``) only to illustrate a heavy tail, and
    use an observed count (e.g. the item's purchases in the training split)
    as a feature.

    Returns a float32 DataFrame indexed by ``item_id``. Identifiers are not
    features and are never included.
    """
    log = (log,) if isinstance(log, str) else tuple(log)
    check_table(items, ("item_id", *log), "items table")
    out = {}
    for c in log:
        x = pd.to_numeric(items[c], errors="coerce").to_numpy(dtype=float)
        if np.isnan(x).any() or (x <= 0).any():
            raise ValueError(f"column {c!r} must be positive numbers to take its log")
        out[f"log_{c}"] = np.log(x).astype(np.float32)
    return pd.DataFrame(out, index=pd.Index(items["item_id"].to_numpy(), name="item_id"))


def _as_matrix(name, values):
    x = np.asarray(values, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 1-D or 2-D array, got shape {x.shape}")
    if len(x) == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def fit_normalizer(train_values):
    """A ``keras.layers.Normalization`` layer adapted on ``train_values``.

    ``train_values`` has one row per training example and one column per
    feature. The layer stores the per-column mean and variance of these rows
    and maps ``x`` to ``(x - mean) / sqrt(variance)``. Fit it on the training
    split only, then apply it, unchanged, to validation and test rows.
    """
    x = _as_matrix("train_values", train_values)
    if len(x) < 2:
        raise ValueError("train_values needs at least 2 rows to estimate a variance")
    layer = keras.layers.Normalization(axis=-1)
    layer.adapt(x)
    return layer


def scale_train_test(train_values, test_values):
    """Standardize train and test features with statistics of the train rows.

    Returns ``(train_scaled, test_scaled, layer)``: two float32 NumPy arrays
    and the adapted :func:`fit_normalizer` layer (``layer.mean``,
    ``layer.variance``). Nothing about ``test_values`` influences the
    statistics; the test rows are only transformed.
    """
    layer = fit_normalizer(train_values)
    test = _as_matrix("test_values", test_values)
    if test.shape[1] != layer.mean.shape[-1]:
        raise ValueError(f"test_values has {test.shape[1]} feature(s), train_values "
                         f"{layer.mean.shape[-1]}")
    train = _as_matrix("train_values", train_values)
    return (keras.ops.convert_to_numpy(layer(train)),
            keras.ops.convert_to_numpy(layer(test)), layer)
