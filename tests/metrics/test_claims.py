"""Tests for reclib.metrics.claims: reading personal claims and grading them
against the training data and the truth."""
import numpy as np
import pandas as pd
import pytest

from reclib.metrics.claims import (check_personal_claims, mixes_persons, personal_claim_scores,
                                   personal_claims)

ASPECTS = ("battery", "screen", "sound", "value")
CONTEXTS = ("my commute", "travel")
TRAIN = pd.DataFrame({
    "user_id": [0, 0, 0, 0, 1, 1, 1],
    "item_id": [0, 1, 2, 3, 0, 1, 2],
    "aspect": ["battery", "battery", "battery", "screen", "sound", "sound", "value"],
    "text": ["For my commute the battery lasts", "battery ok", "battery good", "screen",
             "sound for travel", "sound", "value"]})
# user 0 truly weighs battery and screen (battery most), user 1 value (most) and sound
WEIGHTS = pd.DataFrame([[1.5, 1.2, 0.1, 0.1], [0.1, 0.1, 1.0, 1.4]], columns=ASPECTS)


def test_reads_each_kind():
    text = ("Most reviews of its battery are good, and your reviews show that battery is what "
            "you care about most, especially for your commute.")
    assert personal_claims(text, ASPECTS, CONTEXTS) == [("top", "battery"),
                                                       ("context", "my commute")]
    assert personal_claims("The sound matters to you. You care about the value.", ASPECTS) == \
        [("matters", "sound"), ("matters", "value")]
    assert personal_claims("Its screen is great, which fits what you look for.", ASPECTS) == \
        [("matters", "screen")]
    # a bare context counts only in a text that addresses the reader
    assert personal_claims("Great for travel, you will see.", ASPECTS, CONTEXTS) == \
        [("context", "travel")]
    assert personal_claims("Great for travel.", ASPECTS, CONTEXTS) == []
    # first person is the writer speaking, not a claim about the reader
    assert personal_claims("I love the battery on my commute.", ASPECTS, CONTEXTS) == []
    assert personal_claims("Most reviews of its battery are good.", ASPECTS) == []


def test_mixed_persons():
    assert mixes_persons("Your reviews show the battery matters to you, especially for my commute.")
    assert not mixes_persons("The battery matters to you, especially for your commute.")
    assert not mixes_persons("I love my headphones.")


def test_grades_against_training_data_and_truth():
    texts = ["Battery is what you care about most.",        # 3 of 4 reviews, truly the top
             "Screen is what you care about most.",          # 1 review: not backed; truly 2nd
             "Your reviews show that sound matters to you.", # 2 of 3, truly weighed
             "Value is what you care about most.",           # 1 review: not backed, truly top
             "The value matters to you, especially for your commute.",  # 1 review; wrong context
             "A phone from A, rated 3.0 out of 5."]          # no personal claim
    users = [0, 0, 1, 1, 1, 0]
    c = check_personal_claims(texts, users, TRAIN, aspects=ASPECTS, user_weights=WEIGHTS,
                              user_contexts=["my commute", "travel"])
    assert c[["kind", "value"]].values.tolist() == [
        ["top", "battery"], ["top", "screen"], ["matters", "sound"], ["top", "value"],
        ["matters", "value"], ["context", "my commute"]]
    assert c["train"].tolist() == [1, 0, 1, 0, 0, 0]
    assert c["truth"].tolist() == [1, 0, 1, 1, 1, 0]
    s = personal_claim_scores(texts, users, TRAIN, aspects=ASPECTS, user_weights=WEIGHTS,
                              user_contexts=["my commute", "travel"])
    assert s["personal claims"] == pytest.approx(5 / 6)
    assert s["personal: train"] == pytest.approx(2 / 5)
    assert s["personal: truth"] == pytest.approx(3 / 5)
    assert (s["n top"], s["n matters"], s["n context"]) == (3, 2, 1)
    # the looser reading: written about once is enough for "matters" ("most" stays strict)
    loose = check_personal_claims(texts, users, TRAIN, aspects=ASPECTS, min_share=0, min_count=1)
    assert loose["train"].tolist()[:5] == [1, 0, 1, 0, 1]
    # without the truth the truth column is NaN, and an array of weights works too
    bare = personal_claim_scores(texts, users, TRAIN, aspects=ASPECTS)
    assert np.isnan(bare["personal: truth"]) and bare["n context"] == 0
    arr = check_personal_claims(texts, users, TRAIN, aspects=ASPECTS,
                                user_weights=WEIGHTS.to_numpy())
    assert arr["truth"].tolist()[:5] == [1, 0, 1, 1, 1]
    none = personal_claim_scores(["No claims here."] * 2, [0, 1], TRAIN, aspects=ASPECTS)
    assert none["personal claims"] == 0 and np.isnan(none["personal: train"])


def test_errors():
    with pytest.raises(ValueError, match="mismatched lengths"):
        check_personal_claims(["a"], [0, 1], TRAIN)
    with pytest.raises(ValueError, match="missing column"):
        check_personal_claims(["a"], [0], TRAIN.drop(columns="aspect"))
    with pytest.raises(ValueError, match="unknown aspect"):
        check_personal_claims(["a"], [0], TRAIN, aspects=("battery",))
    with pytest.raises(ValueError, match="user_weights"):
        check_personal_claims(["a"], [0], TRAIN, aspects=ASPECTS, user_weights=np.ones((2, 3)))
    with pytest.raises(ValueError, match="missing column"):
        check_personal_claims(["a"], [0], TRAIN, aspects=ASPECTS,
                              user_weights=WEIGHTS.drop(columns="value"))
    with pytest.raises(ValueError, match="finite"):
        check_personal_claims(["a"], [0], TRAIN, aspects=ASPECTS,
                              user_weights=WEIGHTS.replace(1.5, np.nan))
    with pytest.raises(ValueError, match="user_contexts"):
        check_personal_claims(["a"], [1], TRAIN, user_contexts=["x"])
    with pytest.raises(ValueError, match="min_share"):
        check_personal_claims(["a"], [0], TRAIN, min_share=2)
    with pytest.raises(ValueError, match="unknown user id|user"):
        check_personal_claims(["a"], [-1], TRAIN)
    with pytest.raises(ValueError, match="text must be a string"):
        personal_claims(3, ASPECTS)
    with pytest.raises(ValueError, match="single string"):
        personal_claims("a", ASPECTS, contexts="travel")
    with pytest.raises(ValueError, match="text must be a string"):
        mixes_persons(None)
