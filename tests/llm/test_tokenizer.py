"""SmolLM2's tokenizer, rebuilt from the GGUF file's vocabulary and merges."""
import pytest

from reclib.llm.gguf import read_gguf
from reclib.llm.tokenizer import ChatTokenizer

REVIEWS = ["Five weeks in with these Sonora headphones and I love the comfort. Highly recommend.",
           "Bought this jacket for school but the design is clunky.",
           "Mixed feelings about the Lumiere: the design is dull. Lumiere can do better."]


@pytest.fixture(scope="module")
def model():
    return read_gguf()


@pytest.fixture(scope="module")
def tok(model):
    return ChatTokenizer.from_gguf(model)


def test_vocabulary_and_special_tokens_come_from_the_file(tok, model):
    assert tok.vocabulary_size == 49152 and len(model.merges) == 48900
    assert tok.encode("<|im_start|>user\nhi<|im_end|>")[0] == tok.im_start_id == 1
    assert tok.encode("<|im_end|>") == [tok.im_end_id] == [2]
    assert len(tok.special_tokens) == 17


@pytest.mark.parametrize("text", REVIEWS + ["  two  spaces\n\nand tabs\t", "café ☕ 12345"])
def test_round_trip(tok, text):
    assert tok.decode(tok.encode(text), skip_special=False) == text


def test_digits_are_split_one_by_one(tok):
    assert [tok.decode([t]) for t in tok.encode("2024")] == ["2", "0", "2", "4"]


def test_chat_follows_the_file_template(tok, model):
    text = tok.chat([("user", "Hello")])
    assert text == ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
                    "Hugging Face<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
                    "<|im_start|>assistant\n")
    assert "'<|im_start|>' + message['role'] + '\n'" in model.chat_template
    with pytest.raises(ValueError, match="role"):
        tok.chat([("robot", "hi")])


def test_keras_hub_llama3_tokenizer_differs_on_whitespace(tok, model):
    """keras-hub's Llama3Tokenizer reads the same vocabulary and merges but splits
    text with Llama 3's expression: the same ids on ordinary reviews, other ids
    around runs of whitespace. GPT-2's expression, which SmolLM2 was trained
    with, splits "a\n\nb" into a, \n, \n, b (``\s+(?!\S)`` leaves the last
    whitespace before a word to the word); Llama 3's keeps "\n\n" whole."""
    import keras_hub

    vocab = {t: i for i, t in enumerate(model.tokens)}
    hub = keras_hub.tokenizers.Llama3Tokenizer(vocabulary=vocab, merges=model.merges,
                                               bos_token="<|im_start|>", eos_token="<|im_end|>",
                                               misc_special_tokens=set())
    for text in REVIEWS:
        assert [int(i) for i in hub(text)] == tok.encode(text)
    newline = tok.encode("\n")[0]
    assert tok.encode("a\n\nb") == [tok.encode("a")[0], newline, newline, tok.encode("b")[0]]
    assert [int(i) for i in hub("a\n\nb")] != tok.encode("a\n\nb")


def test_bad_input_is_named(tok):
    with pytest.raises(TypeError, match="str"):
        tok.encode(42)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([49152])
    with pytest.raises(ValueError, match="pre-tokenizer"):
        ChatTokenizer(["a"], [], [1], bos_id=0, eos_id=0, pad_id=0, pre_tokenizer="llama3")
