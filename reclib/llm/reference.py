"""A Llama forward pass in NumPy, written from the definitions.

This is the check on the keras-hub conversion, not a way to run the model:
it is slow and keeps no cache. Each block is

    h = x + Attention(RMSNorm(x))           (grouped-query, causal, RoPE on q and k)
    y = h + W_down (silu(W_gate n) * (W_up n)),   n = RMSNorm(h)

with RMSNorm(x) = x / sqrt(mean(x^2) + eps) * g, and the logits are the final
RMSNorm's output times the (tied) embedding matrix. ``rope="half"`` rotates
dimension i with i + d/2 (Hugging Face's and keras-hub's convention);
``rope="interleaved"`` rotates 2i with 2i + 1 (llama.cpp's, which is why the
GGUF file stores q and k rows permuted).
"""
from __future__ import annotations

import numpy as np


def rms_norm(x, gain, eps):
    """x / sqrt(mean(x^2) + eps) * gain, over the last axis."""
    x = np.asarray(x, dtype=np.float64)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * gain


def rope(x, theta, *, layout="half"):
    """Rotary position embedding of ``x`` (T, heads, d) at positions 0..T-1."""
    t, _, d = x.shape
    freqs = theta ** (-np.arange(0, d, 2, dtype=np.float64) / d)    # (d/2,)
    angle = np.arange(t)[:, None] * freqs[None, :]                  # (T, d/2)
    cos, sin = np.cos(angle)[:, None, :], np.sin(angle)[:, None, :]
    if layout == "half":
        a, b = x[..., : d // 2], x[..., d // 2:]
        return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)
    if layout == "interleaved":
        a, b = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2], out[..., 1::2] = a * cos - b * sin, a * sin + b * cos
        return out
    raise ValueError(f"layout must be 'half' or 'interleaved', not {layout!r}")


def silu(x):
    return x / (1.0 + np.exp(-x))


def attention(x, wq, wk, wv, wo, n_heads, n_kv, theta, layout):
    """Causal grouped-query self-attention of x (T, D) with (out, in) weights."""
    t, _ = x.shape
    d = wq.shape[0] // n_heads
    q = rope((x @ wq.T).reshape(t, n_heads, d), theta, layout=layout)
    k = rope((x @ wk.T).reshape(t, n_kv, d), theta, layout=layout)
    v = (x @ wv.T).reshape(t, n_kv, d)
    group = n_heads // n_kv              # query heads sharing one key/value head
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(d)
    scores = np.where(np.tril(np.ones((t, t), bool))[None], scores, -np.inf)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    weights = scores / scores.sum(-1, keepdims=True)
    out = np.einsum("hqk,khd->qhd", weights, v).reshape(t, n_heads * d)
    return out @ wo.T


def forward(weights, config, token_ids, *, layers=None, rope_layout="half"):
    """Logits (T, vocabulary) for one sequence, in float64.

    ``weights`` is :attr:`reclib.llm.gguf.GGUFModel.weights` (or any dict
    with those names); ``layers`` runs only the first ``layers`` blocks (the
    tests use all of them, a quick check fewer).
    """
    def w(name):  # float64 one tensor at a time (all at once would be 1 GB)
        return np.asarray(weights[name], dtype=np.float64)

    ids = np.asarray(token_ids)
    if ids.ndim != 1 or not len(ids):
        raise ValueError("token_ids must be a non-empty 1-D sequence")
    eps, theta = config.norm_epsilon, config.rope_theta
    x = np.asarray(weights["token_embd.weight"][ids], dtype=np.float64)
    for i in range(config.num_layers if layers is None else layers):
        b = f"blk.{i}."
        x = x + attention(rms_norm(x, w(b + "attn_norm.weight"), eps), w(b + "attn_q.weight"),
                          w(b + "attn_k.weight"), w(b + "attn_v.weight"),
                          w(b + "attn_output.weight"), config.num_query_heads,
                          config.num_key_value_heads, theta, rope_layout)
        n = rms_norm(x, w(b + "ffn_norm.weight"), eps)
        x = x + (silu(n @ w(b + "ffn_gate.weight").T) * (n @ w(b + "ffn_up.weight").T)) \
            @ w(b + "ffn_down.weight").T
    x = rms_norm(x, w("output_norm.weight"), eps)
    out = weights["output.weight"] if "output.weight" in weights else weights["token_embd.weight"]
    return x @ np.asarray(out, dtype=np.float64).T
