"""Redis 7.0 (Debian's redis source, `make MALLOC=libc`): built with clang-22 and with mirror-build.
The mirrored redis-server serves redis-benchmark on 127.0.0.1 and ends with the same dataset as the
clang-22 build (DEBUG DIGEST), its own tests/unit/type/* suite passes against it, the mirror is exact
at exit, and the same holds while the runtime loses pages under it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from mirrorpass.projects.debian_sources import SourceFetchError, ensure_tclsh, fetch
from realworld_steps import StepFailed, check_stats, copy_tree, fail, read_stats, run_step
from tests.conftest import BIN, CLANG, MIRRORPASS

pytestmark = pytest.mark.slow

PROJECT = "redis"
MIRROR_BUILD = str(BIN / "mirror-build")
BUILD = ["make", "-j2", "MALLOC=libc"]
# No -r: every request uses the same key, so the final dataset does not depend on how the 50 clients
# interleave (it is the same set of elements and counts), and DEBUG DIGEST can compare two servers.
BENCHMARK = ["-q", "-n", "20000", "-t", "set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,lrange_100,mset"]
TYPE_UNITS = ["hash", "incr", "list", "list-2", "list-3", "set", "stream", "stream-cgroups", "string", "zset"]
SERVER_START_TIMEOUT = 30
SUITE_TIMEOUT = 1200


@pytest.fixture(scope="module")
def redis_source() -> Path:
    try:
        return fetch(PROJECT)
    except SourceFetchError as exc:
        pytest.fail(f"{PROJECT}: fetching Debian's source failed at step {exc.step}:\n{exc}")


@pytest.fixture(scope="module")
def native_redis(redis_source, tmp_path_factory) -> Path:
    tree = copy_tree(redis_source, tmp_path_factory.mktemp("redis-native") / "redis")
    run_step(PROJECT, "native build (make MALLOC=libc, clang-22)", [*BUILD, f"CC={CLANG}"], cwd=tree,
             log_dir=tree, timeout=1200)
    return tree


@pytest.fixture(scope="module")
def mirrored_redis(redis_source, tmp_path_factory) -> Path:
    tree = copy_tree(redis_source, tmp_path_factory.mktemp("redis-mirrored") / "redis")
    run_step(PROJECT, "mirrored build (mirror-build -- make MALLOC=libc)", [MIRROR_BUILD, "--", *BUILD], cwd=tree,
             log_dir=tree, timeout=1200)
    return tree


@pytest.fixture(scope="module")
def tclsh() -> str:
    """The Redis test suite is Tcl: Debian's tcl is installed when tclsh is missing (root or sudo)."""
    try:
        return ensure_tclsh(PROJECT)
    except SourceFetchError as exc:
        pytest.fail(str(exc))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A redis-server on 127.0.0.1, no persistence, its log in a file."""

    def __init__(self, tree: Path, log: Path, options: str | None = None) -> None:
        self.tree, self.log_path, self.port = tree, log, _free_port()
        env = dict(os.environ)
        env.pop("MIRROR_OPTIONS", None)
        if options:
            env["MIRROR_OPTIONS"] = options
        self.log_file = log.open("wb")
        self.process = subprocess.Popen(
            [tree / "src" / "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--enable-debug-command", "local"],
            stdout=self.log_file, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while self.cli("PING", check=False).stdout.strip() != b"PONG":
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                fail(PROJECT, "start redis-server", "it did not answer PING", self.log())
            time.sleep(0.1)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [self.tree / "src" / "redis-cli", "-p", str(self.port), *args]
        if not check:
            return subprocess.run(cmd, capture_output=True, timeout=30)
        return run_step(PROJECT, f"redis-cli {' '.join(args)}", cmd, cwd=self.tree)

    def benchmark(self) -> None:
        try:
            run_step(PROJECT, "redis-benchmark", [self.tree / "src" / "redis-benchmark", "-p", str(self.port),
                                                  *BENCHMARK], cwd=self.tree, timeout=600)
        except StepFailed as exc:  # the client only sees a reset connection: the server's log says why
            status = self.process.poll()
            state = "still running" if status is None else f"exited with status {status}"
            fail(PROJECT, "redis-benchmark", f"{str(exc).splitlines()[0]}; redis-server {state}", self.log())

    def digest(self) -> str:
        return self.cli("DEBUG", "DIGEST").stdout.decode().strip()

    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def shutdown(self) -> int:
        self.cli("SHUTDOWN", "NOSAVE", check=False)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.stop()
            fail(PROJECT, "SHUTDOWN NOSAVE", "the server did not exit", self.log())
        finally:
            self.log_file.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _served_digest(tree: Path, tmp_path: Path, name: str, options: str | None = None) -> tuple[str, str]:
    """Serve redis-benchmark, return (DEBUG DIGEST, server log) after a clean shutdown."""
    server = Server(tree, tmp_path / f"{name}.log", options)
    try:
        server.benchmark()
        digest = server.digest()
    finally:
        if server.process.poll() is None:
            status = server.shutdown()
        else:
            status = server.process.returncode
    log = server.log_path.read_text(errors="replace")
    if status != 0:
        fail(PROJECT, f"{name}: redis-server exit", f"exit status {status}", log)
    return digest, log


@pytest.fixture(scope="module")
def native_digest(native_redis, tmp_path_factory) -> str:
    digest, _ = _served_digest(native_redis, tmp_path_factory.mktemp("redis-native-run"), "native")
    assert len(digest) == 40 and digest != "0" * 40, digest
    return digest


def test_mirrored_redis_is_instrumented(mirrored_redis):
    proc = run_step(PROJECT, "mirrorpass inspect --json",
                    [MIRRORPASS, "inspect", "--json", mirrored_redis / "src" / "redis-server"], cwd=mirrored_redis)
    report = json.loads(proc.stdout)
    mirrored = {f["name"]: f["mirrored"] for f in report["functions"]}
    for name in ("dictAddRaw", "_sdsnewlen", "quicklistPushHead", "zsetAdd", "streamAppendItem", "call", "luaV_execute"):
        assert mirrored.get(name, 0) > 0, f"{PROJECT}: {name} has no mirrored writes: {mirrored.get(name)}"
    assert report["totals"]["mirrored"] > 10000, report["totals"]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param("", id="plain"),
        pytest.param("inject_count=8:inject_interval_ms=100:inject_target=heap", id="heap"),
        pytest.param("inject_count=8:inject_interval_ms=100:inject_target=globals", id="globals"),
        pytest.param("inject_count=8:inject_interval_ms=100:inject_target=any", id="any"),
    ],
)
def test_benchmark_leaves_the_native_dataset(options, mirrored_redis, native_digest, tmp_path):
    stats_path = tmp_path / "stats.json"
    runtime_options = f"audit_at_exit=1:stats_json={stats_path}" + (f":{options}" if options else "")
    step = f"redis-benchmark with MIRROR_OPTIONS={runtime_options}"
    digest, log = _served_digest(mirrored_redis, tmp_path, "mirrored", runtime_options)
    if digest != native_digest:
        fail(PROJECT, step, f"DEBUG DIGEST {digest}, the clang-22 build's is {native_digest}", log)
    stats = read_stats(PROJECT, step, stats_path, log)
    check_stats(PROJECT, step, stats, injected_at_least=5 if options else 0, log=log)
    assert stats["protected_resident_bytes"] > 1 << 20, stats


@pytest.mark.parametrize(
    "options",
    [pytest.param("", id="plain"), pytest.param("inject_count=5:inject_interval_ms=200:inject_target=any", id="any")],
)
def test_type_suite_passes(options, tclsh, mirrored_redis, tmp_path):
    """tests/unit/type/*, the servers the suite starts being mirrored (each writes its own stats)."""
    stats_dir = tmp_path / "stats"
    stats_dir.mkdir()
    env = {"MIRROR_OPTIONS": f"audit_at_exit=1:stats_json={stats_dir}/%p.json" + (f":{options}" if options else "")}
    units = [arg for unit in TYPE_UNITS for arg in ("--single", f"unit/type/{unit}")]
    step = f"runtest {' '.join(TYPE_UNITS)} with MIRROR_OPTIONS={env['MIRROR_OPTIONS']}"
    proc = run_step(PROJECT, step, [tclsh, "tests/test_helper.tcl", *units, "--clients", "2"], cwd=mirrored_redis,
                    env=env, timeout=SUITE_TIMEOUT, log_dir=tmp_path)
    log = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    if "All tests passed without errors" not in log or "[err]" in log:
        fail(PROJECT, step, "the suite reported failures", log)
    stats = [json.loads(p.read_text()) for p in sorted(stats_dir.glob("*.json"))]
    if len(stats) < len(TYPE_UNITS):
        fail(PROJECT, step, f"only {len(stats)} servers wrote stats", log)
    for s in stats:
        check_stats(PROJECT, step, s, log=log)
    if options:
        assert sum(s["injected"] for s in stats) >= 5 * len(TYPE_UNITS), stats
        assert sum(s["recovered_pages"] for s in stats) > 0, stats
