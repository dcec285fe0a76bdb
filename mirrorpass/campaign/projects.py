"""The real-project workloads of a campaign: SQLite, Lua, zlib and Redis from Debian's sources, built
natively (clang-22) and mirrored (mirror-build / mirror-cc, segment addressing) by the recipes of
`mirrorpass bench` (mirrorpass/bench/projects.py), with workloads sized for many short runs and an
output that is deterministic, so that a recovery can be told from silent corruption."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..bench.projects import LUA_SCRIPTS, BenchError, corpus, select
from .runner import CampaignError, Workload
from .subjects import Command, RedisServer

PROJECTS = ("sqlite", "lua", "zlib", "redis")
BUILD_VARIANTS = {"native": "native", "mirrored": "segment"}
_SPEEDTEST_TIME = re.compile(rb"\s+\d+\.\d{3}s$", re.M)  # speedtest1's per-test timings


def _without_timings(out: bytes) -> bytes:
    return _SPEEDTEST_TIME.sub(b"", out)


def _subject(project: str, tree: Path, scratch: Path) -> Command | RedisServer:
    if project == "sqlite":
        return Command(["./speedtest1", "--memdb", "--size", "20", "--verify"], cwd=tree, normalize=_without_timings)
    if project == "lua":
        return Command(["src/lua", str(LUA_SCRIPTS / "alloc.lua"), "200000"], cwd=tree)
    if project == "zlib":
        return Command(["./minigzip", "-9"], cwd=tree, stdin=corpus(scratch))
    return RedisServer(tree)


DESCRIPTIONS = {
    "sqlite": "SQLite 3.40.1 speedtest1 --memdb --size 20 --verify (timings stripped)",
    "lua": "Lua 5.4 alloc.lua 200000 (records, closures, strings; prints a checksum)",
    "zlib": "zlib 1.2.13 minigzip -9 of 6 MiB of text (the compressed bytes)",
    "redis": "Redis 7.0 server under redis-benchmark -n 20000 -d 1024 -t set,lpush,incr,hset, then DEBUG DIGEST",
}


def project_workloads(names: list[str], workdir: Path,
                      step: Callable[[str], None] = lambda _: None) -> list[Workload]:
    """Build each project natively and mirrored in workdir (reusing builds already there)."""
    unknown = sorted(set(names) - set(PROJECTS))
    if unknown:
        raise CampaignError(f"unknown project(s) {', '.join(unknown)}; choose from {', '.join(PROJECTS)}")
    workdir.mkdir(parents=True, exist_ok=True)
    scratch = workdir / "scratch"
    scratch.mkdir(exist_ok=True)
    workloads = []
    for project in select(names, quick=False):
        builds = {}
        for build, variant in BUILD_VARIANTS.items():
            step(f"building {project.name} ({build})")
            tree = workdir / f"{project.name}-{variant}"
            if not (tree / ".mirrorpass-campaign-built").exists():
                try:
                    tree, _ = project.prepare(variant, workdir)
                except BenchError as exc:
                    raise CampaignError(str(exc)) from exc
                (tree / ".mirrorpass-campaign-built").touch()
            builds[build] = _subject(project.name, tree, scratch)
        workloads.append(Workload(project.name, DESCRIPTIONS[project.name], builds))
    return workloads
