"""Reading aspects and their sentiment out of review text.

:func:`extract_aspects` is a small rule-based reader: it turns a sentence
into ``[(aspect, sentiment), ...]`` from a keyword list per aspect and a
lexicon of sentiment cues. The book uses it to read generated reasons (the
guard, the grader) and to label reviews that come without feature words
(a reader's own data).
"""
from __future__ import annotations

import re

from reclib.data.text import _check_level, tokenize


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
    _check_level(level)
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__} ({text!r})")
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
    lowered = text.lower()
    if not zh:
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
