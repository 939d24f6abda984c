"""PEPLER-style reasons: user and item ids as continuous prompts to a pretrained LM.

PEPLER (Li, Zhang and Chen, TOIS 2023) feeds a pretrained language model two
learned vectors, one for the user and one for the item, in front of the
explanation's tokens, and trains them in two stages: first the vectors alone
with the model frozen, then the vectors together with the model. Here the
model is SmolLM2-135M-Instruct, the second stage trains LoRA adapters
(Hu et al., 2022) on the attention's query and value projections instead of
all 134.5M weights (which would not fit a laptop's memory and time), and,
like the book's other grounded generators, the text after the two vectors
starts with the aspect and sentiment to write about::

    [u] [i] "Review of a phone. Aspect: battery. Sentiment: positive.\nReview:"
            " The battery lasts all day." <|im_end|>

Only the review's tokens (and the end token) are in the loss.
"""
from __future__ import annotations

import hashlib
import json
import time

import keras
import numpy as np
import pandas as pd
from keras import ops

from reclib.checks import check_bool, check_int, check_number, check_seed
from reclib.llm.causal_lm import causal_lm, embed_tokens, generate_ids
from reclib.llm.memory import release
from reclib.reasons.llm import LanguageModelReasons, clean_reason, resolve_grounding

N_SOFT = 2  # one user vector, one item vector
PEPLER_VERSION = 1  # bump when training changes: cached fine-tunings are then ignored
HYPERPARAMETERS = ("prompt_steps", "lora_steps", "lora_rank", "lora_layers", "batch_size",
                   "max_tokens", "learning_rate", "max_reviews", "seed")


def grounding_prefix(aspect, sentiment, category="product"):
    """The discrete part of the prompt, in words the pretrained model already
    continues with a review: ``"Review of a phone. Aspect: battery. Sentiment:
    positive.\nReview:"``."""
    return f"Review of a {category}. Aspect: {aspect}. Sentiment: {sentiment}.\nReview:"


@keras.saving.register_keras_serializable(package="reclib")
class PeplerModel(keras.Model):
    """The language model with a user and an item prompt vector in front.

    Inputs: ``token_ids`` and ``padding_mask`` (batch, T) whose first two
    positions are placeholders, ``user`` and ``item`` (batch,). Output: the
    next-token logits (batch, T, vocabulary).
    """

    def __init__(self, backbone, n_users, n_items, user_init=None, item_init=None, seed=0,
                 **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone

        def start(vector, offset):
            # every vector starts at a real token's embedding (plus a little noise), an
            # input the pretrained model knows, rather than at an arbitrary point
            noise = keras.initializers.RandomNormal(stddev=0.01, seed=seed + offset)
            if vector is None:
                return noise
            base = np.asarray(vector, "float32")
            return lambda shape, dtype=None: ops.convert_to_tensor(base) + noise(shape, dtype)

        self.user_prompt = keras.layers.Embedding(n_users, backbone.hidden_dim, name="user_prompt",
                                                  embeddings_initializer=start(user_init, 0))
        self.item_prompt = keras.layers.Embedding(n_items, backbone.hidden_dim, name="item_prompt",
                                                  embeddings_initializer=start(item_init, 1))

    def soft_prompt(self, user, item):
        """(batch, 2, hidden): the user's and the item's prompt vectors."""
        return ops.stack([self.user_prompt(user), self.item_prompt(item)], axis=1)

    def call(self, inputs):
        b = self.backbone
        x = embed_tokens(b, inputs["token_ids"], self.soft_prompt(inputs["user"], inputs["item"]))
        for layer in b.transformer_layers:
            x = layer(x, decoder_padding_mask=inputs["padding_mask"])
        return b.token_embedding(b.layer_norm(x), reverse=True)


def enable_lora(backbone, rank, top_layers=None):
    """Freeze the backbone and add rank-``rank`` LoRA adapters to the query and
    value projections, in all layers (keras-hub's ``enable_lora``) or only in the
    top ``top_layers`` (the same per layer, to bound memory and time)."""
    if top_layers is None or top_layers >= backbone.num_layers:
        backbone.enable_lora(rank)
        return
    backbone.trainable = True
    for layer in backbone._flatten_layers(include_self=False):
        layer.trainable = False
    for layer in backbone.transformer_layers[backbone.num_layers - top_layers:]:
        attention = layer._self_attention_layer
        for dense in (attention._query_dense, attention._value_dense):
            dense.trainable = True
            dense.enable_lora(rank)


class PeplerReasons(LanguageModelReasons):
    """Continuous-prompt fine-tuning of a pretrained LM, PEPLER style.

    Parameters
    ----------
    lm : reclib.llm.smollm.LoadedLM or None
        A loaded model of its own (fine-tuning changes it: do not share it
        with another generator); None loads a fresh copy at ``fit``.
    prompt_steps, lora_steps : int
        Optimiser steps of stage 1 (prompt vectors only, model frozen) and
        stage 2 (prompt vectors + LoRA).
    lora_rank, lora_layers : int
        LoRA's rank, and how many of the top layers get adapters (None: all).
    batch_size, max_tokens : int
        Training batch and the longest review (in tokens) trained on; longer
        reviews are left out (``skipped_reviews_`` counts them).
    learning_rate : float
        Adam's step for both stages (prompt vectors use ``10 x`` that in stage 1).
    max_reviews : int or None
        Train on a sample of this many training reviews (None: all).
    constrained : bool
        Mask the aspect words of aspects the item lacks while decoding.
    cache : bool
        Keep the trained prompt vectors and adapters (a few MB) under
        ``$RECLIB_CACHE/llm/pepler``, keyed by the model file, the training
        reviews and the settings above, and reuse them on a later ``fit``
        (``from_cache_`` says which happened; ``train_seconds_`` is the time
        the training itself took, wherever it ran).
    seed : int
    """

    def __init__(self, lm=None, prompt_steps=40, lora_steps=80, lora_rank=4, lora_layers=None,
                 batch_size=8, max_tokens=32, learning_rate=1e-3, max_reviews=None,
                 constrained=False, max_new_tokens=28, cache=False, seed=0):
        self.lm = lm
        self.prompt_steps = check_int("prompt_steps", prompt_steps, 0)
        self.lora_steps = check_int("lora_steps", lora_steps, 0)
        self.lora_rank = check_int("lora_rank", lora_rank, 1, 256)
        self.lora_layers = None if lora_layers is None else check_int("lora_layers", lora_layers, 1)
        self.batch_size = check_int("batch_size", batch_size, 1, 256)
        self.max_tokens = check_int("max_tokens", max_tokens, 4, 256)
        self.learning_rate = check_number("learning_rate", learning_rate, 0, 1, low_open=True)
        self.max_reviews = None if max_reviews is None else check_int("max_reviews", max_reviews, 1)
        self.constrained = check_bool("constrained", constrained)
        self.max_new_tokens = check_int("max_new_tokens", max_new_tokens, 1, 256)
        self.cache = check_bool("cache", cache)
        self.seed = check_seed(seed)

    # ---------------------------------------------------------------- data
    def encode_reviews(self, reviews):
        """Token ids, padding masks, targets and loss weights for reviews
        (columns ``user_id, item_id, aspect, sentiment, text``)."""
        tok = self.lm_.tokenizer
        width = N_SOFT + 24 + self.max_tokens + 1
        n = len(reviews)
        ids = np.zeros((n, width), "int32")
        weights = np.zeros((n, width), "float32")
        mask = np.zeros((n, width), bool)
        categories = self.category_[reviews["item_id"].to_numpy()]
        for r, (a, s, text, category) in enumerate(zip(reviews["aspect"], reviews["sentiment"],
                                                       reviews["text"], categories)):
            prefix = tok.encode(grounding_prefix(a, s, category))
            body = tok.encode(" " + text)
            if len(body) > self.max_tokens:
                raise ValueError(f"review {r} has {len(body)} tokens, more than max_tokens="
                                 f"{self.max_tokens}")
            body = body + [tok.im_end_id]
            seq = [0] * N_SOFT + prefix + body
            ids[r, :len(seq)] = seq
            if len(seq) > width:
                raise ValueError(f"review {r}: its prompt is too long ({len(seq)} tokens)")
            mask[r, :len(seq)] = True
            weights[r, N_SOFT + len(prefix) - 1:len(seq) - 1] = 1.0  # predict body tokens
        used = int(mask.sum(1).max())            # trim the columns no review reaches
        ids, mask, weights = ids[:, :used], mask[:, :used], weights[:, :used]
        targets = np.concatenate([ids[:, 1:], np.zeros((n, 1), "int32")], axis=1)
        return ids, mask, targets, weights

    # ------------------------------------------------------------- fitting
    def _fit(self, train):
        self._fit_common(train, self.lm)
        tok = self.lm_.tokenizer
        # reviews longer than max_tokens are left out rather than cut (a cut review
        # followed by the end token would teach the model to stop mid-sentence)
        lengths = np.array([len(ids) for ids in tok.encode_batch(" " + train["text"])])
        rows = train[lengths <= self.max_tokens]
        self.skipped_reviews_ = int(len(train) - len(rows))
        if self.max_reviews is not None and len(rows) > self.max_reviews:
            rows = rows.sample(self.max_reviews, random_state=self.seed)
        ids, mask, targets, weights = self.encode_reviews(rows)
        x = {"token_ids": ids, "padding_mask": mask, "user": rows["user_id"].to_numpy("int32"),
             "item": rows["item_id"].to_numpy("int32")}
        backbone = self.lm_.backbone
        embeddings = np.asarray(backbone.token_embedding.embeddings)
        self.model_ = PeplerModel(backbone, self.n_users_, self.n_items_,
                                  user_init=embeddings[tok.encode(" shopper")[0]],
                                  item_init=embeddings[tok.encode(" product")[0]], seed=self.seed)
        self.model_(dict((k, v[:1]) for k, v in x.items()))  # build the prompt tables
        entry = self._cache_entry(rows) if self.cache else None
        if entry is not None and (entry / "weights.npz").is_file():
            enable_lora(backbone, self.lora_rank, self.lora_layers)
            stored = np.load(entry / "weights.npz")
            for v in self.model_.trainable_weights:
                v.assign(stored[v.path])
            meta = json.loads((entry / "meta.json").read_text())
            self.history_, self.train_seconds_ = meta["history"], meta["train_seconds"]
            self.from_cache_ = True
        else:
            start = time.perf_counter()
            self._train(x, targets, weights)
            release()  # the training steps' activations and gradients (reclib.llm.memory)
            self.train_seconds_ = time.perf_counter() - start
            self.from_cache_ = False
            if entry is not None:
                entry.mkdir(parents=True, exist_ok=True)
                np.savez(entry / "weights.npz",
                         **{v.path: np.asarray(v) for v in self.model_.trainable_weights})
                (entry / "meta.json").write_text(json.dumps(
                    {"history": self.history_, "train_seconds": self.train_seconds_}))
        backbone.trainable = False
        self.generator_ = causal_lm(self.lm_)

    def _train(self, x, targets, weights):
        """Stage 1 (prompt vectors, model frozen), then stage 2 (+ LoRA)."""
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.history_ = {"stage": [], "loss": []}
        rng = np.random.default_rng(self.seed)

        def run(stage, steps, lr):
            if not steps:
                return
            order = rng.integers(0, len(targets), size=steps * self.batch_size)
            self.model_.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, jit_compile=False)
            self.model_.fit({k: v[order] for k, v in x.items()}, targets[order],
                            sample_weight=weights[order], batch_size=self.batch_size, epochs=1,
                            shuffle=False, verbose=0, callbacks=[_BatchLoss(self.history_, stage)])

        self.lm_.backbone.trainable = False
        run("prompt", self.prompt_steps, 10 * self.learning_rate)
        enable_lora(self.lm_.backbone, self.lora_rank, self.lora_layers)
        run("lora", self.lora_steps, self.learning_rate)
        self.model_.train_function = None  # the traced training step is not needed again

    def _cache_entry(self, rows):
        from reclib.llm.smollm import cache_dir

        digest = hashlib.sha256()
        digest.update(self.lm_.source["sha256"].encode())
        digest.update(json.dumps({k: getattr(self, k) for k in HYPERPARAMETERS}).encode())
        digest.update(json.dumps([PEPLER_VERSION, self.n_users_, self.n_items_]).encode())
        columns = rows[["user_id", "item_id", "aspect", "sentiment", "text"]]
        digest.update(pd.util.hash_pandas_object(columns, index=False).to_numpy().tobytes())
        return cache_dir() / "pepler" / digest.hexdigest()[:24]

    def count_params(self):
        if not hasattr(self, "model_"):
            return 0
        return int(self.model_.count_params())

    def trainable_count(self):
        """Weights trained in stage 2 (prompt vectors and LoRA adapters)."""
        m = self.model_
        lora = sum(int(np.prod(v.shape)) for v in m.backbone.weights if "lora" in v.path)
        return int(m.user_prompt.count_params() + m.item_prompt.count_params() + lora)

    # ---------------------------------------------------------- generation
    def _generate(self, users, items, aspects, constrained=None, **decoding):
        constrained = self._decoding(constrained, decoding)
        grounding = resolve_grounding(aspects, self.aspects_, items, self.template_.evidence_)
        tok = self.lm_.tokenizer
        prompts = [[0] * N_SOFT + tok.encode(grounding_prefix(a, s, c))
                   for (a, s), c in zip(grounding, self.category_[np.asarray(items)])]
        soft = np.asarray(self.model_.soft_prompt(np.asarray(users, "int32"),
                                                  np.asarray(items, "int32")))
        new = generate_ids(self.generator_, prompts, max_new_tokens=self.max_new_tokens,
                           stop_ids=self.stop_ids_, logit_bias=self.logit_bias(items, constrained),
                           soft_prompt=soft)
        return [clean_reason(tok.decode(ids)) for ids in new]


class _BatchLoss(keras.callbacks.Callback):
    """Records each batch's training loss (for the loss curves).

    Keras reports the running mean over the epoch so far; with batches of one
    size, batch k's own loss is (k + 1) m_k - k m_(k-1)."""

    def __init__(self, history, stage):
        super().__init__()
        self.history, self.stage, self.previous = history, stage, 0.0

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        self.history["stage"].append(self.stage)
        self.history["loss"].append((batch + 1) * mean - batch * self.previous)
        self.previous = mean


#: The fine-tuning chapter 8 runs (and ``make lm-reasons`` reuses through the
#: cache): 10 prompt-only steps, then 110 steps of prompts + rank-4 LoRA in all
#: 30 layers, batches of 8 reviews, about 960 of the 52,000 training reviews.
BOOK_SETTINGS = dict(prompt_steps=10, lora_steps=110, lora_rank=4, lora_layers=None,
                     batch_size=8, learning_rate=1e-3)
