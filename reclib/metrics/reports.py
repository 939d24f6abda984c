"""How true are risk reports? Faithfulness and unsupported factors.

A report's claims are read back from its text
(:func:`reclib.reasons.risk_report.read_claims`), never taken from the writer.

- :func:`report_faithful`: a report is faithful when the factors it states
  are exactly this applicant's top ``len(stated)`` factors by the model's
  attribution (the largest positive ones, as principal reasons for a decline),
  each with the right sign, and it states as many as there are (up to four);
- :func:`states_unsupported`: a report states an unsupported factor when
  any claim's direction disagrees with the attribution's sign, the
  attribution is too small to be a reason, or the stated value is not the
  applicant's (:func:`reclib.reasons.risk_report.claim_supported`).
"""
from __future__ import annotations

import numpy as np

from reclib.reasons.risk_report import (MAX_REASONS, MIN_EFFECT, RiskReport, claim_supported,
                                        principal_factors, read_claims)


def _text(report):
    if isinstance(report, RiskReport):
        return report.text
    if isinstance(report, str):
        return report
    raise TypeError(f"a report must be a RiskReport or a str, got {type(report).__name__}")


def report_faithful(report, attribution, k=MAX_REASONS, min_effect=MIN_EFFECT):
    """True when the report states exactly the applicant's principal factors
    (:func:`principal_factors`), all as raising the risk."""
    claims = read_claims(_text(report))
    top = principal_factors(attribution, k, min_effect)
    stated = [c.factor for c in claims]
    return (len(stated) == len(set(stated)) and set(stated) == set(top)
            and all(c.direction == "raises" for c in claims))


def states_unsupported(report, attribution, applicant, min_effect=MIN_EFFECT):
    """True when any claim of the report is not supported by this applicant's
    attributions and data."""
    return any(not claim_supported(c, attribution, applicant, min_effect)
               for c in read_claims(_text(report)))


def _check(reports, attributions, X=None):
    n = len(reports)
    if n == 0:
        raise ValueError("reports must not be empty")
    if len(attributions) != n or (X is not None and len(X) != n):
        raise ValueError(f"reports, attributions (and X) must have the same length, got {n}, "
                         f"{len(attributions)}" + ("" if X is None else f", {len(X)}"))


def faithfulness_rate(reports, attributions, k=MAX_REASONS, min_effect=MIN_EFFECT):
    """Share of reports that are :func:`report_faithful` (row ``r`` of the
    attributions DataFrame belongs to ``reports[r]``)."""
    _check(reports, attributions)
    return float(np.mean([report_faithful(r, attributions.iloc[i], k, min_effect)
                          for i, r in enumerate(reports)]))


def unsupported_rate(reports, attributions, X, min_effect=MIN_EFFECT):
    """Share of reports that :func:`states_unsupported`."""
    _check(reports, attributions, X)
    return float(np.mean([states_unsupported(r, attributions.iloc[i], X.iloc[i], min_effect)
                          for i, r in enumerate(reports)]))


__all__ = ["faithfulness_rate", "report_faithful", "states_unsupported", "unsupported_rate"]
