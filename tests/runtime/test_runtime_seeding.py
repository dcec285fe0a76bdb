"""Seeding (runtime/process/init_linux.c, seed_executable_data): the executable's data is in the mirror at main,
without making zero pages resident; and where the runtime keeps its own state."""

from __future__ import annotations

import ctypes
import mmap
import os
from pathlib import Path

import pytest
from runtime_support import needs_fsgsbase, run, values

PAGE_SIZE = 4096


def page_cache_pages(path: Path) -> int:
    """How many of the file's pages are in the page cache: mincore on a mapping nobody touched."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long,
    ]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = path.stat().st_size
    pages = (size + PAGE_SIZE - 1) // PAGE_SIZE
    vector = (ctypes.c_ubyte * pages)()
    with path.open("rb") as f:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_PRIVATE, f.fileno(), 0)
        assert address not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
        try:
            assert libc.mincore(address, size, vector) == 0, os.strerror(ctypes.get_errno())
        finally:
            libc.munmap(address, size)
    return sum(v & 1 for v in vector)


def evict_from_page_cache(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())  # dirty pages cannot be dropped
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


@needs_fsgsbase  # the program also checks mirrored writes with %gs stores
def test_initialized_data_is_mirrored_at_main(build):
    result = run(build("data_seeded.c"))
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    # Initialized data, loader-relocated data and RELRO data all agree with their mirror.
    assert seen["table"] == "0"
    assert seen["counter"] == "0"
    assert seen["self_pointer"] == "0"
    assert seen["names"] == "0"
    # Four native-only writes, one of which stores the value already there: three bytes differ.
    assert seen["after_writes"] == "3"
    assert seen["after_mirroring"] == "0"


def test_zero_pages_do_not_become_resident_in_the_mirror(build):
    result = run(build("bss_not_resident.c"))
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["big_bss_native_resident"] == "0"
    assert seen["big_bss_mirror_resident"] == "0"
    # Of the 64 pages of the mostly-zero initialized array only the first holds data.
    assert seen["sparse_data_mirror_resident"] == "1"
    assert seen["sparse_data_diff"] == "0"


def test_state_lives_in_its_section_and_lists_the_seeded_ranges(build):
    result = run(build("state.c"))
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["state_in_section"] == "1"
    assert seen["initialized"] == "1"
    assert 1 <= int(seen["seeded_count"]) <= 8
    assert "page_aligned=0" not in result.stdout
    assert seen["data_seeded"] == "1"
    assert seen["bss_seeded"] == "1"
    assert seen["stack_seeded"] == "0"


def test_data_pages_missing_from_the_page_cache_are_still_seeded(build):
    # A .data page that is not resident is not zero: its content waits in the file. Seeding must read
    # it, not skip it as it skips untouched .bss pages.
    binary = build("data_cold.c")
    evict_from_page_cache(binary)
    cached = page_cache_pages(binary)
    total = binary.stat().st_size // PAGE_SIZE
    if cached > total // 2:
        pytest.skip(f"could not evict the test binary from the page cache ({cached} of {total} pages stayed)")
    result = run(binary)
    assert result.returncode == 0, result.stderr
    assert values(result.stdout)["cold_diff"] == "0"
