"""Tests for reclib.evaluation.reasons: the harness on hand-made inputs with
known answers, with and without a simulator's truth, and its error paths. No
neural model is trained: generators are small stand-ins following the
protocol, so the file runs in a few seconds."""
import math

import numpy as np
import pandas as pd
import pytest

from echo_generator import Echo
from reclib.data import shopsim
from reclib.data.text import tokenize
from reclib.evaluation.reasons import (DIRECTION, METRICS, TRUTH_METRICS, compare_rows,
                                       evaluate_reasons, ground_truth, head_to_head)
from reclib.reasons.templates import TemplateReasons


@pytest.fixture(scope="module")
def world(world_60x25):
    return world_60x25


@pytest.fixture(scope="module")
def pairs(world):
    """20 held-out-like pairs, with at least one item rated by several users."""
    r = world.ratings
    busy = r["item_id"].value_counts().index[0]
    rows = pd.concat([r[r["item_id"] == busy].head(4), r[r["item_id"] != busy].head(16)])
    return rows.reset_index(drop=True)


@pytest.fixture(scope="module")
def template(world):
    return TemplateReasons(seed=0).fit(world.ratings, items=world.items, users=world.users)


ASPECTS = shopsim.ASPECTS


def true_sentence(world, user, item, rank=0):
    """A reason naming the rank-th true aspect of the pair with its true sentiment."""
    row = world.true_reasons(user, item).iloc[rank]
    word = "excellent" if row["sentiment"] == "positive" else "poor"
    return f"The {row['aspect']} is {word}.", row["aspect"]


def absent_aspect(world, item):
    return next(a for a in shopsim.ASPECTS if a not in world.item_aspect_set(item))


# ------------------------------------------------------------------ evaluate_reasons
def test_references_score_perfect_overlap(world, pairs):
    out = evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=list(pairs["text"]))
    assert list(out) == list(METRICS)
    for k in ("BLEU-1", "BLEU-4", "ROUGE-1", "ROUGE-2", "ROUGE-L"):
        assert out[k] == pytest.approx(100.0)
    assert out["FMR"] == 1.0  # every review names its own feature word


def test_true_reasons_are_faithful_and_never_hallucinate(world, pairs):
    texts, tops = zip(*(true_sentence(world, u, i) for u, i in zip(pairs.user_id, pairs.item_id)))
    out = evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=list(texts))
    assert out["faithfulness"] == 1.0
    assert out["hallucination"] == 0.0
    assert out["names aspect"] == 1.0
    assert out["FMR"] == pytest.approx(np.mean([t == a for t, a in zip(tops, pairs["aspect"])]))
    # the third-ranked aspect is outside the top-2 (m=2) but inside the top-3
    third = [true_sentence(world, u, i, rank=2)[0] for u, i in zip(pairs.user_id, pairs.item_id)]
    assert evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=third)["faithfulness"] == 0.0
    assert evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=third, m=3)["faithfulness"] == 1.0


def test_wrong_sentiment_and_absent_aspects_hallucinate(world, pairs):
    flipped = []
    for u, i in zip(pairs.user_id, pairs.item_id):
        row = world.true_reasons(u, i).iloc[0]
        word = "poor" if row["sentiment"] == "positive" else "excellent"
        flipped.append(f"The {row['aspect']} is {word}.")
    out = evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=flipped)
    assert out["hallucination"] == 1.0 and out["faithfulness"] == 0.0
    absent = [f"The {absent_aspect(world, i)} is excellent." for i in pairs.item_id]
    out = evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=absent)
    assert out["hallucination"] == 1.0 and out["faithfulness"] == 0.0


def test_constant_text_has_known_usr_personalization_and_div(world, pairs):
    n = len(pairs)
    counts = pairs["item_id"].value_counts()
    expected_personal = np.mean([1 / c for c in counts if c >= 2])
    out = evaluate_reasons(pairs, world=world, aspects=ASPECTS,
                           texts=["The battery lasts all day."] * n)
    assert out["USR"] == pytest.approx(1 / n)
    assert out["personalization"] == pytest.approx(expected_personal)
    assert out["DIV"] == pytest.approx(1.0)  # every pair of texts shares one feature
    assert out["FCR"] == pytest.approx(1 / len(shopsim.ASPECTS))
    nothing = evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=["A great product."] * n)
    assert nothing["DIV"] == 0.0 and nothing["hallucination"] == 0.0
    assert nothing["FMR"] == 0.0 and nothing["names aspect"] == 0.0
    assert nothing["faithfulness"] == 0.0


def test_custom_references_feature_words_and_undefined_personalization(world, pairs):
    once = pairs.drop_duplicates("item_id").head(5).reset_index(drop=True)
    texts = ["the screen is sharp", "a b c", "the fit is poor", "x", "y"]
    out = evaluate_reasons(once, world=world, aspects=ASPECTS, texts=texts, references=texts,
                           feature_words=["screen", "fit", "fit", "value", "value"])
    assert out["BLEU-1"] == pytest.approx(100.0)
    assert out["FMR"] == pytest.approx(2 / 5)
    assert math.isnan(out["personalization"])  # no item shown to two users


def test_precomputed_truth_gives_the_same_answer(world, pairs):
    texts = [true_sentence(world, u, i)[0] for u, i in zip(pairs.user_id, pairs.item_id)]
    truth = ground_truth(world, pairs)
    assert len(truth["true_reasons"]) == len(pairs) == len(truth["item_aspects"])
    cached = evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=texts, truth=truth)
    assert cached == evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=texts)


def test_evaluate_reasons_errors(world, pairs):
    n = len(pairs)
    texts = ["The battery lasts all day."] * n
    with pytest.raises(ValueError, match="mismatched lengths"):
        evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=texts[:-1])
    with pytest.raises(ValueError, match="empty"):
        evaluate_reasons(pairs.head(0), world=world, aspects=ASPECTS, texts=[])
    with pytest.raises(ValueError, match="single string"):
        evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts="The battery lasts all day.")
    with pytest.raises(ValueError, match="only strings, got None"):
        evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=[texts[0], None] + texts[2:])
    with pytest.raises(ValueError, match="at least 2 pairs"):
        evaluate_reasons(pairs.head(1), world=world, aspects=ASPECTS, texts=texts[:1])
    with pytest.raises(ValueError, match="DataFrame"):
        evaluate_reasons(pairs[["user_id", "item_id"]].to_numpy(), texts, world=world,
                         aspects=ASPECTS)
    with pytest.raises(ValueError, match="missing column"):
        evaluate_reasons(pairs.drop(columns="item_id"), world=world, aspects=ASPECTS, texts=texts)
    with pytest.raises(ValueError, match="'text' column"):
        evaluate_reasons(pairs.drop(columns="text"), world=world, aspects=ASPECTS, texts=texts)
    with pytest.raises(ValueError, match="mismatched lengths"):
        evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=texts, references=texts[:3])
    with pytest.raises(ValueError, match="mismatched lengths"):
        evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=texts, feature_words=["battery"])
    bad = pairs.copy()
    bad.loc[0, "item_id"] = len(world.items)
    with pytest.raises(ValueError, match="unknown item id"):
        evaluate_reasons(bad, world=world, aspects=ASPECTS, texts=texts)
    with pytest.raises(TypeError, match="simulator with a known truth"):
        evaluate_reasons(pairs, texts, world=object(), aspects=ASPECTS)
    with pytest.raises(ValueError, match="truth does not match"):
        evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=texts, truth=ground_truth(world, pairs.head(3)))
    with pytest.raises(ValueError, match="m must be"):
        evaluate_reasons(pairs, world=world, aspects=ASPECTS, texts=texts, m=0)
    with pytest.raises(ValueError, match="not the string"):
        evaluate_reasons(pairs, texts, aspects="battery")
    with pytest.raises(TypeError):
        evaluate_reasons(pairs, texts)  # the vocabulary is required


def test_without_a_world_the_literature_metrics_still_work(world, pairs):
    texts = [true_sentence(world, u, i)[0] for u, i in zip(pairs.user_id, pairs.item_id)]
    with_truth = evaluate_reasons(pairs, texts, world=world, aspects=ASPECTS)
    blind = evaluate_reasons(pairs, texts, aspects=ASPECTS)
    assert list(blind) == list(METRICS)
    for k in METRICS:
        if k in TRUTH_METRICS:
            assert math.isnan(blind[k])
        else:
            assert blind[k] == with_truth[k] or (math.isnan(blind[k]) and math.isnan(with_truth[k]))


# ------------------------------------------------------------------ head_to_head
def test_head_to_head_table(world, pairs, template):
    grounded = Echo(grounded=True).fit(world.ratings)
    grounded.fit_time_ = 1.5
    table, texts = head_to_head(
        {"template": template, "fixed": Echo().fit(world.ratings), "grounded": grounded,
         "retimed": dict(model=Echo(grounded=True).fit(world.ratings), fit_time=9.0,
                         temperature=0.3)},
        pairs, world=world, template=template, generate_kw=dict(method="greedy"),
        return_texts=True)
    assert list(table.index) == ["template", "fixed", "grounded", "retimed"]
    for col in list(METRICS) + ["faithfulness+guard", "FMR+guard", "USR+guard",
                                "hallucination+guard", "rejected", "parameters", "train s"]:
        assert col in table.columns
    assert (table["hallucination+guard"] <= table["hallucination"]).all()
    assert table.loc["fixed", "USR"] == pytest.approx(1 / len(pairs))
    assert table.loc["fixed", "parameters"] == 7
    assert table.loc["grounded", "train s"] == 1.5   # the generator's own fit_time_
    assert table.loc["retimed", "train s"] == 9.0    # the override
    assert table.loc["template", "train s"] == template.fit_time_
    assert table.loc["template", "parameters"] == template.count_params()
    assert table.loc["template", "rejected"] == 0.0  # the guard accepts its own fallback
    assert texts["template"]["raw"] == template.generate(pairs.user_id, pairs.item_id)
    # the grounded stand-in writes exactly the predicted aspect
    predicted = [template.predicted_aspect(u, i)[0] for u, i in zip(pairs.user_id, pairs.item_id)]
    assert texts["grounded"]["raw"] == [f"The {a} is excellent." for a in predicted]
    assert table.loc["grounded", "FMR"] == pytest.approx(
        np.mean([a == f for a, f in zip(predicted, pairs["aspect"])]))
    # the fixed aspect is absent from some items: the guard replaces those reasons
    lacking = np.mean(["battery" not in world.item_aspect_set(i) for i in pairs.item_id])
    assert lacking > 0 and table.loc["fixed", "rejected"] >= lacking
    assert table.loc["fixed", "hallucination+guard"] < table.loc["fixed", "hallucination"]
    guarded = texts["fixed"]["guarded"]
    assert table.loc["fixed", "USR+guard"] == pytest.approx(len(set(guarded)) / len(pairs))
    assert table.loc["fixed", "USR+guard"] > table.loc["fixed", "USR"]
    assert table.loc["fixed", "FMR+guard"] == pytest.approx(
        np.mean([a in tokenize(t) for t, a in zip(guarded, pairs["aspect"])]))


def test_head_to_head_grounding_fitting_and_kwargs(world, pairs, template):
    echo = Echo()
    forced = Echo(grounded=False).fit(world.ratings)
    table, texts = head_to_head(
        {"fit here": echo, "forced": dict(model=forced, grounded=True, temperature=0.7)},
        pairs, train=world.ratings, world=world, template=template,
        grounding=["screen"] * len(pairs), generate_kw=dict(method="sample", temperature=0.5),
        return_texts=True)
    assert hasattr(echo, "fit_time_") and table.loc["fit here", "train s"] == echo.fit_time_
    assert echo.n_items_ == len(world.items)  # fitted with the world's tables
    assert forced.last_kw == dict(method="sample", temperature=0.7)  # entry overrides defaults
    # the entry's grounded=True passed the grounding to an ungrounded generator
    assert texts["forced"]["raw"] == ["The screen is excellent."] * len(pairs)


def test_head_to_head_without_a_world(world, pairs, template):
    table = head_to_head({"template": template, "fixed": Echo().fit(world.ratings)}, pairs,
                         template=template)
    assert table[list(TRUTH_METRICS)].isna().all().all()
    assert table[["BLEU-1", "FMR", "USR", "rejected"]].notna().all().all()
    # the template is fitted here when only train= is given
    fitted_here = head_to_head({"fixed": Echo().fit(world.ratings)}, pairs,
                               train=world.ratings, items=world.items)
    assert fitted_here.loc["fixed", "FMR"] == table.loc["fixed", "FMR"]


def test_head_to_head_errors(world, pairs, template):
    def call(generators, sample=pairs, **kw):
        return head_to_head(generators, sample, **{"template": template, **kw})

    with pytest.raises(ValueError, match="non-empty dict"):
        call({})
    with pytest.raises(ValueError, match="no 'model' key"):
        call({"x": dict(grounded=True)})
    with pytest.raises(ValueError, match="ReasonGenerator"):
        call({"x": object()})
    with pytest.raises(ValueError, match="mismatched lengths"):
        call({"x": Echo(grounded=True).fit(world.ratings)}, grounding=["battery"])
    with pytest.raises(ValueError, match="fitted TemplateReasons"):
        call({"x": Echo()}, template=TemplateReasons())
    with pytest.raises(ValueError, match="template= .* or train="):
        call({"x": Echo()}, template=None)
    with pytest.raises(ValueError, match="not fitted and no train"):
        call({"x": Echo()})
    with pytest.raises(ValueError, match="missing column"):
        call({"x": Echo().fit(world.ratings)}, sample=pairs.drop(columns="aspect"))
    with pytest.raises(ValueError, match="at least 2"):
        call({"x": Echo().fit(world.ratings)}, sample=pairs.head(1))
    with pytest.raises(ValueError, match="generate_kw must be a dict"):
        call({"x": Echo().fit(world.ratings)}, generate_kw=["greedy"])


# ------------------------------------------------------------------ compare_rows
def test_compare_rows_verdicts():
    table = pd.DataFrame({"USR": [0.8, 0.9], "DIV": [0.20, 0.30], "FMR": [0.71, 0.70],
                          "hallucination": [0.05, 0.01], "parameters": [10, 10]},
                         index=["GAN", "MLE"])
    cmp = compare_rows(table, "GAN", "MLE", noise={"FMR": 0.02})
    v = cmp["verdict"]
    assert v["USR"] == "MLE better"              # higher is better
    assert v["DIV"] == "GAN better"              # lower is better
    assert v["FMR"] == "tie"                     # within the noise band
    assert v["hallucination"] == "MLE better"    # lower is better
    assert v["parameters"] == "tie"              # equal
    assert cmp.loc["USR", "difference"] == pytest.approx(-0.1)
    assert cmp.loc["FMR", "noise"] == 0.02 and cmp.loc["USR", "noise"] == 0.0
    assert list(cmp.columns) == ["GAN", "MLE", "difference", "noise", "verdict"]
    # without a band, the same FMR difference is a win
    assert compare_rows(table, "GAN", "MLE", columns=["FMR"])["verdict"]["FMR"] == "GAN better"
    nan = table.astype(float)
    nan.loc["GAN", "USR"] = float("nan")
    assert compare_rows(nan, "GAN", "MLE", columns=["USR"])["verdict"]["USR"] == "undefined"
    assert set(DIRECTION) >= set(METRICS)


def test_compare_rows_errors():
    table = pd.DataFrame({"USR": [0.8, 0.9], "mystery": [1, 2]}, index=["a", "b"])
    with pytest.raises(ValueError, match="no row 'c'"):
        compare_rows(table, "a", "c")
    with pytest.raises(ValueError, match="unknown direction"):
        compare_rows(table, "a", "b", columns=["mystery"])
    with pytest.raises(ValueError, match="no column 'FMR'"):
        compare_rows(table, "a", "b", columns=["FMR"])
    with pytest.raises(ValueError, match="noise"):
        compare_rows(table, "a", "b", noise={"USR": -1})
    with pytest.raises(ValueError, match="DataFrame"):
        compare_rows(table.to_dict(), "a", "b")
    with pytest.raises(ValueError, match="no columns"):
        compare_rows(table[["mystery"]], "a", "b")
