"""Loaders for the rating and review files readers already have.

Each loader reads one file the caller supplies (it never downloads
anything), checks every line, and returns a :class:`LoadedData`: the book's
tables with ids mapped to ``0..n-1`` and the rating scale of the data.

============================  =========================================================
``load_movielens(path)``      MovieLens ``u.data`` (100K: ``user item rating timestamp``,
                              tab separated, no header), ``ratings.csv`` (latest-small,
                              20M/25M/32M: header ``userId,movieId,rating,timestamp``,
                              half stars 0.5-5) or ``ratings.dat`` (1M:
                              ``UserID::MovieID::Rating::Timestamp``)
``load_amazon(path)``         Amazon reviews, JSON lines: the 2018 field names
                              (``reviewerID, asin, overall, reviewText, summary,
                              unixReviewTime``) or the 2023 ones (``user_id,
                              parent_asin`` or ``asin``, ``rating, text, title,
                              timestamp`` in milliseconds)
``index_ids(table)``          raw ids (strings, sparse numbers) to ``0..n-1``
============================  =========================================================

Files may be gzip-compressed (recognised by their first bytes, whatever their
name). Blank lines are ignored. A malformed line (a missing field, a rating
off the scale, an id that is not a whole number, text that is not JSON) is a
``ValueError`` naming the file, the line number and the problem; with
``on_error="skip"`` such lines are skipped instead, and listed in
``LoadedData.skipped`` (line, problem, content) so they can be printed and
counted. Duplicate (user, item) pairs are kept as they are in the file:
:func:`reclib.data.cleaning.clean_ratings` finds and drops them.
"""
from __future__ import annotations

import gzip
import itertools
import json
import math
import os
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd

from reclib.checks import (HALF_STARS, STARS, RatingScale, check_choice, check_scale,
                           check_table)

ON_ERROR = ("raise", "skip")
MOVIELENS_FORMATS = ("u.data", "ratings.csv", "ratings.dat")
AMAZON_FIELDS = {
    # book column: field in the 2018 files, field in the 2023 files
    "user_id": ("reviewerID", "user_id"),
    "item_id": ("asin", "parent_asin"),
    "rating": ("overall", "rating"),
    "timestamp": ("unixReviewTime", "timestamp"),
    "text": ("reviewText", "text"),
    "summary": ("summary", "title"),
}
SKIPPED_COLUMNS = ["line", "problem", "content"]


@dataclass(repr=False)
class LoadedData:
    """What a loader returns: the tables of one file, ready for the book's code.

    Attributes
    ----------
    ratings : pandas.DataFrame
        ``user_id``, ``item_id`` (``0..n-1``), ``rating``, ``timestamp``
        (Unix seconds), in file order; review files add ``text`` and
        ``summary`` (the review title; ``""`` when absent).
    users, items : pandas.DataFrame
        ``user_id`` / ``item_id`` and ``raw_id``, the id in the file (row
        ``k`` is id ``k``), so ``items.at[k, "raw_id"]`` is the MovieLens
        movie id or the Amazon ASIN of item ``k``. Pass them to a model's
        ``fit(train, items=data.items, users=data.users)``.
    scale : reclib.checks.RatingScale
        The rating scale the file was checked against; pass it on
        (``random_split(data.ratings, scale=data.scale)``).
    format : str
        ``"u.data"``, ``"ratings.csv"``, ``"ratings.dat"``, ``"amazon-2018"``
        or ``"amazon-2023"``.
    path : str
        The file read.
    skipped : pandas.DataFrame
        The malformed lines skipped (``on_error="skip"``): ``line`` (1-based),
        ``problem`` and ``content`` (the start of the line). Empty otherwise.
    """

    ratings: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame
    scale: RatingScale
    format: str
    path: str
    skipped: pd.DataFrame

    @property
    def n_users(self):
        return len(self.users)

    @property
    def n_items(self):
        return len(self.items)

    def __repr__(self):
        step = "" if self.scale.step is None else f" step {self.scale.step:g}"
        return (f"LoadedData({os.path.basename(self.path)!r}, {self.format}: "
                f"{self.n_users} users, {self.n_items} items, {len(self.ratings)} ratings, "
                f"scale {self.scale.low:g}-{self.scale.high:g}{step}, "
                f"{len(self.skipped)} malformed line{'' if len(self.skipped) == 1 else 's'} "
                f"skipped)")


# ===================================================================== ids
def index_ids(table, columns=("user_id", "item_id"), sort=True):
    """Map raw ids (strings, sparse or huge numbers) to ``0..n-1``.

    Models index embedding tables and arrays by id, so every reclib model
    wants ids ``0..n-1``. This maps each column on its own.

    Parameters
    ----------
    table : pandas.DataFrame
        A table with raw ids in ``columns``.
    columns : sequence of str
        The id columns (default ``user_id`` and ``item_id``).
    sort : bool
        Number the ids in sorted order (True: the same ids get the same
        numbers whatever the row order) or in order of first appearance.

    Returns
    -------
    indexed : pandas.DataFrame
        A copy of ``table`` with each id column replaced by ``int64`` codes.
    raw : dict
        ``{column: pandas.Index of raw ids}``; ``raw[column][k]`` is the raw id
        that became ``k``.
    """
    if isinstance(columns, str):
        columns = (columns,)
    check_table(table, columns, "table")
    if not isinstance(sort, bool):
        raise ValueError(f"sort must be True or False, got {sort!r}")
    indexed, raw = table.copy(), {}
    for c in columns:
        missing = int(table[c].isna().sum())
        if missing:
            raise ValueError(f"column {c!r} has {missing} missing id(s); drop or fill those "
                             f"rows first")
        if table[c].dtype == object:  # 3 and "3" would silently be two ids
            kinds = {"number" if isinstance(v, Real) else type(v).__name__ for v in table[c]}
            if len(kinds) > 1:
                raise ValueError(f"ids in column {c!r} mix types ({', '.join(sorted(kinds))}); "
                                 f"convert them to one first, e.g. .astype(str)")
        codes, uniques = pd.factorize(table[c], sort=sort)
        indexed[c] = codes.astype(np.int64)
        raw[c] = pd.Index(uniques, name=c)
    return indexed, raw


# ===================================================================== reading lines
def _check_path(path):
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a file name (str or Path), got {type(path).__name__}")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path!r} (the loaders read a file you "
                                f"downloaded yourself; they never download one)")
    return path


def _lines(path):
    """``(line number, text)`` of every non-blank line; gzip files are read
    through gzip (recognised by their magic bytes)."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    with opener(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                text = raw.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError as e:
                yield n, e  # reported as a malformed line by _parse
                continue
            text = text.strip()
            if text:
                yield n, text


def _parse(path, lines, parse_line, on_error):
    """Run ``parse_line`` on every line; a ValueError it raises is a
    malformed line: raised with the file and line, or recorded and skipped."""
    rows, skipped = [], []
    for n, text in lines:
        try:
            if isinstance(text, UnicodeDecodeError):
                raise ValueError(f"not UTF-8 text ({text.reason} at byte {text.start})")
            rows.append(parse_line(text))
        except ValueError as e:
            if on_error == "raise":
                raise ValueError(f"{path}, line {n}: {e} (pass on_error='skip' to skip "
                                 f"malformed lines and count them)") from None
            content = text if isinstance(text, str) else "<not UTF-8>"
            skipped.append((n, str(e), content[:100]))
    skipped = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    if not rows:
        why = f"all {len(skipped)} lines are malformed, the first: line " \
              f"{skipped.at[0, 'line']}: {skipped.at[0, 'problem']}" if len(skipped) \
            else "the file has no data lines"
        raise ValueError(f"{path}: no ratings read ({why})")
    return rows, skipped


def _whole(value, what):
    """A whole number from a field (``"42"``, ``42``, ``42.0``)."""
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{what} {value!r} is not a whole number") from None
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) \
            or value != int(value):
        raise ValueError(f"{what} {value!r} is not a whole number")
    return int(value)


def _rating(value, scale):
    """A rating from a field, checked against ``scale``."""
    if isinstance(value, bool):
        raise ValueError(f"rating {value!r} is not a number")
    try:
        r = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"rating {value!r} is not a number") from None
    if not math.isfinite(r):
        raise ValueError(f"rating {value!r} is not a finite number")
    # scale.contains in plain Python: it is called once per line
    low, high, step = scale
    k = 0.0 if step is None else (r - low) / step
    if not (low - 1e-9 <= r <= high + 1e-9 and abs(k - round(k)) < 1e-6):
        step = "" if scale.step is None else f" in steps of {scale.step:g}"
        hint = "; pass scale=HALF_STARS for half stars" if scale.step == 1 and \
            r * 2 == round(r * 2) and 0.5 <= r <= 5 else ""
        raise ValueError(f"rating {value!r} is not on the scale {scale.low:g}..{scale.high:g}"
                         f"{step}{hint}")
    return r


def _finish(path, fmt, scale, columns, rows, skipped):
    """Build the :class:`LoadedData` from parsed rows of raw values."""
    table = pd.DataFrame(rows, columns=columns)
    table, raw = index_ids(table)
    whole = scale.step is not None and float(scale.step).is_integer() \
        and float(scale.low).is_integer()
    table["rating"] = table["rating"].astype(np.int64 if whole else np.float64)
    table["timestamp"] = table["timestamp"].astype(np.int64)
    users = pd.DataFrame({"user_id": np.arange(len(raw["user_id"])),
                          "raw_id": raw["user_id"].to_numpy()})
    items = pd.DataFrame({"item_id": np.arange(len(raw["item_id"])),
                          "raw_id": raw["item_id"].to_numpy()})
    return LoadedData(ratings=table, users=users, items=items, scale=scale, format=fmt,
                      path=path, skipped=skipped)


# ===================================================================== MovieLens
def _movielens_format(path, first):
    if first is None:
        raise ValueError(f"{path}: the file is empty")
    if "::" in first:
        return "ratings.dat"
    if "," in first:
        return "ratings.csv"
    if "\t" in first or len(first.split()) == 4:
        return "u.data"
    raise ValueError(f"{path}: cannot tell the MovieLens format from the first line "
                     f"{first[:60]!r}; pass format= one of {MOVIELENS_FORMATS}")


def _csv_header(path, first):
    """Positions of userId, movieId, rating, timestamp in a ratings.csv header."""
    names = [c.strip().lower() for c in first.split(",")]
    wanted = ("userid", "movieid", "rating", "timestamp")
    missing = [w for w in wanted if w not in names]
    if missing:
        raise ValueError(f"{path}, line 1: expected the header userId,movieId,rating,timestamp, "
                         f"got {first[:60]!r}")
    return [names.index(w) for w in wanted], len(names)


def load_movielens(path, format="auto", scale=None, on_error="raise"):
    """Read a MovieLens ratings file.

    Parameters
    ----------
    path : str or Path
        ``u.data`` of MovieLens-100K (or its ``u1.base`` ... split files),
        ``ratings.csv`` of latest-small / 20M / 25M / 32M, or ``ratings.dat``
        of 1M (10M uses the same format with half stars: pass
        ``scale=HALF_STARS``); plain or gzip-compressed.
    format : {"auto", "u.data", "ratings.csv", "ratings.dat"}
        ``"auto"`` tells the format from the first line (``::`` separated,
        comma separated with a header, or tab separated).
    scale : RatingScale, tuple or None
        The rating scale; default whole stars 1-5 for ``u.data`` and
        ``ratings.dat``, half stars 0.5-5 (:data:`reclib.checks.HALF_STARS`)
        for ``ratings.csv``.
    on_error : {"raise", "skip"}
        What a malformed line does: raise a ValueError naming the line, or
        get skipped and listed in ``skipped``.

    Returns
    -------
    LoadedData
        ``ratings`` with ``user_id, item_id, rating, timestamp``; ``users`` and
        ``items`` map the new ids to the file's ``raw_id``.
    """
    path = _check_path(path)
    check_choice("format", format, ("auto",) + MOVIELENS_FORMATS)
    check_choice("on_error", on_error, ON_ERROR)
    lines = _lines(path)
    head = next(lines, None)
    if format == "auto":
        format = _movielens_format(path, None if head is None else head[1])
    if head is None:
        raise ValueError(f"{path}: the file is empty")
    scale = check_scale(scale if scale is not None else
                        HALF_STARS if format == "ratings.csv" else STARS)
    if format == "ratings.csv":
        positions, width = _csv_header(path, head[1])
    else:
        positions, width = [0, 1, 2, 3], 4
        lines = itertools.chain([head], lines)
    sep, sep_name = {"u.data": (None, "tab-separated"), "ratings.csv": (",", "comma-separated"),
                     "ratings.dat": ("::", "'::'-separated")}[format]
    u, i, r, t = positions

    def parse_line(text):
        fields = text.split(sep)
        if len(fields) != width:
            raise ValueError(f"expected {width} {sep_name} fields, got {len(fields)}")
        return (_whole(fields[u], "user id"), _whole(fields[i], "movie id"),
                _rating(fields[r].strip(), scale), _whole(fields[t], "timestamp"))

    rows, skipped = _parse(path, lines, parse_line, on_error)
    return _finish(path, format, scale, ["user_id", "item_id", "rating", "timestamp"],
                   rows, skipped)


# ===================================================================== Amazon
def _amazon_fields(record, fields):
    """The field names of a file, read off its first review:
    ``("2018" or "2023", {book column: field})``."""
    if fields == "auto":
        if "reviewerID" in record:
            fields = "2018"
        elif "user_id" in record:
            fields = "2023"
        else:
            raise ValueError(f"cannot tell the Amazon field names: neither 'reviewerID' "
                             f"(2018) nor 'user_id' (2023) among the fields "
                             f"{sorted(record)[:8]}; pass fields='2018' or '2023'")
    k = 0 if fields == "2018" else 1
    names = {col: pair[k] for col, pair in AMAZON_FIELDS.items()}
    if fields == "2023" and "parent_asin" not in record and "asin" in record:
        names["item_id"] = "asin"  # files without parent_asin: one item per ASIN
    return fields, names


def _json_object(text):
    try:
        record = json.loads(text)
    except json.JSONDecodeError as e:
        hint = " (Python dict syntax: the 2014 'loose JSON' files must be converted " \
               "first, e.g. with ast.literal_eval)" if text.startswith("{'") else ""
        raise ValueError(f"not valid JSON: {e.msg} (column {e.colno}){hint}") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    return record


def load_amazon(path, fields="auto", scale=None, on_error="raise"):
    """Read Amazon reviews in JSON lines (one review object per line).

    Parameters
    ----------
    path : str or Path
        A JSON-lines file, plain or gzip-compressed (``.json``, ``.jsonl``,
        ``.json.gz``, ``.jsonl.gz``).
    fields : {"auto", "2018", "2023"}
        The field names: 2018 (McAuley et al.: ``reviewerID, asin, overall,
        reviewText, summary, unixReviewTime``) or 2023 (Hou et al.:
        ``user_id, parent_asin, rating, text, title, timestamp``, the time in
        milliseconds; ``asin`` when there is no ``parent_asin``). ``"auto"``
        reads them off the first review. Other fields are ignored.
    scale : RatingScale, tuple or None
        The rating scale; default whole stars 1-5.
    on_error : {"raise", "skip"}
        What a malformed line does (not JSON, a missing or ill-typed user,
        item, rating or time field, a rating off the scale): raise a
        ValueError naming the line, or get skipped and listed in ``skipped``.

    Returns
    -------
    LoadedData
        ``ratings`` with ``user_id, item_id, rating, timestamp`` (seconds),
        ``text`` and ``summary`` (``""`` when a review has none); ``items``
        maps item ids to their ASIN (``raw_id``), ``users`` to the reviewer id.
        ``format`` is ``"amazon-2018"`` or ``"amazon-2023"``.
    """
    path = _check_path(path)
    check_choice("fields", fields, ("auto", "2018", "2023"))
    check_choice("on_error", on_error, ON_ERROR)
    scale = check_scale(scale)
    state = {}  # the field names, set from the first review that is a JSON object

    def parse_line(text):
        record = _json_object(text)
        if not state:
            state["fields"], state["names"] = _amazon_fields(record, fields)
        names = state["names"]
        missing = [names[c] for c in ("user_id", "item_id", "rating", "timestamp")
                   if record.get(names[c]) is None]
        if missing:
            raise ValueError(f"missing field(s) {missing}")
        ids = []
        for c in ("user_id", "item_id"):
            v = record[names[c]]
            if isinstance(v, bool) or not isinstance(v, (str, int)) or v == "":
                raise ValueError(f"{names[c]} must be a non-empty string, got {v!r}")
            ids.append(str(v))
        t = _whole(record[names["timestamp"]], names["timestamp"])
        texts = []
        for c in ("text", "summary"):
            v = record.get(names[c])
            if v is not None and not isinstance(v, str):
                raise ValueError(f"{names[c]} must be a string, got {type(v).__name__}")
            texts.append(v or "")
        return (*ids, _rating(record[names["rating"]], scale),
                t // 1000 if state["fields"] == "2023" else t, *texts)

    rows, skipped = _parse(path, _lines(path), parse_line, on_error)
    return _finish(path, f"amazon-{state['fields']}", scale,
                   ["user_id", "item_id", "rating", "timestamp", "text", "summary"],
                   rows, skipped)


__all__ = ["LoadedData", "index_ids", "load_amazon", "load_movielens"]
