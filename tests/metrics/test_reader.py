"""The trained reader (reclib.metrics.reader): it learns, is reproducible,
reads in the rule reader's format, and refuses bad input."""
import numpy as np
import pytest

from reclib.data import shopsim
from reclib.data.aspects import extract_aspects
from reclib.data.splits import random_split
from reclib.metrics.reader import (RuleReader, TrainedReader, reader_agreement,
                                   reading_accuracy, segments)


@pytest.fixture(scope="module")
def split():
    world = shopsim.generate(n_users=300, n_items=80, seed=5)
    return random_split(world.ratings, 0.2, seed=0)


@pytest.fixture(scope="module")
def reader(split):
    return TrainedReader(seed=0).fit(split[0])


def _majority(train, test):
    return float((test["aspect"] == train["aspect"].value_counts().index[0]).mean())


def test_the_reader_learns_well_above_the_majority_class(split, reader):
    train, test = split
    for r in (reader, TrainedReader(seed=1).fit(train)):
        acc = reading_accuracy(r.read(list(test["text"])), test["aspect"], test["sentiment"])
        # measured 0.95-0.96 for seeds 0-2 on held-out true reviews; majority aspect 0.25
        assert acc["aspect"] > _majority(train, test) + 0.4
        assert acc["aspect+sentiment"] > 0.75
        assert acc["label among mentions"] > 0.8


def test_the_reader_is_reproducible_with_a_seed(split, reader):
    train, test = split
    texts = list(test["text"][:200])
    again = TrainedReader(seed=0).fit(train)
    assert again.read(texts) == reader.read(texts)
    np.testing.assert_allclose(again.predict_proba(texts), reader.predict_proba(texts),
                               atol=1e-6)


def test_the_format_matches_the_rule_reader(reader):
    texts = ["Great battery, great screen and great value.", "A great product.", "",
             "The battery is not great."]
    rule = RuleReader(reader.aspects_)
    for got, ref in zip(reader.read(texts), rule.read(texts)):
        assert isinstance(got, list) and isinstance(ref, list)
        for pair in got:
            assert isinstance(pair, tuple) and len(pair) == 2
            assert pair[0] in reader.aspects_ and pair[1] in ("positive", "negative")
        assert len(set(got)) == len(got)  # distinct pairs
    assert reader.read([]) == []
    assert reader.read_one("") == []
    assert reader.read_one(texts[0]) == reader.read(texts[:1])[0]
    # the rule reader is extract_aspects behind the same interface
    assert rule.read(texts) == [extract_aspects(t, reader.aspects_) for t in texts]
    assert reader.predict_proba(texts).shape == (4, 2 * len(reader.aspects_))


def test_a_reason_naming_two_aspects_is_read_statement_by_statement(reader):
    assert segments("Great battery, and also the value. Highly recommended!") == [
        "Great battery", "also the value", "Highly recommended"]
    both = reader.read_one("The battery lasts all day. The screen is sharp.")
    assert [a for a, _ in both] == ["battery", "screen"]


def test_agreement_and_accuracy_measures():
    a = [[("battery", "positive")], [], [("screen", "negative"), ("value", "positive")]]
    b = [[("battery", "negative")], [], [("value", "positive"), ("screen", "negative")]]
    agree = reader_agreement(a, b)
    assert agree["same pairs"] == pytest.approx(2 / 3)
    assert agree["same aspects"] == 1.0
    assert reader_agreement(a, a)["kappa (first aspect)"] == pytest.approx(1.0)
    acc = reading_accuracy(a, ["battery", "screen", "screen"],
                           ["positive", "positive", "negative"])
    assert acc == {"aspect": pytest.approx(2 / 3), "aspect+sentiment": pytest.approx(2 / 3),
                   "label among mentions": pytest.approx(2 / 3),
                   "no mention": pytest.approx(1 / 3)}


def test_bad_input(split, reader):
    train, _ = split
    with pytest.raises(ValueError, match="not fitted"):
        TrainedReader().read(["x"])
    with pytest.raises(ValueError, match="single string"):
        reader.read("The battery is great.")
    with pytest.raises(ValueError, match="only strings"):
        reader.read(["ok", 3])
    with pytest.raises(ValueError, match="text must be a string"):
        reader.read_one(None)
    with pytest.raises(ValueError, match="columns|column"):
        TrainedReader().fit(train.drop(columns="sentiment"))
    bad = train.head(10).copy()
    bad["sentiment"] = "meh"
    with pytest.raises(ValueError, match="sentiment must be"):
        TrainedReader().fit(bad)
    bad = train.head(10).copy()
    bad["aspect"] = None
    with pytest.raises(ValueError, match="aspect label"):
        TrainedReader().fit(bad)
    one = train.head(10).copy()
    one["aspect"] = "battery"
    with pytest.raises(ValueError, match="2 different aspects"):
        TrainedReader().fit(one)
    for kw in (dict(threshold=1.0), dict(threshold=0), dict(purity=1.5), dict(epochs=0),
               dict(ngrams=0), dict(learning_rate=-1), dict(learning_rate="fast"),
               dict(seed=None), dict(seed=-1)):
        with pytest.raises(ValueError):
            TrainedReader(**kw)
    with pytest.raises(ValueError, match="single string"):
        RuleReader("battery")
    with pytest.raises(ValueError, match="mismatched lengths"):
        reading_accuracy([[]], ["battery", "screen"], ["positive", "positive"])
    with pytest.raises(ValueError, match="empty"):
        reader_agreement([], [])
    with pytest.raises(ValueError, match="pairs"):
        reader_agreement([["battery"]], [[]])
    with pytest.raises(ValueError, match="mismatched"):
        reader_agreement([[]], [[], []])


def test_the_average_is_over_the_statement_s_n_grams_not_the_padding(reader):
    # the docstring's "averaged": the mean of the n-grams' embeddings, padding masked out
    text = "the battery is great"
    ids = reader._ids([text])[0]
    n = int((ids > 0).sum())
    assert 0 < n < reader.max_len  # some padding to ignore
    table = reader.model_.get_layer(index=1).embeddings.numpy()
    dense = reader.model_.layers[-1]
    kernel, bias = (w.numpy() for w in dense.weights)
    logits = table[ids[:n]].mean(axis=0) @ kernel + bias
    expected = np.exp(logits - logits.max())
    expected /= expected.sum()
    np.testing.assert_allclose(reader.predict_proba([text])[0], expected[:-1], atol=1e-5)
