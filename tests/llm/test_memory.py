"""reclib.llm.memory: the allocator switch and the heap release chapter 8 relies on."""
import ctypes.util
import os

import numpy as np
import psutil
import pytest

from reclib.llm import memory


def test_use_system_allocator_sets_tensorflows_switch(monkeypatch):
    monkeypatch.delenv("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", raising=False)
    assert memory.use_system_allocator() == "1"
    assert os.environ["TF_ONEDNN_USE_SYSTEM_ALLOCATOR"] == "1"


@pytest.mark.skipif(memory._LIBC is None, reason="the C library is not glibc")
def test_release_gives_freed_heap_memory_back():
    rss = lambda: psutil.Process().memory_info().rss
    # 40,000 blocks of 8 KB: below malloc's mmap threshold, so they live in the heap and stay
    # mapped after free until the heap is trimmed
    memory.release()  # pages freed by earlier tests would otherwise be reused unseen
    start = rss()
    blocks = [np.ones(1024) for _ in range(40_000)]
    held = rss()
    del blocks[:-1]   # the last block keeps the top of the heap in use: no automatic trim
    before = rss()
    assert memory.release() is True
    after = rss()
    assert held - start > 150e6, "the blocks were not allocated in this process's heap"
    assert before - after > 0.5 * (held - start), (start, held, before, after)
