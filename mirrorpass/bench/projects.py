"""How each real project is built in each variant and what its workloads run.

Variants: `native` (clang-22), `segment` and `offset` (mirror-build, the two mirror addressings) and
`asan` (clang-22 -fsanitize=address, the familiar reference). Sources come from Debian's source
packages (mirrorpass.projects.debian_sources), each build in a fresh copy of the tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import MirrorError
from ..projects.debian_sources import SourceFetchError, fetch, sqlite_amalgamation

VARIANTS = ("native", "segment", "offset", "asan", "annotated")
# The default run; `annotated` (-fmirror-mode=annotated) needs MIRROR_PROTECT annotations, which only the
# bundled service example has: --projects service --variants native,segment,annotated.
DEFAULT_VARIANTS = ("native", "segment", "offset", "asan")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INCLUDE = Path(__file__).resolve().parents[2] / "runtime" / "include"
CLANG = "clang-22"
LUA_SCRIPTS = Path(__file__).parent / "lua"
BUILD_TIMEOUT = 1800


class BenchError(MirrorError):
    """A project could not be fetched, built or run."""


def _tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def compiler_wrapper(variant: str) -> list[str]:
    """The command prefix that builds `variant`: mirror-build for the mirrored ones, else nothing."""
    if variant in ("segment", "offset"):
        return [_tool("mirror-build"), f"--addressing={variant}", "--"]
    return []


def cc(variant: str) -> str:
    """The CC for plain builds (mirror-build sets its own)."""
    return f"{CLANG} -fsanitize=address" if variant == "asan" else CLANG


@dataclass(frozen=True)
class Run:
    """One workload run: argv in the built tree and an optional stdin file."""

    argv: list[str]
    stdin: Path | None = None


@dataclass
class Workload:
    project: str
    name: str
    description: str
    run: Callable[[Path, Path], Run]  # (built tree, scratch dir) -> what to run
    server: list[str] | None = None   # redis: the server argv (in the tree) the run talks to
    quick: bool = True


@dataclass
class Project:
    name: str
    package: str
    build: Callable[[Path, str], list[list[str]]]  # (tree, variant) -> commands
    binaries: list[str]                               # for code size, relative to the tree
    workloads: list[Workload] = field(default_factory=list)
    quick: bool = True
    real: bool = True  # a real project: in the default set and the targets (the service example is not)
    local: Path | None = None  # bundled with mirrorpass instead of a Debian source package
    variants: tuple[str, ...] = DEFAULT_VARIANTS  # annotated needs MIRROR_PROTECT annotations in the sources

    def source(self) -> Path:
        if self.local is not None:
            return self.local
        try:
            return sqlite_amalgamation() if self.package == "sqlite3" else fetch(self.package)
        except SourceFetchError as exc:
            raise BenchError(str(exc)) from exc

    def prepare(self, variant: str, workdir: Path) -> tuple[Path, float]:
        """A fresh copy of the sources built as `variant`; returns (tree, build seconds)."""
        import time

        tree = workdir / f"{self.name}-{variant}"
        if tree.exists():
            shutil.rmtree(tree)
        shutil.copytree(self.source(), tree, symlinks=True)
        start = time.perf_counter()
        for command in self.build(tree, variant):
            result = subprocess.run(command, cwd=tree, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
            if result.returncode != 0:
                tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
                raise BenchError(f"{self.name} ({variant}): `{' '.join(command)}` failed "
                                 f"(exit {result.returncode}); last lines:\n{tail}")
        return tree, time.perf_counter() - start


# ---- the projects --------------------------------------------------------------------------------------


def _service_build(tree: Path, variant: str) -> list[list[str]]:
    sources = ["-O2", "service.c", "-o", "service"]
    if variant == "native":
        return [[CLANG, *sources]]
    if variant == "asan":
        return [[*cc(variant).split(), *sources]]
    mirrored = [_tool("mirror-cc"), "-DMIRRORED", f"-I{INCLUDE}", *sources]
    if variant == "annotated":
        return [[*mirrored, "-fmirror-mode=annotated"]]
    return [[*mirrored, f"-fmirror-addressing={variant}"]]


def _sqlite_build(tree: Path, variant: str) -> list[list[str]]:
    flags = ["-O2", "-DSQLITE_OMIT_LOAD_EXTENSION", "-DSQLITE_THREADSAFE=0"]
    sources = ["speedtest1.c", "sqlite3.c", "-o", "speedtest1", "-lm"]
    if variant in ("segment", "offset"):
        return [[_tool("mirror-cc"), f"-fmirror-addressing={variant}", *flags, *sources]]
    return [[*cc(variant).split(), *flags, *sources]]


def _lua_build(tree: Path, variant: str) -> list[list[str]]:
    # src/Makefile hard-codes CC= gcc -std=gnu99 (mirror-build's shims catch it).
    if variant in ("segment", "offset"):
        return [[*compiler_wrapper(variant), "make", "-j2", "linux"]]
    return [["make", "-j2", "linux", f"CC={cc(variant)} -std=gnu99"]]


def _zlib_build(tree: Path, variant: str) -> list[list[str]]:
    script = "./configure --static && make -j2 minigzip"
    if variant in ("segment", "offset"):
        return [[*compiler_wrapper(variant), "sh", "-c", script]]
    return [["sh", "-c", f"CC='{cc(variant)}' {script}"]]


def _redis_build(tree: Path, variant: str) -> list[list[str]]:
    if variant in ("segment", "offset"):
        return [[*compiler_wrapper(variant), "make", "-j2", "MALLOC=libc"]]
    extra = ["SANITIZER=address"] if variant == "asan" else []
    return [["make", "-j2", "MALLOC=libc", f"CC={CLANG}", *extra]]


def corpus(scratch: Path) -> Path:
    """About 6 MiB of deterministic, compressible text."""
    path = scratch / "corpus.txt"
    if not path.exists():
        import random

        rng = random.Random(20261128)
        words = ["".join(rng.choice("etaoinshrdlucmfwypvbgkq") for _ in range(rng.randint(2, 9)))
                 for _ in range(5000)]
        lines = (" ".join(rng.choice(words) for _ in range(12)) for _ in range(90000))
        path.write_text("\n".join(lines) + "\n")
    return path


def _compressed(tree: Path, scratch: Path) -> Path:
    """The corpus compressed once by this tree's minigzip (the input of the decompress workload)."""
    path = scratch / f"corpus-{tree.name}.gz"
    if not path.exists():
        with corpus(scratch).open("rb") as src, path.open("wb") as dst:
            subprocess.run([str(tree / "minigzip"), "-9"], stdin=src, stdout=dst, check=True)
    return path


PROJECTS = [
    Project("service", "", _service_build, ["service"], [
        Workload("service", "requests", "2,000,000 requests: 128 KiB ledger (critical) amid 16 MiB of working memory",
                 lambda tree, scratch: Run(["./service", "2000000"])),
    ], real=False, local=EXAMPLES / "service", variants=VARIANTS),
    Project("sqlite", "sqlite3", _sqlite_build, ["speedtest1"], [
        Workload("sqlite", "speedtest1", "speedtest1 --memdb --size 30",
                 lambda tree, scratch: Run(["./speedtest1", "--memdb", "--size", "30"]), quick=False),
    ], quick=False),
    Project("lua", "lua5.4", _lua_build, ["src/lua"], [
        Workload("lua", "cpu", "spectral-norm, N=300 (floating point, table reads)",
                 lambda tree, scratch: Run(["src/lua", str(LUA_SCRIPTS / "cpu.lua"), "300"])),
        Workload("lua", "alloc", "200,000 short-lived records, closures and strings",
                 lambda tree, scratch: Run(["src/lua", str(LUA_SCRIPTS / "alloc.lua"), "200000"])),
    ]),
    Project("zlib", "zlib", _zlib_build, ["minigzip"], [
        Workload("zlib", "compress", "minigzip -9 of 6 MiB of text",
                 lambda tree, scratch: Run(["./minigzip", "-9"], stdin=corpus(scratch))),
        Workload("zlib", "decompress", "minigzip -d of the same, compressed",
                 lambda tree, scratch: Run(["./minigzip", "-d"], stdin=_compressed(tree, scratch))),
    ]),
    Project("redis", "redis", _redis_build, ["src/redis-server"], [
        Workload("redis", "set-get-lpush", "redis-benchmark -n 100000 -t set,get,lpush (50 clients, loopback)",
                 lambda tree, scratch: Run(["src/redis-benchmark", "-q", "-n", "100000", "-t", "set,get,lpush"]),
                 server=["src/redis-server", "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]),
    ], quick=False),
]


def check_supported(projects: list[Project], variants: list[str]) -> None:
    for project in projects:
        missing = [v for v in variants if v not in project.variants]
        if missing:
            raise BenchError(f"{project.name} cannot be built as {', '.join(missing)}: the annotated variant needs "
                             "MIRROR_PROTECT annotations, which the bundled service example has "
                             "(--projects service --variants native,segment,annotated)")


def select(names: list[str] | None, quick: bool) -> list[Project]:
    if names:
        projects = [p for p in PROJECTS if p.name in names]
    else:
        projects = [p for p in PROJECTS if p.quick] if quick else [p for p in PROJECTS if p.real]
    unknown = set(names or ()) - {p.name for p in PROJECTS}
    if unknown:
        raise BenchError(f"unknown project(s) {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(p.name for p in PROJECTS)}")
    return projects
