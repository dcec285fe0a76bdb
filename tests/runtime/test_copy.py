"""memcpy and memmove of unknown size in mirrored code: one runtime call each (runtime/mirror/copy.c)."""

from __future__ import annotations

import subprocess

from runtime_support import run


def test_copies_of_every_small_size_and_overlap_are_exact_in_both_copies(mirror_build):
    # memcpy/memmove of unknown size are runtime calls (runtime/mirror/copy.c): registers up to 64 bytes.
    binary = mirror_build("copy_sizes.c", cflags=["-O2"])
    code = subprocess.run(["objdump", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    assert "call" in code and "<__mirror_move>" in code and "<__mirror_copy>" in code  # what is tested
    result = run(binary)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0 mismatches\ndone\n"
