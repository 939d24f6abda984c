"""Reasons written by a pretrained language model (SmolLM2-135M-Instruct).

Two generators, both *grounded* (told per pair which aspect to talk about
and with what sentiment, like the book's other grounded generators, from the
training evidence only):

* :class:`PromptedLMReasons`: the instruction-tuned model is *asked*, in its
  chat format, with the evidence written into the prompt; zero-shot, or
  few-shot with training reviews of other shoppers as examples;
* :class:`PeplerReasons` (:mod:`reclib.reasons.pepler`): user and item ids as
  learned continuous prompt vectors, PEPLER style.

Both can decode *constrained*: at every step the first tokens of the aspect
words of aspects the item does not have (by its training evidence) get a
logit of -inf, so the model cannot name them.
"""
from __future__ import annotations

import numpy as np

from reclib.checks import check_bool, check_int, check_seed
from reclib.data.aspects import PRODUCT_LEXICON
from reclib.llm.causal_lm import NEG_INF, causal_lm, generate_ids
from reclib.protocol import ReasonGenerator
from reclib.reasons.base import SENTIMENT_IDS, parse_grounding
from reclib.reasons.templates import TemplateReasons

SYSTEM = ("You write one-sentence recommendation reasons for an online shop. "
          "Mention only the product feature you are given.")
SENTIMENT_WORDS = {"positive": "praise", "negative": "criticise"}


def aspect_word_tokens(tokenizer, aspects, lexicon=PRODUCT_LEXICON):
    """For each aspect, the token ids that begin one of its words.

    Each word of ``lexicon[aspect]`` is tokenized as it would appear in a
    sentence (with and without a leading space, lower case and capitalised);
    the first token of each form is the one that must be masked to stop the
    model from starting the word. Tokens shared by two aspects' words are
    assigned to both.
    """
    table = {}
    for aspect in aspects:
        ids = set()
        for word in lexicon.get(aspect, [aspect]):
            for form in (word, " " + word, word.capitalize(), " " + word.capitalize()):
                ids.add(tokenizer.encode(form)[0])
        table[aspect] = sorted(ids)
    return table


def constrain_bias(bias, items, item_aspects, aspect_tokens):
    """Set ``bias[r, t] = -inf`` for every token ``t`` that starts a word of an aspect
    item ``items[r]`` lacks (``item_aspects[item]``: the aspects it has), unless the
    token also starts a word of an aspect it has. Returns ``bias``."""
    for r, item in enumerate(items):
        present = set(item_aspects[item])
        allowed = {t for a in present for t in aspect_tokens.get(a, ())}
        banned = {t for a, ids in aspect_tokens.items() if a not in present for t in ids}
        bias[r, sorted(banned - allowed)] = NEG_INF
    return bias


def resolve_grounding(aspects, vocabulary, items, evidence):
    """(aspect, sentiment) per pair from a grounded generator's ``aspects``
    argument; a pair given without a sentiment takes the sign of the item's
    training reviews about the aspect (positive when there are none)."""
    a_ids, s_ids = parse_grounding(aspects, vocabulary, len(items))
    names = {v: k for k, v in SENTIMENT_IDS.items()}
    out = []
    for item, a, s in zip(items, a_ids, s_ids):
        sentiment = names[int(s)]
        if sentiment is None:
            sentiment = "negative" if evidence.item_sentiment[item, a] < 0 else "positive"
        out.append((vocabulary[a], sentiment))
    return out


def clean_reason(text):
    """The first sentence of a model's answer, without quotes or a leading label."""
    text = text.strip().split("\n")[0].strip().strip('"').strip()
    for label in ("Reason:", "Recommendation reason:", "Recommendation:"):
        if text.lower().startswith(label.lower()):
            text = text[len(label):].strip()
    for end in (". ", "! ", "? "):
        cut = text.find(end)
        if cut > 0:
            text = text[:cut + 1]
    return text.strip('"').strip()


class LanguageModelReasons(ReasonGenerator):
    """What the language-model generators share: the template evidence (item
    aspects and review sentiment, for constrained decoding and the guard),
    the loaded model, its stop tokens and the aspect-word tokens."""

    grounded = True
    constrained = False

    def _fit_common(self, train, lm):
        from reclib.llm.smollm import load_smollm2

        self.template_ = TemplateReasons(seed=self.seed).fit(
            train, items=self.items_ if self.items_ is not None else self.n_items_,
            users=self.users_ if self.users_ is not None else self.n_users_,
            aspects=self.aspects_)
        self.lm_ = lm if lm is not None else load_smollm2()
        # each item's category, for the prompts ("product" when the items table has none)
        self.category_ = (self.items_["category"].to_numpy(object)
                          if self.items_ is not None and "category" in self.items_
                          else np.full(self.n_items_, "product", object))
        tok = self.lm_.tokenizer
        self.stop_ids_ = (tok.im_end_id, tok.eos_id, 0)
        self.aspect_tokens_ = aspect_word_tokens(tok, self.aspects_)

    def logit_bias(self, items, constrained=None):
        """(n, vocabulary) bias: -inf on aspect-word tokens of aspects each item lacks
        (all zeros unless constrained, by the argument or else the constructor)."""
        bias = np.zeros((len(items), self.lm_.tokenizer.vocabulary_size), "float32")
        if self.constrained if constrained is None else constrained:
            constrain_bias(bias, items, self.template_.evidence_.item_aspects,
                           self.aspect_tokens_)
        return bias

    def _decoding(self, constrained, decoding):
        """Check the decoding options: only ``constrained`` (True/False/None)."""
        if decoding:
            raise ValueError(f"{type(self).__name__} decodes greedily; its only decoding "
                             f"option is constrained=, got {sorted(decoding)}")
        return self.constrained if constrained is None else check_bool("constrained",
                                                                       constrained)


class PromptedLMReasons(LanguageModelReasons):
    """A pretrained instruction-tuned language model asked for each reason.

    Parameters
    ----------
    lm : reclib.llm.smollm.LoadedLM or None
        The loaded model (shared between generators to load it once); None
        loads SmolLM2 from its wheel (through the cache) at ``fit``.
    examples : int
        0 for zero-shot; k > 0 puts k training reviews of other shoppers, of
        the same category, aspect and sentiment, into the prompt (few-shot).
    constrained : bool
        Mask the aspect words of aspects the item lacks at every step.
    max_new_tokens, batch_size : int
        Decoding length and batch.
    seed : int
        Picks the few-shot examples (deterministically per pair).
    """

    def __init__(self, lm=None, examples=0, constrained=False, max_new_tokens=32,
                 batch_size=16, seed=0):
        self.lm = lm
        self.examples = check_int("examples", examples, 0, 8)
        self.constrained = check_bool("constrained", constrained)
        self.max_new_tokens = check_int("max_new_tokens", max_new_tokens, 1, 256)
        self.batch_size = check_int("batch_size", batch_size, 1, 256)
        self.seed = check_seed(seed)

    # -------------------------------------------------------------- fitting
    def _fit(self, train):
        self._fit_common(train, self.lm)
        self.model_ = causal_lm(self.lm_)
        self.pool_ = {}
        if self.examples:
            cats = self.category_[train["item_id"].to_numpy()]
            for key, group in train.assign(category=cats).groupby(
                    ["category", "aspect", "sentiment"]):
                self.pool_[key] = (group["user_id"].to_numpy(), group["text"].to_numpy())

    def count_params(self):
        return int(self.lm_.backbone.count_params()) if hasattr(self, "lm_") else 0

    # -------------------------------------------------------------- prompts
    def _describe(self, item):
        if self.items_ is None:
            return f"item {item}"
        row = self.items_.iloc[item]
        title = row["title"] if "title" in row else f"item {item}"
        return f"{title}" + (f" ({row['category']})" if "category" in row else "")

    def _context(self, user):
        if self.users_ is not None and "context" in self.users_:
            return str(self.users_["context"].iloc[user])
        return None

    def few_shot_examples(self, user, item, aspect, sentiment):
        """Up to ``examples`` training reviews of *other* shoppers about the
        same category, aspect and sentiment (chosen by seed and pair)."""
        if not self.examples:
            return []
        users, texts = self.pool_.get((self.category_[item], aspect, sentiment), ((), ()))
        options = [t for u, t in zip(users, texts) if u != user]
        if not options:
            return []
        rng = np.random.default_rng([self.seed, int(user), int(item)])
        pick = rng.choice(len(options), size=min(self.examples, len(options)), replace=False)
        return [options[k] for k in sorted(pick)]

    def prompt_text(self, user, item, aspect, sentiment="positive"):
        """The chat prompt for one pair (what the model reads)."""
        verdict = {"positive": "praise", "negative": "complain about"}.get(sentiment, "mention")
        context = self._context(user)
        lines = [f"Product: {self._describe(item)}.",
                 f"Feature: {aspect}. Reviewers {verdict} its {aspect}.",
                 f"The shopper cares about {aspect}"
                 + (f" and uses products like this for {context}." if context else "."),
                 f"Write one short sentence, in the style of a customer review, about its "
                 f"{aspect}."]
        shots = self.few_shot_examples(user, item, aspect, sentiment)
        if shots:
            lines.append("Reviews by other shoppers, for style:")
            lines += [f"- {s}" for s in shots]
        return self.lm_.tokenizer.chat([("user", "\n".join(lines))], system=SYSTEM)

    # ----------------------------------------------------------- generation
    def _generate(self, users, items, aspects, constrained=None, **decoding):
        constrained = self._decoding(constrained, decoding)
        grounding = resolve_grounding(aspects, self.aspects_, items, self.template_.evidence_)
        tok = self.lm_.tokenizer
        prompts = [tok.encode(self.prompt_text(u, i, a, s))
                   for u, i, (a, s) in zip(users, items, grounding)]
        new = generate_ids(self.model_, prompts, max_new_tokens=self.max_new_tokens,
                           stop_ids=self.stop_ids_, logit_bias=self.logit_bias(items, constrained),
                           batch_size=self.batch_size)
        return [clean_reason(tok.decode(ids)) for ids in new]
