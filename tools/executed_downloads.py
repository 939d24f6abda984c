"""Make the book's "download .ipynb" button give the *executed* notebooks.

Jupyter Book 1 copies each page's source into ``_build/html/_sources/``, and the
book's sources are stored with outputs stripped, so a reader who downloads a
chapter would get no outputs. (``_build/jupyter_execute/`` does not help: for a
notebook taken from the execution cache, myst-nb 1.4 writes the unexecuted copy
there.) The build's jupyter-cache holds each notebook's outputs; this script,
run by ``make book`` after the build, merges them into each download copy and
fails if a notebook has no cached execution.

    python tools/executed_downloads.py [_build]
"""
import sys
from pathlib import Path

import nbformat
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[1]


def replace_sources(build, root=ROOT):
    """Write each downloadable notebook with its cached outputs; return the count."""
    build = Path(build)
    sources = build / "html" / "_sources"
    notebooks = sorted(sources.rglob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no notebooks under {sources}: build the book first (make book)")
    cache = get_cache(str(build / ".jupyter_cache"))
    for copy in notebooks:
        source = root / copy.relative_to(sources)
        try:
            _, executed = cache.merge_match_into_file(str(source))
        except KeyError:
            raise SystemExit(f"{source.relative_to(root)}: no execution in the build's cache "
                             f"(was it built with execute_notebooks: cache?)") from None
        code = [c for c in executed.cells if c.cell_type == "code"]
        if code and not any(c.get("outputs") for c in code):
            raise SystemExit(f"{source.relative_to(root)}: the cached execution has no outputs")
        nbformat.write(executed, copy)
    return len(notebooks)


if __name__ == "__main__":
    n = replace_sources(sys.argv[1] if len(sys.argv) > 1 else "_build")
    print(f"{n} notebooks offered for download with their outputs")
