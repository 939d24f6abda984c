"""Tests for reclib.reasons.guard: rejecting reasons that contradict the evidence."""
import pandas as pd
import pytest

from reclib.data import shopsim
from reclib.data.splits import random_split
from reclib.reasons.guard import check_reason, guard_reasons, item_sentiment
from reclib.reasons.templates import TemplateReasons

PHONE = ["battery", "screen", "speed", "design", "value"]
EVIDENCE = {"battery": "positive", "screen": "negative", "speed": 1, "design": -0.4}
WORDS = shopsim.ASPECTS  # the aspect vocabulary the reader looks for


def test_correct_reason_passes():
    ok, problems = check_reason("The battery lasts all day and the speed is impressive.",
                                PHONE, EVIDENCE, WORDS)
    assert ok and problems == []
    ok, _ = check_reason("The screen is dim, but the battery life is excellent.", PHONE,
                         EVIDENCE, WORDS)
    assert ok


def test_absent_aspect_is_rejected():
    ok, problems = check_reason("The warmth keeps me cozy on cold days.", PHONE, EVIDENCE, WORDS)
    assert not ok and len(problems) == 1 and "warmth" in problems[0]
    assert "does not have" in problems[0]


def test_wrong_sentiment_is_rejected():
    ok, problems = check_reason("The screen is bright and sharp.", PHONE, EVIDENCE, WORDS)
    assert not ok and "screen" in problems[0] and "negative" in problems[0]
    # a signed score counts like a label: design has score -0.4
    ok, problems = check_reason("I love the design.", PHONE, EVIDENCE, WORDS)
    assert not ok and "design" in problems[0]


def test_every_problem_is_listed():
    text = "The screen is gorgeous, the warmth is superb and the battery is weak."
    ok, problems = check_reason(text, PHONE, EVIDENCE, WORDS)
    assert not ok and len(problems) == 3


def test_reason_without_aspects_passes_and_strict_mode():
    assert check_reason("A great phone.", PHONE, EVIDENCE, WORDS) == (True, [])
    # value has no evidence: passes by default, rejected when strict
    assert check_reason("It is great value.", PHONE, EVIDENCE, WORDS)[0]
    ok, problems = check_reason("It is great value.", PHONE, EVIDENCE, WORDS, strict=True)
    assert not ok and "no review evidence" in problems[0]
    # evidence 0 is no evidence too
    assert not check_reason("It is great value.", PHONE, {"value": 0.0}, WORDS, strict=True)[0]


def test_check_reason_bad_input():
    with pytest.raises(ValueError, match="string"):
        check_reason(None, PHONE, EVIDENCE, WORDS)
    with pytest.raises(ValueError, match="single string"):
        check_reason("ok", "battery", EVIDENCE, WORDS)
    with pytest.raises(ValueError, match="dict"):
        check_reason("ok", PHONE, [("battery", "positive")], WORDS)
    with pytest.raises(ValueError, match="item_sentiment"):
        check_reason("ok", PHONE, {"battery": "great"}, WORDS)


@pytest.fixture(scope="module")
def fitted(world_150x60):
    world = world_150x60
    train, _ = random_split(world.ratings, 0.2, seed=0)
    return world, TemplateReasons().fit(train, items=world.items, users=world.users)


def _item_with_evidence(world, tpl):
    """An item with a clearly positive and a clearly negative aspect, and an absent one."""
    ev = tpl.evidence_
    for item in range(len(world.items)):
        signs = item_sentiment(tpl, item, threshold=0.3)
        pos = [a for a, s in signs.items() if s > 0]
        neg = [a for a, s in signs.items() if s < 0]
        if pos and neg:
            absent = next(a for a in tpl.aspects_ if a not in ev.item_aspects[item])
            return item, pos[0], neg[0], absent
    raise AssertionError("no item with both positive and negative evidence")


def test_item_sentiment_from_template(fitted):
    world, tpl = fitted
    item, pos, neg, absent = _item_with_evidence(world, tpl)
    signs = item_sentiment(tpl, item)
    assert signs[pos] == 1 and signs[neg] == -1 and absent not in signs
    assert set(signs) <= set(world.items.at[item, "aspects"].split(";"))


def test_guard_replaces_rejected_reasons(fitted):
    world, tpl = fitted
    item, pos, neg, absent = _item_with_evidence(world, tpl)
    texts = [f"The {pos} is excellent.",            # true
             f"The {absent} is excellent.",         # made up: the item lacks it
             f"The {neg} is excellent.",            # wrong sentiment
             "A fine choice."]                      # names nothing
    users = [0, 1, 2, 3]
    out, report = guard_reasons(texts, users, [item] * 4, tpl)
    assert out[0] == texts[0] and out[3] == texts[3]
    assert out[1] == tpl.generate_one(1, item).text and out[2] == tpl.generate_one(2, item).text
    assert list(report["position"]) == [1, 2]
    assert list(report.columns) == ["position", "user_id", "item_id", "rejected", "problems",
                                    "replacement"]
    assert "does not have" in report["problems"].iloc[0]
    assert "positive" in report["problems"].iloc[1] and "negative" in report["problems"].iloc[1]
    assert (report["item_id"] == item).all() and list(report["user_id"]) == [1, 2]


def test_guard_passes_everything_true(fitted):
    world, tpl = fitted
    item, pos, _, _ = _item_with_evidence(world, tpl)
    out, report = guard_reasons([f"I love the {pos}."] * 3, [0, 1, 2], [item] * 3, tpl)
    assert report.empty and isinstance(report, pd.DataFrame)
    assert out == [f"I love the {pos}."] * 3


def test_guard_bad_input(fitted):
    world, tpl = fitted
    with pytest.raises(ValueError, match="same length"):
        guard_reasons(["a", "b"], [0], [0, 1], tpl)
    with pytest.raises(ValueError, match="mismatched"):
        guard_reasons(["a", "b"], [0], [0], tpl)
    with pytest.raises(ValueError, match="single string"):
        guard_reasons("a", [0], [0], tpl)
    with pytest.raises(ValueError, match="fitted on the training reviews"):
        guard_reasons(["a"], [0], [0], TemplateReasons())
    with pytest.raises(ValueError, match="unknown item"):
        guard_reasons(["a"], [0], [len(world.items)], tpl)
    with pytest.raises(ValueError, match="only strings"):
        guard_reasons([None], [0], [0], tpl)
    with pytest.raises(ValueError, match="threshold"):
        item_sentiment(tpl, 0, threshold=-1)
    out, report = guard_reasons([], [], [], tpl)
    assert out == [] and report.empty


def test_guard_on_hotel_reviews(hotel_reviews):
    reviews, hotels = hotel_reviews
    tpl = TemplateReasons().fit(reviews, items=hotels)
    item = int(reviews["item_id"].iloc[0])
    signs = item_sentiment(tpl, item)
    good = next(a for a, s in signs.items() if s > 0)
    bad = next((a for a, s in signs.items() if s < 0), None)
    texts = [f"The {good} was excellent."] + ([f"The {bad} was excellent."] if bad else [])
    out, report = guard_reasons(texts, [0] * len(texts), [item] * len(texts), tpl)
    assert out[0] == texts[0]
    if bad:
        assert len(report) == 1 and bad in report["problems"].iloc[0]
    assert set(tpl.aspects_) == {"breakfast", "location", "room", "service"}
