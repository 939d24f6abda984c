"""Adverse-action-style risk reports: the principal reasons behind a credit decision.

US law (the Equal Credit Opportunity Act and its Regulation B, 12 CFR
1002.9) requires a lender who declines an application to give the
applicant a statement of the *specific principal reasons*; the official
sample forms list up to four. A report here is that statement: up to four
factors, each with its direction and the applicant's own value, in plain
language::

    1. Your debt-to-income ratio of 52.0% is the largest factor raising your risk.
    2. Your 3 late payments raise your risk.

Writers (all ``fit(model, X)`` then ``generate(X)`` -> list of
:class:`RiskReport`):

- :class:`TemplateReportWriter`: the factors with the largest positive
  attribution *for this applicant* (from the risk model's ``attributions``),
  true to the model by construction;
- :class:`GlobalImportanceWriter`: the model's *global* ranking (the same
  four factors for everyone, as a model card would list them), stated as
  raising this applicant's risk: fluent, and often wrong for the person;
- :func:`guard_report`: reads a report's claims back from its text
  (:func:`read_claims`), drops or rewrites any claim that this applicant's
  attributions and data do not support (:func:`claim_supported`), and with
  ``complete=True`` fills in the true principal reasons it lacks.

Why not :class:`reclib.protocol.ReasonGenerator`: that protocol explains a
(user, item) pair and is fitted on reviews with an aspect vocabulary. A
report explains one applicant's decision, is fitted on a risk model (its
attributions are the evidence), and carries structured claims that the guard
and the metrics check against the model and the data. The shape is kept
where it fits: ``fit`` then ``generate``, a text per input, and the claims it
makes (as ``Reason.aspects`` does) on :class:`RiskReport`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from reclib.checks import check_fitted, check_int, check_non_negative
from reclib.data.credit import CATEGORICAL, FEATURES, LABELS, check_applicants

MAX_REASONS = 4  # Regulation B's sample notices list up to four principal reasons
MIN_EFFECT = 0.05  # log-odds: a smaller attribution is no reason at all
DIRECTIONS = ("raises", "lowers")

# words that name a factor in a report (the label first); the reader looks for them
FACTOR_WORDS = {
    "income": ["income", "earnings"],
    "dti": ["debt-to-income", "debt to income", "dti"],
    "history_years": ["credit history", "history length", "years of history"],
    "late_payments": ["late payment", "missed payment", "delinquen"],
    "utilisation": ["utilisation", "utilization", "credit usage"],
    "employment": ["employment", "employed", "job"],
    "loan_amount": ["loan amount", "amount requested", "amount applied"],
    "purpose": ["purpose", "loan for"],
}
_RAISE = re.compile(r"\b(rais|increas|add|higher risk|hurt|count(s|ed)? against)", re.I)
_LOWER = re.compile(r"\b(lower|reduc|decreas|help|count(s|ed)? in your favou?r)", re.I)
_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)")


@dataclass
class Claim:
    """One stated reason: the ``factor`` (a column of the credit world), its
    ``direction`` ("raises" or "lowers" the risk) and the ``value`` stated
    for the applicant (a number, a category, or None if none is stated)."""

    factor: str
    direction: str
    value: object = None


@dataclass
class RiskReport:
    """A report for one applicant: its ``text`` and the :class:`Claim` s it makes."""

    applicant: object
    text: str
    claims: list = field(default_factory=list)

    def __str__(self):
        return self.text


def format_value(factor, value):
    """The applicant's value as a report writes it ("52.0%", "3.1 years", "23,400")."""
    if factor in CATEGORICAL:
        return str(value)
    v = float(value)
    if factor in ("dti", "utilisation"):
        return f"{v:.1f}%"
    if factor == "history_years":
        return f"{v:.1f} years"
    if factor == "late_payments":
        return f"{int(round(v))}"
    return f"{v:,.0f}"


def sentence(factor, direction, value, rank=None):
    """One reason in plain language, with the applicant's value."""
    verb = "raising" if direction == "raises" else "lowering"
    if rank == 0:
        lead = f"is the largest factor {verb} your risk"
    else:
        lead = f"{'raises' if direction == 'raises' else 'lowers'} your risk"
    v = format_value(factor, value)
    if factor == "late_payments":
        n = int(round(float(value)))
        noun = f"{v} late payment{'s' if n != 1 else ''} in the last two years"
        if rank == 0:
            return f"Your {noun} {'is' if n == 1 else 'are'} the largest factor {verb} your risk."
        return f"Your {noun} {'raise' if direction == 'raises' else 'lower'}{'s' if n == 1 else ''}" \
               f" your risk."
    if factor == "employment":
        return f"Your employment status ({v}) {lead}."
    if factor == "purpose":
        return f"The loan purpose ({v}) {lead}."
    return f"Your {LABELS[factor]} of {v} {lead}."


def compose(applicant, claims):
    """A :class:`RiskReport` whose text states ``claims`` in order, numbered."""
    lines = [f"{k + 1}. {sentence(c.factor, c.direction, c.value, k)}"
             for k, c in enumerate(claims)]
    text = "Principal reasons for our decision:\n" + "\n".join(lines) if lines else \
        "No single factor raised your risk markedly."
    return RiskReport(applicant, text, list(claims))


def read_claims(text):
    """The claims a report's text makes, read back by a rule-based reader:
    one claim per sentence or line that names a factor (:data:`FACTOR_WORDS`),
    with its direction (None if the sentence gives none) and the value it
    states (the first number, or the category named)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    claims = []
    for part in re.split(r"(?<=[.!?])\s+|\n", text):
        low = part.lower()
        found = [f for f, words in FACTOR_WORDS.items() if any(w in low for w in words)]
        if not found:
            continue
        # the factor named first in the sentence
        factor = min(found, key=lambda f: min(low.find(w) for w in FACTOR_WORDS[f] if w in low))
        up, down = _RAISE.search(part), _LOWER.search(part)
        direction = "raises" if up and not down else "lowers" if down and not up else None
        value = None
        if factor in CATEGORICAL:
            levels = [lv for lv in CATEGORICAL[factor] if lv in low]
            value = max(levels, key=len) if levels else None
        else:
            body = re.sub(r"^\s*\d+\.\s*", "", part)  # drop the list number
            nums = _NUMBER.findall(body)
            value = float(nums[0].replace(",", "")) if nums else None
        claims.append(Claim(factor, direction, value))
    return claims


def _value_matches(factor, stated, actual):
    if stated is None:
        return True  # no value stated: nothing to contradict
    if factor in CATEGORICAL:
        return str(stated) == str(actual)
    a = float(actual)
    return abs(float(stated) - a) <= max(0.051, 0.005 * abs(a))


def claim_supported(claim, attribution, applicant, min_effect=MIN_EFFECT):
    """Whether this applicant's attributions and data support ``claim``:
    the factor's attribution has the stated sign and is at least
    ``min_effect`` in size, and the stated value is the applicant's own.
    ``attribution``: a Series (or dict) factor -> log-odds; ``applicant``:
    the applicant's row (Series or dict)."""
    if claim.factor not in attribution:
        return False
    a = float(attribution[claim.factor])
    if claim.direction not in DIRECTIONS or abs(a) < min_effect:
        return False
    if (a > 0) != (claim.direction == "raises"):
        return False
    return _value_matches(claim.factor, claim.value, applicant[claim.factor])


def principal_factors(attribution, k=MAX_REASONS, min_effect=MIN_EFFECT):
    """The up to ``k`` factors raising this applicant's risk most (attribution
    >= ``min_effect``), largest first."""
    s = pd.Series(attribution, dtype=float).sort_values(ascending=False, kind="stable")
    return list(s[s >= min_effect].index[:k])


class _Writer:
    def __init__(self, max_reasons=MAX_REASONS, min_effect=MIN_EFFECT):
        self.max_reasons = check_int("max_reasons", max_reasons, low=1, high=MAX_REASONS)
        self.min_effect = check_non_negative("min_effect", min_effect)

    def fit(self, model, X):
        """Take a fitted risk model (with ``attributions``) and reference
        applicants ``X`` (e.g. the training rows). Returns ``self``."""
        if not hasattr(model, "attributions"):
            raise TypeError(f"model must be a fitted risk model with attributions(), got "
                            f"{type(model).__name__}")
        check_applicants(X)
        self.model_ = model
        self._fit(X)
        return self

    def _fit(self, X):
        pass

    def generate(self, X, attributions=None):
        """One :class:`RiskReport` per applicant (row of ``X``);
        ``attributions`` (the model's, for ``X``) are computed when not given."""
        check_fitted(self, "model_")
        check_applicants(X)
        att = self.model_.attributions(X) if attributions is None else attributions
        if len(att) != len(X):
            raise ValueError(f"attributions must have one row per applicant: {len(X)} "
                             f"applicants, got {len(att)} rows")
        return [self._one(X.index[r], X.iloc[r], att.iloc[r]) for r in range(len(X))]


class TemplateReportWriter(_Writer):
    """Up to four principal reasons: this applicant's factors with the largest
    positive attributions (at least ``min_effect`` log-odds), largest first."""

    def _one(self, key, row, att):
        factors = principal_factors(att, self.max_reasons, self.min_effect)
        return compose(key, [Claim(f, "raises", row[f]) for f in factors])


class GlobalImportanceWriter(_Writer):
    """The naive writer: the model's globally most important factors (mean
    absolute attribution over the reference applicants), the same ones for
    everyone, each stated as raising the risk, with the applicant's value."""

    def _fit(self, X):
        att = self.model_.attributions(X)
        self.ranking_ = list(att.abs().mean().sort_values(ascending=False, kind="stable").index)

    def _one(self, key, row, att):
        factors = self.ranking_[:self.max_reasons]
        return compose(key, [Claim(f, "raises", row[f]) for f in factors])


def guard_report(report, attribution, applicant, complete=True, k=MAX_REASONS,
                 min_effect=MIN_EFFECT):
    """The guarded version of ``report`` (a :class:`RiskReport` or a text).

    The claims are read back from the text (:func:`read_claims`), not taken on
    trust. A claim whose direction the attributions contradict, or whose
    attribution is below ``min_effect``, is dropped; a supported claim with a
    wrong value is rewritten with the applicant's value. With ``complete``,
    the result states exactly this applicant's principal factors in the order
    of their attributions (the supported claims it kept and the missing ones
    written in), so it is faithful by construction; without it, only the
    supported claims remain (in their original order).
    Returns ``(guarded RiskReport, list of (claim, what was done))``.
    """
    text = report.text if isinstance(report, RiskReport) else report
    key = report.applicant if isinstance(report, RiskReport) else None
    actions, kept, seen = [], [], set()
    for c in read_claims(text):
        if c.factor in seen:
            actions.append((c, "dropped: repeated"))
            continue
        seen.add(c.factor)
        fixed = Claim(c.factor, c.direction, applicant[c.factor])
        if not claim_supported(fixed, attribution, applicant, min_effect):
            actions.append((c, "dropped: not supported by the attributions"))
        elif not _value_matches(c.factor, c.value, applicant[c.factor]):
            actions.append((c, "rewritten: wrong value"))
            kept.append(fixed)
        else:
            kept.append(fixed)
    if complete:
        top = principal_factors(attribution, k, min_effect)
        have = {c.factor for c in kept}
        for c in kept:
            if c.factor not in top:
                actions.append((c, "dropped: not a principal factor"))
        for f in top:
            if f not in have:
                actions.append((Claim(f, "raises", applicant[f]), "added: principal factor"))
        kept = [Claim(f, "raises", applicant[f]) for f in top]
    return compose(key, kept[:k]), actions


def guard_reports(reports, attributions, X, complete=True, min_effect=MIN_EFFECT):
    """:func:`guard_report` on each report (row ``r`` of ``attributions`` and
    ``X`` belongs to ``reports[r]``). Returns ``(guarded reports, actions)``,
    ``actions`` a list of ``(row, claim, what was done)``."""
    if not (len(reports) == len(attributions) == len(X)):
        raise ValueError(f"reports, attributions and X must have the same length, got "
                         f"{len(reports)}, {len(attributions)}, {len(X)}")
    out, log = [], []
    for r, rep in enumerate(reports):
        g, acts = guard_report(rep, attributions.iloc[r], X.iloc[r], complete,
                               min_effect=min_effect)
        out.append(g)
        log.extend((r, c, a) for c, a in acts)
    return out, log


__all__ = ["Claim", "GlobalImportanceWriter", "MAX_REASONS", "MIN_EFFECT", "RiskReport",
           "TemplateReportWriter", "claim_supported", "compose", "format_value", "guard_report",
           "guard_reports", "principal_factors", "read_claims", "sentence"]


LM_SYSTEM = ("You write the principal reasons in a lender's adverse-action notice. "
             "Be brief, factual and polite.")


def applicant_facts(applicant):
    """The applicant's data as plain-language lines (what a prompt shows)."""
    return [f"- {LABELS[f]}: {format_value(f, applicant[f])}" for f in FEATURES]


LM_ANSWER_START = "Principal reasons for our decision:\n1. Your"


def lm_prompt_text(applicant, factors=None, max_reasons=MAX_REASONS, example=None):
    """The user message asking a language model for a report.

    With ``factors`` (the model's principal factors, largest first) the prompt
    is *grounded*: it says which factors raised the risk; without, the model
    sees only the applicant's data and must choose. ``example``, a pair
    ``(applicant row, report text)`` of *another* applicant, is shown first as
    a worked example of the format (one-shot prompting). The answer is meant to
    be started with :data:`LM_ANSWER_START` (the caller appends it after the
    chat prompt)."""
    lines = []
    if example is not None:
        ex_row, ex_text = example
        lines += ["Example. A declined applicant's data:"] + applicant_facts(ex_row)
        lines += ["The notice:", ex_text, "", "Now the new applicant."]
    lines.append("A loan application was declined. The applicant's data:")
    lines += applicant_facts(applicant)
    if factors:
        lines.append("The risk model says these factors raised the risk most, largest first: "
                     + "; ".join(f"{LABELS[f]} ({format_value(f, applicant[f])})"
                                 for f in factors) + ".")
        lines.append("Write the notice: the principal reasons as a numbered list, one short "
                     "sentence per factor above, in that order, each stating the applicant's "
                     "value and that it raises the risk.")
    else:
        lines.append(f"Write the notice: up to {max_reasons} principal reasons as a numbered "
                     f"list, one short sentence each, each naming one factor, the applicant's "
                     f"value and that it raises the risk.")
    return "\n".join(lines)


__all__ += ["LM_ANSWER_START", "LM_SYSTEM", "applicant_facts", "lm_prompt_text"]
