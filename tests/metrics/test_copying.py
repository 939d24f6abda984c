"""Tests for reclib.metrics.copying: checked against a brute-force search."""
import numpy as np
import pytest

from reclib.metrics.copying import copying_rates, copying_table, words


def brute_force(text, user, train_texts, train_users, n):
    """Longest common word run, n-gram overlap and verbatim flag, by
    comparing every sub-run of ``text`` with every other user's review."""
    w = words(text)
    corpus = [(words(t), u) for t, u in zip(train_texts, train_users)]

    def writers(run):
        k = len(run)
        return {u for o, u in corpus if any(o[j:j + k] == run for j in range(len(o) - k + 1))}

    def occurs(run):
        return bool(writers(run) - {user})

    runs = [w[i:j] for i in range(len(w)) for j in range(i + 1, len(w) + 1)]
    longest = max((len(r) for r in runs if occurs(r)), default=0)
    unique = max((len(r) for r in runs if len(writers(r) - {user}) == 1), default=0)
    grams = [w[i:i + n] for i in range(len(w) - n + 1)]
    overlap = np.mean([occurs(g) for g in grams]) if grams else np.nan
    return longest, overlap, bool(w) and longest == len(w), unique


def test_words_drops_punctuation_and_lowercases():
    assert words("Great battery, isn't it?") == ["great", "battery", "isn", "t", "it"]


def test_small_example():
    train = ["the battery lasts all day, love it", "great sound and the battery lasts",
             "my own words here exactly"]
    t = copying_table(["The battery lasts all day!", "my own words here exactly", "xyz abc"],
                      [0, 0, 0], train, [1, 2, 0])
    assert t["longest_run"].tolist() == [5, 0, 0]        # own review (user 0) does not count
    assert t["verbatim"].tolist() == [True, False, False]
    assert t["overlap"][0] == 1.0 and np.isnan(t["overlap"][2])  # 2 words < n = 4
    # the same text for user 1 (who wrote the first review) shares only 3 words with user 2
    t1 = copying_table(["The battery lasts all day!"], [1], train, [1, 2, 0])
    assert t1["longest_run"][0] == 3 and t1["overlap"][0] == 0.0 and not t1["verbatim"][0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_brute_force(seed):
    rng = np.random.default_rng(seed)
    vocab = ["a", "b", "c", "d", "e", "f", "g", "h"]

    def text():
        return " ".join(rng.choice(vocab, rng.integers(1, 9)))

    train = [text() for _ in range(40)]
    train_users = rng.integers(0, 6, 40)
    texts = [text() for _ in range(30)]
    users = rng.integers(0, 6, 30)
    for n in (1, 3):
        t = copying_table(texts, users, train, train_users, n=n)
        for k, (x, u) in enumerate(zip(texts, users)):
            longest, overlap, verbatim, unique = brute_force(x, u, train, train_users, n)
            assert t["longest_run"][k] == longest, (x, u)
            assert t["unique_run"][k] == unique, (x, u)
            assert t["verbatim"][k] == verbatim
            assert (np.isnan(overlap) and np.isnan(t["overlap"][k])) or \
                t["overlap"][k] == pytest.approx(overlap)


def test_rates_summarise_the_table():
    train = ["one two three four five six seven eight nine", "alpha beta"]
    r = copying_rates(["one two three four five six seven eight", "alpha gamma delta epsilon"],
                      [5, 5], train, [1, 2], n=4, run=8)
    assert r == {"longest_run": 4.5, "run>=8": 0.5, "overlap4": 0.5, "verbatim": 0.5,
                 "unique>=8": 0.5}


def test_unique_run_ignores_common_phrases():
    train = ["the battery lasts all day", "the battery lasts all day", "i use it on my night shift"]
    t = copying_table(["the battery lasts all day on my night shift"], [9], train, [1, 2, 3])
    # the battery phrase has two writers; only "on my night shift" belongs to one person
    assert t["longest_run"][0] == 5 and t["unique_run"][0] == 4


@pytest.mark.parametrize("call, message", [
    (lambda: copying_table("one text", [0], ["a"], [1]), "list of strings"),
    (lambda: copying_table(["a b"], [0, 1], ["a"], [1]), "one id per text"),
    (lambda: copying_table(["a b"], [0.5], ["a"], [1]), "integer ids"),
    (lambda: copying_table(["a b"], [0], ["a"], [1, 2]), "one id per text"),
    (lambda: copying_table(["a b"], [0], [], []), "train_texts is empty"),
    (lambda: copying_table(["a b"], [0], ["a"], [1], n=0), "n"),
    (lambda: copying_rates(["a b"], [0], ["a"], [1], run=0), "run"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
