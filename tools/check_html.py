"""Open every page of the built book in headless Chromium, offline, and check what a reader sees.

Usage: python tools/check_html.py [BUILD_DIR] [--screenshots DIR] [--json FILE]

Each page of BUILD_DIR (default ``_build/html``) is opened over ``file://`` in the system's
Chromium (Debian's ``chromium`` package, driven by Playwright; no browser is downloaded) with
the network blocked: every request that is not ``file://`` is aborted and counted. A page fails
when, after MathJax has finished typesetting and the page has loaded, it shows

- raw TeX delimiters (``\\[``, ``\\(``, ``$$``, ``\\begin{``) in its text outside code blocks,
- unrendered mermaid source (a mermaid block without a drawing, or a diagram that did not load),
  or a diagram whose text is drawn smaller than 11 px,
- a JavaScript error (an uncaught exception or a console error),
- a broken image, or a link to a local file (or an anchor in it) that does not exist,
- a request to the network (a page that still needs a CDN does not work offline),
- (listed, not failed) an output wider than the text column: a table or printed text the
  reader must scroll sideways to see.
- noise in what a cell printed or in the prose (issue 14): a pandas ``dtype:`` footer line (a
  Series displayed as text instead of a table) or a ``WARNING:tensorflow`` line. Code listings
  (a cell's source, ``literalinclude``) are not searched: code may mention both.

A screenshot of each chapter (every page under ``chapters/``) is saved under
``_build/screenshots/``. Without Chromium or Playwright the check says how to install them and
exits 0, except under CI (``CI=true``), where it fails.
"""
import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
INSTALL_HINT = ("install it with: apt-get install -y chromium   (and `pip install -r requirements.txt` "
                "for Playwright); the check uses the system's browser and never downloads one")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MIN_FONT_PX = 11  # a diagram whose text is drawn smaller than this is unreadable (issue 14: 9 px)
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}

# Runs in the page: what a reader sees, counted.
PAGE_PROBE = r"""
() => {
  const SKIP = new Set(["SCRIPT", "STYLE", "PRE", "CODE", "TEXTAREA", "NOSCRIPT", "MJX-CONTAINER",
                        "MJX-ASSISTIVE-MML", "SVG", "MATH"]);
  const rawTex = [];
  const walker = document.createTreeWalker(document.body || document.documentElement,
                                           NodeFilter.SHOW_TEXT);
  const delim = /\\\[|\\\(|\$\$[^$]*\$\$|\$\$|\\begin\{/g;  // one count per formula
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let el = node.parentElement, skip = false;
    for (let p = el; p; p = p.parentElement) {
      if (SKIP.has(p.tagName.toUpperCase()) || (p.classList && p.classList.contains("highlight"))) {
        skip = true; break;
      }
    }
    if (skip) continue;
    const m = node.textContent.match(delim);
    if (m) rawTex.push(...m.map(() => node.textContent.trim().slice(0, 80)));
  }
  const MERMAID_SRC = /^\s*(flowchart|graph|sequenceDiagram|classDiagram|stateDiagram|erDiagram|gantt|pie|journey|mindmap|timeline)\b/;
  const rawMermaid = [];
  document.querySelectorAll(".mermaid").forEach((el) => {
    if (el.tagName.toUpperCase() === "IMG" || el.tagName.toUpperCase() === "OBJECT") return;
    if (!el.querySelector("svg") && MERMAID_SRC.test(el.textContent)) {
      rawMermaid.push(el.textContent.trim().slice(0, 80));
    }
  });
  const diagrams = [];
  document.querySelectorAll('object[type="image/svg+xml"]').forEach((el) => {
    const r = el.getBoundingClientRect();
    diagrams.push({data: el.data, ok: null, width: Math.round(r.width), height: Math.round(r.height),
                   font_px: 0, fallback: (el.textContent || "").trim().slice(0, 80)});
  });
  document.querySelectorAll(".mermaid svg").forEach((svg) => {
    const r = svg.getBoundingClientRect();
    const t = svg.querySelector("text, foreignObject span, .nodeLabel");
    const vb = svg.viewBox && svg.viewBox.baseVal;
    const fs = t ? parseFloat(getComputedStyle(t).fontSize) : 0;
    diagrams.push({ok: true, width: Math.round(r.width), height: Math.round(r.height),
                   font_px: Math.round((vb && vb.width ? fs * r.width / vb.width : fs) * 10) / 10});
  });
  const brokenImages = [];
  document.querySelectorAll("img").forEach((img) => {
    if (!img.complete || img.naturalWidth === 0) brokenImages.push(img.getAttribute("src"));
  });
  const links = [];
  document.querySelectorAll("a[href]").forEach((a) => links.push(a.getAttribute("href")));
  // visible text that is not code: every cell's output, and the prose outside code blocks
  const visible = [];
  document.querySelectorAll(".cell_output").forEach((el) => visible.push(el.innerText));
  const prose = document.createTreeWalker(document.body || document.documentElement,
                                          NodeFilter.SHOW_TEXT);
  for (let node = prose.nextNode(); node; node = prose.nextNode()) {
    let skip = false;
    for (let p = node.parentElement; p; p = p.parentElement) {
      if (SKIP.has(p.tagName.toUpperCase()) || (p.classList && (p.classList.contains("highlight")
          || p.classList.contains("cell_output")))) { skip = true; break; }
    }
    if (!skip && node.textContent.trim()) visible.push(node.textContent);
  }
  // what a cell printed or displayed that is wider than the text column (a reader must
  // scroll sideways to see it): tables and printed text, the outermost wide one of each output
  const column = document.querySelector("article.bd-article") || document.querySelector("main");
  const limit = column ? column.clientWidth : document.documentElement.clientWidth;
  const wide = [];
  document.querySelectorAll(".cell_output").forEach((out) => {
    const el = [...out.querySelectorAll("table, pre")].find((e) => e.scrollWidth > limit + 2);
    if (el) wide.push({tag: el.tagName.toLowerCase(), width: el.scrollWidth, limit,
                       text: el.innerText.trim().replace(/\s+/g, " ").slice(0, 60)});
  });
  return {rawTex, rawMermaid, diagrams, brokenImages, links, visible, wide};
}
"""

# A pandas Series' footer as it prints: "dtype: object", "Name: x, dtype: float64",
# "Length: 9, dtype: int64", "Freq: D, Name: y, dtype: category" (one line of its own).
DTYPE_FOOTER = re.compile(r"^\s*(?:(?:Freq|Name|Length): [^\n]*?, )*dtype: [\w\[\], :/.-]+?\s*$",
                          re.MULTILINE)
TF_WARNING = re.compile(r"^.*WARNING:tensorflow.*$", re.MULTILINE)


def noise_lines(texts):
    """The lines of ``texts`` (a page's visible, non-code text) that are noise:
    ``(dtype_footers, tensorflow_warnings)``, each a list of lines (stripped, cut at 120 chars)."""
    dtype, tf = [], []
    for text in texts:
        dtype += [m.group(0).strip()[:120] for m in DTYPE_FOOTER.finditer(text)]
        tf += [m.group(0).strip()[:120] for m in TF_WARNING.finditer(text)]
    return dtype, tf


# Runs in the document of an <object>'s SVG: is there a drawing, and how big is its text?
SVG_PROBE = r"""
() => {
  const svg = document.documentElement;
  if (!svg || svg.tagName.toLowerCase() !== "svg" || document.querySelector("parsererror")
      || !svg.querySelector("g")) return null;
  const t = svg.querySelector(".nodeLabel, foreignObject span, text");
  const vb = svg.viewBox && svg.viewBox.baseVal;
  return {font: t ? parseFloat(getComputedStyle(t).fontSize) : 0, vbw: vb ? vb.width : 0};
}
"""

WAIT_FOR_MATH = """
() => (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)
      ? window.MathJax.startup.promise.then(() => true) : true
"""


def find_chromium():
    """The system Chromium's path, or None (``CHROMIUM`` overrides the search)."""
    for cand in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and Path(cand).exists():
            return cand
    return None


def launch(playwright, chromium_path, user_data_dir):
    """A headless Chromium context with every non-``file://`` request aborted."""
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=chromium_path, headless=True, args=LAUNCH_ARGS,
        viewport={"width": 1280, "height": 900}, service_workers="block")


def pages_of(build):
    """Every HTML page of the build, outside Sphinx's asset folders, sorted."""
    return sorted(p for p in build.rglob("*.html")
                  if not (set(p.relative_to(build).parts[:-1]) & SKIP_DIRS))


_ids_cache = {}


def _ids(path):
    if path not in _ids_cache:
        text = path.read_text(encoding="utf-8", errors="replace")
        _ids_cache[path] = set(re.findall(r'\bid="([^"]+)"', text)) | set(
            re.findall(r'\bname="([^"]+)"', text))
    return _ids_cache[path]


def broken_links(page_path, hrefs, build):
    """The local links of a page that lead to no file (or to no such anchor in it)."""
    bad = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme and parts.scheme != "file":
            continue  # external: not followed (the book is read offline)
        if href.startswith("#") or not parts.path:
            target = page_path
        elif parts.scheme == "file":
            target = Path(unquote(parts.path))
        else:
            target = (page_path.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            bad.append(href)
            continue
        frag = unquote(parts.fragment)
        if frag and target.suffix == ".html" and frag not in _ids(target):
            bad.append(href)
    return bad


def check_page(context, path, build, screenshot=None, timeout_ms=60000):
    """Open one page offline and return its findings (a dict of lists and counts)."""
    refresh = re.search(r'http-equiv="refresh"[^>]*url=([^"\'>]+)', path.read_text(errors="replace"), re.I)
    if refresh:  # a redirect page (the book's index.html): its target must exist
        return {"page": str(path.relative_to(build)), "raw_tex": 0, "raw_tex_examples": [],
                "raw_mermaid": 0, "raw_mermaid_examples": [], "diagrams": [], "small_diagram_text": [],
                "js_errors": [], "dtype_footers": [], "tf_warnings": [],
                "wide_outputs": [],
                "broken_images": [], "broken_links": broken_links(path, [refresh.group(1).strip()], build),
                "blocked_requests": 0, "blocked_examples": [], "seconds": 0.0}
    page = context.new_page()
    blocked, js_errors, missing, small = [], [], [], []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    def on_console(msg):
        if msg.type != "error":
            return
        text = msg.text
        if text.startswith("Failed to load resource"):
            loc = (msg.location or {}).get("url", "")
            if loc.startswith("file:"):
                missing.append(loc)
            return  # a blocked request: counted in `blocked`
        js_errors.append(text[:200])

    def on_failed(req):
        if req.url.startswith("file:"):
            missing.append(req.url)

    page.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: js_errors.append(f"pageerror: {str(exc)[:200]}"))
    page.on("requestfailed", on_failed)
    t0 = time.perf_counter()
    try:
        page.goto(path.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
        try:
            page.evaluate(WAIT_FOR_MATH)
        except Exception as exc:  # MathJax's own failure is reported by the page's console
            js_errors.append(f"MathJax: {str(exc)[:200]}")
        for frame in page.frames[1:]:  # the diagrams' SVG documents, before measuring them
            frame.wait_for_load_state("load")
        page.wait_for_timeout(300)  # late console errors and diagram layout
        probe = page.evaluate(PAGE_PROBE)
        frames = {f.url: f for f in page.frames[1:]}
        for d in probe["diagrams"]:
            if "data" not in d:
                continue
            frame = frames.get(d.pop("data"))
            fallback = d.pop("fallback")
            info = frame.evaluate(SVG_PROBE) if frame is not None else None
            d["ok"] = bool(info)
            if info:
                d["font_px"] = round(info["font"] * d["width"] / info["vbw"], 1) if info["vbw"] else info["font"]
                if d["font_px"] < MIN_FONT_PX:
                    small.append(d)
            else:
                probe["rawMermaid"].append(fallback)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
    dtype_footers, tf_warnings = noise_lines(probe["visible"])
    return {
        "page": str(path.relative_to(build)),
        "raw_tex": len(probe["rawTex"]), "raw_tex_examples": probe["rawTex"][:3],
        "raw_mermaid": len(probe["rawMermaid"]), "raw_mermaid_examples": probe["rawMermaid"][:2],
        "diagrams": probe["diagrams"], "small_diagram_text": small,
        "js_errors": js_errors, "dtype_footers": dtype_footers, "tf_warnings": tf_warnings,
        "wide_outputs": probe["wide"],
        "broken_images": probe["brokenImages"] + sorted(set(missing)),
        "broken_links": broken_links(path, probe["links"], build),
        "blocked_requests": len(blocked), "blocked_examples": sorted(set(blocked))[:3],
        "seconds": round(time.perf_counter() - t0, 2),
    }


def failures(result):
    """The names of the checks a page's result fails."""
    return [k for k in ("raw_tex", "raw_mermaid", "small_diagram_text", "js_errors", "broken_images",
                        "broken_links", "blocked_requests", "dtype_footers", "tf_warnings")
            if result.get(k)]


def is_chapter(rel):
    return rel.parts[0] == "chapters"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default=str(ROOT / "_build" / "html"))
    ap.add_argument("--screenshots", default=None,
                    help="folder for the chapters' screenshots (default: BUILD/../screenshots)")
    ap.add_argument("--json", default=None, help="write every page's findings to this file")
    ap.add_argument("--no-screenshots", action="store_true")
    ap.add_argument("--only", default="*", help="check only the pages matching this glob")
    ap.add_argument("--allow-js-error", action="append", default=[], metavar="REGEX",
                    help="a known JavaScript error to list but not fail on (repeatable)")
    args = ap.parse_args(argv)
    build = Path(args.build).resolve()
    shots = Path(args.screenshots) if args.screenshots else build.parent / "screenshots"
    strict = os.environ.get("CI", "").lower() in ("1", "true", "yes")

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print(f"check-html: Playwright is not installed; {INSTALL_HINT}")
        return 1 if strict else 0
    chromium = find_chromium()
    if chromium is None:
        print(f"check-html: no Chromium found; {INSTALL_HINT}")
        return 1 if strict else 0
    if not (build / "index.html").exists():
        print(f"check-html: no built book at {build} (run `make book` first)")
        return 1

    import tempfile
    results = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="check-html-") as profile, sync_playwright() as p:
        context = launch(p, chromium, profile)
        try:
            for path in pages_of(build):
                rel = path.relative_to(build)
                if not rel.match(args.only):
                    continue
                shot = None
                if not args.no_screenshots and is_chapter(rel):
                    shot = shots / (str(rel.with_suffix("")).replace(os.sep, "__") + ".png")
                results.append(check_page(context, path, build, shot))
        finally:
            context.close()

    allowed = [re.compile(a) for a in args.allow_js_error]
    for r in results:
        r["allowed_js_errors"] = [e for e in r["js_errors"] if any(a.search(e) for a in allowed)]
        r["js_errors"] = [e for e in r["js_errors"] if e not in r["allowed_js_errors"]]
    bad = 0
    print(f"{'page':44s} {'tex':>4s} {'mmd':>4s} {'js':>3s} {'img':>3s} {'link':>4s} {'net':>4s} "
          f"{'dty':>3s} {'tfw':>3s} {'wide':>4s}  diagrams")
    for r in results:
        fails = failures(r)
        bad += bool(fails)
        diag = " ".join(f"{d['width']}x{d['height']}@{d['font_px']}px" for d in r["diagrams"])
        print(f"{r['page'][:44]:44s} {r['raw_tex']:4d} {r['raw_mermaid']:4d} {len(r['js_errors']):3d} "
              f"{len(r['broken_images']):3d} {len(r['broken_links']):4d} {r['blocked_requests']:4d} "
              f"{len(r['dtype_footers']):3d} {len(r['tf_warnings']):3d} {len(r['wide_outputs']):4d}  {diag}")
        for w in r["wide_outputs"]:
            print(f"    wide output ({w['tag']}, {w['width']} px in a {w['limit']} px column): {w['text']}")
        for k in fails:
            detail = {"raw_tex": r["raw_tex_examples"], "raw_mermaid": r["raw_mermaid_examples"],
                      "blocked_requests": r["blocked_examples"]}.get(k, r[k])
            print(f"    {k}: {json.dumps(detail)[:300]}")
    n_allowed = sum(len(r["allowed_js_errors"]) for r in results)
    if n_allowed:
        print(f"check-html: {n_allowed} allowed JavaScript errors (--allow-js-error): "
              f"{sorted({e for r in results for e in r['allowed_js_errors']})}")
    n_wide = sum(len(r["wide_outputs"]) for r in results)
    print(f"check-html: {n_wide} outputs wider than the text column (listed, not failed)")
    print(f"check-html: {len(results)} pages in {time.perf_counter() - t0:.0f} s, {bad} failing; "
          f"screenshots in {shots}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
