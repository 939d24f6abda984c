import pandas as pd
import pytest

from reclib.data import credit
from reclib.metrics.reports import (faithfulness_rate, report_faithful, states_unsupported,
                                    unsupported_rate)
from reclib.models.risk import LogisticRisk
from reclib.reasons.risk_report import (Claim, GlobalImportanceWriter, TemplateReportWriter,
                                        claim_supported, compose, guard_report, guard_reports,
                                        principal_factors, read_claims, sentence)


@pytest.fixture(scope="module")
def setup():
    w = credit.generate(3000, seed=21)
    X, y = w.X, w.y
    model = LogisticRisk().fit(X.iloc[:2000], y[:2000])
    test = X.iloc[2000:2250]
    return model, X.iloc[:2000], test, model.attributions(test)


def applicant(**changes):
    row = credit.baseline_frame().iloc[0].copy()
    for k, v in changes.items():
        row[k] = v
    return row


@pytest.mark.parametrize("factor, value", [
    ("income", 23400.0), ("dti", 52.0), ("history_years", 3.1), ("late_payments", 3),
    ("late_payments", 1), ("utilisation", 88.5), ("employment", "part-time"),
    ("loan_amount", 25000.0), ("purpose", "debt consolidation")])
@pytest.mark.parametrize("rank", [0, 1])
def test_every_sentence_reads_back_as_its_claim(factor, value, rank):
    for direction in ("raises", "lowers"):
        text = sentence(factor, direction, value, rank)
        (c,) = read_claims(text)
        assert (c.factor, c.direction) == (factor, direction), text
        assert c.value == (value if isinstance(value, str) else pytest.approx(float(value))), text


def test_template_reports_are_faithful_and_supported(setup):
    model, train, test, att = setup
    reports = TemplateReportWriter().fit(model, train).generate(test, att)
    assert len(reports) == len(test)
    assert all(len(r.claims) <= 4 for r in reports)
    assert faithfulness_rate(reports, att) == 1.0
    assert unsupported_rate(reports, att, test) == 0.0
    # the first reason is the largest attribution, stated as such
    r = next(r for r in reports if r.claims)
    assert "largest factor raising" in r.text.splitlines()[1]
    assert r.claims[0].factor == att.loc[r.applicant].idxmax()


def test_global_writer_is_often_wrong_and_the_guard_fixes_it(setup):
    model, train, test, att = setup
    naive = GlobalImportanceWriter().fit(model, train)
    reports = naive.generate(test, att)
    assert len({tuple(c.factor for c in r.claims) for r in reports}) == 1  # same for all
    before_f, before_u = faithfulness_rate(reports, att), unsupported_rate(reports, att, test)
    assert before_f < 0.3 and before_u > 0.5
    dropped, _ = guard_reports(reports, att, test, complete=False)
    assert unsupported_rate(dropped, att, test) == 0.0
    assert faithfulness_rate(dropped, att) > before_f
    fixed, log = guard_reports(reports, att, test, complete=True)
    assert faithfulness_rate(fixed, att) == 1.0
    assert unsupported_rate(fixed, att, test) == 0.0
    assert any("dropped" in a for _, _, a in log) and any("added" in a for _, _, a in log)


def test_guard_rewrites_a_wrong_value_and_drops_a_wrong_sign():
    a = pd.Series({f: 0.0 for f in credit.FEATURES})
    a["dti"], a["late_payments"], a["income"] = 0.9, 0.6, -0.3
    row = applicant(dti=52.0, late_payments=2, income=80000.0)
    text = ("1. Your debt-to-income ratio of 61.0% is the largest factor raising your risk.\n"
            "2. Your income of 80,000 raises your risk.")
    guarded, acts = guard_report(text, a, row, complete=False)
    assert [c.factor for c in guarded.claims] == ["dti"]
    assert "52.0%" in guarded.text and "61.0%" not in guarded.text
    assert [x for _, x in acts] == ["rewritten: wrong value",
                                    "dropped: not supported by the attributions"]
    full, _ = guard_report(text, a, row, complete=True)
    assert [c.factor for c in full.claims] == ["dti", "late_payments"]
    assert report_faithful(full, a) and not states_unsupported(full, a, row)
    assert states_unsupported(text, a, row) and not report_faithful(text, a)


def test_claim_support_rules():
    a = pd.Series({f: 0.0 for f in credit.FEATURES})
    a["utilisation"] = 0.5
    row = applicant(utilisation=90.0)
    assert claim_supported(Claim("utilisation", "raises", 90.0), a, row)
    assert claim_supported(Claim("utilisation", "raises", None), a, row)
    assert not claim_supported(Claim("utilisation", "lowers", 90.0), a, row)
    assert not claim_supported(Claim("utilisation", "raises", 70.0), a, row)
    assert not claim_supported(Claim("late_payments", "raises", 0), a, row)  # no effect
    assert not claim_supported(Claim("utilisation", None, 90.0), a, row)
    assert principal_factors(a) == ["utilisation"]
    assert compose(0, []).claims == [] and "No single factor" in compose(0, []).text


def test_bad_inputs(setup):
    model, train, test, att = setup
    with pytest.raises(TypeError, match="str"):
        read_claims(None)
    with pytest.raises(TypeError, match="risk model"):
        TemplateReportWriter().fit("not a model", train)
    with pytest.raises(ValueError, match="max_reasons"):
        TemplateReportWriter(max_reasons=5)
    with pytest.raises(ValueError, match="one row per applicant"):
        TemplateReportWriter().fit(model, train).generate(test, att.iloc[:3])
    with pytest.raises(ValueError, match="same length"):
        guard_reports(["x"], att, test)
    with pytest.raises(ValueError, match="same length"):
        unsupported_rate(["x"], att, test)
    with pytest.raises(ValueError, match="empty"):
        faithfulness_rate([], att.iloc[:0])
    with pytest.raises(TypeError, match="RiskReport or a str"):
        faithfulness_rate([1], att.iloc[:1])
    with pytest.raises(ValueError):
        TemplateReportWriter().generate(test)


def test_language_model_prompts():
    from reclib.reasons.risk_report import lm_prompt_text
    row = applicant(dti=52.0, utilisation=90.0)
    grounded = lm_prompt_text(row, ["dti", "utilisation"])
    assert "debt-to-income ratio (52.0%); credit utilisation (90.0%)" in grounded
    assert "in that order" in grounded
    blind = lm_prompt_text(row)
    assert "raised the risk" not in blind and "- debt-to-income ratio: 52.0%" in blind
