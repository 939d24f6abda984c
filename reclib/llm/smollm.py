"""SmolLM2-135M-Instruct as a keras-hub Llama model, with an on-disk cache.

keras-hub's ``Llama3Backbone`` is configured from the GGUF file's metadata
(sizes, RoPE base, RMSNorm epsilon, tied input/output embeddings) and its
variables are filled from the dequantized tensors. The converted weights are
cached as a Keras weights file under ``$RECLIB_CACHE`` (default
``~/.cache/reclib``), keyed by the GGUF file's SHA-256, so only the first
load pays for dequantizing.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from reclib.llm.gguf import LlamaConfig, read_gguf, smollm2_path, file_sha256
from reclib.llm.tokenizer import ChatTokenizer

CONVERSION_VERSION = 1  # bump when the mapping below changes: old cache entries are ignored


def cache_dir():
    """The folder for converted models (outside the repository)."""
    return Path(os.environ.get("RECLIB_CACHE", Path.home() / ".cache" / "reclib")) / "llm"


def build_backbone(config, *, dtype="float32"):
    """An untrained keras-hub ``Llama3Backbone`` with the sizes of ``config``."""
    import keras_hub

    if not isinstance(config, LlamaConfig):
        raise TypeError(f"config must be a LlamaConfig, not {type(config).__name__}")
    return keras_hub.models.Llama3Backbone(
        vocabulary_size=config.vocabulary_size, num_layers=config.num_layers,
        num_query_heads=config.num_query_heads, hidden_dim=config.hidden_dim,
        intermediate_dim=config.intermediate_dim,
        num_key_value_heads=config.num_key_value_heads,
        rope_max_wavelength=config.rope_theta, layer_norm_epsilon=config.norm_epsilon,
        tie_word_embeddings=config.tied_embeddings, dtype=dtype, name="smollm2")


def load_gguf_weights(backbone, weights):
    """Copy GGUF tensors ((out, in) matrices) into the backbone's variables."""
    def assign(variable, value):
        value = np.asarray(value, dtype="float32")
        if tuple(variable.shape) != value.shape:
            raise ValueError(f"{variable.path}: expected shape {tuple(variable.shape)}, "
                             f"the file gives {value.shape}")
        variable.assign(value)

    def dense(variable, w):  # (out, in) -> keras's (in, ...) kernel layout
        assign(variable, np.reshape(np.transpose(w), tuple(variable.shape)))

    embedding = backbone.get_layer("token_embedding")
    assign(embedding.embeddings, weights["token_embd.weight"])
    if not backbone.tie_word_embeddings:
        dense(embedding.reverse_embeddings, weights["output.weight"])
    for i in range(backbone.num_layers):
        layer = backbone.get_layer(f"transformer_layer_{i}")
        attention = layer._self_attention_layer
        b = f"blk.{i}."
        assign(layer._self_attention_layernorm.scale, weights[b + "attn_norm.weight"])
        assign(layer._feedforward_layernorm.scale, weights[b + "ffn_norm.weight"])
        dense(attention._query_dense.kernel, weights[b + "attn_q.weight"])
        dense(attention._key_dense.kernel, weights[b + "attn_k.weight"])
        dense(attention._value_dense.kernel, weights[b + "attn_v.weight"])
        dense(attention._output_dense.kernel, weights[b + "attn_output.weight"])
        dense(layer._feedforward_gate_dense.kernel, weights[b + "ffn_gate.weight"])
        dense(layer._feedforward_intermediate_dense.kernel, weights[b + "ffn_up.weight"])
        dense(layer._feedforward_output_dense.kernel, weights[b + "ffn_down.weight"])
    assign(backbone.get_layer("sequence_output_layernorm").scale, weights["output_norm.weight"])
    return backbone


@dataclass
class LoadedLM:
    """A converted language model: the keras-hub backbone, its tokenizer, and
    facts about where it came from (``source``: path, SHA-256, quantization
    counts, ``from_cache``, ``load_seconds``). ``generators`` holds the
    compiled generation models built over this backbone
    (:func:`reclib.llm.causal_lm.causal_lm` reuses them)."""
    backbone: object
    tokenizer: ChatTokenizer
    config: LlamaConfig
    source: dict
    generators: dict = field(default_factory=dict, repr=False, compare=False)


def load_smollm2(path=None, *, cache=True, unpermute=True):
    """SmolLM2-135M-Instruct (or another Llama GGUF file) as a keras-hub backbone.

    With ``cache=True`` the converted weights are written to, and later read
    from, :func:`cache_dir`; ``unpermute=False`` builds the deliberately wrong
    model the tests use (never cached).
    """
    start = time.perf_counter()
    path = Path(path) if path is not None else smollm2_path()
    sha = file_sha256(path)
    entry = cache_dir() / f"{sha[:16]}-v{CONVERSION_VERSION}"
    use_cache = cache and unpermute
    if use_cache and (entry / "model.weights.h5").is_file():
        meta = json.loads((entry / "meta.json").read_text())
        config = LlamaConfig(**meta["config"])
        tokenizer_data = meta["tokenizer"]
        tokenizer = ChatTokenizer(tokenizer_data["tokens"], tokenizer_data["merges"],
                                  tokenizer_data["token_types"], bos_id=tokenizer_data["bos_id"],
                                  eos_id=tokenizer_data["eos_id"], pad_id=tokenizer_data["pad_id"],
                                  pre_tokenizer=tokenizer_data["pre_tokenizer"])
        backbone = build_backbone(config)
        backbone.load_weights(entry / "model.weights.h5")
        source = dict(meta["source"], from_cache=True)
    else:
        model = read_gguf(path, unpermute=unpermute)
        config = model.config
        tokenizer = ChatTokenizer.from_gguf(model)
        backbone = load_gguf_weights(build_backbone(config), model.weights)
        counts = {}
        for kind in model.quant_types.values():
            counts[kind] = counts.get(kind, 0) + 1
        source = {"path": str(path), "sha256": sha, "tensor_types": counts,
                  "quant_types": model.quant_types, "from_cache": False}
        if use_cache:
            entry.mkdir(parents=True, exist_ok=True)
            tmp = entry / "model.tmp.weights.h5"
            backbone.save_weights(tmp)
            (entry / "meta.json").write_text(json.dumps({
                "config": asdict(config), "source": source,
                "tokenizer": {"tokens": model.tokens, "merges": model.merges,
                              "token_types": model.token_types, "bos_id": model.bos_id,
                              "eos_id": model.eos_id, "pad_id": model.pad_id,
                              "pre_tokenizer": model.pre_tokenizer}}))
            tmp.rename(entry / "model.weights.h5")
    source["load_seconds"] = time.perf_counter() - start
    return LoadedLM(backbone=backbone, tokenizer=tokenizer, config=config, source=source)
