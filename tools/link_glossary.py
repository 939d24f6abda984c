"""Link the first bold use of each glossary term in a notebook to its glossary entry (issue 14).

Usage: python tools/link_glossary.py [NOTEBOOK_OR_DIR ...] [--check]

With no argument it links every book notebook: ``chapters/*.ipynb`` (the FAQ included) and
``chapters/capstones/*.ipynb``. In each notebook's markdown, in cell order, the first bold
span that is a glossary term becomes a link to the term's entry in ``chapters/glossary.md``,
still bold::

    **matrix factorization**   ->   **{term}`matrix factorization <matrix factorization>`**

A span is a term, and names its entry, by the rule of ``tests/test_glossary.py`` (imported,
not copied): the glossary term it equals after normalising (case, plurals, hyphens), else
the longest term it ends with (**LSTM user tower** links to "user tower"), or its alias.
"First" is per term: the first **MF** and the first **matrix factorization** are both
linked, later bold uses of either stay plain. (MyST renders a role inside bold: the link is
bold, checked on a built page.)

It edits markdown cells only, and only their prose: never a code span, maths (``$...$``,
``$$...$$``, ``\\begin...\\end``), a heading line, a markdown link's text, a code fence or
code-like directive (``{code-cell}``, ``{literalinclude}``, ``{mermaid}``, ...), a
directive's fence line or options, nor a cell the book removes (tag ``remove-cell``: the
JupyterLab-only cells of ``tools/jupyterlab_form.py``). A bold span holding code or maths
is left plain (a role shows plain text). Running it again changes nothing: a bold link
counts as that term's first use, and a bold link after the first use of its term goes back
to plain bold, so the links always sit on the first uses, however the text was edited.
Notebooks are read and written with nbformat, and only those that change are written.

``--check`` writes nothing and exits 1 naming each notebook whose links are not in place.
"""
import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import test_glossary as glossary  # noqa: E402  (the matching rule lives in the test)

OPTION = re.compile(r"^\s*:[\w-]+:(\s|$)")
HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
#: what a prose chunk holds, found left to right (the leftmost wins, then the first listed):
#: bold links this tool wrote, code spans (role contents too), maths, markdown links, bold
INLINE = re.compile(r"""
    (?P<linked>\*\*\{term\}`(?P<ltext>[^`<]*?)\s*(?:<(?P<ltarget>[^`<>]*)>)?`\*\*)
  | (?P<code>(?P<ticks>`+).+?(?<!`)(?P=ticks)(?!`))
  | (?P<env>\\begin\{(?P<envname>[^}]+)\}.*?\\end\{(?P=envname)\})
  | (?P<dmath>(?<!\\)\$\$.+?(?<!\\)\$\$)
  | (?P<math>(?<![\\$])\$[^$]+?(?<!\\)\$)
  | (?P<mdlink>!?\[[^\]]*\]\([^)]*\))
  | (?P<bold>\*\*(?P<btext>[^*]+?)\*\*)
""", re.S | re.X)


def notebooks(args):
    """The notebooks named by ``args`` (files or folders); all the book's by default."""
    if not args:
        return glossary.LINKED
    out = []
    for a in map(Path, args):
        if a.is_dir():
            out += sorted(p for p in a.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif a.suffix == ".ipynb" and a.exists():
            out.append(a)
        else:
            raise SystemExit(f"link_glossary: {a} is not a notebook or a folder")
    return out


def prose_chunks(source):
    """(start, end) character ranges of ``source`` that hold prose: not code (fences as
    ``tests/test_glossary.py`` reads them), a directive's fence line or its options, nor a
    heading line."""
    chunks, start, pos, options = [], None, 0, False
    for line, kind in glossary.line_kinds(source):
        if kind == "directive":
            options = bool(glossary.FENCE.match(line.rstrip("\n"))["info"])   # an opening fence
            protected = True
        elif options and (OPTION.match(line) or line.strip() == "---"):
            protected = True
        else:
            options = False
            protected = kind == "code" or bool(HEADING.match(line))
        if protected and start is not None:
            chunks.append((start, pos))
            start = None
        elif not protected and start is None:
            start = pos
        pos += len(line)
    if start is not None:
        chunks.append((start, pos))
    return chunks


def target_of(span):
    """The glossary term line (a ``{term}`` target) that the bold ``span`` stands for, or None."""
    if not glossary.bold_terms(f"**{span}**"):
        return None
    term = glossary.glossary_term(span)
    return None if term is None else glossary.TARGETS[term]


def link_text(source, seen):
    """``source`` (one markdown cell) with its links in place; ``seen`` holds the targets
    already used in earlier cells and gets this cell's. Returns (new source, links added)."""
    edits, added = [], 0
    for a, b in prose_chunks(source):
        for m in INLINE.finditer(source, a, b):
            if m["linked"]:
                target = m["ltarget"] or m["ltext"]
                key = glossary.words(target)
                if key in seen:                          # a link after the first use: plain again
                    edits.append((m.start(), m.end(), f"**{m['ltext']}**"))
                else:
                    seen.add(key)
            elif m["bold"]:
                span = m["btext"]
                if any(ch in span for ch in "`$<>{}\\"):
                    continue                             # code or maths inside: a role would show it raw
                target = target_of(span)
                if target is None or glossary.words(target) in seen:
                    continue
                seen.add(glossary.words(target))
                text = " ".join(span.split())
                role = f"{{term}}`{text}`" if text == target else f"{{term}}`{text} <{target}>`"
                edits.append((m.start(), m.end(), f"**{role}**"))
                added += 1
    for s, e, new in reversed(edits):
        source = source[:s] + new + source[e:]
    return source, added


def link_notebook(nb):
    """Put the links in place in ``nb`` (in memory). Returns the number of links added."""
    seen, added = set(), 0
    for cell in nb.cells:
        if cell.cell_type != "markdown" or "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        cell.source, n = link_text(cell.source, seen)
        added += n
    return added


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", help="notebooks or folders (default: the book's notebooks)")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a notebook would change")
    args = ap.parse_args(argv)
    bad = []
    for path in notebooks(args.paths):
        nb = nbformat.read(path, as_version=4)
        before = [c.source for c in nb.cells]
        added = link_notebook(nb)
        changed = [c.source for c in nb.cells] != before
        name = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        if not changed:
            continue
        if args.check:
            bad.append(str(name))
            print(f"{name}: {added} glossary link(s) missing or misplaced")
        else:
            nbformat.write(nb, path)
            print(f"{name}: {added} glossary link(s) added")
    if bad:
        print("run: python tools/link_glossary.py " + " ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
