"""Measure each notebook's wall time and peak memory: ``make bench`` (after
``tools/bench_mf.py``, the MF speed benchmark).

Each notebook runs in its own process (through nbval, as in ``make test``).
Two peaks are reported: the largest single process (``ru_maxrss`` from the
OS: the Jupyter kernel, for most chapters), and the whole process tree
(kernel, a Spark driver JVM and its Python workers, ...) sampled every 0.2 s
as proportional set size, so pages the processes share count once.
"""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def _tree_pss_mb(root):
    """Proportional set size of ``root`` and all its descendants, in MB."""
    total = 0
    for p in [root, *root.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total / 2 ** 20


def run(notebook, interval=0.2):
    """Run one notebook under nbval; return (seconds, largest process MB, tree PSS MB, passed)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "--nbval-lax", "-q",
                             "-p", "no:cacheprovider", str(notebook)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root, peak_tree, done = psutil.Process(proc.pid), [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak_tree[0] = max(peak_tree[0], _tree_pss_mb(root))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # wait4 reports the largest of the child and the descendants it waited
    # for (the Jupyter kernel), in kilobytes on Linux
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return seconds, usage.ru_maxrss / 1024, peak_tree[0], status == 0


def bench(notebooks=None):
    """Run each notebook and return rows (name, seconds, process MB, tree MB, passed)."""
    notebooks = notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    for nb in notebooks:
        seconds, process_mb, tree_mb, passed = run(nb)
        rows.append((nb.name, seconds, process_mb, tree_mb, passed))
        print(f"{nb.name:<32} {seconds:7.1f} s  largest process {process_mb:6.0f} MB  "
              f"process tree {tree_mb:6.0f} MB (PSS)  {'ok' if passed else 'FAILED'}  "
              f"load {os.getloadavg()[0]:.2f}", flush=True)
    return rows


if __name__ == "__main__":
    bench([Path(p) for p in sys.argv[1:]] or None)
