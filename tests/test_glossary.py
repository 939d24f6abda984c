"""The glossary (chapters/glossary.md) covers every technical term of every chapter.

A chapter uses a term when it sets it in **bold** or names it in a ``##``/``###``
heading; this test fails when such a term is missing from the glossary. It runs on
whatever chapter notebooks exist (``chapters/*.ipynb``, the FAQ included).

Matching rule
-------------
* **Glossary terms.** glossary.md holds one ``{glossary}`` block (Sphinx's glossary
  directive, ``:sorted:``). An entry is one or more term lines (a term with its
  abbreviation and synonyms, each line a term: ``matrix factorization`` and ``MF``;
  ``Precision@K`` and ``Recall@K``) followed by its indented body: a first line
  ``中文 · where`` and, optionally, a note (a blank line, then indented text that says
  what a name stands for: "The book's Python package."). Entries are sorted by their first
  term (case, backticks and accents ignored, as ``:sorted:`` does), and no term line
  repeats another (Sphinx warns on a duplicate term and the book builds with ``-W``).
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
* **Rows.** Every entry has a Chinese name, no two entries start with the same term, and each
  chapter in the "where" part (``ch. N`` for ``chapters/NN_*.ipynb``, or ``FAQ``)
  exists and mentions one of the row's terms.
* **Links.** ``tools/link_glossary.py`` turns the first bold use of each term in a notebook
  into ``**{term}`text <term>`**`` (the term that covers it, as above: the one it equals,
  else the longest one it ends with). This test reads such a span as the bold text it
  shows; ``tests/test_link_glossary.py`` checks that the links are in place and that every
  ``{term}`` target of every notebook (chapters, capstones, FAQ) is a term of the glossary.
* **Code.** Code fences (```` ```python ````, a bare ```` ``` ````, code-like directives
  such as ```` ```{mermaid} ````) are left out, nested ones too; prose directives
  (```` ```{note} ````, ```` ````{exercise} ````) are read.
"""
import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

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


class Row(NamedTuple):
    """One glossary entry: its term lines as written, Chinese name, chapters, note and
    the set of normalised terms (one per term line)."""
    english: str
    chinese: str
    where: str
    terms: set
    lines: tuple
    note: str


def glossary_block(text):
    """The lines inside the ``{glossary}`` fence of ``text``."""
    m = re.search(r"^(`{3,}|:{3,})\{glossary\}[^\n]*\n(.*?)^\1\s*$", text, re.M | re.S)
    if m is None:
        raise ValueError("glossary.md has no ```{glossary} block")
    return m.group(2).splitlines()


def parse_glossary(path=GLOSSARY):
    """Entries of the ``{glossary}`` block (see the module docstring), in file order."""
    rows, lines, body = [], [], []

    def close():
        if not lines:
            return
        if not body or " · " not in body[0]:
            raise ValueError(f"glossary entry {lines}: the body's first line must be '中文 · where'")
        chinese, where = (x.strip() for x in body[0].rsplit(" · ", 1))
        note = " ".join(" ".join(body[1:]).split())
        terms = {words(t) for t in lines} - {()}
        rows.append(Row(" / ".join(lines), chinese, where, terms, tuple(lines), note))
        lines.clear()
        body.clear()

    for line in glossary_block(path.read_text(encoding="utf-8")):
        if not line.strip():
            continue
        if line[:1].isspace():
            if not lines:
                raise ValueError(f"glossary: indented line {line.strip()!r} has no term above it")
            body.append(line.strip())
        elif re.fullmatch(r":[\w-]+:.*", line) and not rows and not lines:
            continue                          # the directive's options (:sorted:)
        else:
            if body:
                close()
            lines.append(line.strip())
    close()
    return rows


def sort_key(term_line):
    """What Sphinx's ``:sorted:`` sorts by: the term's text, lower-case, accents decomposed."""
    return unicodedata.normalize("NFD", term_line.replace("`", "").lower())


def plain(term_line):
    """A term line as Sphinx sees the term (its text without code marks): a ``{term}`` target."""
    return " ".join(term_line.replace("`", "").split())


ROWS = parse_glossary()
TERMS = set().union(*(r.terms for r in ROWS))
#: normalised term -> its term line as a ``{term}`` target (the line's text, code marks dropped)
TARGETS = {words(line): plain(line) for r in ROWS for line in r.lines}
#: the notebooks whose links tools/link_glossary.py makes: chapters, FAQ, capstones
LINKED = CHAPTERS + sorted((ROOT / "chapters" / "capstones").glob("*.ipynb"))
#: a term link as tools/link_glossary.py writes it: {term}`text <target>` (or {term}`target`)
TERM_ROLE = re.compile(r"\{term\}`(?P<text>[^`<]*?)\s*(?:<(?P<target>[^`<>]*)>)?`")


def unlink(text):
    """``text`` with each ``{term}`` link replaced by the text it shows."""
    return TERM_ROLE.sub(lambda m: m["text"], text)


FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*?)\s*$")
#: directives whose body is code or data, not prose
CODE_DIRECTIVES = {"code", "code-block", "code-cell", "sourcecode", "literalinclude", "math",
                   "mermaid", "raw", "eval-rst", "graphviz", "toctree", "bibliography", "glossary"}


def line_kinds(text):
    """(line, kind) for each line of ``text`` (line ends kept): kind is "code" for a code
    fence (```python, ```, a code-like directive such as ```{mermaid}) and its body,
    "directive" for a prose directive's fence line (```{note}, ```{exercise}, closing
    fences), "text" otherwise. Fences nest (````{exercise} around ```python)."""
    stack = []                                   # (fence char, length, holds code)
    for line in text.splitlines(keepends=True):
        m = FENCE.match(line.rstrip("\n"))
        closes = (m is not None and stack and not m["info"] and m["fence"][0] == stack[-1][0]
                  and len(m["fence"]) >= stack[-1][1])
        if stack and stack[-1][2]:
            yield line, "code"
            if closes:
                stack.pop()
        elif closes:
            stack.pop()
            yield line, "directive"
        elif m:
            d = re.match(r"\{([\w:-]+)\}", m["info"])
            code = d is None or d.group(1) in CODE_DIRECTIVES
            stack.append((m["fence"][0], len(m["fence"]), code))
            yield line, "code" if code else "directive"
        else:
            yield line, "text"


def markdown(path):
    nb = nbformat.read(path, as_version=4)
    # code fences (```python, ```bash, ```) hold code, not prose: drop them before looking
    # for bold and headings; directive fences (```{note}, ```{exercise}) hold prose and stay
    text = unlink("\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    return "".join(line for line, kind in line_kinds(text) if kind != "code")


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


def glossary_term(span):
    """The glossary term (normalised) that covers the bold ``span``, or None: the term it
    equals, else the longest term it ends with (the head-noun rule), or its alias's term."""
    w = words(span)
    alias = {words(k): words(v) for k, v in ALIASES.items()}.get(w)
    if alias is not None:
        return alias if alias in TERMS else None
    if w in TERMS:
        return w
    tails = [t for t in TERMS if len(w) > len(t) and w[-len(t):] == t]
    return max(tails, key=lambda t: (len(t), t)) if tails else None


def covered_bold(span):
    return glossary_term(span) is not None


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
    assert len(ROWS) > 100, "the glossary was not parsed"
    seen, lines = {}, {}
    for row in ROWS:
        assert re.search(r"[\u4e00-\u9fff]", row.chinese), f"{row.english}: no Chinese name"
        assert re.fullmatch(r"(ch\. \d+(, \d+)*|FAQ)(, FAQ)?", row.where), f"{row.english}: where is {row.where!r}"
        main = words(row.lines[0])
        assert main not in seen, f"{row.english!r} repeats {seen[main]!r}"
        seen[main] = row.english
        assert row.note == "" or row.note.endswith("."), f"{row.english}: the note is not a sentence"
        for line in row.lines:
            # Sphinx compares terms case-insensitively; a link target must name one entry
            for key in (plain(line).lower(), words(line)):
                assert key not in lines, f"term {line!r} ({row.english}) repeats one of {lines[key]!r}"
                lines[key] = row.english


def test_glossary_is_sorted():
    firsts = [r.lines[0] for r in ROWS]
    assert firsts == sorted(firsts, key=sort_key), "glossary entries out of order: " + ", ".join(
        f"{a!r} before {b!r}" for a, b in zip(firsts, firsts[1:]) if sort_key(a) > sort_key(b))


def test_glossary_points_at_chapters_that_use_the_term():
    # chapter N is chapters/NN_*.ipynb (test_notebooks checks the numbers against the toc)
    by_number = {int(p.name[:2]): p for p in CHAPTERS if p.name[:2].isdigit()}
    by_number["FAQ"] = ROOT / "chapters" / "faq.ipynb"
    texts, problems = {}, []
    for english, _, where, terms, *_ in ROWS:
        for n in [int(n) for n in re.findall(r"\d+", where)] + (["FAQ"] if "FAQ" in where else []):
            if n not in by_number or not by_number[n].exists():
                problems.append(f"{english}: chapter {n} does not exist")
                continue
            if n not in texts:
                nb = nbformat.read(by_number[n], as_version=4)
                texts[n] = words(unlink("\n".join(c.source for c in nb.cells)), maths=False)
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


def test_code_fences_are_dropped_and_directives_kept():
    text = ("a **user tower**\n````{exercise}\n:label: x\n**item tower**\n```python\nx = '**CNN**'\n```\n"
            "````\n**GRU**\n```\n**LSTM**\n```\n```{mermaid}\n**RNN**\n```\nend **MF**\n")
    kept = "".join(line for line, kind in line_kinds(text) if kind != "code")
    assert bold_terms(kept) == ["user tower", "item tower", "GRU", "MF"]


def test_heading_names():
    assert heading_names("The chapter-1 split: ALS on Spark next to Keras MF") == ["ALS", "Spark", "Keras", "MF"]
    assert heading_names("Reasons at scale with `mapInPandas`") == ["mapInPandas"]
    assert heading_names("Saturation: why the generator uses $-\\log D$") == []
