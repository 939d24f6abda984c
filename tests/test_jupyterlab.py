"""The notebooks in JupyterLab (issue 14): the form of tools/jupyterlab_form.py on every
notebook, the tool itself on small notebooks, the pinned JupyterLab and jupyterlab-myst,
nbstripout keeping the form, and one chapter opened in JupyterLab in headless Chromium.

The browser test starts JupyterLab on a copy of one chapter (loopback only, every other
request blocked), opens it in the system's Chromium (Playwright, no browser download) and
checks what a reader sees: opening the notebook changes nothing in it, a listing's cell
shows the listed code when run, and every solution is a closed heading with its cells
hidden while every exercise stays visible. Screenshots go to _build/screenshots/jupyterlab/.
It skips, saying how to install the browser, when Chromium or Playwright is missing.
"""
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import jupyterlab_form as jf  # noqa: E402

NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
SHOTS = ROOT / "_build" / "screenshots" / "jupyterlab"


def md(source, **meta):
    return nbformat.v4.new_markdown_cell(source, metadata=meta)


def code(source, **meta):
    return nbformat.v4.new_code_cell(source, metadata=meta)


def notebook(*cells):
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    nb.cells = list(cells)
    return nb


# the layout chapter 1 has: one markdown cell ends a solution, asks the next exercise and
# opens its solution; a listing sits in the middle of a cell
EXERCISES = notebook(
    md("# A chapter\n\nText.\n\n```{literalinclude} ../reclib/protocol.py\n:pyobject: top_k_lists\n"
       "```\n\nMore text after the listing."),
    code("x = 1"),
    md("## Exercises\n\n```{exercise}\n:label: t-ex1\nQ1\n```\n\n```{solution-start} t-ex1\n"
       ":class: dropdown\n```"),
    code("assert x == 1"),
    md("```{solution-end}\n```\n\n````{exercise}\n:label: t-ex2\nQ2\n````\n\n"
       "```{solution-start} t-ex2\n:class: dropdown\n```"),
    code("assert x + 1 == 2"),
    md("A2 in prose.\n\n```{solution-end}\n```\n\nA closing paragraph."),
    code("print('the end')"),
)


# ------------------------------------------------------------ every notebook of the book

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "chapters")))
def test_notebook_is_in_the_jupyterlab_form(path):
    """Every listing has its JupyterLab counterpart and every solution is closed in
    JupyterLab; forming it again changes nothing. Fix: python tools/jupyterlab_form.py"""
    nb = nbformat.read(path, as_version=4)
    assert jf.problems(nb, path) == [], "run: python tools/jupyterlab_form.py"
    assert jf.form(nb, path) == nb, "run: python tools/jupyterlab_form.py"


def test_every_listing_of_the_book_has_one_counterpart():
    listings = counterparts = 0
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                listings += sum(b["name"] == "literalinclude" for b in jf.blocks(cell.source))
            counterparts += jf.TAGS["listing"] in cell.metadata.get("tags", [])
    assert listings >= 20                    # the book shows reclib's code in ~26 places
    assert counterparts == listings


# ------------------------------------------------------------ the tool, on small notebooks

def test_form_splits_cells_at_the_markers_and_adds_the_jupyterlab_cells():
    out = jf.form(EXERCISES, ROOT / "chapters" / "x.ipynb")
    kinds = []
    for c in out.cells:
        tags = c.metadata.get("tags", [])
        kind = next((k for k, t in jf.TAGS.items() if t in tags), None)
        kinds.append(kind or c.source.split("\n")[0][:18])
    assert kinds == [
        "# A chapter", "listing", "More text after th", "x = 1", "## Exercises",
        "exercise", "```{exercise}", "solution", "```{solution-start", "assert x == 1",
        "```{solution-end}", "exercise", "````{exercise}", "solution", "```{solution-start",
        "assert x + 1 == 2", "A2 in prose.", "after", "A closing paragrap", "print('the end')"]
    listing = out.cells[1]
    assert listing.cell_type == "code" and "remove-cell" in listing.metadata["tags"]
    assert listing.source.endswith("import reclib.protocol\nreclib.protocol.top_k_lists??")
    assert out.cells[0].source.endswith("```")          # the listing ends its cell
    sol = out.cells[7]
    assert sol.source == "##### Solution to Exercise 1" and sol.metadata[jf.COLLAPSED] is True
    assert out.cells[5].source == "#### Exercise 1"
    assert out.cells[17].source == "#### After the exercises"
    assert all("remove-cell" in c.metadata["tags"] for c in out.cells if jf.is_generated(c))
    assert out.metadata.kernelspec == jf.KERNELSPEC and out.metadata.language_info == jf.LANGUAGE_INFO
    nbformat.validate(out)
    assert len({c.id for c in out.cells}) == len(out.cells)
    # the book's text is all there, in order, once
    book = lambda nb: "\n".join(c.source for c in nb.cells if not jf.is_generated(c))  # noqa: E731
    assert book(out).split() == book(EXERCISES).split()
    assert jf.problems(out, ROOT / "chapters" / "x.ipynb") == []


def test_form_is_idempotent_and_repairs_an_opened_solution():
    path = ROOT / "chapters" / "x.ipynb"
    once = jf.form(EXERCISES, path)
    assert jf.form(once, path) == once
    opened = nbformat.from_dict(once)
    del opened.cells[7].metadata[jf.COLLAPSED]          # a reader opened it and saved
    assert any("solution 't-ex1'" in p for p in jf.problems(opened, path))
    assert jf.form(opened, path) == once


def test_problems_name_what_is_missing():
    path = ROOT / "chapters" / "x.ipynb"
    found = jf.problems(EXERCISES, path)
    assert any("listing(s) need their JupyterLab counterparts" in p for p in found)
    assert sum("does not start right after a collapsed" in p for p in found) == 2
    assert any("kernelspec" in p for p in found)
    stale = jf.form(EXERCISES, path)
    stale.cells[1].source = stale.cells[1].source.replace("top_k_lists", "old_name")
    assert any("stale" in p for p in jf.problems(stale, path))
    no_after = jf.form(EXERCISES, path)
    del no_after.cells[17]                              # the closing paragraph would hide
    assert any("JupyterLab hides it" in p for p in jf.problems(no_after, path))
    single = notebook(md("````{solution} t-1\nA model answer.\n````"))
    assert any("not a dropdown" in p for p in jf.problems(single, path))


def test_listing_without_an_object_shows_the_whole_file():
    (block,) = jf.blocks("```{literalinclude} ../data/README.md\n:lines: 1-5\n```")
    source = jf.listing_source(block, ROOT / "chapters" / "x.ipynb")
    assert source.splitlines()[-1] == "%pycat ../data/README.md"
    assert ":lines: 1-5" in source


def test_blocks_read_nested_fences_and_code():
    text = ("````{exercise}\n:label: a\n```python\n```{solution-start} not-a-marker\n```\n````\n"
            "```{solution-start} b\n:class: dropdown\n```\n")
    found = [(b["name"], b["depth"], b["start"], b["end"]) for b in jf.blocks(text)]
    assert found == [("exercise", 0, 0, 6), (None, 1, 2, 5), ("solution-start", 0, 6, 9)]
    assert jf.blocks("```{literalinclude} x.py\n:pyobject: f\n```")[0]["options"] == {"pyobject": "f"}
    assert jf.heading_level("```\n# not a heading\n```\n\n### A heading") == 3
    assert jf.heading_level("no heading") == 0


def test_bad_input_is_refused():
    with pytest.raises(TypeError, match="NotebookNode"):
        jf.form({"cells": []}, "x.ipynb")
    with pytest.raises(TypeError, match="markdown text"):
        jf.blocks(None)
    with pytest.raises(ValueError, match="without a file name"):
        jf.listing_source(jf.blocks("```{literalinclude}\n```")[0], "x.ipynb")
    with pytest.raises(ValueError, match="not a Python name"):
        jf.listing_source(jf.blocks("```{literalinclude} ../reclib/protocol.py\n:pyobject: a b\n```")[0],
                          ROOT / "chapters" / "x.ipynb")
    with pytest.raises(ValueError, match="not a folder or a notebook"):
        jf.notebooks([ROOT / "no-such-folder"])


def test_the_command_forms_a_folder_once_and_checks_it(tmp_path, capsys):
    folder = tmp_path / "chapters"
    folder.mkdir()
    nbformat.write(EXERCISES, folder / "x.ipynb")
    assert jf.main([str(folder), "--check"]) == 1
    assert jf.main([str(folder)]) == 0
    first = (folder / "x.ipynb").read_text()
    assert jf.main([str(folder)]) == 0 and (folder / "x.ipynb").read_text() == first
    assert jf.main([str(folder), "--check"]) == 0
    assert "0 notebook(s) changed" in capsys.readouterr().out


def _student_tool():
    spec = importlib.util.spec_from_file_location("student_tool", ROOT / "tools" / "student.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_student_edition_drops_the_solution_headings_with_the_solutions():
    """A student's notebook keeps the exercise headings but not the collapsed solution
    headings (they would fold the student's answer cell away)."""
    student = _student_tool()
    out, labels = student.student_notebook(jf.form(EXERCISES, ROOT / "chapters" / "x.ipynb"), {})
    assert labels == ["t-ex1", "t-ex2"]
    tags = [t for c in out.cells for t in c.metadata.get("tags", [])]
    assert jf.TAGS["solution"] not in tags, "tools/student.py must drop the solution headings"
    assert tags.count(jf.TAGS["exercise"]) == 2


# ------------------------------------------------------------ pins and nbstripout

def test_jupyterlab_and_jupyterlab_myst_declare_each_other_compatible():
    exe = Path(sys.executable).with_name("jupyter-labextension")
    if not exe.exists():
        pytest.skip("jupyterlab is not installed in this environment (requirements.txt)")
    out = subprocess.run([str(exe), "list"], capture_output=True, text=True, timeout=120)
    text = out.stdout + out.stderr
    line = next((l for l in text.splitlines() if "jupyterlab-myst" in l and " v" in l), "")
    assert line, text
    assert "OK" in line and "is not compatible" not in text, text


def ran_in_jupyterlab(nb):
    """``nb`` as JupyterLab saves it after running every cell."""
    run = nbformat.from_dict(nb)
    run.metadata.kernelspec.display_name = "Python 3 (ipykernel)"
    run.metadata.language_info.update({          # what ipykernel 7 reports
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": "3.11.7"})
    for c in run.cells:
        if c.cell_type == "code":
            c.execution_count = 3
            c.outputs = [nbformat.v4.new_output("stream", name="stdout", text="printed\n")]
            c.metadata["execution"] = {"iopub.status.busy": "2026-12-01T00:00:00"}
    return run


def nbstripout(*args, **kw):
    pytest.importorskip("nbstripout", reason="nbstripout is not installed (requirements.txt)")
    return subprocess.run([sys.executable, "-m", "nbstripout", *jf.NBSTRIPOUT_ARGS, *args],
                          capture_output=True, text=True, timeout=120, **kw)


def test_the_commit_filter_strips_a_run_and_keeps_the_form():
    """nbstripout with the filter's options takes out outputs, counts, timings and the
    language_info JupyterLab adds, and keeps cell ids, tags and the collapsed headings."""
    formed = jf.form(EXERCISES, ROOT / "chapters" / "x.ipynb")
    out = nbstripout("-t", input=nbformat.writes(ran_in_jupyterlab(formed)), check=True)
    assert nbformat.reads(out.stdout, as_version=4) == formed


def test_the_commit_filter_leaves_every_notebook_of_the_book_as_it_is():
    out = nbstripout("--verify", *map(str, NOTEBOOKS))
    assert out.returncode == 0, out.stdout + out.stderr


def test_git_filter_installs_nbstripout_for_commits(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    pytest.importorskip("nbstripout", reason="nbstripout is not installed (requirements.txt)")
    with pytest.raises(ValueError, match="not a git repository"):
        jf.git_filter(tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    jf.git_filter(tmp_path)
    jf.git_filter(tmp_path)                   # twice: the attributes are not repeated
    attributes = (tmp_path / ".git" / "info" / "attributes").read_text().splitlines()
    assert attributes == ["*.ipynb filter=nbstripout", "*.ipynb diff=ipynb"]
    formed = jf.form(EXERCISES, ROOT / "chapters" / "x.ipynb")
    nbformat.write(ran_in_jupyterlab(formed), tmp_path / "x.ipynb")
    subprocess.run(git + ["add", "x.ipynb"], cwd=tmp_path, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "x"], cwd=tmp_path, check=True)
    committed = subprocess.run(["git", "show", "HEAD:x.ipynb"], cwd=tmp_path, check=True,
                               capture_output=True, text=True).stdout
    assert nbformat.reads(committed, as_version=4) == formed
    assert "printed" in (tmp_path / "x.ipynb").read_text()   # the working copy keeps its run


# ------------------------------------------------------------ one chapter in JupyterLab

def _chromium():
    try:
        import check_html
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        return None, "Playwright is not installed (pip install -r requirements.txt)"
    path = check_html.find_chromium()
    if path is None:
        return None, "no Chromium: install it with apt-get install -y chromium"
    return path, ""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chapter_to_open():
    """The first chapter with a listing and a solution."""
    for path in NOTEBOOKS:
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        if "{literalinclude}" in text and "{solution-start}" in text:
            return path
    pytest.skip("no chapter with both a listing and a solution")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a copy of one chapter; yields (url, chromium, chapter, its copy)."""
    chromium, why = _chromium()
    if chromium is None:
        pytest.skip(why)
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.skip("jupyterlab is not installed (requirements.txt)")
    tmp = tmp_path_factory.mktemp("lab")
    src = _chapter_to_open()
    (tmp / "chapters").mkdir()
    copy = tmp / "chapters" / src.name
    shutil.copy2(src, copy)
    config = tmp / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(   # no news pop-up
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    # every cell in the page at once (by default JupyterLab attaches far cells when idle,
    # which takes half a minute on a busy machine); what the cells show is the same
    tracker = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(tmp / "run"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"), IPYTHONDIR=str(tmp / "ipython"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               KERAS_BACKEND="numpy")   # the listing's import needs no TensorFlow
    port = _free_port()
    log = open(tmp / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={tmp}",
         "--LabApp.news_url=None", "--LabApp.expose_app_in_browser=True",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start: "
                                       + (tmp / "lab.log").read_text()[-2000:])
                time.sleep(0.3)
        yield url, chromium, src, copy
    finally:
        proc.send_signal(signal.SIGTERM)     # the server shuts its kernel down
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


# Runs in JupyterLab's page: the cells of the open notebook as the reader sees them.
CELLS = """
() => window.jupyterapp.shell.currentWidget.content.widgets.map((w) => ({
  tags: w.model.getMetadata('tags') || [],
  type: w.model.type,
  hidden: w.isHidden,
  collapsed: w.model.type === 'markdown' ? w.headingCollapsed : null,
  button: (w.node.querySelector('.jp-showHiddenCellsButton') || {}).textContent || '',
  source: w.model.sharedModel.getSource(),
  text: w.node.innerText.slice(0, 2000),
}))
"""
# Runs in JupyterLab's page: scrolls cell i to the top and says when the markdown cells in
# view are drawn (JupyterLab draws cells lazily as they come into view).
SCROLL = """(i) => window.jupyterapp.shell.currentWidget.content.widgets[i]
  .node.scrollIntoView({block: 'start'})"""
DRAWN = """
() => { const nb = window.jupyterapp.shell.currentWidget.content;
  return nb.widgets.every((w) => { if (!w.node.isConnected) return false;
    if (w.model.type !== 'markdown' || w.isHidden) return true;
    const r = w.node.getBoundingClientRect();
    if (r.bottom < 0 || r.top > window.innerHeight) return true;
    const editor = w.node.querySelector('.cm-editor');   // a cell not yet drawn shows its source
    return w.rendered && !(editor && editor.getBoundingClientRect().height > 0); }); }
"""
READY = """
() => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;
  return !!(p && p.context && p.context.isReady && k && k.status === 'idle'); }
"""


def test_a_chapter_in_jupyterlab_shows_its_listing_and_closed_solutions(lab):
    from playwright.sync_api import sync_playwright
    import check_html
    url, chromium, src, copy = lab
    nb = nbformat.read(src, as_version=4)
    assert jf.problems(nb, src) == [], "run: python tools/jupyterlab_form.py"
    SHOTS.mkdir(parents=True, exist_ok=True)
    blocked = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=check_html.LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})

            def route(r):
                if r.request.url.startswith(url):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()
            page.route("**/*", route)
            page.goto(f"{url}/lab/tree/chapters/{copy.name}", wait_until="load", timeout=120000)
            page.wait_for_function(READY, timeout=120000, polling=250)
            page.wait_for_function(DRAWN, timeout=120000, polling=250)
            page.wait_for_timeout(1500)          # what JupyterLab does once the kernel is there
            # opened and saved, the notebook differs only by the language_info fields JupyterLab
            # fills in, which the commit filter strips (it used to rewrite the kernelspec too)
            page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:save'); }")
            page.wait_for_timeout(1000)
            saved = nbformat.read(copy, as_version=4)
            added = {k: saved.metadata.language_info.pop(k) for k in jf.JUPYTERLAB_ADDS
                     if k in saved.metadata.get("language_info", {})}
            assert saved == nb, "opening the notebook in JupyterLab changed more than language_info"
            if importlib.util.find_spec("nbstripout"):
                out = nbstripout("-t", str(copy), check=True)
                assert out.stdout == src.read_text(), \
                    f"the commit filter does not undo what JupyterLab wrote ({sorted(added)})"

            # a listing: its cell shows the listed code when run
            cells = page.evaluate(CELLS)
            assert len(cells) == len(nb.cells)
            i = next(n for n, c in enumerate(cells) if jf.TAGS["listing"] in c["tags"])
            obj = nb.cells[i].source.splitlines()[-1].rstrip("?").rsplit(".", 1)[-1]
            page.evaluate("""async (i) => { const nb = window.jupyterapp.shell.currentWidget.content;
                nb.widgets[i].node.scrollIntoView({block: 'start'}); nb.activeCellIndex = i;
                await window.jupyterapp.commands.execute('notebook:run-cell'); }""", i)
            out = page.locator(".jp-Notebook .jp-Cell").nth(i).locator(".jp-OutputArea-output")
            out.first.wait_for(state="visible", timeout=120000)
            for _ in range(2):
                page.evaluate(SCROLL, i)
                page.wait_for_function(DRAWN, timeout=60000, polling=250)
                page.wait_for_timeout(700)
            page.screenshot(path=str(SHOTS / f"{src.stem}_listing.png"))
            shown = out.first.inner_text()
            assert "Source:" in shown and (f"def {obj}(" in shown or f"class {obj}" in shown), shown[:500]
            box = out.first.bounding_box()           # in view, in the screenshot, and long
            assert box["height"] > 100 and box["y"] < 1000 and box["y"] + box["height"] > 0, box

            # the solutions: each a closed heading, its cells hidden, the exercises visible
            cells = page.evaluate(CELLS)
            heads = [n for n, c in enumerate(cells) if jf.TAGS["solution"] in c["tags"]]
            assert heads, "no solution heading"
            for h in heads:
                end = next(n for n in range(h + 1, len(nb.cells))
                           if nb.cells[n].cell_type == "markdown" and "{solution-end}" in nb.cells[n].source)
                assert cells[h]["collapsed"] is True and not cells[h]["hidden"]
                assert cells[h]["source"].lstrip("#").strip().startswith("Solution to Exercise")
                assert f"{end - h} cells hidden" in cells[h]["button"], cells[h]["button"]
                assert all(c["hidden"] for c in cells[h + 1:end + 1]), f"solution at cell {h} is open"
                assert not cells[h - 1]["hidden"]                     # the exercise itself
                if end + 1 < len(cells):
                    assert not cells[end + 1]["hidden"]               # what follows the solution
            ex = [n for n, c in enumerate(cells) if jf.TAGS["exercise"] in c["tags"]]
            assert all(not cells[n]["hidden"] and not cells[n + 1]["hidden"] for n in ex)
            for _ in range(2):                   # drawing the cells above moves the one we want
                page.evaluate(SCROLL, ex[0] - 1)
                page.wait_for_function(DRAWN, timeout=60000, polling=250)
                page.wait_for_timeout(700)
            page.screenshot(path=str(SHOTS / f"{src.stem}_exercises.png"))
            cells = page.evaluate(CELLS)        # drawn now that they are in view
            assert "Exercise" in cells[ex[0] + 1]["text"]           # jupyterlab-myst drew the box
            assert "cells hidden" in cells[heads[0]]["text"]
        finally:
            browser.close()
    assert blocked == [], f"JupyterLab asked the network for {blocked[:3]}"
