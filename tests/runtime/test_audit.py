"""The audit (runtime/recovery/audit.c) and the exit statistics (runtime/base/stats.c): every resident protected page
equals its mirror in programs whose writes are all instrumented; writes behind the mirror's back are
found and named; print_stats and stats_json report the table of runtime/base/stats.inc."""

from __future__ import annotations

import json
import subprocess
import re

import pytest
from runtime_support import run, runtime_lines, stat_names, values

RUN_LINE = re.compile(r"^audit: (0x[0-9a-f]+)-(0x[0-9a-f]+): (\d+) divergent bytes in (.*)$")


def runs(stderr: str) -> list[tuple[int, int, int, str]]:
    """The audit's run lines: (start, end, bytes, what)."""
    found = []
    for line in runtime_lines(stderr):
        match = RUN_LINE.match(line)
        if match:
            start, end, count, what = match.groups()
            found.append((int(start, 16), int(end, 16), int(count), what))
    return found


def read_stats(path) -> dict[str, int]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    assert list(data) == [*stat_names(), "uninstrumented_libraries", "excluded", "excluded_bytes"], \
        "keys differ from runtime/base/stats.inc"
    assert all(type(data[k]) is int and data[k] >= 0 for k in stat_names()), data
    return data


def test_instrumented_program_audits_clean_with_resident_protected_pages(mirror_build, tmp_path):
    stats = tmp_path / "stats.json"
    result = run(mirror_build("audit_programs.c"), "plain",
                 env={"MIRROR_OPTIONS": f"audit_at_exit=1:stats_json={stats}"})
    assert result.returncode == 0, result.stderr
    assert values(result.stdout)["audit"] == "0", result.stderr
    summary = [line for line in runtime_lines(result.stderr) if line.startswith("audit at exit:")]
    assert len(summary) == 1, result.stderr
    assert summary[0].startswith("audit at exit: 0 divergent bytes in 0 runs"), result.stderr
    data = read_stats(stats)
    assert data["audit_divergent_bytes"] == 0
    # numbers[] and records[] alone span more than a page of written globals.
    assert data["protected_resident_bytes"] >= 2 * 4096
    assert 0 < data["mirror_resident_bytes"] <= data["protected_resident_bytes"]
    assert [p.name for p in tmp_path.iterdir()] == ["stats.json"], "the temporary file was left behind"


def test_write_behind_the_mirror_is_found_named_and_repaired_by_sync(mirror_build):
    result = run(mirror_build("audit_divergent.c"), "global")
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["before"] == "0"
    # 0x11223344 -> 7: all four bytes differ.
    assert seen["divergent"] == "4"
    assert seen["after_sync"] == "0" and seen["g"] == "7"
    found = runs(result.stderr)
    assert len(found) == 1, result.stderr
    start, end, count, what = found[0]
    assert (end - start, count) == (4, 4)
    assert what == "global g (size 4)"
    assert any(line.startswith("audit: 4 divergent bytes in 1 runs") for line in runtime_lines(result.stderr))


def test_only_the_bytes_that_differ_are_counted(mirror_build):
    # The control for the test above: same program, same write, yet after sync nothing is reported.
    result = run(mirror_build("audit_divergent.c"), "global", env={"MIRROR_OPTIONS": "verbosity=1"})
    lines = runtime_lines(result.stderr)
    assert sum(1 for line in lines if RUN_LINE.match(line)) == 1
    assert sum(1 for line in lines if line.startswith("audit: no divergent bytes")) == 2


def test_many_runs_are_capped_with_a_count_of_the_rest(mirror_build):
    result = run(mirror_build("audit_divergent.c"), "many")
    assert result.returncode == 0, result.stderr
    assert values(result.stdout)["divergent"] == "256"
    found = runs(result.stderr)
    assert len(found) == 20
    assert [what for _, _, _, what in found] == ["global many (size 4096)"] + [
        f"global many+{16 * i} (size 4096)" for i in range(1, 20)
    ]
    assert all(count == 1 and end - start == 1 for start, end, count, _ in found)
    assert "audit: ... and 236 more divergent runs" in runtime_lines(result.stderr)


def test_heap_ranges_are_named_heap(mirror_build):
    result = run(mirror_build("audit_heap_kind.c"))
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["divergent"] == "10"
    by_start = {start: (count, what) for start, _, count, what in runs(result.stderr)}
    assert by_start[int(seen["heap_at"], 16)] == (8, "heap")
    assert by_start[int(seen["meta_at"], 16)] == (2, "heap metadata (page map)")


def test_divergence_left_at_exit_reaches_audit_at_exit_and_stats_json(mirror_build, tmp_path):
    binary = mirror_build("audit_divergent.c")
    stats = tmp_path / "stats.json"
    # stats_json alone runs the audit, quietly.
    quiet = run(binary, "exit", env={"MIRROR_OPTIONS": f"stats_json={stats}"})
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert read_stats(stats)["audit_divergent_bytes"] == 4

    loud = run(binary, "exit", env={"MIRROR_OPTIONS": f"audit_at_exit=1:print_stats=1:stats_json={stats}"})
    lines = runtime_lines(loud.stderr)
    assert [what for _, _, _, what in runs(loud.stderr)] == ["global g (size 4)"]
    assert any(line.startswith("audit at exit: 4 divergent bytes in 1 runs") for line in lines), lines
    data = read_stats(stats)
    stats_line = [line for line in lines if line.startswith("stats:")]
    assert stats_line == ["stats: " + " ".join(f"{k}={data[k]}" for k in stat_names())]


def test_stats_json_that_cannot_be_written_is_reported(mirror_build, tmp_path):
    target = tmp_path / "missing" / "stats.json"
    result = run(mirror_build("audit_divergent.c"), "global", env={"MIRROR_OPTIONS": f"stats_json={target}"})
    assert result.returncode == 0
    assert any(line.startswith(f"cannot write stats_json {target}") for line in runtime_lines(result.stderr))


def test_audit_does_not_make_untouched_mirror_pages_resident(mirror_build, tmp_path):
    stats = tmp_path / "stats.json"
    result = run(mirror_build("stats_residency.c"), env={"MIRROR_OPTIONS": f"stats_json={stats}"})
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["audit"] == "0"
    assert seen["big_mirror_resident_before"] == "0"
    assert seen["big_mirror_resident_after"] == "0"
    data = read_stats(stats)
    # The 64 MiB array was read: its native pages are resident (the zero page), its mirror is not.
    assert data["protected_resident_bytes"] >= 64 << 20
    assert data["mirror_resident_bytes"] < 1 << 20


def test_threads_writing_globals_and_heap_audit_clean(mirror_build):
    result = run(mirror_build("audit_programs.c"), "threads", env={"MIRROR_OPTIONS": "audit_at_exit=1"})
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["shared_total"] == str(4 * 20000)
    assert seen["audit"] == "0", result.stderr
    assert "audit at exit: 0 divergent bytes" in result.stderr


def test_fork_child_and_parent_audit_clean(mirror_build, tmp_path):
    stats = tmp_path / "stats.json"
    result = run(mirror_build("audit_programs.c"), "fork",
                 env={"MIRROR_OPTIONS": f"audit_at_exit=1:stats_json={stats}"})
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["child_status"] == "0"
    assert seen["child_audit"] == "0" and seen["audit"] == "0", result.stderr
    # Each process wrote its own globals: the child's copy-on-write pages did not leak into the parent.
    assert seen["child_numbers"] == "50" and seen["parent_numbers"] == "30"
    summaries = [line for line in runtime_lines(result.stderr) if line.startswith("audit at exit:")]
    assert len(summaries) == 2 and all(s.startswith("audit at exit: 0 divergent bytes") for s in summaries)
    # The parent writes stats.json, the child stats.json.<pid>.
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[0] == "stats.json" and re.fullmatch(r"stats\.json\.\d+", names[1]), names
    for name in names:
        assert read_stats(tmp_path / name)["audit_divergent_bytes"] == 0


def test_stats_json_pid_pattern_names_each_process_file(mirror_build, tmp_path):
    """%p in stats_json is the pid, in the parent and in the forked child alike (a service's test
    suite starts many processes that share one MIRROR_OPTIONS)."""
    result = run(mirror_build("audit_programs.c"), "fork",
                 env={"MIRROR_OPTIONS": f"audit_at_exit=1:stats_json={tmp_path}/run-%p.json"})
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and all(re.fullmatch(r"run-\d+\.json", n) for n in names), names
    for name in names:
        assert read_stats(tmp_path / name)["audit_divergent_bytes"] == 0


@pytest.mark.parametrize("mode", ["plain", "threads"])
def test_offset_addressing_audits_clean_too(mirror_build, mode):
    binary = mirror_build("audit_programs.c", cflags=["-fmirror-addressing=offset"])
    result = run(binary, mode)
    assert result.returncode == 0, result.stderr
    assert values(result.stdout)["audit"] == "0", result.stderr


def test_objects_of_blocked_threads_are_not_divergent(mirror_build):
    """Threads asleep in pthread_cond_wait, pthread_mutex_lock, sem_wait, pthread_rwlock_wrlock and
    pthread_barrier_wait have changed their objects inside libc; the audit syncs them first (regression:
    Redis's idle bio threads made the audit at exit report their condition variables and mutexes)."""
    result = subprocess.run([str(mirror_build("blocked_waiters.c"))], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "audit=0\n", result.stdout + result.stderr


def test_the_blocked_wait_syncer_sleeps_while_nothing_waits(mirror_build):
    # It once woke every 5 ms for good after the first wait: ~60 times in these 300 ms.
    result = subprocess.run([str(mirror_build("syncer_idle.c"))], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    switches = int(result.stdout.split("idle switches=")[1])
    assert switches <= 3, result.stdout
