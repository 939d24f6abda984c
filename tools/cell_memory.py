"""Per-cell peak memory of a notebook: ``python tools/cell_memory.py chapters/X.ipynb``.

Runs the notebook in a fresh kernel (nbclient, from its folder, as the book
build does) and after each code cell prints the cell's wall time, the kernel's
resident memory and its peak during the cell (Linux ``VmHWM``, reset before
each cell through ``/proc/<pid>/clear_refs``), so a budget overrun can be traced
to the cell that causes it.
"""
import sys
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient


def _status_mb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def profile(path, timeout=900):
    """Yield (cell index, first line, seconds, RSS MB after, peak MB during) per code cell."""
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            Path(f"/proc/{pid}/clear_refs").write_text("5")   # reset VmHWM to the current RSS
            start = time.perf_counter()
            client.execute_cell(cell, index)
            seconds = time.perf_counter() - start
            children = psutil.Process(pid).children(recursive=True)
            extra = sum(c.memory_info().rss for c in children) / 2 ** 20
            yield (index, cell.source.splitlines()[0] if cell.source else "", seconds,
                   _status_mb(pid, "VmRSS"), _status_mb(pid, "VmHWM"), extra)


if __name__ == "__main__":
    for row in profile(sys.argv[1]):
        index, first, seconds, rss, peak, extra = row
        print(f"[{index:2d}] {seconds:6.1f} s  rss {rss:6.0f} MB  peak {peak:6.0f} MB  "
              f"children {extra:5.0f} MB  {first[:60]}", flush=True)
