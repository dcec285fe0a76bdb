"""The mirrored heap (runtime/heap/) seen from a mirrored program: size classes, alignment, realloc."""

from __future__ import annotations

import json
import re

from runtime_support import run


def test_sizes_alignment_and_realloc(mirror_build, tmp_path):
    stats = tmp_path / "stats.json"
    result = run(mirror_build("heap_sizes.c"), env={"MIRROR_OPTIONS": f"audit_at_exit=1:stats_json={stats}"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("0 failures\n"), result.stdout
    # Eight classes per doubling: a request above 256 bytes wastes at most 1/8 of itself (the worst
    # is one byte past a class boundary); four per doubling wasted up to 1/4 (malloc(1025) -> 1280).
    worst = float(re.search(r"worst waste above 256 bytes: ([0-9.]+)%", result.stdout).group(1))
    assert 10.0 < worst <= 12.5, result.stdout
    assert json.loads(stats.read_text())["audit_divergent_bytes"] == 0



def test_page_runs_merge_split_and_serve_other_sizes(mirror_build, tmp_path):
    stats = tmp_path / "stats.json"
    result = run(mirror_build("heap_reuse.c"), env={"MIRROR_OPTIONS": f"audit_at_exit=1:stats_json={stats}"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("0 failures\n"), result.stdout
    assert json.loads(stats.read_text())["audit_divergent_bytes"] == 0
