"""SmolLM2's tokenizer, rebuilt from the GGUF file's own vocabulary and merges.

SmolLM2 uses byte-level BPE (GPT-2's scheme): text is split into pieces, the
digits one by one and then by GPT-2's regular expression, each piece's bytes
are mapped to printable characters, and the 48,900 merges, in rank order,
join characters into the 49,152 tokens. The Hugging Face ``tokenizers``
library (which keras-hub itself depends on) runs exactly that, so the
tokenizer is assembled from its parts rather than written again. keras-hub's
``Llama3Tokenizer`` would read the same vocabulary and merges but splits with
Llama 3's expression (runs of up to three digits, a different rule for
whitespace), so it disagrees on digits and on some spaces; see the tests.
"""
from __future__ import annotations

import numpy as np

IM_START, IM_END = "<|im_start|>", "<|im_end|>"
DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


class ChatTokenizer:
    """Byte-level BPE tokenizer with SmolLM2's special tokens and chat format.

    ``encode(text)`` gives token ids, ``decode(ids)`` text; ``chat(messages)``
    writes the ChatML prompt the model was instruction-tuned on.
    """

    def __init__(self, tokens, merges, token_types, *, bos_id, eos_id, pad_id, pre_tokenizer):
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers

        if pre_tokenizer not in ("smollm", "gpt2"):
            raise ValueError(f"pre-tokenizer {pre_tokenizer!r} is not one this tokenizer knows "
                             "(expected 'smollm' or 'gpt2')")
        vocab = {tok: i for i, tok in enumerate(tokens)}
        pairs = [tuple(m.split(" ")) for m in merges]
        self._tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs, fuse_unk=False))
        steps = [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
        if pre_tokenizer == "smollm":
            steps.insert(0, pre_tokenizers.Digits(individual_digits=True))
        self._tok.pre_tokenizer = pre_tokenizers.Sequence(steps)
        self._tok.decoder = decoders.ByteLevel()
        self.special_tokens = [t for t, kind in zip(tokens, token_types) if kind == 3]
        self._tok.add_special_tokens(self.special_tokens)
        self.tokens = list(tokens)
        self.vocabulary_size = len(tokens)
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id
        self.im_start_id = vocab[IM_START]
        self.im_end_id = vocab[IM_END]

    @classmethod
    def from_gguf(cls, model):
        """The tokenizer of a :class:`reclib.llm.gguf.GGUFModel`."""
        return cls(model.tokens, model.merges, model.token_types, bos_id=model.bos_id,
                   eos_id=model.eos_id, pad_id=model.pad_id, pre_tokenizer=model.pre_tokenizer)

    def encode(self, text):
        """Token ids of ``text`` (special tokens written in it are kept whole)."""
        if not isinstance(text, str):
            raise TypeError(f"encode takes a str, not {type(text).__name__}")
        return self._tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts):
        """Token ids of each text in ``texts``."""
        return [e.ids for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def decode(self, ids, *, skip_special=True):
        """The text of token ids (special tokens dropped unless ``skip_special=False``)."""
        ids = [int(i) for i in np.asarray(ids).ravel()]
        bad = [i for i in ids if not 0 <= i < self.vocabulary_size]
        if bad:
            raise ValueError(f"token id {bad[0]} is outside the vocabulary (0..{self.vocabulary_size - 1})")
        return self._tok.decode(ids, skip_special_tokens=skip_special)

    def chat(self, messages, *, system=DEFAULT_SYSTEM, add_generation_prompt=True):
        """The ChatML text of ``messages`` (a list of (role, content) pairs).

        Follows the GGUF file's chat template: a system turn first when the
        messages have none, each turn as ``<|im_start|>role\\ncontent<|im_end|>\\n``,
        and ``<|im_start|>assistant\\n`` to ask for the model's turn.
        """
        messages = [tuple(m) for m in messages]
        for m in messages:
            if len(m) != 2 or m[0] not in ("system", "user", "assistant") or not isinstance(m[1], str):
                raise ValueError(f"a message is (role, text) with role system/user/assistant, not {m!r}")
        if system is not None and (not messages or messages[0][0] != "system"):
            messages = [("system", system)] + messages
        text = "".join(f"{IM_START}{role}\n{content}{IM_END}\n" for role, content in messages)
        return text + (f"{IM_START}assistant\n" if add_generation_prompt else "")
