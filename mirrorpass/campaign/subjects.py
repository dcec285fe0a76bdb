"""How one build of a workload is run once: a command (argv, working directory, stdin, what of its
stdout counts), or a server with a client (Redis). The environment carries the losses (MIRROR_OPTIONS,
plus the native injector preloaded into builds without the runtime); the run reports its ending, its
output and the pages it lost (the injection log)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .outcomes import RunResult

STDERR_KEEP = 4000  # characters of stderr kept per run (the end: where reports and crashes are)


def _read_lost(log: Path) -> list[str]:
    try:
        return log.read_text().splitlines()
    except OSError:
        return []


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@dataclass
class Command:
    """A program run with arguments; its stdout (through `normalize`) and exit status are its result."""

    argv: list[str]
    cwd: Path | None = None
    stdin: Path | None = None
    normalize: Callable[[bytes], bytes] = lambda out: out
    description: str = ""

    def run(self, env: dict[str, str], timeout: float, log: Path) -> RunResult:
        stdin = self.stdin.open("rb") if self.stdin else subprocess.DEVNULL
        start = time.perf_counter()
        try:
            # Its own process group: a hung run is killed with everything it started.
            process = subprocess.Popen(self.argv, cwd=self.cwd, stdin=stdin, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, env=env, start_new_session=True)
            try:
                out, err = process.communicate(timeout=timeout)
                code: int | None = process.returncode
            except subprocess.TimeoutExpired:
                _kill_group(process)
                code = None
                try:  # what it printed before it hung (a runtime report, say)
                    out, err = process.communicate(timeout=5)
                except subprocess.TimeoutExpired:  # a descendant outside the group holds the pipes
                    out, err = b"", b""
        finally:
            if self.stdin:
                stdin.close()
        return RunResult(code, self.normalize(out), err.decode(errors="replace")[-STDERR_KEEP:],
                         time.perf_counter() - start, _read_lost(log))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RedisServer:
    """redis-server (the build under test, which loses pages) driven by redis-benchmark and redis-cli
    (never injected). The result is the server's exit status after SHUTDOWN NOSAVE and, as output, the
    DEBUG DIGEST of the data set the client built: it is deterministic because the benchmark's keys and
    values are (no -r)."""

    tree: Path
    client_args: list[str] = field(default_factory=lambda: ["-q", "-n", "20000", "-d", "1024", "-t", "set,lpush,incr,hset"])
    description: str = ""

    def run(self, env: dict[str, str], timeout: float, log: Path) -> RunResult:
        port = str(_free_port())
        cli = [str(self.tree / "src" / "redis-cli"), "-p", port]
        client_env = {k: v for k, v in env.items() if k not in ("MIRROR_OPTIONS", "LD_PRELOAD")}
        start = time.perf_counter()
        deadline = start + timeout
        with tempfile.TemporaryFile() as server_err:
            server = subprocess.Popen([str(self.tree / "src" / "redis-server"), "--port", port, "--save", "",
                                       "--appendonly", "no", "--bind", "127.0.0.1"], cwd=self.tree,
                                      stdout=subprocess.DEVNULL, stderr=server_err, env=env, start_new_session=True)
            output = b""

            def remaining() -> float:
                return max(0.1, deadline - time.perf_counter())

            try:
                while subprocess.run([*cli, "PING"], capture_output=True, env=client_env,
                                     timeout=remaining()).stdout.strip() != b"PONG":
                    if server.poll() is not None or time.perf_counter() > deadline:
                        break
                    time.sleep(0.02)
                if server.poll() is None:
                    bench = subprocess.run([str(self.tree / "src" / "redis-benchmark"), "-p", port, *self.client_args],
                                           capture_output=True, env=client_env, timeout=remaining())
                    digest = subprocess.run([*cli, "DEBUG", "DIGEST"], capture_output=True, env=client_env,
                                            timeout=remaining())
                    output = digest.stdout if bench.returncode == 0 else b"client failed: " + bench.stderr[-500:]
                    subprocess.run([*cli, "SHUTDOWN", "NOSAVE"], capture_output=True, env=client_env,
                                   timeout=remaining())
                code: int | None = server.wait(timeout=remaining())
            except subprocess.TimeoutExpired:  # a client step or the server's exit
                code = server.poll()  # a server that died meanwhile crashed; one still running hangs
                if code is None:
                    _kill_group(server)
            server_err.seek(0)
            err = server_err.read().decode(errors="replace")
        return RunResult(code, output, err[-STDERR_KEEP:], time.perf_counter() - start, _read_lost(log))
