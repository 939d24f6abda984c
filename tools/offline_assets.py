"""The book's maths and diagrams without a network: local MathJax, diagrams drawn at build time.

``python tools/offline_assets.py`` (run by ``make book`` before the build) copies MathJax 3
from the installed PyPI package ``sphinx-mathjax-offline`` into ``_offline/_static/mathjax/``
(git-ignored; ``html_extra_path`` puts it at ``_static/mathjax/`` of the built book, where
``mathjax_path`` points), and makes sure mermaid's
single-file bundle (``dist/mermaid.min.js`` of the npm package, fetched once with
``npm pack`` into ``$RECLIB_CACHE``, default ``~/.cache/reclib``) is at hand.

``python tools/offline_assets.py mmdc -i IN -o OUT.svg`` is the ``mermaid_cmd`` that
sphinxcontrib-mermaid calls for each diagram (``mermaid_output_format: svg``): it draws the
diagram with that bundle in the system's headless Chromium (Playwright, no browser download)
and writes a standalone SVG sized to fit the diagram, so the page needs no script at all.
Without Chromium it writes an SVG that shows the diagram's source and says how to install
the browser (``apt-get install -y chromium``), so the book still builds.
"""
import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# html_extra_path: copied as is into the built book (Jupyter Book would add every .js file of a
# `_static` folder to every page, so MathJax must not sit in one of the sources)
STATIC = ROOT / "_offline" / "_static"
MERMAID_VERSION = "11.12.1"   # the version sphinxcontrib-mermaid 2.1.1 uses by default
CACHE = Path(os.environ.get("RECLIB_CACHE", Path.home() / ".cache" / "reclib"))
MERMAID_JS = CACHE / f"mermaid-{MERMAID_VERSION}" / "mermaid.min.js"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGE_WIDTH = 720  # px: the book theme's text column at a 1280 px window (a diagram never overflows it)


def mathjax_source():
    """The ``static/mathjax`` folder of the installed ``sphinx-mathjax-offline`` package."""
    try:
        dist = metadata.distribution("sphinx-mathjax-offline")
    except metadata.PackageNotFoundError:
        raise SystemExit("offline_assets: the package sphinx-mathjax-offline is not installed "
                         "(pip install -r requirements.txt)")
    folder = Path(dist.locate_file("sphinx-mathjax-offline/static/mathjax"))
    if not (folder / "tex-chtml.js").exists():
        raise SystemExit(f"offline_assets: no tex-chtml.js in {folder}")
    return folder


def copy_mathjax(dest=STATIC / "mathjax"):
    """Copy MathJax 3 (tex-chtml and the components it loads on demand) into ``dest``."""
    src = mathjax_source()
    if (dest / "tex-chtml.js").exists() and \
            (dest / "tex-chtml.js").stat().st_size == (src / "tex-chtml.js").stat().st_size:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    return dest


def fetch_mermaid(path=MERMAID_JS):
    """``mermaid.min.js`` (an IIFE bundle: it loads over ``file://``), from the npm registry once."""
    if path.exists():
        return path
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (apt-get install -y npm), needed once to fetch "
                           f"mermaid@{MERMAID_VERSION}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", f"mermaid@{MERMAID_VERSION}", "--pack-destination", tmp,
                        "--silent"], check=True, stdout=subprocess.DEVNULL)
        tgz = next(Path(tmp).glob("mermaid-*.tgz"))
        with tarfile.open(tgz) as tar:
            member = tar.extractfile("package/dist/mermaid.min.js")
            path.write_bytes(member.read())
    return path


def find_chromium():
    for cand in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if cand and Path(cand).exists():
            return cand
    return None


RENDER = """
async (code) => {
  mermaid.initialize({startOnLoad: false, securityLevel: "strict", theme: "default",
                      fontSize: 16, flowchart: {htmlLabels: true, useMaxWidth: false}});
  const {svg} = await mermaid.render("diagram", code);
  // mermaid writes HTML labels (<br>): serialise them as XML, for a standalone SVG file
  const holder = document.createElement("div");
  holder.innerHTML = svg;
  return new XMLSerializer().serializeToString(holder.querySelector("svg"));
}
"""


def natural_size(svg):
    """(width, height) of an SVG from its viewBox, or None."""
    m = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"', svg)
    return (float(m.group(3)), float(m.group(4))) if m else None


def fit(svg):
    """Give the SVG a fixed size: its natural size (16 px text), shrunk to fit the text column."""
    size = natural_size(svg)
    if size is None:
        return svg
    w, h = size
    scale = min(1.0, PAGE_WIDTH / w)
    head_end = svg.index(">")
    head = svg[:head_end]
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    head = re.sub(r'\sstyle="[^"]*"', "", head)
    head += f' width="{w * scale:.0f}" height="{h * scale:.0f}"'
    return head + svg[head_end:]


def render_svg(code):
    """The SVG of one mermaid diagram, drawn in headless Chromium with the local bundle."""
    from playwright.sync_api import sync_playwright
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("no Chromium")
    js = fetch_mermaid()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", lambda r: r.abort() if not r.request.url.startswith(
                ("file:", "data:", "about:")) else r.continue_())
            page.set_content("<!doctype html><html><body></body></html>")
            page.add_script_tag(path=str(js))
            svg = page.evaluate(RENDER, code)
            # a left-to-right chain too wide for the page would shrink its text below
            # readability (the 9 px text of issue 14): drawn top-down, it keeps 16 px
            lr = re.match(r"\s*(flowchart|graph)\s+(LR|RL)\b", code)
            if lr and natural_size(svg) and natural_size(svg)[0] > PAGE_WIDTH:
                tb = page.evaluate(RENDER, code[:lr.start(2)] + "TB" + code[lr.end(2):])
                if natural_size(tb) and natural_size(tb)[0] < natural_size(svg)[0]:
                    svg = tb
        finally:
            browser.close()
    if not svg.lstrip().startswith("<svg"):
        raise RuntimeError("mermaid returned no SVG")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + fit(svg)


def source_svg(code, why):
    """A stand-in SVG that shows the diagram's source (when no browser can draw it)."""
    lines = [f"diagram not drawn ({why}): apt-get install -y chromium, then rebuild"] + \
        code.strip().splitlines()
    height = 20 * len(lines) + 20
    width = max(len(line) for line in lines) * 8 + 20
    texts = "".join(f'<text x="10" y="{20 * (i + 1)}">{html.escape(line)}</text>'
                    for i, line in enumerate(lines))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="monospace" font-size="13">{texts}</svg>\n')


def mmdc(argv):
    """The subset of mermaid-cli's interface that sphinxcontrib-mermaid uses: -i IN -o OUT."""
    ap = argparse.ArgumentParser(prog="offline_assets.py mmdc")
    ap.add_argument("-i", "--input", required=True)
    ap.add_argument("-o", "--output", required=True)
    args, _ = ap.parse_known_args(argv)
    code = Path(args.input).read_text(encoding="utf-8")
    try:
        svg = render_svg(code)
    except ImportError:
        print("offline_assets: Playwright is missing; the diagram is shown as source",
              file=sys.stderr)
        svg = source_svg(code, "no Playwright")
    except RuntimeError as exc:
        print(f"offline_assets: {exc}; the diagram is shown as source", file=sys.stderr)
        svg = source_svg(code, str(exc))
    Path(args.output).write_text(svg, encoding="utf-8")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "mmdc":
        return mmdc(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args(argv)
    dest = copy_mathjax()
    (ROOT / "_offline" / ".gitignore").write_text("# made by tools/offline_assets.py\n*\n")
    print(f"offline_assets: MathJax -> {dest.relative_to(ROOT)}")
    try:
        print(f"offline_assets: mermaid bundle -> {fetch_mermaid()}")
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"offline_assets: mermaid bundle not available ({exc}); diagrams will show "
              "their source", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
