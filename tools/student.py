"""Build the student edition of the book: ``python tools/student.py`` (``make student``).

Writes, under ``_build/student/``:

- ``notebooks/``: every chapter notebook (and the capstone starters) with every
  solution removed. The exercise text stays; in place of each solution come an
  empty answer cell and, when ``reclib.exercises`` can check the exercise, a
  check cell. Outputs stripped, ready to hand out. The chapters' data come from
  ``reclib.exercises.world`` (``load_shopsim`` is rebound to it right after its
  import), so ``RECLIB_STUDENT_SEED`` gives each student their own ShopSim world
  and the checks compute the right answers for that world.
- ``html/``: the book built from those notebooks by jupyter-book, offline, from
  a copy of the tree in ``_build/student/src``. Nothing is executed: when the
  full build's jupyter-cache (``_build/.jupyter_cache``) holds an executed copy
  of a chapter, the student page shows that copy's outputs for every cell
  that is not part of a solution (the book's world); otherwise it shows the
  code without outputs. Solution code and outputs never appear.

``python tools/student.py --no-html`` writes the notebooks only (seconds).
The full edition is not touched.
"""
import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FENCE = r"(?P<fence>`{3,}|:{3,})"
START = re.compile(rf"^{FENCE}\{{solution-start\}}[ \t]*(?P<label>\S+)[^\n]*\n"
                   r"(?:[ \t]*:[\w-]+:[^\n]*\n)*[ \t]*(?P=fence)[ \t]*$\n?", re.M)
END = re.compile(rf"^{FENCE}\{{solution-end\}}[^\n]*\n(?:[ \t]*:[\w-]+:[^\n]*\n)*"
                 r"[ \t]*(?P=fence)[ \t]*$\n?", re.M)
BLOCK = re.compile(rf"^{FENCE}\{{solution\}}[ \t]*(?P<label>\S+)[^\n]*\n.*?^(?P=fence)[ \t]*$\n?",
                   re.M | re.S)
EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}", re.M)
LABEL = re.compile(r"^:label:[ \t]*(\S+)", re.M)
IMPORT = re.compile(r"^from reclib\.data import [^\n]*\bload_shopsim\b[^\n]*$", re.M)
# chapters that grade reasons stored for the book's world (data/lm) keep that world
STORED = re.compile(r"StoredReasons|data/lm|[\"']lm[\"']")
KEEP = ("# student edition: this chapter grades reasons stored for the book's world "
        "(data/lm), so it keeps that world")
TEACHER_PAGES = {"chapters/teaching"}      # the instructor's guide: not in the student edition
TEACHER_LINK = re.compile(r"\{doc\}`(?:[^`<]*<)?/?(?:chapters/)?teaching>?`")
REBIND = ("from reclib.exercises import world as load_shopsim  "
          "# student edition: your world, $RECLIB_STUDENT_SEED")


def split_markdown(text, inside):
    """Split one markdown cell at the solution markers.

    Returns ``(pieces, inside)``: pieces are ``("md", text)`` kept outside any
    solution, ``("answer", label)`` where a solution starts and
    ``("prose", text)`` for solution text; ``inside`` is the label of a
    solution still open at the end of the cell (or None).
    """
    pieces, pos = [], 0
    while pos <= len(text):
        if inside is None:
            found = [m for m in (START.search(text, pos), BLOCK.search(text, pos)) if m]
            if not found:
                pieces.append(("md", text[pos:]))
                break
            m = min(found, key=lambda m: m.start())
            pieces.append(("md", text[pos:m.start()]))
            pieces.append(("answer", m.group("label")))
            if m.re is START:
                inside = m.group("label")
            else:                              # one {solution} block: options, then body
                body = m.group(0).split("\n", 1)[1].rsplit(m.group("fence"), 1)[0]
                pieces.append(("prose", re.sub(r"^[ \t]*:[\w-]+:[^\n]*\n", "", body, flags=re.M)))
            pos = m.end()
        else:
            m = END.search(text, pos)
            if not m:
                pieces.append(("prose", text[pos:]))
                break                          # the rest of the cell is solution
            pieces.append(("prose", text[pos:m.start()]))
            inside, pos = None, m.end()
    return pieces, inside


def answer_cells(label, checks):
    """The empty answer cell and, for a checkable exercise, its check cell."""
    cells = [nbformat.v4.new_code_cell("# Your answer\n", id=f"{label}-answer",
                                       metadata={"tags": ["answer"]})]
    if label in checks:
        doc = " ".join(checks[label].__doc__.split())
        lines, line = [], "#"
        for word in doc.split():
            if len(line) + len(word) > 88:
                lines.append(line)
                line = "#"
            line += " " + word
        lines.append(line)
        call = re.sub(r"=([^,)]+)", "=...", checks[label].template)
        source = ("# Check your answer: replace each ... with your value and run this cell.\n"
                  + "\n".join(lines) + "\nfrom reclib.exercises import check\n" + call + "\n")
        cells.append(nbformat.v4.new_code_cell(source, id=f"{label}-check",
                                               metadata={"tags": ["check"]}))
    return cells


def student_notebook(nb, checks, keep_outputs=False, removed=None):
    """A copy of notebook ``nb`` with every solution removed (see the module doc).

    Returns ``(notebook, labels)``: the labels of the solutions removed. With a
    dict ``removed``, fills it with ``{label: {"code": [sources], "prose": text}}``.
    """
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    inside, labels, rebound = None, [], False
    removed = {} if removed is None else removed
    stored = any(STORED.search(c.source) for c in nb.cells if c.cell_type == "code")
    for n, cell in enumerate(nb.cells):
        cid = cell.get("id") or f"cell-{n}"
        if "jupyterlab-solution" in cell.metadata.get("tags", []):
            continue                           # JupyterLab's closed heading over a solution
        if cell.cell_type != "markdown":
            if inside is not None:             # solution code (or raw) cell
                removed[inside]["code"].append(cell.source)
                continue
            new = nbformat.from_dict(cell)
            if new.cell_type == "code":
                if not keep_outputs:
                    new.outputs, new.execution_count = [], None
                if not rebound and IMPORT.search(new.source):
                    note = KEEP if stored else REBIND
                    new.source = IMPORT.sub(lambda m: m.group(0) + "\n" + note, new.source, 1)
                    rebound = True
            out.cells.append(new)
            continue
        current = inside
        pieces, inside = split_markdown(cell.source, inside)
        for k, (kind, value) in enumerate(pieces):
            if kind == "prose":
                removed[current]["prose"] += value
            elif kind == "answer":
                current = value
                removed[value] = {"code": [], "prose": ""}
                labels.append(value)
                out.cells.extend(answer_cells(value, checks))
            elif value.strip():
                out.cells.append(nbformat.v4.new_markdown_cell(
                    value.strip("\n"), id=cid if k == 0 else f"{cid}-{k}",
                    metadata=cell.metadata))
    if inside is not None:
        raise ValueError(f"solution {inside!r} is never closed with {{solution-end}}")
    nbformat.validate(out)
    return out, labels


def exercises_of(nb):
    """The labels of the exercises in a notebook, in order."""
    labels = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in EXERCISE.finditer(cell.source):
                label = LABEL.search(cell.source, m.end())
                labels.append(label.group(1) if label else None)
    return labels


def executed(path, cache_dir):
    """The full build's executed copy of notebook ``path`` from jupyter-cache, or None."""
    if not cache_dir.exists():
        return None
    try:
        from jupyter_cache import get_cache
        cache = get_cache(cache_dir)
        nb = nbformat.read(path, as_version=4)
        _, merged = cache.merge_match_into_notebook(nb)   # outputs of the cached run
        return merged
    except Exception:                          # not cached (changed since): no outputs
        return None


def build_notebooks(out_dir, src_notebooks=None, cache_dir=None):
    """Write the student notebooks into ``out_dir`` (mirroring ``chapters/``).

    With ``src_notebooks`` also writes copies that keep the full build's
    outputs (non-solution cells only) for the HTML book. Returns a dict
    ``{notebook: removed solution labels}``.
    """
    from reclib.exercises import CHECKS
    done = {}
    for path in sorted((ROOT / "chapters").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        rel = path.relative_to(ROOT)
        nb = nbformat.read(path, as_version=4)
        student, labels = student_notebook(nb, CHECKS)
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student, target)
        done[str(rel)] = labels
        if src_notebooks is not None:
            full = executed(path, cache_dir) if cache_dir else None
            shown, _ = student_notebook(full, CHECKS, keep_outputs=True) if full else (student, 0)
            (src_notebooks / rel).parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(shown, src_notebooks / rel)
    return done


def copy_tree(src):
    """The book's sources minus the notebooks, into ``src`` (for jupyter-book)."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    shutil.copy2(ROOT / "references.bib", src / "references.bib")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    (src / "_toc.yml").write_text(yaml.safe_dump(without_teacher_pages(toc), sort_keys=False))
    config = (ROOT / "_config.yml").read_text()
    config = re.sub(r"^title: (.*)$", r"title: \1 (student edition)", config, count=1, flags=re.M)
    config = re.sub(r"execute_notebooks: \w+", "execute_notebooks: off", config)
    (src / "_config.yml").write_text(config)
    # literalinclude reads ../reclib/...; markdown pages and any images of chapters/
    shutil.copytree(ROOT / "reclib", src / "reclib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(ROOT / "_offline", src / "_offline")   # MathJax for the offline pages
    shutil.copytree(ROOT / "_static", src / "_static")     # logo and favicon
    (src / "tools").mkdir()
    shutil.copy2(ROOT / "tools" / "bibstyle.py", src / "tools" / "bibstyle.py")   # citation style
    shutil.copytree(ROOT / "chapters", src / "chapters",
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints",
                                                  *(Path(f).name + ".md" for f in TEACHER_PAGES)))
    for page in (src / "chapters").rglob("*.md"):     # links to the left-out pages go
        text = page.read_text()
        page.write_text(TEACHER_LINK.sub("the teacher's edition", text))


def without_teacher_pages(toc):
    """The table of contents without the instructor's pages (they hold answer notes)."""
    def keep(entries):
        out = []
        for e in entries:
            if e.get("file") in TEACHER_PAGES:
                continue
            e = dict(e)
            if "sections" in e:
                e["sections"] = keep(e["sections"])
                if not e["sections"]:
                    del e["sections"]
            out.append(e)
        return out
    toc = dict(toc)
    toc["parts"] = [dict(part, chapters=keep(part["chapters"])) for part in toc.get("parts", [])]
    toc["parts"] = [p for p in toc["parts"] if p["chapters"]]
    return toc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "_build" / "student"))
    parser.add_argument("--no-html", action="store_true", help="write the notebooks only")
    args = parser.parse_args(argv)
    out = Path(args.out)
    t0 = time.perf_counter()
    if (out / "notebooks").exists():
        shutil.rmtree(out / "notebooks")
    src = out / "src"
    if not args.no_html:
        copy_tree(src)
    done = build_notebooks(out / "notebooks", None if args.no_html else src,
                           ROOT / "_build" / ".jupyter_cache")
    # the hand-out kit: chapters/ beside data/, as in the repository (relative paths work)
    shutil.copytree(ROOT / "data", out / "notebooks" / "data")
    n = sum(len(v) for v in done.values())
    print(f"student notebooks: {len(done)} files, {n} solutions removed -> {out / 'notebooks'}")
    if not args.no_html:
        jb = Path(sys.executable).with_name("jupyter-book")
        subprocess.run([str(jb), "build", str(src), "-W", "-n", "--keep-going", "--quiet"],
                       check=True)
        if (out / "html").exists():
            shutil.rmtree(out / "html")
        shutil.move(str(src / "_build" / "html"), str(out / "html"))
        print(f"student book -> {out / 'html' / 'index.html'}")
    print(f"make student: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
