"""Tests for reclib.data.text (tokenizer and Vocabulary)."""
import numpy as np
import pytest

from reclib.data.text import SPECIALS, Vocabulary, detokenize, tokenize

CORPUS = ["The battery lasts all day.", "The screen is bright, the battery is weak!",
          "Great battery."]
ZH = "电池续航很长，通勤很方便"


def test_tokenize_word_and_char():
    assert tokenize("Great battery, isn't it?") == \
        ["great", "battery", ",", "isn", "'", "t", "it", "?"]
    assert tokenize("电池 续航", level="char") == ["电", "池", "续", "航"]
    assert detokenize(["a", "b"]) == "a b" and detokenize(["电", "池"], "char") == "电池"


def test_special_ids_and_frequency_order():
    v = Vocabulary.from_texts(CORPUS)
    assert [v.pad_id, v.bos_id, v.eos_id, v.unk_id] == [0, 1, 2, 3]
    assert v.itos[:4] == list(SPECIALS)
    # "battery" (3) and "the" (3) first, alphabetical on ties; then "." and "is" (2)
    assert v.itos[4:8] == ["battery", "the", ".", "is"]
    assert len(v) == 4 + len({t for s in CORPUS for t in tokenize(s)})


def test_min_count_and_max_size():
    v = Vocabulary.from_texts(CORPUS, min_count=2)
    assert set(v.itos[4:]) == {"battery", "the", ".", "is"}
    v = Vocabulary.from_texts(CORPUS, max_size=2)
    assert len(v) == 6 and v.itos[4:] == ["battery", "the"]


def test_word_round_trip_and_unknown():
    v = Vocabulary.from_texts(CORPUS)
    ids = v.encode("The battery is weak!", add_bos=True, add_eos=True)
    assert ids[0] == v.bos_id and ids[-1] == v.eos_id
    assert v.decode(ids) == "the battery is weak !"
    unk = v.encode("The phone is weak")
    assert unk[1] == v.unk_id and v.decode(unk) == "the <unk> is weak"


def test_char_round_trip_chinese():
    v = Vocabulary.from_texts([ZH, "电池很差"], level="char")
    assert "很" in v and v.itos[4] == "很"  # most frequent character
    ids = v.encode(ZH, max_len=20, add_bos=True, add_eos=True)
    assert len(ids) == 20 and ids[-1] == v.pad_id
    assert v.decode(ids) == ZH
    assert v.decode(v.encode("电池很好")) == "电池很<unk>"


def test_padding_truncation_and_decode_stops_at_eos():
    v = Vocabulary.from_texts(CORPUS)
    ids = v.encode("the battery lasts all day", max_len=4, add_bos=True, add_eos=True)
    assert ids == [v.bos_id, v.stoi["the"], v.stoi["battery"], v.eos_id]  # specials kept
    assert v.encode("day", max_len=3) == [v.stoi["day"], 0, 0]
    seq = [v.bos_id, v.stoi["great"], v.eos_id, v.stoi["day"], 0]
    assert v.decode(seq) == "great"
    assert v.decode([0, v.stoi["day"], 0]) == "day"


def test_encode_batch():
    v = Vocabulary.from_texts(CORPUS)
    x = v.encode_batch(["great battery", "the battery lasts all day"], add_eos=True)
    assert x.dtype == np.int32 and x.shape == (2, 6)
    assert x[0, 2] == v.eos_id and (x[0, 3:] == 0).all()
    assert v.encode_batch(["great"], max_len=3).shape == (1, 3)


def test_json_round_trip():
    v = Vocabulary.from_texts([ZH], level="char")
    w = Vocabulary.from_json(v.to_json())
    assert w.itos == v.itos and w.level == "char" and w.encode(ZH) == v.encode(ZH)


@pytest.mark.parametrize("call,msg", [
    (lambda: Vocabulary.from_texts([]), "empty corpus"),
    (lambda: Vocabulary.from_texts(["   "]), "empty corpus"),
    (lambda: Vocabulary.from_texts("abc"), "not a single string"),
    (lambda: Vocabulary.from_texts(["a", None]), r"texts\[1\] must be a string"),
    (lambda: Vocabulary.from_texts(["a"], level="bpe"), "unknown tokenization level"),
    (lambda: Vocabulary.from_texts(["a"], min_count=0), "min_count"),
    (lambda: Vocabulary.from_texts(["a"], min_count=2), "no token occurs"),
    (lambda: Vocabulary.from_texts(["a"], max_size=0), "max_size must be an integer >= 1"),
    (lambda: Vocabulary.from_texts(["a"], min_count=1.5), "min_count must be an integer"),
    (lambda: Vocabulary(["a", "a"]), "duplicate"),
    (lambda: Vocabulary(["<unk>"]), "special"),
    (lambda: Vocabulary.from_json("{}"), "not a serialized"),
    (lambda: Vocabulary.from_json('{"level": "word", "itos": ["a"]}'), "must start with"),
])
def test_build_errors(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


@pytest.mark.parametrize("call,msg", [
    (lambda v: v.encode("a", max_len=0), "max_len must be an integer >= 1, got 0"),
    (lambda v: v.encode("a", max_len=-3), "max_len must be an integer >= 1"),
    (lambda v: v.encode("a", max_len=2.0), "max_len must be an integer, got 2.0"),
    (lambda v: v.id_to_token(1.0), "token id must be an integer"),
    (lambda v: v.id_to_token(True), "token id must be an integer"),
    (lambda v: v.encode("a", max_len=2, add_bos=True, add_eos=True), "no room"),
    (lambda v: v.encode(None), "must be a string"),
    (lambda v: v.decode([1, 999]), "unknown token id 999"),
    (lambda v: v.decode([-1]), "unknown token id -1"),
    (lambda v: v.decode([[1, 2]]), "1-D"),
    (lambda v: v.decode([1.5]), "integers"),
    (lambda v: v.encode_batch([]), "empty input"),
])
def test_encode_decode_errors(call, msg):
    v = Vocabulary.from_texts(CORPUS)
    with pytest.raises(ValueError, match=msg):
        call(v)
