"""Measure each notebook's wall time and peak memory: ``make bench`` (after
``tools/bench_mf.py``, the MF speed benchmark).

Each notebook runs in its own process (through nbval, as in ``make test``);
the peak resident memory of that process tree is read from the OS.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench(notebooks=None):
    """Run each notebook and return rows (name, seconds, peak MB, passed)."""
    notebooks = notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    rows = []
    for nb in notebooks:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "pytest", "--nbval-lax", "-q",
                                 "-p", "no:cacheprovider", str(nb)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        # wait4 reports the largest of the child and the descendants it waited
        # for (the Jupyter kernel), in kilobytes on Linux
        peak = usage.ru_maxrss
        rows.append((nb.name, seconds, peak / 1024, status == 0))
        print(f"{nb.name:<32} {seconds:7.1f} s {peak / 1024:8.0f} MB  "
              f"{'ok' if status == 0 else 'FAILED'}", flush=True)
    return rows


if __name__ == "__main__":
    bench([Path(p) for p in sys.argv[1:]] or None)
