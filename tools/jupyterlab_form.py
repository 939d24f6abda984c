"""Give every notebook the form that reads the same in JupyterLab as in the book (issue 14).

Usage: python tools/jupyterlab_form.py [DIR_OR_NOTEBOOK ...] [--check]
       python tools/jupyterlab_form.py --git-filter

With no argument it forms every notebook under ``chapters/`` (``.ipynb_checkpoints`` left
out), rewriting only the notebooks that change; running it again changes nothing. With
``--check`` it writes nothing and exits 1 when a notebook is not in the form (naming it).

JupyterLab (with jupyterlab-myst 2.7) renders the book's MyST markdown, but two things of
the book do not survive the trip (both measured by opening the chapters in JupyterLab):

- ``{literalinclude}`` is parsed but never read from disk, so a listing shows as nothing.
  After every markdown cell that shows listings comes one code cell per listing,
  tagged ``remove-cell`` (the book leaves it out, so its pages do not change), that shows
  the same code in JupyterLab when run: ``reclib.data.cleaning.fit_normalizer??`` (IPython's
  own way to show an object's source, with its file). Under nbval and the book's
  execution it prints nothing. The code itself stays in ``reclib/`` only.
  A markdown cell is split after a listing when more text follows it, so the
  counterpart sits where the book shows the listing.
- The split ``{solution-start}``/``{solution-end}`` markers each render on their own, so a
  solution showed as an empty "Start of Solution" box with the solution's cells fully
  open below it. Each solution now sits under a JupyterLab-only collapsed heading
  ("Solution to Exercise N", cell metadata ``jp-MarkdownHeadingCollapsed``, tagged
  ``remove-cell``): JupyterLab shows a closed heading with an "N cells hidden" button, the
  book is unchanged (its dropdown, and nbval still runs the solution's code). A collapsed
  heading hides the cells up to the next heading of the same level or higher, so each
  exercise gets a JupyterLab-only heading ("Exercise N", one level up) that ends the
  previous solution, and after the last solution one ("After the exercises") goes before
  any cell that follows it. Under "## Exercises" these are level 4 and 5 headings: the
  book's own sections (levels 2 and 3, which tests/test_glossary.py reads) are untouched. Markdown cells are split at the exercise and solution markers
  so these headings can go between them (the book renders split cells as before).

The generated cells carry the tag ``jupyterlab-listing``, ``jupyterlab-exercise``,
``jupyterlab-solution`` or ``jupyterlab-after`` beside ``remove-cell``; forming again drops
and regenerates them, so the form also repairs a solution a reader opened and saved.

Opening a notebook in JupyterLab rewrites its metadata: once the kernel is up, JupyterLab
writes the kernel's display name (``Python 3`` became ``Python 3 (ipykernel)``) and fills in
the kernel's ``language_info`` (measured with JupyterLab 4.5: nothing else changes). The form
stores the display name as ipykernel reports it, so that one is no longer rewritten. The
language_info fields are left out on purpose (see ``LANGUAGE_INFO``): storing them would
change the book's HTML, so JupyterLab still adds them, and the commit filter strips them.

``--git-filter`` installs nbstripout as the repository's git filter (``make lab`` runs it):
what is committed has no outputs, execution counts or added language_info, whatever was saved
in JupyterLab; cell ids, tags and the collapsed headings are kept (``NBSTRIPOUT_ARGS``).
"""
import argparse
import hashlib
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TAGS = {"listing": "jupyterlab-listing", "exercise": "jupyterlab-exercise",
        "solution": "jupyterlab-solution", "after": "jupyterlab-after"}
GENERATED = set(TAGS.values())
COLLAPSED = "jp-MarkdownHeadingCollapsed"   # the cell metadata JupyterLab 4 reads on load
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# JupyterLab fills in the kernel's language_info when the kernel starts (codemirror_mode,
# file_extension, mimetype, nbconvert_exporter, pygments_lexer, version). Those stay out of
# the committed notebooks: myst-nb takes the book's code lexer from pygments_lexer (every code
# listing of the book would turn from highlight-python into highlight-ipython3, measured) and
# the version differs between machines. The commit filter strips them (NBSTRIPOUT_ARGS).
LANGUAGE_INFO = {"name": "python"}
JUPYTERLAB_ADDS = ("codemirror_mode", "file_extension", "mimetype", "nbconvert_exporter",
                   "pygments_lexer", "version")
# the commit filter (--git-filter): outputs, execution counts and what JupyterLab adds to
# language_info go; cell ids (nbstripout renumbers them by default), tags and collapsed
# headings stay
NBSTRIPOUT_ARGS = ["--keep-id", "--extra-keys",
                   " ".join(f"metadata.language_info.{k}" for k in JUPYTERLAB_ADDS)]
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*)$")
HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
AFTER_TEXT = "After the exercises"


# ------------------------------------------------------------------ reading markdown blocks

def blocks(text):
    """The fenced blocks of a markdown text (backtick and colon fences), in order.

    Each is a dict with ``start`` and ``end`` (line numbers, end exclusive), ``depth`` (0
    for a block not inside another fence), ``name`` and ``arg`` of a MyST directive
    (``name`` is None for a plain code block) and its ``options``. An unclosed fence runs
    to the end of the text, as in CommonMark.
    """
    if not isinstance(text, str):
        raise TypeError(f"blocks() needs the markdown text as a str, not {type(text).__name__}")
    lines = text.split("\n")
    found, stack = [], []
    for n, line in enumerate(lines):
        m = FENCE.match(line)
        if stack:
            top = stack[-1]
            if (m and m["fence"][0] == top["fence"][0] and len(m["fence"]) >= len(top["fence"])
                    and not m["info"].strip()):
                top["end"] = n + 1
                found.append(stack.pop())
                continue
            if top["name"] is None and top["fence"][0] == "`":
                continue                      # inside a code block nothing else opens
        if m and not (m["fence"][0] == "`" and "`" in m["info"]):
            d = DIRECTIVE.match(m["info"].strip())
            block = {"start": n, "end": len(lines), "depth": len(stack), "fence": m["fence"],
                     "name": d["name"] if d else None, "arg": d["arg"].strip() if d else "",
                     "options": {}}
            for opt in lines[n + 1:]:
                o = OPTION.match(opt)
                if not o:
                    break
                block["options"][o["key"]] = o["value"].strip()
            stack.append(block)
    found.extend(stack)                       # unclosed: to the end
    return sorted(found, key=lambda b: b["start"])


def top_blocks(text, name=None):
    """The blocks of ``text`` that are inside no other fence (directive ``name`` only)."""
    return [b for b in blocks(text) if b["depth"] == 0 and (name is None or b["name"] == name)]


def heading_level(text):
    """The level of the first ATX heading of a markdown text outside fences (0 if none)."""
    fenced = set()
    for b in blocks(text):
        fenced.update(range(b["start"], b["end"]))
    for n, line in enumerate(text.split("\n")):
        m = HEADING.match(line)
        if m and n not in fenced:
            return len(m.group(1))
    return 0


# ------------------------------------------------------------------ splitting cells

def split_lines(text):
    """Where a markdown cell is split: before each exercise and solution-start block, after
    each solution-end block and after each listing, when the cell goes on past the block."""
    lines = text.split("\n")
    cuts = set()
    for b in top_blocks(text):
        if b["name"] in ("exercise", "solution-start"):
            cuts.add(b["start"])
        if b["name"] in ("solution-end", "literalinclude"):
            cuts.add(b["end"])
    return sorted(c for c in cuts
                  if "\n".join(lines[:c]).strip() and "\n".join(lines[c:]).strip())


def split_cell(cell, taken):
    """The markdown cell ``cell`` as one or more cells, cut at :func:`split_lines`."""
    cuts = split_lines(cell.source)
    if not cuts:
        return [cell]
    lines = cell.source.split("\n")
    parts, prev = [], 0
    for c in cuts + [len(lines)]:
        parts.append("\n".join(lines[prev:c]).strip("\n"))
        prev = c
    parts = [p for p in parts if p.strip()]   # blank lines between two cuts make no cell
    out = []
    for k, part in enumerate(parts):
        new = nbformat.from_dict(dict(cell))
        new.source = part
        if k:
            new.id = unique_id(f"{cell.get('id', 'cell')}-{k}", taken)
        out.append(new)
    return out


def unique_id(base, taken):
    """A cell id from ``base`` (nbformat's alphabet, at most 64 characters) not in ``taken``."""
    base = re.sub(r"[^A-Za-z0-9_-]", "-", base)[:56] or "cell"
    cid, k = base, 1
    while cid in taken:
        k += 1
        cid = f"{base}-{k}"
    taken.add(cid)
    return cid


# ------------------------------------------------------------------ the generated cells

def module_of(file):
    """The dotted module name of a Python file inside a package, or None."""
    file = Path(file).resolve()
    if file.suffix != ".py" or not (file.parent / "__init__.py").exists():
        return None
    parts = [] if file.stem == "__init__" else [file.stem]
    d = file.parent
    while (d / "__init__.py").exists():
        parts.insert(0, d.name)
        d = d.parent
    return ".".join(parts)


def listing_source(block, notebook):
    """The code cell that shows in JupyterLab what ``{literalinclude}`` ``block`` shows in the book.

    With ``:pyobject:`` in a module it is ``import module`` and ``module.object??``; otherwise
    ``%pycat`` of the file (the book may show only part of it: the comment says which).
    """
    target = block["arg"]
    if not target:
        raise ValueError(f"{notebook}: a literalinclude without a file name")
    file = (Path(notebook).parent / target).resolve()
    if not file.exists():                     # a copy of chapters/ (tests): the repository's file
        file = ROOT.joinpath(*[p for p in Path(target).parts if p not in ("..", ".")])
    obj = block["options"].get("pyobject")
    module = module_of(file)
    shown = f"`{obj}` from {target.lstrip('./')}" if obj else target.lstrip("./")
    head = f"# Listing: {shown}\n# (the book shows it here; run this cell to see it)\n"
    if obj and module:
        if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", obj):
            raise ValueError(f"{notebook}: :pyobject: {obj!r} is not a Python name")
        return f"{head}import {module}\n{module}.{obj}??"
    selection = [f":{k}: {v}" for k, v in block["options"].items()
                 if k in ("pyobject", "lines", "start-after", "end-before", "start-at", "end-at")]
    note = f"# (the book shows only {', '.join(selection)})\n" if selection else ""
    return f"{head}{note}%pycat {target}"


def listing_cell(block, notebook, taken):
    source = listing_source(block, notebook)
    digest = hashlib.sha1(source.encode()).hexdigest()[:8]
    return nbformat.v4.new_code_cell(source, id=unique_id(f"listing-{digest}", taken),
                                     metadata={"tags": ["remove-cell", TAGS["listing"]]})


def heading_cell(kind, level, text, cid, taken):
    meta = {"tags": ["remove-cell", TAGS[kind]]}
    if kind == "solution":
        meta[COLLAPSED] = True
    return nbformat.v4.new_markdown_cell(f"{'#' * level} {text}", id=unique_id(cid, taken),
                                         metadata=meta)


def is_generated(cell):
    return bool(GENERATED & set(cell.get("metadata", {}).get("tags", [])))


def label_of(block):
    """The ``:label:`` of an exercise block (or the argument of a solution marker)."""
    if block["name"] == "exercise":
        return block["options"].get("label") or None
    return block["arg"].split()[0] if block["arg"] else None


# ------------------------------------------------------------------ the form

def form(nb, notebook):
    """Notebook ``nb`` (read from path ``notebook``) in the JupyterLab form; ``nb`` is not changed.

    Idempotent: ``form(form(nb)) == form(nb)``.
    """
    if not isinstance(nb, nbformat.NotebookNode) or "cells" not in nb:
        raise TypeError("form() needs a notebook read with nbformat (a NotebookNode with cells)")
    nb = nbformat.from_dict(nb)
    if nb.get("nbformat_minor", 5) < 5:          # cell ids (nbformat 4.5) for the new cells
        nb.nbformat_minor = 5
        for n, cell in enumerate(nb.cells):
            cell.setdefault("id", hashlib.sha1(f"{n}:{cell.source}".encode()).hexdigest()[:8])
    spec = nb.metadata.get("kernelspec", {})
    if spec.get("name") == KERNELSPEC["name"]:
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        nb.metadata["language_info"] = nbformat.from_dict(LANGUAGE_INFO)
    cells = [c for c in nb.cells if not is_generated(c)]
    taken = {c.get("id") for c in cells if c.get("id")}
    split = []
    for cell in cells:
        split.extend(split_cell(cell, taken) if cell.cell_type == "markdown" else [cell])

    # exercise numbers in the notebook (as jupyterlab-myst and the book count them)
    numbers, n_ex = {}, 0
    for cell in split:
        if cell.cell_type == "markdown":
            for b in top_blocks(cell.source, "exercise"):
                n_ex += 1
                numbers.setdefault(label_of(b), n_ex)

    out, level, pending_end = [], 2, None   # pending_end: the level a solution's collapse needs
    for cell in split:
        text = cell.source if cell.cell_type == "markdown" else ""
        tops = top_blocks(text) if text else []
        first = tops[0] if tops and not "\n".join(text.split("\n")[:tops[0]["start"]]).strip() else None
        if pending_end is not None:
            starts_exercise = first is not None and first["name"] == "exercise"
            own = heading_level(text) if text else 0
            if not starts_exercise and not (own and own <= pending_end):
                out.append(heading_cell("after", pending_end, AFTER_TEXT,
                                        f"{cell.get('id', 'cell')}-lab-after", taken))
            pending_end = None
        if first is not None and first["name"] == "exercise":
            label = label_of(first)
            n = numbers.get(label, 0)
            out.append(heading_cell("exercise", min(level + 2, 5), f"Exercise {n}",
                                    f"{label or cell.get('id', 'cell')}-lab-exercise", taken))
        if first is not None and first["name"] == "solution-start":
            label = label_of(first)
            n = numbers.get(label)
            title = f"Solution to Exercise {n}" if n else f"Solution ({label})"
            out.append(heading_cell("solution", min(level + 3, 6), title,
                                    f"{label or cell.get('id', 'cell')}-lab-solution", taken))
        out.append(cell)
        if text:
            own = heading_level(text)
            if own and not any(b["name"] in ("exercise", "solution-start") for b in tops):
                level = own if own < 5 else level
            for b in blocks(text):
                if b["name"] == "literalinclude":
                    out.append(listing_cell(b, notebook, taken))
            if any(b["name"] == "solution-end" for b in tops):
                pending_end = min(level + 2, 5)
    nb.cells = out
    return nb


def problems(nb, notebook):
    """What is not in the form in notebook ``nb`` (a list of sentences; empty when all is well).

    Checked directly on the cells, not by re-forming: every ``{literalinclude}`` is followed
    (after its cell) by its counterpart code cell with the right source and the tag
    ``remove-cell``; every ``{solution-start}`` comes right after a collapsed heading tagged
    ``remove-cell``, and that heading's collapse ends after the solution's ``{solution-end}``
    and before the next exercise (or whatever follows); every single ``{solution}``
    directive is a closed dropdown.
    """
    found = []
    cells = nb.cells
    open_at = None                            # index of the heading hiding the open solution
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        text = cell.source
        tags = set(cell.metadata.get("tags", []))
        if is_generated(cell) and "remove-cell" not in tags:
            found.append(f"cell {i}: a JupyterLab-only cell without the tag remove-cell")
        # listings
        listings = [b for b in blocks(text) if b["name"] == "literalinclude"]
        follow = []
        for c in cells[i + 1:]:
            if c.cell_type == "code" and TAGS["listing"] in c.metadata.get("tags", []):
                follow.append(c)
            else:
                break
        want = [listing_source(b, notebook) for b in listings]
        have = [c.source for c in follow]
        if want != have:
            found.append(f"cell {i}: its {len(want)} listing(s) need their JupyterLab "
                         f"counterparts right after it (found {len(have)}, or a stale one)")
        for c in follow:
            if "remove-cell" not in c.metadata.get("tags", []):
                found.append(f"cell {i}: a listing counterpart without the tag remove-cell")
        # solutions: the single directive must be a closed dropdown
        for b in blocks(text):
            if b["name"] == "solution" and "dropdown" not in b["options"].get("class", ""):
                found.append(f"cell {i}: a {{solution}} that is not a dropdown (:class: dropdown)")
        # solutions: split markers under a collapsed heading
        level = heading_level(text)
        if open_at is not None and level and level <= heading_level(cells[open_at].source):
            open_at = None                    # this heading ends the collapse
        tops = top_blocks(text)
        for b in tops:
            if b["name"] == "solution-start":
                prev = cells[i - 1] if i else None
                ok = (prev is not None and prev.cell_type == "markdown"
                      and prev.metadata.get(COLLAPSED) is True
                      and "remove-cell" in prev.metadata.get("tags", [])
                      and heading_level(prev.source) > 0 and b is tops[0]
                      and not "\n".join(text.split("\n")[:b["start"]]).strip())
                if not ok:
                    found.append(f"cell {i}: solution {b['arg']!r} does not start right after a "
                                 "collapsed JupyterLab heading (tagged remove-cell)")
                else:
                    open_at = i - 1
            if b["name"] == "exercise" and open_at is not None:
                found.append(f"cell {i}: exercise {b['options'].get('label')!r} is hidden under "
                             "the collapsed heading of the previous solution")
            if b["name"] == "solution-end":
                end_tail = "\n".join(text.split("\n")[b["end"]:]).strip()
                if end_tail:
                    found.append(f"cell {i}: text after a solution-end in the same cell "
                                 "(it is hidden with the solution in JupyterLab)")
        if open_at is not None and any(b["name"] == "solution-end" for b in tops):
            # the solution ends here: the next cell must end the collapse
            level_sol = heading_level(cells[open_at].source)
            nxt = cells[i + 1] if i + 1 < len(cells) else None
            if nxt is not None and not (nxt.cell_type == "markdown"
                                        and 0 < heading_level(nxt.source) < level_sol):
                found.append(f"cell {i + 1}: follows a solution but no heading above the "
                             "solution's level ends its collapse, so JupyterLab hides it")
            open_at = None
    if nb.metadata.get("kernelspec", {}).get("name") == KERNELSPEC["name"]:
        for key, want in (("kernelspec", KERNELSPEC), ("language_info", LANGUAGE_INFO)):
            if nb.metadata.get(key) != want:
                found.append(f"{key} is {nb.metadata.get(key)}, not {want} "
                             "(JupyterLab rewrites it on open)")
    return found


def git_filter(repo=ROOT, python=None):
    """Install nbstripout as the git filter of the repository ``repo`` (local config only).

    Committed notebooks then lose their outputs, execution counts and the metadata JupyterLab
    adds when it runs them (``JUPYTERLAB_ADDS``), whatever was saved; the working copy keeps
    them. Sets ``filter.nbstripout.*`` and ``diff.ipynb.textconv`` in ``.git/config`` and
    adds the two lines to ``.git/info/attributes``; nothing that is committed changes.
    Returns the clean command.
    """
    import shlex
    import subprocess
    repo = Path(repo)
    git_dir = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=repo, capture_output=True,
                             text=True)
    if git_dir.returncode:
        raise ValueError(f"{repo} is not a git repository: {git_dir.stderr.strip()}")
    python = python or sys.executable
    clean = " ".join([shlex.quote(str(python)), "-m", "nbstripout"] + [shlex.quote(a) for a in NBSTRIPOUT_ARGS])
    for key, value in (("filter.nbstripout.clean", clean), ("filter.nbstripout.smudge", "cat"),
                       ("filter.nbstripout.required", "true"), ("diff.ipynb.textconv", clean + " -t")):
        subprocess.run(["git", "config", key, value], cwd=repo, check=True)
    attributes = (repo / git_dir.stdout.strip()) / "info" / "attributes"
    attributes.parent.mkdir(parents=True, exist_ok=True)
    have = attributes.read_text().splitlines() if attributes.exists() else []
    add = [line for line in ("*.ipynb filter=nbstripout", "*.ipynb diff=ipynb") if line not in have]
    if add:
        attributes.write_text("\n".join(have + add) + "\n")
    return clean


def notebooks(paths):
    """Every notebook under the given folders (or the given notebooks), sorted."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.suffix == ".ipynb" and p.exists():
            out.append(p)
        else:
            raise ValueError(f"{p}: not a folder or a notebook")
    return sorted(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "chapters")],
                    help="folders or notebooks (default: chapters/)")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if not in form")
    ap.add_argument("--git-filter", action="store_true",
                    help="only install nbstripout as this repository's git filter (make lab)")
    args = ap.parse_args(argv)
    if args.git_filter:
        try:
            print(f"git filter for *.ipynb: {git_filter()}")
        except ValueError as exc:             # a copy without .git: nothing to commit from
            print(f"no git filter installed: {exc}")
        return 0
    changed, bad = [], []
    for path in notebooks(args.paths):
        nb = nbformat.read(path, as_version=4)
        new = form(nb, path)
        if args.check:
            issues = problems(nb, path)
            if issues or new != nb:
                bad.append(path)
                print(f"{path}: not in the JupyterLab form")
                for s in issues[:10]:
                    print(f"    {s}")
            continue
        if new != nb:
            nbformat.validate(new)
            nbformat.write(new, path)
            changed.append(path)
            print(f"formed {path}")
    if args.check:
        print(f"jupyterlab-form: {len(bad)} notebook(s) not in the form")
        return 1 if bad else 0
    print(f"jupyterlab-form: {len(changed)} notebook(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
