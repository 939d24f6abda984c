"""Generation with keras-hub's samplers and KV cache, plus two additions the
book needs: a per-row *logit bias* (constrained decoding: tokens an item's
evidence rules out get -inf at every step) and a per-row *soft prompt*
(PEPLER-style continuous vectors that take the place of the first positions'
token embeddings).

:class:`ReasonCausalLM` is a keras-hub ``Llama3CausalLM``; its
``generate_step`` follows keras-hub's (build the cache on the prompt, then
one cached step per new token, the sampler choosing each token) and reads
two optional entries of the input dict, ``"logit_bias"`` (batch, vocabulary)
and ``"soft_prompt"`` (batch, P, hidden).
"""
from __future__ import annotations

import keras
import keras_hub
import numpy as np
from keras import ops

from reclib.llm.memory import release

NEG_INF = -1e9
#: how many stop ids one traced generation loop takes (unused slots hold -1)
STOP_SLOTS = 8


def stop_slots(stop_ids):
    """``stop_ids`` (None or up to :data:`STOP_SLOTS` token ids) as the fixed-length
    int32 array the traced generation loop takes, unused slots -1 (no token)."""
    stop = [] if stop_ids is None else [int(t) for t in stop_ids]
    if len(stop) > STOP_SLOTS:
        raise ValueError(f"at most {STOP_SLOTS} stop ids, got {len(stop)}")
    if any(t < 0 for t in stop):
        raise ValueError(f"stop ids must be token ids (>= 0), got {stop}")
    slots = np.full(STOP_SLOTS, -1, "int32")
    slots[:len(stop)] = stop
    return slots


def embed_tokens(backbone, token_ids, soft_prompt=None, start=0):
    """Token embeddings of ``token_ids`` (positions start, start+1, ...), with
    positions below P taken from ``soft_prompt`` (batch, P, hidden)."""
    x = backbone.token_embedding(token_ids)
    if soft_prompt is None:
        return x
    p = ops.shape(soft_prompt)[1]  # may be 0: no soft prompt, the same traced graph
    length = ops.shape(token_ids)[1]
    positions = ops.arange(length) + start
    take_soft = ops.expand_dims(ops.expand_dims(positions < p, 0), -1)
    # one zero vector after the soft prompt, so that the gather below has a row to
    # read even when p is 0 (rows at positions >= p are read but not taken)
    soft_prompt = ops.cast(soft_prompt, x.dtype)
    padded = ops.concatenate([soft_prompt, ops.zeros_like(x[:, :1])], axis=1)
    soft = ops.take(padded, ops.clip(positions, 0, p), axis=1)
    return ops.where(take_soft, soft, x)


@keras.saving.register_keras_serializable(package="reclib")
class ReasonCausalLM(keras_hub.models.Llama3CausalLM):
    """A Llama causal LM whose generation takes a logit bias and a soft prompt."""

    def call_with_cache(self, token_ids, cache, cache_update_index, soft_prompt=None):
        """One pass of ``token_ids`` through the blocks, reading and updating
        ``cache``: a tuple with one (batch, 2, width, kv heads, head dim) tensor
        per block. keras-hub keeps one stacked tensor for all blocks, which
        each step slices per block and stacks again: two extra copies of the
        whole cache per token (hundreds of MB at batch 16 and a few hundred
        positions); a tuple is updated block by block."""
        x = embed_tokens(self.backbone, token_ids, soft_prompt, cache_update_index)
        updated = []
        for layer, layer_cache in zip(self.backbone.transformer_layers, cache):
            x, next_cache = layer(x, self_attention_cache=layer_cache,
                                  self_attention_cache_update_index=cache_update_index)
            updated.append(next_cache)
        hidden = self.backbone.layer_norm(x)
        logits = self.backbone.token_embedding(hidden, reverse=True)
        return logits, hidden, tuple(updated)

    def _build_cache(self, token_ids, soft_prompt=None):
        b = self.backbone
        shape = [ops.shape(token_ids)[0], 2, ops.shape(token_ids)[1],
                 b.num_key_value_heads, b.hidden_dim // b.num_query_heads]
        cache = tuple(ops.zeros(shape, dtype=self.compute_dtype) for _ in range(b.num_layers))
        _, hidden, cache = self.call_with_cache(token_ids, cache, 0, soft_prompt)
        return hidden, cache

    def generate_step(self, inputs, stop_token_ids=None):
        token_ids, padding_mask = inputs["token_ids"], inputs["padding_mask"]
        bias = inputs.get("logit_bias")
        soft_prompt = inputs.get("soft_prompt")
        hidden, cache = self._build_cache(token_ids, soft_prompt)
        index = ops.min(ops.sum(ops.cast(padding_mask, "int32"), axis=-1))

        def next(prompt, cache, index):
            step = index - 1
            last = ops.slice(prompt, [0, step], [ops.shape(prompt)[0], 1])
            logits, hidden, cache = self.call_with_cache(last, cache, step)
            logits = ops.squeeze(logits, axis=1)
            if bias is not None:
                logits = logits + ops.cast(bias, logits.dtype)
            return logits, ops.squeeze(hidden, axis=1), cache

        token_ids = self.sampler(next=next, prompt=token_ids, cache=cache, index=index,
                                 mask=padding_mask, stop_token_ids=stop_token_ids,
                                 hidden_states=hidden, model=self)
        return {"token_ids": token_ids, "padding_mask": ops.ones_like(token_ids, dtype="bool")}

    def make_generate_function(self):
        """The generation loop, traced once for every batch size and prompt width.

        keras-hub wraps ``generate_step`` in a ``tf.function`` that traces the
        whole 30-layer loop again for each new input shape and each set of
        stop ids: on this machine 15-60 s, a transient of up to 1 GB and 100-250 MB
        that stay allocated per trace, and TensorFlow's "triggered tf.function
        retracing" warning on stdout. Here (TensorFlow backend) the loop is
        traced with the batch and width dimensions left unknown and the stop ids
        passed as a tensor of ``STOP_SLOTS`` ids (unused slots -1, which no token
        has), so one trace serves every shape and every stop set; it is traced
        again only for another set of input entries (:func:`generate_ids` always
        passes the same ones). The numbers are the same (measured: identical
        greedy tokens at five shapes). Other backends keep keras-hub's function.
        """
        if self.generate_function is not None:
            return self.generate_function
        if keras.config.backend() != "tensorflow" or self.run_eagerly:
            return super().make_generate_function()
        import tensorflow as tf

        traced = {}

        def step(inputs, stop_slots):
            stop = [stop_slots[i] for i in range(STOP_SLOTS)]
            return self.generate_step(inputs, stop_token_ids=stop)

        def generate_function(inputs, stop_token_ids=None):
            slots = stop_slots(stop_token_ids)
            key = tuple(sorted(inputs))
            if key not in traced:
                spec = {name: tf.TensorSpec([None] * np.ndim(value),
                                            tf.as_dtype(np.asarray(value).dtype))
                        for name, value in inputs.items()}
                traced[key] = tf.function(
                    step, input_signature=[spec, tf.TensorSpec([STOP_SLOTS], tf.int32)],
                    jit_compile=getattr(self, "jit_compile", False))
            return traced[key](inputs, slots)

        generate_function.traced = traced  # {input entries: tf.function}, for the tests
        self.generate_function = generate_function
        return generate_function


def causal_lm(lm, *, sampler="greedy", jit_compile=False):
    """The :class:`ReasonCausalLM` over a loaded model's backbone (no preprocessor:
    it takes and returns token ids), compiled with ``sampler`` (a keras-hub
    sampler name).

    One model per loaded model and settings: a second call returns the first
    call's model, whose traced generation loop is reused (each new model would
    trace the loop again, seconds of time and tens of MB each). A backbone that
    has gained weights since (LoRA adapters, :func:`reclib.reasons.pepler.enable_lora`)
    gets a new model: a loop traced before the adapters existed would skip them.
    """
    if not isinstance(sampler, str):
        raise TypeError(f"sampler must be a keras-hub sampler name such as 'greedy', "
                        f"got {type(sampler).__name__}")
    key = (sampler, bool(jit_compile), len(lm.backbone.weights))
    for stale in [k for k in lm.generators if k[2] != key[2]]:
        del lm.generators[stale]  # traced before the adapters: never used again, let it go
    if key not in lm.generators:
        model = ReasonCausalLM(backbone=lm.backbone, preprocessor=None)
        model.compile(sampler=sampler, jit_compile=jit_compile)
        lm.generators[key] = model
    return lm.generators[key]


def bucket(n, size=16):
    """``n`` rounded up to a multiple of ``size`` (fewer distinct shapes, fewer traces)."""
    return int(-(-n // size) * size)


def generate_ids(model, prompts, *, max_new_tokens=32, stop_ids=(), logit_bias=None,
                 soft_prompt=None, batch_size=16):
    """Continue each prompt (a list of token ids) by up to ``max_new_tokens``.

    Prompts are right-padded to a shared, bucketed length and run in batches
    of ``batch_size``; ``logit_bias`` is (n, vocabulary) or None and
    ``soft_prompt`` (n, P, hidden) or None. Every call passes both entries (a
    zero bias, a soft prompt of length 0 when they are None), so one traced
    loop serves every caller of a model. Returns, per prompt, the new token
    ids up to (not including) the first stop id.
    """
    if not prompts or any(len(p) == 0 for p in prompts):
        raise ValueError("prompts must be a non-empty list of non-empty token id lists")
    max_new_tokens = int(max_new_tokens)
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
    n = len(prompts)
    for name, extra in (("logit_bias", logit_bias), ("soft_prompt", soft_prompt)):
        if extra is not None and len(extra) != n:
            raise ValueError(f"{name} has {len(extra)} rows for {n} prompts")
    stop_slots(stop_ids)  # at most STOP_SLOTS token ids: checked before any work
    stop = set(int(s) for s in stop_ids)
    backbone = model.backbone
    if logit_bias is None:
        logit_bias = np.zeros((n, backbone.vocabulary_size), "float32")
    if soft_prompt is None:
        soft_prompt = np.zeros((n, 0, backbone.hidden_dim), "float32")
    # keras-hub's sampler stops when every row holds a stop id beyond its prompt, so the
    # padding (overwritten as tokens are generated) must not be a stop id
    pad_id = min(set(range(len(stop) + 1)) - stop)
    # one width for every batch of the call: each new shape costs a trace of the loop
    width = bucket(max(len(p) for p in prompts) + max_new_tokens, 32)
    out = []
    for start in range(0, n, batch_size):
        chunk = prompts[start:start + batch_size]
        rows = len(chunk)
        ids = np.full((batch_size, width), pad_id, "int32")
        mask = np.zeros((batch_size, width), bool)
        for r, p in enumerate(chunk):
            ids[r, :len(p)], mask[r, :len(p)] = p, True
        for r in range(rows, batch_size):           # fill a short last batch with a copy
            ids[r], mask[r] = ids[0], mask[0]
        inputs = {"token_ids": ids, "padding_mask": mask}
        for key, extra in (("logit_bias", logit_bias), ("soft_prompt", soft_prompt)):
            part = np.asarray(extra[start:start + rows], "float32")
            inputs[key] = np.concatenate([part, np.repeat(part[:1], batch_size - rows, 0)])
        result = model.generate(inputs, stop_token_ids=tuple(sorted(stop)) or None,
                                strip_prompt=False)
        tokens = np.asarray(result["token_ids"])
        for r, p in enumerate(chunk):
            new = []
            for t in tokens[r, len(p):len(p) + max_new_tokens]:
                if int(t) in stop:
                    break
                new.append(int(t))
            out.append(new)
    release()  # the caches and activations of the loop: back to the system (reclib.llm.memory)
    return out


def decoding_speed(lm, *, batches=(1, 16), new_tokens=32, prompt="Write one sentence about a "
                   "phone battery."):
    """Tokens per second of greedy decoding at each batch size, on this machine.

    Each batch size is run twice: the first call includes the one-time cost
    of tracing the decoding loop (``first call s``), the second is the
    steady state (``tokens/s``). No stop token, so every row makes
    ``new_tokens`` tokens. Returns a DataFrame, one row per batch size.
    """
    import time

    import pandas as pd

    tok = lm.tokenizer
    model = causal_lm(lm)
    ids = tok.encode(tok.chat([("user", prompt)]))
    rows = []
    for batch in batches:
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            out = generate_ids(model, [ids] * batch, max_new_tokens=new_tokens, stop_ids=(),
                               batch_size=batch)
            seconds.append(time.perf_counter() - start)
        made = sum(len(o) for o in out)
        rows.append({"batch": batch, "first call s": seconds[0], "warm call s": seconds[1],
                     "tokens": made, "tokens/s": made / seconds[1]})
    return pd.DataFrame(rows).set_index("batch")
