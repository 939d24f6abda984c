"""The glossary (chapters/glossary.md) covers every technical term of every chapter.

A chapter uses a term when it sets it in **bold** or names it in a ``##``/``###``
heading; this test fails when such a term is missing from the glossary. It runs on
whatever chapter notebooks exist (``chapters/*.ipynb``, the FAQ included).

Matching rule
-------------
* **Glossary terms.** Each row is ``| English | 中文 | where |``. The English cell holds
  one or more terms separated by `` / ``; text in parentheses after a term holds its
  abbreviation or synonyms, separated by commas, and each of those is a term too:
  ``matrix factorization (MF)`` gives "matrix factorization" and "MF";
  ``Precision@K / Recall@K`` gives "Precision@K" and "Recall@K".
* **Normalising.** Case is ignored; backticks, asterisks and ``$...$`` maths are dropped;
  hyphens and other punctuation separate words (``leave-last-out`` = "leave last out");
  an ``@K``/``@10`` cut-off is dropped (``NDCG@10`` = "NDCG"); plurals are folded by a
  light stemmer (final "sses" -> "ss", "ies" -> "y", a final "s" dropped unless "ss",
  on words of four letters or more), applied to both sides; a leading "the", "a" or "an" is dropped.
* **Bold.** A bold span is a term unless it is a run-in heading or a claim: it ends
  with ``.``, ``?``, ``!`` or ``:``, has more than three words (a leading article not
  counted), starts with a digit, or is listed in ``NOT_TERMS`` (emphasis such as
  **true**, **every**). A bold term is covered when it equals a glossary term, or is a
  glossary term with modifiers in front ("the head-noun rule": **LSTM user tower** is
  covered by "user tower", **BPR-MF** by "MF"), or when ``ALIASES`` maps it to one.
* **Headings.** ``##`` and ``###`` headings, except the generic ones in
  ``GENERIC_HEADINGS``. (a) Every *name* in a heading must occur inside a glossary
  term: an acronym or mixed-case word (two or more capitals: ``MF``, ``NDCG@K``,
  ``ShopSim``, ``Att2Seq``), a code span (`` `mapInPandas` ``), or a capitalised word
  that does not start the heading or follow a colon (``Keras``, ``Spark``,
  ``Jensen-Shannon``). (b) A heading without such names must mention at least one
  glossary term, unless it is one of the ``NARRATIVE_HEADINGS``, which name no
  technical term.
* **Rows.** Every row has a Chinese name, no two rows start with the same term, and each
  chapter in the "where" column (``ch. N`` for ``chapters/NN_*.ipynb``, or ``FAQ``)
  exists and mentions one of the row's terms.
"""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "chapters" / "glossary.md"
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))

#: headings every chapter has, which name no term
GENERIC_HEADINGS = {"summary", "exercises", "references", "objectives", "what to hand in", "your plan"}

#: headings that name no technical term (a story step, a question); compared lower-case
NARRATIVE_HEADINGS = {
    "the tour in ten lines",
    "where our models sit on the size scale",
    "advantages and drawbacks, measured",
    "the wrong sign, in code",
    "why text is different",
    "your own data",
    "side by side",
    "head to head",
    "where the weights come from",
    "inside the model",
    "the targets",
    "how the cost grows",
    "what 100 million users would need",
    "what a safe design would need",
}

#: bold spans that are emphasis or a short claim, not a term; compared normalised
NOT_TERMS = {"personal", "true", "false", "every", "one", "observed", "recommends", "template is repetitive"}

#: bold span -> the glossary term it stands for (both compared normalised)
ALIASES = {
    "extract features": "feature extraction",
    "network": "neural network",
    "faithful": "faithfulness",
}

WORD = re.compile(r"[a-z0-9]+")
ARTICLES = {"the", "a", "an"}


def stem(word):
    if word.endswith("sses"):
        return word[:-2]
    if len(word) >= 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) >= 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text, maths=True):
    """Normalised word tuple of ``text`` (see the module docstring); ``maths=False``
    keeps ``$...$`` (for long texts, where a stray ``$`` would pair up wrongly)."""
    text = text.lower()
    if maths:
        text = re.sub(r"\$[^$]*\$", " ", text)
    text = re.sub(r"@(k|\d+)\b", " ", text)
    toks = [stem(w) for w in WORD.findall(text.replace("`", " ").replace("*", " "))]
    while toks and toks[0] in ARTICLES:
        toks = toks[1:]
    return tuple(toks)


def contains(seq, sub):
    n = len(sub)
    return n > 0 and any(seq[i:i + n] == sub for i in range(len(seq) - n + 1))


def parse_glossary(path=GLOSSARY):
    """Rows of the glossary table: (English cell, Chinese cell, where cell, set of terms)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 3 or cells[0] in ("English", "") or set(cells[0]) <= set("-: "):
            continue
        english, chinese, where = cells
        terms = set()
        for part in re.findall(r"\(([^()]*)\)", english):
            terms.update(words(p) for p in re.split(r"[,;]", part))
        for part in re.sub(r"\([^()]*\)", " ", english).split(" / "):
            terms.add(words(part))
        terms.discard(())
        rows.append((english, chinese, where, terms))
    return rows


ROWS = parse_glossary()
TERMS = set().union(*(r[3] for r in ROWS))


def markdown(path):
    nb = nbformat.read(path, as_version=4)
    # code fences (```python, ```bash, ```) hold code, not prose: drop them before looking
    # for bold and headings; directive fences (```{note}, ```{exercise}) hold prose and stay
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return re.sub(r"^(```|~~~)(?!\{)[^\n]*\n.*?^\1\s*$", "", text, flags=re.M | re.S)


def bold_terms(text):
    """The bold spans of ``text`` that count as terms (see the module docstring)."""
    out = []
    for span in re.findall(r"\*\*([^*]+?)\*\*", text):
        span = " ".join(span.split())
        plain = span.strip("`$ ")
        n_words = len(plain.split()) - (plain.split()[0].lower() in ARTICLES if plain else 0)
        if not plain or plain[-1] in ".?!:" or n_words > 3 or plain[0].isdigit():
            continue
        if words(plain) in {words(t) for t in NOT_TERMS}:
            continue
        out.append(span)
    return out


def covered_bold(span):
    w = words(span)
    alias = {words(k): words(v) for k, v in ALIASES.items()}.get(w)
    if alias is not None:
        return alias in TERMS
    return any(w == t or (len(w) > len(t) and w[-len(t):] == t) for t in TERMS)


def headings(text):
    return [h.strip() for h in re.findall(r"^#{2,3} (.+)$", text, re.M)
            if h.strip().rstrip("?").lower() not in GENERIC_HEADINGS]


def heading_names(heading):
    """Names in a heading that must be glossary terms: code spans, acronyms and mixed-case
    words, capitalised words that neither start the heading nor follow a colon."""
    names = re.findall(r"`([^`]+)`", heading)
    rest = re.sub(r"`[^`]+`|\$[^$]*\$", " ", heading)
    for clause in re.split(r":\s*", rest):
        for i, tok in enumerate(re.findall(r"[A-Za-z0-9@+'-]+", clause)):
            for piece in tok.split("-"):
                if len(piece) > 1 and (sum(ch.isupper() for ch in piece) >= 2 or (i > 0 and piece[:1].isupper())):
                    names.append(piece)
    return names


def in_some_term(name):
    w = words(name)
    return bool(w) and any(contains(t, w) for t in TERMS)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_bold_terms_are_in_the_glossary(path):
    missing = sorted({s for s in bold_terms(markdown(path)) if not covered_bold(s)})
    assert not missing, (f"{path.name}: bold terms missing from glossary.md: {missing} (bold marks "
                         "a term; set emphasis in *italics*, or add the term to the glossary)")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_heading_terms_are_in_the_glossary(path):
    problems = []
    for h in headings(markdown(path)):
        names = heading_names(h)
        missing = [n for n in names if not in_some_term(n)]
        if missing:
            problems.append(f"{h!r}: {missing} not in the glossary")
        elif not names and h.lower() not in NARRATIVE_HEADINGS and not any(contains(words(h), t) for t in TERMS):
            problems.append(f"{h!r} names no glossary term (add the term, or list the "
                            "heading in NARRATIVE_HEADINGS if it names none)")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_glossary_rows_are_complete_and_unique():
    assert len(ROWS) > 100, "the glossary table was not parsed"
    seen = {}
    for english, chinese, where, terms in ROWS:
        assert re.search(r"[\u4e00-\u9fff]", chinese), f"{english}: no Chinese name"
        assert re.fullmatch(r"(ch\. \d+(, \d+)*|FAQ)(, FAQ)?", where), f"{english}: where is {where!r}"
        main = words(re.sub(r"\([^()]*\)", " ", english).split(" / ")[0])
        assert main not in seen, f"{english!r} repeats {seen[main]!r}"
        seen[main] = english


def test_glossary_points_at_chapters_that_use_the_term():
    # chapter N is chapters/NN_*.ipynb (test_notebooks checks the numbers against the toc)
    by_number = {int(p.name[:2]): p for p in CHAPTERS if p.name[:2].isdigit()}
    by_number["FAQ"] = ROOT / "chapters" / "faq.ipynb"
    texts, problems = {}, []
    for english, _, where, terms in ROWS:
        for n in [int(n) for n in re.findall(r"\d+", where)] + (["FAQ"] if "FAQ" in where else []):
            if n not in by_number or not by_number[n].exists():
                problems.append(f"{english}: chapter {n} does not exist")
                continue
            if n not in texts:
                nb = nbformat.read(by_number[n], as_version=4)
                texts[n] = words("\n".join(c.source for c in nb.cells), maths=False)
            if not any(contains(texts[n], t) for t in terms):
                problems.append(f"{english}: chapter {n} does not mention it")
    assert not problems, "\n".join(problems)


# the rules themselves
@pytest.mark.parametrize("span, term", [
    ("LSTM user tower", ("user", "tower")), ("NDCG@10", ("ndcg",)), ("Leave-last-out", ("leave", "last", "out")),
    ("Behaviour sequences", ("behaviour", "sequence")), ("the guard", ("guard",)), ("CNNs", ("cnn",)),
])
def test_normalising(span, term):
    w = words(span)
    assert w == term or w[-len(term):] == term


def test_bold_filter_keeps_terms_and_drops_claims():
    text = ("**user tower** **Grounding does most of the work.** **Java.** **true** "
            "**0 is reserved for padding** **most frequent training review of typical length**")
    assert bold_terms(text) == ["user tower"]


def test_heading_names():
    assert heading_names("The chapter-1 split: ALS on Spark next to Keras MF") == ["ALS", "Spark", "Keras", "MF"]
    assert heading_names("Reasons at scale with `mapInPandas`") == ["mapInPandas"]
    assert heading_names("Saturation: why the generator uses $-\\log D$") == []
