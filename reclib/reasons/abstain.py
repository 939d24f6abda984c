"""Abstention: say "not enough evidence" instead of inventing a reason.

A generator asked for a reason always writes one, and a fluent one, even
for a user it knows almost nothing about. :class:`AbstainingReasons` wraps
any reclib reason generator and applies one stated rule before it:

    abstain for (user, item) when the user has fewer than ``min_user_records``
    training records, or the item fewer than ``min_item_records``.

A record is a row of the training table the wrapper was fitted on (a rating
with its review, an enrolment with its grade). For an abstained pair the
text is ``message`` (default :data:`ABSTAIN_MESSAGE`, which says how many
records there are and how many the rule needs); the wrapped generator is
asked only about the other pairs. :meth:`AbstainingReasons.abstains` says
which pairs are abstained and :meth:`AbstainingReasons.abstention_rate`
how often.

Consent fits the same rule: fit on the records of the users who agreed to
their data being used, and every other user has no records, so the wrapper
abstains for them instead of guessing.
"""
from __future__ import annotations

import numpy as np

from reclib.checks import (check_fitted, check_ids, check_int, check_pairs, check_table)
from reclib.protocol import Reason, ReasonGenerator

#: The default text of an abstention (``{n}``: the user's records, ``{need}``:
#: the rule's minimum; ``{n_item}`` and ``{need_item}`` for the item).
ABSTAIN_MESSAGE = ("Not enough evidence to explain this recommendation: your history has "
                   "{n} record(s), and a reason needs at least {need}.")
ITEM_MESSAGE = ("Not enough evidence to explain this recommendation: this item has {n_item} "
                "record(s), and a reason needs at least {need_item}.")
_FIELDS = {"n", "need", "n_item", "need_item"}


def _check_message(name, message):
    if not isinstance(message, str) or not message.strip():
        raise ValueError(f"{name} must be a non-empty string, got {message!r}")
    try:
        message.format(n=0, need=0, n_item=0, need_item=0)
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(f"{name} may only use the fields {sorted(_FIELDS)}, got {message!r} "
                         f"({e})") from None
    return message


class AbstainingReasons(ReasonGenerator):
    """Wrap a reason generator so that it abstains when the evidence is thin.

    Parameters
    ----------
    generator : ReasonGenerator
        Any reclib reason generator (templates, retrieval, neural, study
        plan, ...), fitted or not (see ``fit_generator``).
    min_user_records : int
        Abstain for users with fewer training records than this (>= 0; 0
        never abstains on the user's account).
    min_item_records : int
        Abstain for items with fewer training records than this (>= 0).
    message, item_message : str
        The abstention texts for a thin user and for a thin item (fields
        ``{n}``, ``{need}``, ``{n_item}``, ``{need_item}``).
    fit_generator : bool
        ``True``: :meth:`fit` fits the wrapped generator on the same data.
        ``False``: the generator must already be fitted (on the same
        training table), and :meth:`fit` only counts the records.

    The wrapper follows the generator protocol: ``fit(train, *, items=None,
    users=None, **options)``, ``generate(users, items, aspects=None,
    **decoding)``, ``generate_one``, ``count_params`` (the wrapped
    generator's), and ``aspects_`` (the wrapped generator's vocabulary).
    """

    def __init__(self, generator, min_user_records=5, min_item_records=0, message=ABSTAIN_MESSAGE,
                 item_message=ITEM_MESSAGE, fit_generator=True):
        if not isinstance(generator, ReasonGenerator):
            raise TypeError(f"generator must be a reclib ReasonGenerator (e.g. TemplateReasons()), "
                            f"got {type(generator).__name__}")
        if isinstance(generator, AbstainingReasons):
            raise TypeError("generator is already an AbstainingReasons: wrap the inner "
                            "generator once, with both thresholds")
        self.generator = generator
        self.min_user_records = check_int("min_user_records", min_user_records, low=0)
        self.min_item_records = check_int("min_item_records", min_item_records, low=0)
        self.message = _check_message("message", message)
        self.item_message = _check_message("item_message", item_message)
        if not isinstance(fit_generator, (bool, np.bool_)):
            raise ValueError(f"fit_generator must be True or False, got {fit_generator!r}")
        self.fit_generator = bool(fit_generator)

    @property
    def grounded(self):
        return self.generator.grounded

    def fit(self, train, *, items=None, users=None, **options):
        """Count each user's and item's training records and (with
        ``fit_generator=True``) fit the wrapped generator on ``train``
        (``items``, ``users`` and ``options`` are passed to its ``fit``).
        Returns ``self``."""
        check_table(train, ("user_id", "item_id"), "training table")
        gen = self.generator
        if self.fit_generator:
            gen.fit(train, items=items, users=users, **options)
        else:
            if options:
                raise ValueError(f"fit_generator=False: the generator is already fitted, so "
                                 f"options {sorted(options)} would be ignored")
            if not hasattr(gen, "fit_time_"):
                raise ValueError(f"fit_generator=False but the {type(gen).__name__} is not "
                                 f"fitted: fit it on the same training table first")
        self.aspects_ = gen.aspects_
        self.n_users_, self.n_items_ = gen.n_users_, gen.n_items_
        self.items_, self.users_ = getattr(gen, "items_", None), getattr(gen, "users_", None)
        self.scale_ = getattr(gen, "scale_", None)
        u = check_ids("user", train["user_id"].to_numpy(), self.n_users_)
        i = check_ids("item", train["item_id"].to_numpy(), self.n_items_)
        self.user_records_ = np.bincount(u, minlength=self.n_users_)
        self.item_records_ = np.bincount(i, minlength=self.n_items_)
        self.fit_time_ = float(gen.fit_time_)
        return self

    def count_params(self):
        """The wrapped generator's weights."""
        check_fitted(self, "fit_time_")
        return self.generator.count_params()

    def evidence_counts(self, users, items):
        """``(user records, item records)`` of each pair: two int arrays."""
        check_fitted(self, "fit_time_")
        users, items = check_pairs(users, items, self.n_users_, self.n_items_)
        return self.user_records_[users], self.item_records_[items]

    def abstains(self, users, items):
        """Boolean array: True for the pairs the rule abstains on."""
        nu, ni = self.evidence_counts(users, items)
        return (nu < self.min_user_records) | (ni < self.min_item_records)

    def abstention_rate(self, users, items):
        """Share of the pairs the rule abstains on."""
        return float(np.mean(self.abstains(users, items)))

    def _message(self, nu, ni):
        if nu < self.min_user_records:
            return self.message.format(n=int(nu), need=self.min_user_records, n_item=int(ni),
                                       need_item=self.min_item_records)
        return self.item_message.format(n=int(nu), need=self.min_user_records, n_item=int(ni),
                                        need_item=self.min_item_records)

    def _generate(self, users, items, aspects, **decoding):
        nu, ni = self.user_records_[users], self.item_records_[items]
        off = (nu < self.min_user_records) | (ni < self.min_item_records)
        out = [self._message(a, b) if o else None for a, b, o in zip(nu, ni, off)]
        keep = np.flatnonzero(~off)
        if len(keep):
            sub = None if aspects is None else [aspects[k] for k in keep]
            said = self.generator.generate(users[keep], items[keep], aspects=sub, **decoding)
            for k, t in zip(keep, said):
                out[k] = t
        return out

    def generate_one(self, user, item, aspect=None, **decoding):
        """The :class:`~reclib.protocol.Reason` for one pair: the wrapped
        generator's, or the abstention message with ``kind="abstain"`` and
        no aspects."""
        if np.ndim(user) or np.ndim(item):
            raise ValueError(f"user and item must be one id each, got {user!r} and {item!r}")
        if bool(self.abstains([user], [item])[0]):
            nu, ni = self.evidence_counts([user], [item])
            return Reason(self._message(nu[0], ni[0]), [], "abstain")
        return self.generator.generate_one(user, item, aspect=aspect, **decoding)


__all__ = ["ABSTAIN_MESSAGE", "AbstainingReasons", "ITEM_MESSAGE"]
