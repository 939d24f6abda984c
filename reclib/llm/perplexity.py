"""How well a language model predicts text: per-token log-likelihood and perplexity."""
from __future__ import annotations

import numpy as np
from keras import ops

from reclib.llm.memory import release


def _check_texts(texts):
    texts = list(texts)
    if not texts or not all(isinstance(t, str) and t for t in texts):
        raise ValueError("texts must be a non-empty list of non-empty strings")
    return texts


def token_log_likelihoods(lm, texts, *, batch_size=16):
    """Per text, the log-probability (nats) of each of its tokens under ``lm``
    (a :class:`reclib.llm.smollm.LoadedLM`), each token given the ones before
    it; the first token is predicted from ``<|endoftext|>``, the document
    separator the model was trained with. Texts are batched in order of
    length (each batch is as wide as its longest text, so this wastes less
    on padding); the result is in the order of ``texts``."""
    texts = _check_texts(texts)
    tok = lm.tokenizer
    seqs = [[0] + tok.encode(t) for t in texts]
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    out = [None] * len(seqs)
    for start in range(0, len(seqs), batch_size):
        rows = order[start:start + batch_size]
        chunk = [seqs[i] for i in rows]
        width = max(len(s) for s in chunk)
        ids = np.zeros((len(chunk), width), "int32")
        mask = np.zeros((len(chunk), width), "int32")
        for r, s in enumerate(chunk):
            ids[r, :len(s)], mask[r, :len(s)] = s, 1
        hidden = lm.backbone({"token_ids": ids, "padding_mask": mask})
        logits = lm.backbone.token_embedding(hidden, reverse=True)   # (b, t, vocabulary)
        # log p(next token) = its logit - logsumexp(all logits): one float32 pass over the
        # vocabulary instead of float64 copies of it (16 x 40 x 49,152 doubles are 250 MB)
        targets = np.concatenate([ids[:, 1:], np.zeros((len(chunk), 1), "int32")], axis=1)
        picked = ops.take_along_axis(logits, ops.expand_dims(targets, -1), axis=-1)[..., 0]
        log_probs = np.asarray(picked - ops.logsumexp(logits, axis=-1), dtype=np.float64)
        for r, (i, s) in enumerate(zip(rows, chunk)):
            out[i] = log_probs[r, :len(s) - 1]
    release()  # the activations of every width: back to the system (reclib.llm.memory)
    return out


def perplexity(lm, texts, *, batch_size=16):
    """exp(mean negative log-likelihood per token) of ``texts`` under ``lm``."""
    ll = np.concatenate(token_log_likelihoods(lm, texts, batch_size=batch_size))
    return float(np.exp(-ll.mean()))


def unigram_perplexity(tokenizer, train_texts, test_texts):
    """Perplexity of ``test_texts`` under a unigram model of ``train_texts``'
    tokens (add-one smoothing over the whole vocabulary): the baseline a
    language model must beat by using context."""
    train_texts, test_texts = _check_texts(train_texts), _check_texts(test_texts)
    counts = np.ones(tokenizer.vocabulary_size)
    for ids in tokenizer.encode_batch(train_texts):
        np.add.at(counts, ids, 1.0)
    log_p = np.log(counts / counts.sum())
    test_ids = np.concatenate([np.asarray(i, int) for i in tokenizer.encode_batch(test_texts)])
    return float(np.exp(-log_p[test_ids].mean()))
