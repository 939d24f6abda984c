"""Keep what nbval executed, so the book build does not run every notebook again.

``pytest --nb-cache=DIR`` writes each notebook whose every cell passed under
nbval, with the outputs nbval's kernel produced, into the jupyter-cache at DIR.
``make test`` points it at the book's cache (``_build/.jupyter_cache``), so a
``make book`` right after it renders those very runs (myst-nb matches a notebook
by the hash of its code) instead of executing each notebook a second time. A
notebook that failed, was skipped in part or changed since is not written, and
the book build executes it as before. ``make book`` on its own executes all.
"""
import copy

import pytest

_CELL_OUTCOMES = {}   # nodeid -> list of (phase, outcome, seconds)


def pytest_addoption(parser):
    parser.addoption("--nb-cache", default=None, metavar="DIR",
                     help="write notebooks that passed under nbval, with their outputs, "
                          "into the jupyter-cache at DIR (the book build reads it)")


def pytest_runtest_logreport(report):
    _CELL_OUTCOMES.setdefault(report.nodeid, []).append(
        (report.when, report.outcome, report.duration))


def executed_notebook(nb_file, items):
    """Notebook ``nb_file`` (nbval's IPyNbFile) with its cells' outputs, and its run
    time in seconds; None unless every code cell ran and passed."""
    seconds = 0.0
    for item in items:
        phases = _CELL_OUTCOMES.get(item.nodeid, [])
        outcomes = {when: outcome for when, outcome, _ in phases}
        if outcomes.get("call") != "passed" or set(outcomes.values()) != {"passed"}:
            return None
        seconds += sum(duration for *_, duration in phases)
    nb = copy.deepcopy(nb_file.nb)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    if len(code_cells) != len(items):
        return None
    for number, (cell, item) in enumerate(zip(code_cells, items), start=1):
        outputs = getattr(item, "test_outputs", None)
        if outputs is None:
            return None
        cell.outputs = copy.deepcopy(outputs)
        cell.execution_count = number
        for output in cell.outputs:
            if output.get("output_type") == "execute_result":
                output["execution_count"] = number
    return nb, seconds


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    cache_dir = session.config.getoption("--nb-cache")
    if not cache_dir:
        return
    by_file = {}
    for item in session.items:
        if type(item).__name__ == "IPyNbCell":
            by_file.setdefault(item.parent, []).append(item)
    if not by_file:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(cache_dir)
    written = []
    for nb_file, items in by_file.items():
        result = executed_notebook(nb_file, items)
        if result is None:
            continue
        nb, seconds = result
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, str(nb_file.path), data={"execution_seconds": seconds}),
            check_validity=False, overwrite=True)
        written.append(nb_file.path.name)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(f"--nb-cache: {len(written)} of {len(by_file)} notebooks "
                            f"written to {cache_dir}")
