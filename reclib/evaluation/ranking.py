"""Top-K evaluation of a fitted recommender against held-out interactions.

:func:`evaluate_ranking` asks a fitted :class:`reclib.protocol.Recommender`
for the top-``k`` list of every test user and scores the lists with
:func:`reclib.metrics.ranking.ranking_report`: precision, recall and NDCG
at ``k`` (means over the test users) and catalogue coverage. Like every
harness in :mod:`reclib.evaluation` it takes a model; the metrics take lists.
"""
from __future__ import annotations

import pandas as pd

from reclib.checks import check_fitted, check_ids, check_int, check_k, check_number, check_table
from reclib.metrics.ranking import ranking_report
from reclib.protocol import top_k_lists


def relevant_items(test, min_rating=None):
    """``{user: set of item ids}`` from a held-out table (``user_id``,
    ``item_id``, and ``rating`` when ``min_rating`` keeps only the rows
    rated at least that)."""
    cols = ("user_id", "item_id") + (() if min_rating is None else ("rating",))
    check_table(test, cols, "test table")
    if min_rating is not None:
        test = test[test["rating"] >= check_number("min_rating", min_rating)]
    users = check_ids("user", test["user_id"].to_numpy())
    items = check_ids("item", test["item_id"].to_numpy())
    out = {}
    for u, i in zip(users.tolist(), items.tolist()):
        out.setdefault(u, set()).add(i)
    return out


def _exclusions(model, exclude):
    if isinstance(exclude, str) and exclude == "rated":
        return model.rated_
    if exclude is None:
        return None
    if isinstance(exclude, pd.DataFrame):
        check_table(exclude, ("user_id", "item_id"), "exclude table")
        return {int(u): g.to_numpy() for u, g in exclude.groupby("user_id")["item_id"]}
    if isinstance(exclude, dict):
        return exclude
    raise ValueError(f"exclude must be 'rated', None, a table or a dict, got {exclude!r:.60}")


def evaluate_ranking(model, test, k=10, *, exclude="rated", candidates=None, min_rating=None,
                     batch_size=512):
    """Score a fitted recommender's top-``k`` lists on held-out interactions.

    Parameters
    ----------
    model : reclib.protocol.Recommender
        A fitted recommender (anything with ``score_matrix(users)``,
        ``n_users_``, ``n_items_`` and ``rated_``).
    test : DataFrame
        Held-out ``user_id, item_id`` rows: each user's relevant items.
    k : int
        List length and metric cut-off.
    exclude : "rated", None, DataFrame or dict
        Items never recommended to a user: ``"rated"`` (default) the items
        the user rated in the model's training table; a table or
        ``{user: items}`` (e.g. a larger training set than the model saw);
        None nothing.
    candidates : sequence of int, optional
        Recommend only among these items (e.g. the new arrivals).
    min_rating : float, optional
        Count only test rows rated at least this as relevant.
    batch_size : int
        Users scored per ``score_matrix`` call.

    Returns
    -------
    dict
        :func:`reclib.metrics.ranking.ranking_report` of the lists:
        ``precision@K``, ``recall@K``, ``ndcg@K``, ``coverage@K``, ``n_users``.
    """
    check_fitted(model, "fit_time_")
    k = check_k(k)
    batch_size = check_int("batch_size", batch_size)
    relevant = relevant_items(test, min_rating)
    if not relevant:
        raise ValueError(f"no test row is rated at least {min_rating}: nothing is relevant")
    users = check_ids("user", sorted(relevant), model.n_users_)
    check_ids("item", [i for s in relevant.values() for i in s], model.n_items_)
    exclude = _exclusions(model, exclude)
    lists = {}
    for start in range(0, len(users), batch_size):
        chunk = users[start:start + batch_size]
        lists.update(top_k_lists(model.score_matrix(chunk), chunk, k, exclude, candidates))
    return ranking_report(lists, relevant, k, model.n_items_)


__all__ = ["evaluate_ranking", "relevant_items"]
