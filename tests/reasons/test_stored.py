import pandas as pd
import pytest

from reclib.reasons.stored import StoredReasons


@pytest.fixture
def train():
    return pd.DataFrame({"user_id": [0, 1, 2], "item_id": [0, 1, 2], "rating": [4, 5, 3],
                         "text": ["The battery is great.", "Nice screen.", "Slow."],
                         "aspect": ["battery", "screen", "speed"],
                         "sentiment": ["positive", "positive", "negative"]})


def test_serves_the_stored_text_per_pair(train):
    table = pd.DataFrame({"user_id": [1, 0], "item_id": [2, 1], "text": ["b", "a"]})
    gen = StoredReasons(table, parameters=7, train_seconds=12.5).fit(train, items=3, users=3)
    assert gen.generate([0, 1], [1, 2]) == ["a", "b"]
    assert gen.generate([0], [1], method="sample", temperature=0.5) == ["a"]  # ignored
    assert gen.count_params() == 7 and gen.fit_time_ == 12.5


def test_missing_and_duplicate_pairs_are_errors(train):
    table = pd.DataFrame({"user_id": [1], "item_id": [2], "text": ["b"]})
    gen = StoredReasons(table).fit(train, items=3, users=3)
    with pytest.raises(ValueError, match="no stored reason for user 0, item 1"):
        gen.generate([0], [1])
    with pytest.raises(ValueError, match="more than one reason"):
        StoredReasons(pd.concat([table, table]))
    with pytest.raises(ValueError, match="text"):
        StoredReasons(table.drop(columns="text"))
