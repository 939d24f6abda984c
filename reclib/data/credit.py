"""A synthetic credit-applicant world whose true probability of default is known.

In the spirit of :mod:`reclib.data.shopsim`: deterministic from a seed, a
committed default world under ``data/credit/`` (``python -m
reclib.data.make_data`` rewrites it byte for byte), and hidden truth beside
the public table.

Public, per applicant (what a lender sees and a model may use)::

    income          yearly income, currency units (log-normal)
    dti             debt-to-income ratio, percent (existing debt payments / income)
    history_years   length of the credit history, years
    late_payments   payments 30+ days late in the last two years (count)
    utilisation     share of revolving credit in use, percent
    employment      "salaried", "self-employed", "part-time" or "unemployed"
    loan_amount     the amount applied for
    purpose         "car", "home improvement", "debt consolidation", "education",
                    "business" or "other"
    default         the outcome (1: defaulted), drawn from the true probability

Hidden: ``group`` (a protected attribute, "A" or "B"), which no model gets.
It does not enter the true probability of default, but group B has shorter
credit histories on average (a history-length gap of a few years, as for
younger applicants or recent immigrants), so a model that uses
``history_years`` scores the groups differently.

The true log-odds of default is a sum of one *main effect* per feature plus
two interactions (see :data:`MAIN_EFFECTS` and :func:`true_logit`):

- debt-to-income x utilisation: a stretched budget and maxed-out cards
  together are worse than each alone;
- late payments x a short history: a late payment says more about an
  applicant with little history.

*True contributions* (:meth:`CreditWorld.true_contributions`) are the exact
Shapley values of the true log-odds relative to the :data:`BASELINE`
applicant: each main effect's change from the baseline, plus **half** of each
interaction's change for each of its two features (for a product term
``c (u - u0)(v - v0)``, which is zero when either feature is at its
baseline, the Shapley value gives each feature exactly half). They sum to
``true_logit(x) - true_logit(baseline)``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reclib.checks import check_int, check_seed, check_table

DEFAULT_SEED = 2026
DEFAULT_N = 8000
MAX_N = 1_000_000
DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "credit"

FEATURES = ["income", "dti", "history_years", "late_payments", "utilisation",
            "employment", "loan_amount", "purpose"]
NUMERIC = ["income", "dti", "history_years", "late_payments", "utilisation", "loan_amount"]
CATEGORICAL = {
    "employment": ["salaried", "self-employed", "part-time", "unemployed"],
    "purpose": ["car", "home improvement", "debt consolidation", "education", "business",
                "other"],
}
GROUPS = ["A", "B"]
# how each feature reads in a report (plain language), with its unit
LABELS = {
    "income": "income", "dti": "debt-to-income ratio", "history_years": "length of credit history",
    "late_payments": "number of late payments", "utilisation": "credit utilisation",
    "employment": "employment status", "loan_amount": "loan amount", "purpose": "loan purpose",
}

# The baseline applicant: the reference point of every contribution and
# attribution (a typical applicant: round numbers near the population medians).
BASELINE = {"income": 50_000.0, "dti": 30.0, "history_years": 8.0, "late_payments": 0.0,
            "utilisation": 35.0, "employment": "salaried", "loan_amount": 12_000.0,
            "purpose": "car"}

INTERCEPT = -2.8  # true log-odds of the baseline applicant (about 6% default)
EMPLOYMENT_EFFECT = {"salaried": 0.0, "self-employed": 0.3, "part-time": 0.45, "unemployed": 1.0}
PURPOSE_EFFECT = {"car": 0.0, "home improvement": -0.15, "debt consolidation": 0.3,
                  "education": 0.1, "business": 0.45, "other": 0.15}
DTI_UTIL = 0.0009     # per (percent x percent) above the baseline
LATE_SHORT = 0.12     # per late payment per year of history below the baseline
GROUP_HISTORY_GAP = 4.0  # group B's median history is this many years shorter


def _main_effects(df):
    """Each feature's main effect on the true log-odds, as a DataFrame
    (one column per feature); zero at the :data:`BASELINE` applicant."""
    b = BASELINE
    return pd.DataFrame({
        "income": -0.8 * np.log(df["income"] / b["income"]),
        "dti": 0.04 * (df["dti"] - b["dti"]),
        "history_years": -0.45 * (np.log1p(df["history_years"]) - np.log1p(b["history_years"])),
        "late_payments": 0.4 * (df["late_payments"] - b["late_payments"]),
        "utilisation": 0.015 * (df["utilisation"] - b["utilisation"]),
        "employment": df["employment"].map(EMPLOYMENT_EFFECT).astype(float)
        - EMPLOYMENT_EFFECT[b["employment"]],
        "loan_amount": 0.35 * np.log(df["loan_amount"] / b["loan_amount"]),
        "purpose": df["purpose"].map(PURPOSE_EFFECT).astype(float) - PURPOSE_EFFECT[b["purpose"]],
    }, index=df.index)


def _interactions(df):
    """The two interaction terms (zero when either feature is at the baseline)."""
    b = BASELINE
    short = np.maximum(b["history_years"] - df["history_years"], 0.0)
    return {
        ("dti", "utilisation"): DTI_UTIL * (df["dti"] - b["dti"]) * (df["utilisation"] - b["utilisation"]),
        ("late_payments", "history_years"): LATE_SHORT * df["late_payments"] * short,
    }


def check_applicants(df):
    """Check an applicants table (the columns of :data:`FEATURES`, numeric
    columns numeric and in range, categorical columns within
    :data:`CATEGORICAL`) and return it; ``ValueError`` names what is wrong."""
    check_table(df, FEATURES, "applicants table")
    for c in NUMERIC:
        v = pd.to_numeric(df[c], errors="coerce")
        if v.isna().any():
            raise ValueError(f"column {c!r} must be numeric without NaN")
        low = 1.0 if c in ("income", "loan_amount") else 0.0
        if (v < low).any():
            raise ValueError(f"column {c!r} must be >= {low:g}, got {float(v.min())!r}")
    for c, values in CATEGORICAL.items():
        bad = set(df[c]) - set(values)
        if bad:
            raise ValueError(f"column {c!r} has unknown value(s) {sorted(map(str, bad))}; "
                             f"allowed: {values}")
    return df


def true_logit(df):
    """The true log-odds of default of each applicant (a NumPy array)."""
    df = check_applicants(df)
    total = INTERCEPT + _main_effects(df).sum(axis=1)
    for term in _interactions(df).values():
        total = total + term
    return total.to_numpy(dtype=float)


def true_probability(df):
    """The true probability of default of each applicant."""
    return 1.0 / (1.0 + np.exp(-true_logit(df)))


def true_contributions(df):
    """Each feature's exact Shapley contribution to the true log-odds,
    relative to :data:`BASELINE` (one column per feature in :data:`FEATURES`):
    its main effect plus half of each interaction it is part of. Row sums
    equal ``true_logit(df) - true_logit(baseline)``."""
    df = check_applicants(df)
    out = _main_effects(df)
    for (f, g), term in _interactions(df).items():
        out[f] += term / 2
        out[g] += term / 2
    return out[FEATURES]


def baseline_frame():
    """The :data:`BASELINE` applicant as a one-row DataFrame."""
    return pd.DataFrame([BASELINE])[FEATURES]


@dataclass
class CreditWorld:
    """A credit world: the public ``applicants`` table (features and the
    ``default`` outcome) and the hidden ``group`` and ``p_default`` (the true
    probability each outcome was drawn from)."""

    applicants: pd.DataFrame
    group: np.ndarray
    p_default: np.ndarray
    seed: int | None = None
    params: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.applicants)

    @property
    def X(self):
        """The model's inputs: the feature columns (no outcome, no group)."""
        return self.applicants[FEATURES]

    @property
    def y(self):
        """The outcomes (1: defaulted) as an int array."""
        return self.applicants["default"].to_numpy(dtype=int)

    def true_logit(self, rows=None):
        return true_logit(self._rows(rows))

    def true_contributions(self, rows=None):
        return true_contributions(self._rows(rows))

    def _rows(self, rows):
        if rows is None:
            return self.X
        idx = np.asarray(rows)
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"rows must be a 1-D array of integer positions, got {rows!r:.60}")
        if len(idx) and (idx.min() < 0 or idx.max() >= len(self)):
            raise ValueError(f"rows must lie in 0..{len(self) - 1}")
        return self.X.iloc[idx]

    def stats(self):
        """Sizes and rates (for the datasheet and ``make data``)."""
        y = self.y
        return {"applicants": len(self), "default_rate": float(y.mean()),
                "mean_true_p": float(self.p_default.mean()),
                "share_group_B": float((self.group == "B").mean()),
                "default_rate_A": float(y[self.group == "A"].mean()),
                "default_rate_B": float(y[self.group == "B"].mean())}


def generate(n_applicants=DEFAULT_N, seed=DEFAULT_SEED):
    """A fresh credit world of ``n_applicants`` applicants, deterministic from ``seed``.

    Draw order: group, then employment, income, history (shorter for group
    B), late payments (more with short histories and low income), debt-to-income,
    utilisation (correlated with debt-to-income), loan amount (scales with
    income), purpose; then the true probability and the outcomes.
    """
    n = check_int("n_applicants", n_applicants, low=10, high=MAX_N)
    seed = check_seed(seed, what="a credit world")
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(n) < 0.35, "B", "A")
    emp = rng.choice(CATEGORICAL["employment"], size=n, p=[0.62, 0.16, 0.15, 0.07])
    emp_income = pd.Series(emp).map({"salaried": 0.0, "self-employed": 0.05, "part-time": -0.45,
                                     "unemployed": -0.9}).to_numpy()
    income = np.exp(np.log(52_000) + emp_income + rng.normal(0, 0.42, n))
    income = np.clip(np.round(income, -2), 6_000, 400_000)
    hist_median = np.where(group == "B", 9.0 - GROUP_HISTORY_GAP, 9.0)
    history = np.clip(rng.gamma(3.0, hist_median / 2.67, n), 0.0, 45.0).round(1)
    late_rate = 0.35 * np.exp(-0.08 * history) + 0.25 * (income < 30_000)
    late = rng.poisson(np.maximum(late_rate + rng.gamma(0.6, 0.35, n), 0.0))
    late = np.minimum(late, 12)
    dti = np.clip(rng.normal(31.0, 11.0, n) - 4.0 * np.log(income / 52_000), 0.0, 75.0).round(1)
    util = np.clip(20 + 0.9 * (dti - 30) + rng.beta(1.6, 2.6, n) * 70, 0.0, 100.0).round(1)
    loan = np.clip(np.round(income * rng.lognormal(np.log(0.22), 0.5, n), -2), 500, 150_000)
    purpose = rng.choice(CATEGORICAL["purpose"], size=n, p=[0.24, 0.16, 0.27, 0.09, 0.09, 0.15])
    applicants = pd.DataFrame({
        "applicant_id": np.arange(n), "income": income, "dti": dti, "history_years": history,
        "late_payments": late.astype(np.int64), "utilisation": util, "employment": emp,
        "loan_amount": loan, "purpose": purpose,
    })
    p = true_probability(applicants)
    applicants["default"] = (rng.random(n) < p).astype(np.int64)
    params = {"seed": seed, "n_applicants": n, "baseline": BASELINE, "intercept": INTERCEPT,
              "employment_effect": EMPLOYMENT_EFFECT, "purpose_effect": PURPOSE_EFFECT,
              "dti_x_utilisation": DTI_UTIL, "late_x_short_history": LATE_SHORT,
              "group_history_gap_years": GROUP_HISTORY_GAP}
    return CreditWorld(applicants, group, p, seed, params)


def save(world, folder):
    """Write ``applicants.csv`` (public) and ``truth/`` (group, true
    probability, parameters) to ``folder``."""
    folder = Path(folder)
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    world.applicants.to_csv(folder / "applicants.csv", index=False, lineterminator="\n")
    truth = pd.DataFrame({"applicant_id": world.applicants["applicant_id"],
                          "group": world.group, "p_default": np.round(world.p_default, 8)})
    truth.to_csv(folder / "truth" / "truth.csv", index=False, lineterminator="\n")
    (folder / "truth" / "params.json").write_text(json.dumps(world.params, indent=1) + "\n")


def load(folder=None):
    """Load a saved credit world (default: the committed one in ``data/credit/``)."""
    folder = Path(folder) if folder is not None else DATA_DIR
    path = folder / "applicants.csv"
    if not path.exists():
        raise ValueError(f"no credit world in {folder}: {path.name} is missing "
                         f"(run python -m reclib.data.make_data)")
    applicants = pd.read_csv(path)
    check_applicants(applicants)
    truth = pd.read_csv(folder / "truth" / "truth.csv")
    params = json.loads((folder / "truth" / "params.json").read_text())
    return CreditWorld(applicants, truth["group"].to_numpy(), truth["p_default"].to_numpy(),
                       params.get("seed"), params)


def make_credit_data(folder=None):
    """Regenerate the committed default world (what ``make data`` calls);
    returns the world."""
    world = generate()
    save(world, Path(folder) if folder else DATA_DIR)
    return world


__all__ = ["BASELINE", "CATEGORICAL", "CreditWorld", "FEATURES", "LABELS", "NUMERIC",
           "baseline_frame", "check_applicants", "generate", "load", "make_credit_data", "save",
           "true_contributions", "true_logit", "true_probability"]
