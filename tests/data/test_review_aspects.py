"""Tests for reclib.data.aspects.label_aspects: labelling reviews that come
without feature words (the Amazon fixtures, ShopSim with its labels hidden)."""
from pathlib import Path

import pandas as pd
import pytest

from reclib.checks import check_reviews
from reclib.data import PRODUCT_LEXICON, label_aspects, load_amazon, shopsim
from reclib.data.aspects import compile_lexicon, extract_aspects, extract_with

AMAZON = Path(__file__).resolve().parents[2] / "data" / "fixtures" / "amazon"


@pytest.fixture(scope="module")
def amazon_2018():
    return load_amazon(AMAZON / "reviews_2018.json").ratings


@pytest.fixture(scope="module")
def amazon_2023():
    return load_amazon(AMAZON / "reviews_2023.jsonl").ratings


def reviews(*rows):
    return pd.DataFrame(rows, columns=["text", "rating"])


def test_coverage_on_the_2018_fixture(amazon_2018):
    labelled, report = label_aspects(amazon_2018)
    assert report == {"reviews": 60, "with an aspect": 53, "coverage": 53 / 60,
                      "sentiment from the rating": 0, "unlabelled": 8, "dropped": 8,
                      "rule": "first"}
    assert len(labelled) == 52 and list(labelled.index) == list(range(52))
    assert set(labelled["aspect"]) <= set(PRODUCT_LEXICON)
    check_reviews(labelled, aspects=list(PRODUCT_LEXICON))  # ready for a reason generator
    # the product lexicon reads these reviews; it cannot read the others
    first = labelled.set_index("text")
    assert first.loc["The sound is rich and clear, and the battery lasts a whole week of "
                     "commuting.", "aspect"] == "sound"
    assert tuple(first.loc["The zipper broke after two weeks, so much for durability.",
                           ["aspect", "sentiment"]]) == ("durability", "negative")
    unread = set(amazon_2018["text"]) - set(labelled["text"])
    assert {"", "Exactly as described.", "Does what it says.", "Would buy again.",
            "The color is navy blue, as in the photo."} <= unread


def test_coverage_on_the_2023_fixture(amazon_2023):
    labelled, report = label_aspects(amazon_2023)
    assert (report["with an aspect"], report["unlabelled"], len(labelled)) == (31, 9, 31)
    assert report["coverage"] == pytest.approx(0.775)
    # an aspect without a sentiment cue takes the sentiment of its 4 stars
    assert report["sentiment from the rating"] == 1
    row = labelled[labelled["text"] == "I charge the battery once every two weeks."]
    assert tuple(row[["aspect", "sentiment"]].iloc[0]) == ("battery", "positive")


def test_keep_unlabelled(amazon_2018):
    kept, report = label_aspects(amazon_2018, unlabelled="keep")
    assert len(kept) == 60 and report["dropped"] == 0 and report["unlabelled"] == 8
    assert kept["aspect"].isna().sum() == 7                   # no aspect found
    both = kept[kept["aspect"].notna() & kept["sentiment"].isna()]
    assert list(both["aspect"]) == ["design"] and list(both["rating"]) == [3]  # 3 stars: no side
    pd.testing.assert_frame_equal(kept.drop(columns=["aspect", "sentiment"]), amazon_2018)


def test_rules_first_and_rating(amazon_2018):
    first, _ = label_aspects(amazon_2018, rule="first")
    by_rating, _ = label_aspects(amazon_2018, rule="rating")
    differ = (first["aspect"] != by_rating["aspect"]) | \
        (first["sentiment"] != by_rating["sentiment"])
    assert differ.sum() == 1
    text = "The design is nice, but the sound is muddy at high volume."   # 2 stars
    assert tuple(first.loc[differ, ["aspect", "sentiment"]].iloc[0]) == ("design", "positive")
    assert tuple(by_rating.loc[differ, ["aspect", "sentiment"]].iloc[0]) == ("sound", "negative")
    assert first.loc[differ, "text"].item() == text


@pytest.mark.parametrize("text, rating, rule, expected", [
    ("The battery is weak but the screen is great.", 5, "first", ("battery", "negative")),
    ("The battery is weak but the screen is great.", 5, "rating", ("screen", "positive")),
    ("The battery is weak but the screen is great.", 3, "rating", ("battery", "negative")),
    ("I charge the battery once a week.", 2, "first", ("battery", "negative")),
    ("I charge the battery once a week.", 3, "first", ("battery", None)),
    ("Nothing more to say.", 5, "first", (None, None)),
    ("Shipping took a month and the package was damaged.", 1, "first", ("delivery", "negative")),
])
def test_hand_labelled_sentences(text, rating, rule, expected):
    out, _ = label_aspects(reviews((text, rating)), rule=rule, unlabelled="keep")
    assert (out.at[0, "aspect"], out.at[0, "sentiment"]) == expected


def test_recovers_shopsim_labels_from_text_alone(world_150x60):
    """ShopSim knows each review's aspect and sentiment: hide them, read them back."""
    truth = world_150x60.ratings
    labelled, report = label_aspects(truth.drop(columns=["aspect", "sentiment"]),
                                     lexicon=shopsim.ASPECTS, unlabelled="keep")
    assert report["coverage"] == 1.0
    same = (labelled["aspect"] == truth["aspect"]) & (labelled["sentiment"] == truth["sentiment"])
    assert same.mean() > 0.98


def test_own_lexicon_and_several_text_columns():
    hotel = {"location": ["location", "central", "walk"], "breakfast": ["breakfast"],
             "room": ["room", "bed", "shower"], "service": ["staff", "reception"]}
    table = pd.DataFrame({"title": ["Great location", None, "Tiny room"],
                          "body": ["The breakfast was cold.", "Lovely staff.", ""],
                          "rating": [4, 5, 2]})
    out, report = label_aspects(table, lexicon=hotel, text=["title", "body"])
    assert list(out["aspect"]) == ["location", "service", "room"]
    assert list(out["sentiment"]) == ["positive", "positive", "negative"]
    assert report["coverage"] == 1.0


def test_without_a_rating_column_the_text_decides():
    table = pd.DataFrame({"text": ["The battery is great.", "I charge the battery daily."]})
    out, report = label_aspects(table, unlabelled="keep")
    assert list(out["sentiment"]) == ["positive", None] and report["unlabelled"] == 1


def test_replaces_existing_labels_and_leaves_the_input_alone():
    table = reviews(("The screen is dim.", 2)).assign(aspect="battery", sentiment="positive")
    before = table.copy()
    out, _ = label_aspects(table)
    assert (out.at[0, "aspect"], out.at[0, "sentiment"]) == ("screen", "negative")
    pd.testing.assert_frame_equal(table, before)


def test_extract_aspects_is_unchanged_by_the_shared_reader():
    text = "The battery is not great, but the screen is bright and sharp."
    assert extract_aspects(text, ["battery", "screen"]) == [("battery", "negative"),
                                                           ("screen", "positive")]


@pytest.mark.parametrize("kwargs, message", [
    (dict(text="body"), r"missing column\(s\) \['body'\]"),
    (dict(lexicon="battery"), "not a single string"),
    (dict(lexicon={}), "no aspects"),
    (dict(lexicon={"battery": [""]}), "keyword of aspect 'battery'"),
    (dict(rule="strongest"), "rule must be one of"),
    (dict(unlabelled="ignore"), "unlabelled must be one of"),
    (dict(scale=(5, 1)), "low < high"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        label_aspects(reviews(("The screen is dim.", 2)), **kwargs)


def test_bad_tables():
    with pytest.raises(ValueError, match="must be a pandas DataFrame"):
        label_aspects(["The screen is dim."])
    with pytest.raises(ValueError, match="empty"):
        label_aspects(reviews())
    with pytest.raises(ValueError, match="column 'text' must hold strings, got 42 in row 1"):
        label_aspects(reviews(("fine", 3), (42, 3)))


def test_a_compiled_lexicon_reads_as_extract_aspects_does():
    texts = ["The battery is not great, but the screen is bright and sharp.",
             "Light and comfortable; the price is too high.", ""]
    words = {"battery": ["battery"], "screen": ["screen"], "weight": ["light"],
             "comfort": ["comfortable"], "value": ["price"]}
    lexicon = compile_lexicon(words)
    assert [extract_with(t, lexicon) for t in texts] == [extract_aspects(t, words) for t in texts]
    assert lexicon.aspects == list(words)
    # an aspect with no keyword can never be read, so the lexicon does not list it
    assert compile_lexicon({"screen": ["screen"], "ghost": [], "value": "price"}).aspects == \
        ["screen", "value"]
    with pytest.raises(ValueError, match="no aspects"):
        compile_lexicon({})
