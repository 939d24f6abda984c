"""Citations: every work the book names is cited with a {cite} role and listed on the
references page (issues 10 and 14).

* ``references.bib`` parses, has no duplicate keys, and each entry has an author (or
  editor), a title and a year, which the author-year labels are made of;
* no two entries get the same author-year label;
* every key in a ``{cite}``, ``{cite:p}`` or ``{cite:t}`` role in ``chapters/`` (notebook
  markdown cells and ``.md`` pages) is in ``references.bib``, and every entry of
  ``references.bib`` is cited somewhere (the Tools and resources appendix cites the
  reading list, so no entry sits on the references page unexplained);
* where the authors are part of the sentence ("as {cite:t}`key` found") the role is
  ``{cite:t}``, which reads "as Caccia et al. (2020) found", not "as (Caccia et al., 2020)
  found";
* no page cites by hand: an author-year such as "Koren et al., 2009" or
  "(Williams, 1992)" outside a role is an error.
"""
import re
from pathlib import Path

import nbformat
import pytest
from pybtex.database import parse_file

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "references.bib"
PAGES = sorted(p for p in (ROOT / "chapters").rglob("*")
               if p.suffix in (".ipynb", ".md") and ".ipynb_checkpoints" not in p.parts)

#: the roles sphinxcontrib-bibtex defines that the book may use
ROLE = re.compile(r"\{cite(?::(?P<kind>[a-z]+))?\}`(?P<body>[^`]*)`")
KINDS = {None, "p", "t", "ps", "ts", "author", "year"}
#: hand-written author-year citations: "Koren et al., 2009", "Goodfellow et al. (2014)",
#: "(Williams, 1992)", "(Tintarev and Masthoff, 2007", "Hu, Koren and Volinsky, 2008"
NAME = r"[A-Z][A-Za-z'\u00c0-\u017f-]+"
HAND = re.compile(
    rf"{NAME} et al\.,? \(?(19|20)\d\d"
    rf"|\({NAME}, (19|20)\d\d\b"
    rf"|{NAME}(?:, {NAME})* and {NAME}, (19|20)\d\d\b")


def page_text(path):
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def keys_in(text):
    keys = []
    for m in ROLE.finditer(text):
        for key in m.group("body").split(","):
            keys.append(re.sub(r"\{[^{}]*\}", "", key).strip())
    return keys


BIBDATA = parse_file(str(BIB))


def test_bib_entries_have_author_title_year():
    raw_keys = re.findall(r"^@\w+\{([^,\s]+),", BIB.read_text(encoding="utf-8"), re.M)
    assert len(raw_keys) == len(set(raw_keys)), "duplicate keys in references.bib"
    for key, entry in BIBDATA.entries.items():
        assert entry.persons.get("author") or entry.persons.get("editor"), f"{key}: no author"
        assert entry.fields.get("title"), f"{key}: no title"
        assert re.fullmatch(r"\d{4}", entry.fields.get("year", "")), f"{key}: no year"


def author_year(entry):
    """The label the text shows for an entry: "Funk, 2006", "Hu and Koren, 2008",
    "Koren et al., 2009" (sphinxcontrib-bibtex's author_year style)."""
    people = entry.persons.get("author") or entry.persons.get("editor")
    names = [re.sub(r"[{}\\]", "", " ".join(p.prelast_names + p.last_names)) for p in people]
    who = f"{names[0]} et al." if len(names) > 2 else " and ".join(names)
    return f"{who}, {entry.fields['year']}"


def test_author_year_labels_tell_the_works_apart():
    """Two works with the same label ("Abadi et al., 2016") would read as one in the text."""
    seen = {}
    for key, entry in BIBDATA.entries.items():
        label = author_year(entry)
        assert label not in seen, f"{key} and {seen[label]} are both cited as {label!r}"
        seen[label] = key


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_cited_keys_exist_and_roles_are_known(path):
    text = page_text(path)
    unknown = sorted(set(keys_in(text)) - set(BIBDATA.entries))
    assert not unknown, f"{path.name} cites keys not in references.bib: {unknown}"
    kinds = {m.group("kind") for m in ROLE.finditer(text)} - KINDS
    assert not kinds, f"{path.name} uses unknown cite roles: {kinds}"


def test_every_bib_entry_is_cited():
    cited = set()
    for path in PAGES:
        cited.update(keys_in(page_text(path)))
    uncited = sorted(set(BIBDATA.entries) - cited)
    assert not uncited, f"entries of references.bib cited nowhere in chapters/: {uncited}"


def test_references_page_lists_the_bibliography():
    assert "```{bibliography}" in (ROOT / "chapters" / "references.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_no_hand_written_citations(path):
    text = " ".join(ROLE.sub(" ", page_text(path)).split())
    found = [m.group(0) for m in HAND.finditer(text)]
    assert not found, (f"{path.name} cites by hand (use {{cite:t}} or {{cite:p}} with a "
                       f"references.bib key): {found}")


#: a parenthetical citation where the authors are part of the sentence:
#: "the minibatch standard deviation of {cite}`karras2018progressive`" reads "... of (Karras
#: et al., 2018)"; {cite:t} reads "... of Karras et al. (2018)"
TEXTUAL = re.compile(r"\b(of|by|as|following|after|like|than)\s+\{cite(:p)?\}`")


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_authors_in_the_sentence_are_cited_with_cite_t(path):
    found = [" ".join(page_text(path)[m.start():m.end() + 30].split()) for m in TEXTUAL.finditer(page_text(path))]
    assert not found, f"{path.name}: use {{cite:t}} where the authors are part of the sentence: {found}"


@pytest.mark.parametrize("text", [
    "Koren et al., 2009", "Goodfellow et al. (2014) define", "(Williams, 1992)",
    "(Tintarev and Masthoff,\n2007", "Hu, Koren and Volinsky, 2008", "(Kim, 2014)",
])
def test_hand_written_citation_finder_catches(text):
    assert HAND.search(" ".join(text.split()))


@pytest.mark.parametrize("text", [
    "{cite:t}`koren2009matrix` showed", "an Amazon 2018 file", "(chapter 4, 2 epochs)",
    "Python 3.11", "12 CFR 1002.9", "on 2026-12-01", "(NeurIPS 2018)", "Amazon Movies & TV and Yelp 2019",
])
def test_hand_written_citation_finder_lets_other_text_pass(text):
    assert not HAND.search(ROLE.sub(" ", text))


# ---- the preface maps every section of the article to the book ----
#: the sections of the article (its numbered ### headings)
ARTICLE_SECTIONS = [f"{a}.{b}" for a, n in [(1, 3), (2, 4), (3, 4), (4, 3), (5, 3), (6, 4),
                                               (7, 3), (8, 4), (9, 3)] for b in range(1, n + 1)]


def preface_map():
    text = (ROOT / "chapters" / "preface.md").read_text(encoding="utf-8")
    table = text.split("## The article, section by section", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in table.splitlines() if line.startswith("| ") and not line.startswith("| article")]
    return rows


def headings_of(path):
    return {h.strip() for h in re.findall(r"^#{2,3} (.+)$", page_text(path), re.M)}


def test_preface_maps_every_article_section():
    mapped = {row[0] for row in preface_map()}
    missing = [s for s in ARTICLE_SECTIONS if s not in mapped]
    assert not missing, f"article sections missing from the preface's map: {missing}"


def test_preface_map_names_sections_that_exist():
    """Each quoted section name (“...”) in the map is a heading of the chapter or
    appendix named just before it."""
    chapters = {int(p.name[:2]): p for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")}
    pages = {"resources": ROOT / "chapters" / "resources.md", "faq": ROOT / "chapters" / "faq.ipynb"}
    problems = []
    for row in preface_map():
        where = row[2]
        for m in re.finditer(r"(Chapter (\d+)|\{doc\}`(\w+)`), ((?:“[^”]+”(?:,| and| to)? ?)+)", where):
            path = chapters.get(int(m.group(2))) if m.group(2) else pages.get(m.group(3))
            if path is None or not path.exists():
                problems.append(f"{row[0]}: {m.group(1)} does not exist")
                continue
            for name in re.findall(r"“([^”]+)”", m.group(4)):
                if name not in headings_of(path):
                    problems.append(f"{row[0]}: {path.name} has no section {name!r}")
    assert not problems, "\n".join(problems)
