"""Reasons written earlier and read back, so that a slow generator's output can
be graded like any other generator's.

Chapter 9 grades the language model's reasons for 300 pairs without running
the model again (it writes about one reason per second on two cores): they
were written by ``make lm-reasons`` into ``data/lm/reasons.csv``.
:class:`StoredReasons` serves such a table through the generator protocol, so
``head_to_head`` guards and scores it beside generators that run live.
"""
from __future__ import annotations

from reclib.checks import check_int, check_non_negative, check_table
from reclib.protocol import ReasonGenerator


class StoredReasons(ReasonGenerator):
    """A generator that returns reasons stored in a table.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``user_id, item_id, text``, at most one row per pair.
    parameters : int
        The weight count of the model that wrote them (``count_params``).
    train_seconds : float
        Its training time, to report as ``fit_time_`` instead of the
        (instant) fit of this class.

    ``generate`` accepts and ignores decoding options: the texts are already
    decoded. A pair that is not in the table is an error, never a blank.
    """

    grounded = False

    def __init__(self, table, parameters=0, train_seconds=0.0):
        check_table(table, ("user_id", "item_id", "text"), "table")
        keys = list(zip(table["user_id"].astype(int), table["item_id"].astype(int)))
        if len(set(keys)) != len(keys):
            raise ValueError("table holds more than one reason for some (user, item) pair")
        self.table = table
        self.parameters = check_int("parameters", parameters, 0)
        self.train_seconds = check_non_negative("train_seconds", train_seconds)
        self._texts = dict(zip(keys, table["text"].astype(str)))

    def _fit(self, train):
        """Nothing to learn: the reasons are already written."""

    def fit(self, train, **kwargs):
        super().fit(train, **kwargs)
        self.fit_time_ = self.train_seconds  # the writer's training time, not this fit's
        return self

    def count_params(self):
        return self.parameters

    def _generate(self, users, items, aspects, **decoding):
        out = []
        for u, i in zip(users, items):
            key = (int(u), int(i))
            if key not in self._texts:
                raise ValueError(f"no stored reason for user {key[0]}, item {key[1]}")
            out.append(self._texts[key])
        return out
