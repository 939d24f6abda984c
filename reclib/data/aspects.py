"""Reading aspects and their sentiment out of review text.

:func:`extract_aspects` is a small rule-based reader: it turns a sentence
into ``[(aspect, sentiment), ...]`` from a keyword list per aspect and a
lexicon of sentiment cues. The book uses it to read generated reasons (the
guard, the grader) and, through :func:`label_aspects`, to label reviews that
come without feature words (Amazon reviews, a reader's own data) with the
aspect they talk about and its sentiment, from a keyword lexicon
(:data:`PRODUCT_LEXICON` by default), reporting how many it could label.
:func:`compile_lexicon` and :func:`extract_with` split :func:`extract_aspects`
in two, to prepare the keywords and cues once and read many texts with them.
"""
from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from reclib.checks import check_choice, check_scale, check_table
from reclib.data.text import check_level, tokenize


def _contains(tokens, phrase):
    """Whether the token tuple ``phrase`` occurs contiguously in ``tokens``."""
    n = len(phrase)
    if n == 0:
        return False
    if n == 1:
        return phrase[0] in tokens
    return any(tuple(tokens[i:i + n]) == phrase for i in range(len(tokens) - n + 1))


# ===================================================================== aspect extraction

#: Negative sentiment cues (words or space-separated phrases, lowercase).
NEGATIVE_CUES = (
    "poor", "poorly", "weak", "bad", "badly", "worse", "worst", "awful", "terrible",
    "disappoint", "disappoints", "disappointed", "disappointing", "disappointment",
    "letdown", "let down", "lets me down", "falls short", "fall short", "fell apart", "too",
    "drain", "drains", "dies", "dim", "washed out", "grainy", "scratches",
    "sluggish", "slow", "drops", "lack", "lacks", "lacking", "frustrating", "tinny",
    "distorts", "muddy", "tight", "loose", "sloppy", "runs small", "off", "heavy",
    "drags", "burden", "tiring", "dull", "cheap", "clunky", "dated", "ugly",
    "bitter", "flat", "watery", "cramped", "overpowering", "artificial",
    "headache", "unpleasant", "fades", "hard to read", "broke", "broken",
    "returning", "expected more", "uncomfortable", "noisy", "flimsy",
)
#: Positive sentiment cues (words or space-separated phrases, lowercase).
POSITIVE_CUES = (
    "great", "excellent", "good", "superb", "outstanding", "impressive", "amazing",
    "wonderful", "wonderfully", "beautiful", "elegant", "lovely", "delightful",
    "delicious", "love", "loves", "perfect", "perfectly", "best", "better",
    "bright", "sharp", "crisp", "gorgeous", "clear", "rich", "smooth", "balanced",
    "comfortable", "cozy", "light", "solid", "secure", "generous", "roomy",
    "fresh", "subtle", "calming", "soft", "unbeatable", "hard to beat", "easy",
    "easily", "breeze", "plenty", "happy", "winner", "recommend", "joy", "pop",
    "compliments", "spot on", "true to size", "made for me", "right", "lasts",
    "holds", "wonders", "clean", "modern", "deep", "barely noticeable",
    "rarely need", "just enough", "well organized", "fits everything",
    "no complaints", "fast", "quick", "reliable", "sturdy", "durable",
    "surprised me", "makes my", "so much better",
)
#: Words that flip the polarity of their clause ("n't" is rewritten to "not").
NEGATORS = ("not", "no", "never", "barely", "hardly", "nothing", "without")

#: Chinese cues for ``level="char"`` (matched as character runs). "不错"
#: (not bad = good) is a positive phrase, matched before the negator "不".
NEGATIVE_CUES_ZH = ("差", "弱", "失望", "短", "慢", "难", "糟", "贵", "重", "吵")
POSITIVE_CUES_ZH = ("好", "棒", "长", "快", "方便", "舒适", "舒服", "清晰", "满意",
                    "喜欢", "不错", "耐用", "轻", "值")
NEGATORS_ZH = ("不", "没", "没有", "未")

_CLAUSE_SPLIT = {
    "word": re.compile(r"([,;:]|\b(?:but|however|although|though|yet|while|whereas|and|plus)\b)"),
    "char": re.compile(r"([,;:，；：、]|但是|但|不过|然而|而且|并且|可是)"),
}
_ADDITIVE = {"and", "plus", "而且", "并且"}  # joins clauses of the same polarity
_SENTENCE_SPLIT = re.compile(r"[.!?。！？\n]+")
_NAMES = {1: "positive", -1: "negative", None: None}


def _cue_table(negative_cues, positive_cues, negators, level):
    table = {}
    for label, cues in ((-1, negative_cues), (1, positive_cues), (0, negators)):
        if isinstance(cues, str):
            raise ValueError("cue lists must be collections of strings, not a single string")
        for c in cues:
            toks = tuple(tokenize(c, level))
            if toks:
                table[toks] = label
    return table, max((len(k) for k in table), default=1)


def _polarity(tokens, table, longest):
    """+1, -1 or None for one clause (see extract_aspects)."""
    pos = neg = negs = 0
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            label = table.get(tuple(tokens[i:i + n]))
            if label is not None:
                pos += label == 1
                neg += label == -1
                negs += label == 0
                i += n
                break
        else:
            i += 1
    base = -1 if neg else (1 if pos else 0)
    if negs % 2 == 1:
        return -base if base else -1
    return base or None


def extract_aspects(text, aspect_words, negative_cues=None, positive_cues=None,
                    negators=None, level="word"):
    """Find the aspects a reason names and the sentiment of each mention.

    Rules (deliberately simple and readable):

    1. Split the text into sentences (``. ! ?``) and clauses (``, ; :`` and
       "but/however/although/though/yet/while/whereas/and/plus").
    2. An aspect is mentioned when one of its keywords occurs as whole
       token(s) in a clause.
    3. A clause's polarity: scan for cue phrases (longest match first); it
       is negative if it has a negative cue, else positive if it has a
       positive cue, else unknown; an odd number of negators flips it
       ("not great" -> negative, "never lets me down" -> positive) and turns
       "unknown" into negative ("did not survive").
    4. A mention takes its clause's polarity; if that is unknown, the
       polarity of the nearest *earlier* clause of the same sentence that
       has one ("it fell apart, so much for durability"), else that of the
       next clause when joined by "and"/"plus" ("the taste is full and
       balanced"), else ``None``.

    Parameters
    ----------
    text : str
        One reason or review.
    aspect_words : collection of str or dict
        Aspect names (each is its own keyword), or ``{aspect: [keywords]}``
        to add synonyms ("batteries", "charge").
    negative_cues, positive_cues, negators : collection of str, optional
        Cue phrases; default :data:`NEGATIVE_CUES`, :data:`POSITIVE_CUES`,
        :data:`NEGATORS` (or the ``_ZH`` lists when ``level="char"``).
    level : {"word", "char"}

    Returns
    -------
    list of (str, str or None)
        Distinct ``(aspect, sentiment)`` pairs in order of first mention;
        sentiment is ``"positive"``, ``"negative"`` or ``None``.

    Notes
    -----
    Limits: a lexicon cannot read sarcasm, comparisons ("heavier than my old
    one"), cue words in unusual senses ("too" in "it is light, too";
    "hard to beat" is listed, but other idioms are not), negation scope beyond
    one clause, or keywords not listed (inflections are separate words). The
    cue lists were checked on ShopSim's phrase bank, where it recovers the
    sentiment of nearly every phrase; on other text, measure its accuracy on
    a labelled sample first.
    """
    check_level(level)
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__} ({text!r})")
    return extract_with(text, compile_lexicon(aspect_words, negative_cues, positive_cues,
                                              negators, level))


class Lexicon(NamedTuple):
    """What :func:`compile_lexicon` prepares for :func:`extract_with`."""

    keywords: list     # (aspect, token tuple) for every keyword, in the given order
    cues: dict         # the sentiment cue table
    longest: int       # the longest cue, in tokens
    level: str         # "word" or "char"

    @property
    def aspects(self):
        """The aspects that have at least one keyword, in the given order (an
        aspect without one can never be read from a text)."""
        return list(dict.fromkeys(a for a, _ in self.keywords))


def compile_lexicon(aspect_words, negative_cues=None, positive_cues=None, negators=None,
                    level="word"):
    """The checked keywords and cue table of :func:`extract_aspects`, built
    once so that many texts can be read with them by :func:`extract_with`
    (as :func:`label_aspects` and :class:`reclib.metrics.reader.RuleReader` do).

    The arguments are those of :func:`extract_aspects`; the result, a
    :class:`Lexicon`, is read by :func:`extract_with` (its ``aspects`` lists
    the aspects a text can name). Bad arguments raise ``ValueError`` here, once."""
    check_level(level)
    if isinstance(aspect_words, str):
        raise ValueError("aspect_words must be a collection of aspect names or a dict, "
                         "not a single string")
    if isinstance(aspect_words, dict):
        items = list(aspect_words.items())
    else:
        items = [(a, [a]) for a in aspect_words]
    if not items:
        raise ValueError("empty input: aspect_words has no aspects")
    keywords = []
    for a, kws in items:
        if isinstance(kws, str):
            kws = [kws]
        for kw in kws:
            if not isinstance(kw, str) or not tokenize(kw, level):
                raise ValueError(f"keyword of aspect {a!r} must be a non-empty string, got {kw!r}")
            keywords.append((a, tuple(tokenize(kw, level))))
    zh = level == "char"
    table, longest = _cue_table(
        (NEGATIVE_CUES_ZH if zh else NEGATIVE_CUES) if negative_cues is None else negative_cues,
        (POSITIVE_CUES_ZH if zh else POSITIVE_CUES) if positive_cues is None else positive_cues,
        (NEGATORS_ZH if zh else NEGATORS) if negators is None else negators,
        level)
    return Lexicon(keywords, table, longest, level)


def extract_with(text, lexicon):
    """:func:`extract_aspects` of one ``text`` with a lexicon prepared by
    :func:`compile_lexicon`: the same pairs, without preparing it again."""
    keywords, table, longest, level = lexicon
    lowered = text.lower()
    if level != "char":
        lowered = re.sub(r"n't\b", " not", lowered)
    found = []
    for sentence in _SENTENCE_SPLIT.split(lowered):
        parts = _CLAUSE_SPLIT[level].split(sentence)
        clauses = [tokenize(c, level) for c in parts[0::2]]
        seps = parts[1::2]  # seps[j] lies between clauses j and j + 1
        pols = [_polarity(c, table, longest) for c in clauses]
        for ci, toks in enumerate(clauses):
            for aspect, kw in keywords:
                if not _contains(toks, kw):
                    continue
                pol = pols[ci]
                if pol is None:
                    pol = next((pols[j] for j in range(ci - 1, -1, -1)
                                if pols[j] is not None), None)
                if pol is None and ci + 1 < len(clauses) and seps[ci] in _ADDITIVE:
                    pol = pols[ci + 1]
                pair = (aspect, _NAMES[pol])
                if pair not in found:
                    found.append(pair)
    return found


# ===================================================================== labelling reviews

#: A default lexicon for product reviews: ``{aspect: [keywords]}``. Keywords
#: are whole words or phrases (inflections are listed separately). In one
#: clause, aspects are found in this order, so the specific ones (sound,
#: screen) come before the generic "quality" of durability.
PRODUCT_LEXICON = {
    "battery": ["battery", "batteries", "battery life", "charge", "charges", "charging",
                "charger", "recharge"],
    "sound": ["sound", "sounds", "audio", "bass", "treble", "volume", "speaker", "speakers",
              "noise cancelling", "noise canceling", "microphone", "mic"],
    "screen": ["screen", "screens", "display", "resolution", "brightness", "touchscreen"],
    "speed": ["speed", "performance", "processor", "lag", "laggy", "boots", "loads"],
    "comfort": ["comfort", "comfortable", "uncomfortable", "cushion", "cushioning",
                "padding", "padded", "ergonomic"],
    "fit": ["fit", "fits", "fitting", "fitted"],
    "size": ["size", "sizes", "sizing", "compact", "bulky", "tiny", "too big", "too small",
             "too large", "thickness", "thick", "thin"],
    "weight": ["weight", "heavy", "lightweight", "weighs", "light as a feather"],
    "warmth": ["warmth", "warm", "insulation", "insulated"],
    "storage": ["storage", "pocket", "pockets", "compartment", "compartments", "capacity"],
    "taste": ["taste", "tastes", "flavor", "flavour", "flavors", "flavours"],
    "scent": ["scent", "scents", "smell", "smells", "fragrance", "perfume", "odor", "odour"],
    "hydration": ["hydration", "hydrating", "moisturizing", "moisturising", "moisture"],
    "design": ["design", "designed", "look", "looks", "style", "stylish", "color", "colour",
               "colors", "colours", "finish"],
    "setup": ["setup", "set up", "install", "installation", "instructions", "manual",
              "assembly", "assemble", "app"],
    "delivery": ["delivery", "delivered", "shipping", "shipped", "arrived", "arrival",
                 "package", "packaging", "packaged"],
    "service": ["customer service", "seller", "support", "refund", "warranty",
                "replacement"],
    "durability": ["durability", "durable", "sturdy", "flimsy", "build quality", "quality",
                   "broke", "broken", "breaks", "fell apart", "stopped working", "lasted",
                   "survived"],
    "value": ["value", "price", "priced", "money", "cost", "costs", "worth", "expensive",
              "overpriced", "bargain", "deal"],
}

#: Sentiment cues of product reviews, added to :data:`NEGATIVE_CUES` and
#: :data:`POSITIVE_CUES` by :func:`label_aspects`.
PRODUCT_NEGATIVE_CUES = NEGATIVE_CUES + (
    "late", "damaged", "dented", "defective", "faulty", "useless", "junk", "waste",
    "returned", "return", "returning", "leaks", "leaked", "overpriced", "expensive",
    "stopped working", "died", "confusing", "missing", "unhelpful", "never answered",
    "horrible", "worthless", "annoying", "hate", "short", "slippery", "fake", "shedding",
    "fell out", "laggy", "lag", "thin", "itchy", "hurts",
)
PRODUCT_POSITIVE_CUES = POSITIVE_CUES + (
    "nice", "awesome", "fantastic", "works", "worth", "worth it", "bargain", "warm",
    "quiet", "on time", "early", "quickly", "helpful", "accurate", "strong", "pretty",
    "pleasant", "simple", "intuitive", "satisfied", "pleased", "glad", "impressed",
    "favorite", "favourite", "well made", "well built", "holds up", "fair",
    "sleek", "compact", "fine",
)

RULES = ("first", "rating")
UNLABELLED = ("drop", "keep")


def _rating_sentiment(rating, scale):
    """"positive" above the middle of the scale, "negative" below, else None."""
    middle = (scale.low + scale.high) / 2
    return "positive" if rating > middle else "negative" if rating < middle else None


def _choose(mentions, from_rating, rule):
    """One ``(aspect, sentiment, source)`` from a review's mentions (see
    :func:`label_aspects`); ``source`` is "text", "rating" or None."""
    if not mentions:
        return None, None, None
    known = [m for m in mentions if m[1] is not None]
    if rule == "rating" and from_rating is not None:
        agreeing = [m for m in known if m[1] == from_rating]
        if agreeing:
            return agreeing[0] + ("text",)
    if known:
        return known[0] + ("text",)
    return mentions[0][0], from_rating, None if from_rating is None else "rating"


def label_aspects(reviews, lexicon=None, text="text", rule="first", unlabelled="drop",
                  scale=None, negative_cues=None, positive_cues=None, negators=None):
    """Label each review with the aspect it talks about and its sentiment.

    For review data without feature words (Amazon, a shop's own reviews):
    :func:`extract_aspects` reads the aspects each review mentions, with
    their sentiment, using a keyword ``lexicon``; one is kept per review:

    * ``rule="first"``: the first aspect mentioned whose sentiment the text
      tells ("the screen is bright, the battery is weak" -> screen, positive);
    * ``rule="rating"``: the first aspect mentioned whose sentiment agrees
      with the star rating (positive above the middle of ``scale``, negative
      below), so a 2-star review of that text gets battery, negative; when no
      mention agrees, as ``"first"``.

    When the text names an aspect but no sentiment for it ("it keeps me
    warm"), the star rating gives the sentiment (none for a rating in the
    middle of the scale, such as 3 of 1-5).

    Parameters
    ----------
    reviews : pandas.DataFrame
        One review per row, with the ``text`` column(s) and, for the rating
        fallback and ``rule="rating"``, a ``rating`` column.
    lexicon : dict or list, optional
        ``{aspect: [keywords]}`` (or aspect names, each its own keyword);
        default :data:`PRODUCT_LEXICON`.
    text : str or list of str
        The text column, or several joined as sentences (e.g.
        ``["summary", "text"]`` for Amazon's title and body). Missing text
        counts as empty.
    rule : {"first", "rating"}
        Which mention labels the review (above).
    unlabelled : {"drop", "keep"}
        Reviews with no aspect found, or no sentiment: dropped (and counted),
        or kept with ``aspect``/``sentiment`` None (e.g. to keep every rating
        for a recommender; reason generators need labelled reviews).
    scale : RatingScale, tuple or None
        The rating scale (default whole stars 1-5), for the rating fallback.
    negative_cues, positive_cues, negators : collection of str, optional
        Sentiment cues; default :data:`PRODUCT_NEGATIVE_CUES`,
        :data:`PRODUCT_POSITIVE_CUES`, :data:`NEGATORS`.

    Returns
    -------
    labelled : pandas.DataFrame
        A copy of ``reviews`` with ``aspect`` and ``sentiment`` columns
        (replacing any there were), with a fresh index.
    report : dict
        ``reviews``; ``with an aspect`` and ``coverage`` (their share);
        ``sentiment from the rating`` (labels whose sentiment the text did not
        tell); ``unlabelled`` (no aspect or no sentiment) and ``dropped`` (0
        with ``unlabelled="keep"``); ``rule``.

    Notes
    -----
    A lexicon reads keywords, not meaning: measure how well it labels your
    reviews on a sample you label by hand before trusting it (see the limits
    in :func:`extract_aspects`).
    """
    columns = [text] if isinstance(text, str) else list(text)
    check_table(reviews, columns, "reviews")
    check_choice("rule", rule, RULES)
    check_choice("unlabelled", unlabelled, UNLABELLED)
    scale = check_scale(scale)
    reader = compile_lexicon(PRODUCT_LEXICON if lexicon is None else lexicon,
                             PRODUCT_NEGATIVE_CUES if negative_cues is None else negative_cues,
                             PRODUCT_POSITIVE_CUES if positive_cues is None else positive_cues,
                             negators, "word")
    texts = [_review_text(reviews, columns, row) for row in range(len(reviews))]
    if "rating" in reviews:
        ratings = pd.to_numeric(reviews["rating"], errors="coerce").to_numpy(dtype=float)
        from_rating = [_rating_sentiment(r, scale) if np.isfinite(r) else None for r in ratings]
    else:
        from_rating = [None] * len(reviews)
    chosen = [_choose(extract_with(t, reader), s, rule) for t, s in zip(texts, from_rating)]
    labelled = reviews.copy()
    labelled["aspect"] = pd.Series([c[0] for c in chosen], index=reviews.index, dtype=object)
    labelled["sentiment"] = pd.Series([c[1] for c in chosen], index=reviews.index, dtype=object)
    has_aspect = labelled["aspect"].notna().to_numpy()
    ok = has_aspect & labelled["sentiment"].notna().to_numpy()
    report = {"reviews": len(reviews), "with an aspect": int(has_aspect.sum()),
              "coverage": float(has_aspect.mean()),
              "sentiment from the rating": sum(c[2] == "rating" for c in chosen),
              "unlabelled": int((~ok).sum()),
              "dropped": int((~ok).sum()) if unlabelled == "drop" else 0, "rule": rule}
    if unlabelled == "drop":
        labelled = labelled[ok]
    return labelled.reset_index(drop=True), report


def _review_text(reviews, columns, row):
    """The text of one review: its ``columns`` joined as sentences."""
    parts = []
    for c in columns:
        v = reviews[c].iat[row]
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        if not isinstance(v, str):
            raise ValueError(f"reviews: column {c!r} must hold strings, got {v!r} in row {row}")
        if v.strip():
            parts.append(v.strip())
    return ". ".join(parts)
