"""The injector's targets beyond the protected domain, its log, and the coverage sample (runtime/inject/inject.c,
runtime/base/stats.c, runtime/base/resident.c): what `mirrorpass campaign` builds on. Real processes, real SIGBUS."""

from __future__ import annotations

import json
import re
import signal

from runtime_support import run

PROGRAM = "recovery/unprotected_mapping.c"
REGION = re.compile(r"^region=(0x[0-9a-f]+)-(0x[0-9a-f]+)$", re.M)


def test_anywhere_loses_pages_outside_the_domain_which_are_reported_then_fatal(mirror_build, tmp_path):
    binary = mirror_build(PROGRAM)
    for seed in range(1, 8):  # most resident pages are the mapping's; a seed that misses it tries again
        log = tmp_path / f"lost-{seed}.log"
        result = run(binary, env={"MIRROR_OPTIONS": f"inject_count=1:inject_target=anywhere:inject_interval_ms=60:"
                                                    f"inject_seed={seed}:inject_log={log}"})
        start, end = (int(x, 16) for x in REGION.search(result.stdout).groups())
        page = int(log.read_text().split()[0], 16)
        if start <= page < end:
            break
    else:
        raise AssertionError("seven seeds never lost a page of the unprotected mapping")
    assert result.returncode == -signal.SIGBUS, (result.returncode, result.stdout, result.stderr)
    assert "done" not in result.stdout
    assert f"lost page {page:#x}-{page + 4096:#x} in anonymous memory: cannot restore, it is outside the " \
           "protected domain" in result.stderr, result.stderr


def test_inject_log_names_every_lost_page_as_it_is_lost(mirror_build, tmp_path):
    log, stats = tmp_path / "lost.log", tmp_path / "stats.json"
    result = run(mirror_build(PROGRAM), env={
        "MIRROR_OPTIONS": f"inject_count=3:inject_target=any:inject_interval_ms=20:inject_log={log}:stats_json={stats}"})
    assert result.returncode == 0, result.stderr
    lines = log.read_text().splitlines()
    injected = json.loads(stats.read_text())["injected"]
    assert len(lines) == injected >= 1, (lines, injected)
    assert all(re.fullmatch(r"0x[0-9a-f]+000 .+", line) for line in lines), lines


def test_coverage_counts_the_unprotected_mapping_against_the_domain(mirror_build, tmp_path):
    stats = tmp_path / "stats.json"
    result = run(mirror_build(PROGRAM), env={"MIRROR_OPTIONS": f"coverage_interval_ms=50:stats_json={stats}"})
    assert result.returncode == 0 and "done" in result.stdout, result.stderr
    data = json.loads(stats.read_text())
    assert data["coverage_samples"] >= 4, data  # ~400 ms at 50 ms, plus one at exit
    resident = data["coverage_resident_pages"] / data["coverage_samples"]
    protected = data["coverage_protected_pages"] / data["coverage_samples"]
    assert resident >= 8192, data  # the 32 MiB mapping is resident
    assert 0 < protected / resident < 0.2, data


def test_no_coverage_sampling_unless_asked(mirror_build, tmp_path):
    stats = tmp_path / "stats.json"
    result = run(mirror_build(PROGRAM), env={"MIRROR_OPTIONS": f"stats_json={stats}"})
    assert result.returncode == 0
    data = json.loads(stats.read_text())
    assert data["coverage_samples"] == data["coverage_resident_pages"] == 0


def test_coverage_counts_only_wholly_protected_pages(mirror_build, tmp_path):
    # Partly protected pages once counted as protected; the SIGBUS handler restores none of them.
    binary = mirror_build("coverage_partial.c")
    protected = {}
    for shape in ("aligned", "partial"):
        stats = tmp_path / f"{shape}.json"
        result = run(binary, shape, env={"MIRROR_OPTIONS": f"coverage_interval_ms=3600000:stats_json={stats}"})
        assert result.returncode == 0, result.stderr
        data = json.loads(stats.read_text())
        assert data["coverage_samples"] == 1, data  # the one at exit
        protected[shape] = data["coverage_protected_pages"]
    assert protected["aligned"] - protected["partial"] == 2, protected


def test_the_peak_residency_counts_memory_freed_before_exit(mirror_build, tmp_path):
    """What `mirrorpass bench` allows RSS for: a program that frees its 8 MiB before it exits had them
    resident and mirrored (the service example counted 164 KiB of 16 MiB before)."""
    binary = mirror_build("free_before_exit.c")
    sampled, plain = tmp_path / "sampled.json", tmp_path / "plain.json"
    assert run(binary, env={"MIRROR_OPTIONS": f"coverage_interval_ms=10:stats_json={sampled}"}).returncode == 0
    assert run(binary, env={"MIRROR_OPTIONS": f"stats_json={plain}"}).returncode == 0
    data, without = json.loads(sampled.read_text()), json.loads(plain.read_text())
    assert data["protected_resident_bytes"] < 2 << 20, data  # at exit: the block is gone
    assert data["protected_resident_peak_bytes"] >= 8 << 20, data
    # Without sampling the peak is the residency at exit.
    assert without["protected_resident_peak_bytes"] == without["protected_resident_bytes"] < 2 << 20, without
