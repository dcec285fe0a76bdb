"""Annotated mode at run time (runtime/heap/selective.c, runtime/process/init.c): what the program protects with
mirror_malloc comes back after a loss, pages of malloc'd memory and globals are reported as lost outside
the protected domain and the process dies, and libc keeps the allocations it hands out."""

from __future__ import annotations

import json
import signal

from runtime_support import run

SOURCE = "selective.c"
ANNOTATED = ["-fmirror-mode=annotated"]
TOTAL = sum(range(10000))


def test_mirror_malloc_data_is_rebuilt_after_a_loss(mirror_build, tmp_path):
    stats = tmp_path / "stats.json"
    result = run(mirror_build(SOURCE, cflags=ANNOTATED), "protected",
                 env={"MIRROR_OPTIONS": f"stats_json={stats}:audit_at_exit=1"})
    assert result.returncode == 0, result.stderr
    assert f"total={TOTAL} operations=10000" in result.stdout and "diff=0" in result.stdout
    data = json.loads(stats.read_text())
    assert data["recovered_pages"] == 1 and data["unrecoverable"] == 0 and data["audit_divergent_bytes"] == 0


def test_a_lost_malloc_page_is_outside_the_domain_in_annotated_mode(mirror_build):
    result = run(mirror_build(SOURCE, cflags=ANNOTATED), "malloc")
    assert result.returncode == -signal.SIGBUS, (result.stdout, result.stderr)
    assert "cannot restore, it is outside the protected domain" in result.stderr
    assert "total=" not in result.stdout


def test_a_lost_global_page_is_outside_the_domain_in_annotated_mode(mirror_build):
    result = run(mirror_build(SOURCE, cflags=ANNOTATED), "global")
    assert result.returncode == -signal.SIGBUS, (result.stdout, result.stderr)
    assert "cannot restore, it is outside the protected domain" in result.stderr


def test_the_same_losses_are_rebuilt_in_all_mode(mirror_build):
    """The control: built in the default mode, malloc and globals are protected and come back."""
    for case in ("malloc", "global"):
        result = run(mirror_build(SOURCE), case)
        assert result.returncode == 0, (case, result.stderr)
        assert "plain=72340172838076673 global=5" in result.stdout  # 0x0101... and 5: intact


def test_libc_allocations_stay_libcs_in_annotated_mode(mirror_build):
    result = run(mirror_build(SOURCE, cflags=ANNOTATED), "libc")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "getline=11 asprintf=11:asprintf-42 strdup=duplicate realpath=/\n"


def test_free_and_realloc_take_mirror_malloc_memory_back_in_annotated_mode(mirror_build):
    result = run(mirror_build(SOURCE, cflags=ANNOTATED), "free")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "realloc=kept usable=1\n"
