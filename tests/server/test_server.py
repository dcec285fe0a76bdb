"""mirror-cc's compile server (mirrorpass/server/): real servers, real compiles, real signals.

Each test has a server of its own: XDG_RUNTIME_DIR points into the test's directory, and the fixture
stops whatever server the test started.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import MIRROR_CC, MIRRORPASS, REPO

SOURCE = "int counter;\nint bump(int by) { counter += by; return counter; }\n"


@pytest.fixture
def env(tmp_path: Path):
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    environ = {k: v for k, v in os.environ.items() if k not in ("MIRRORPASS_SERVER", "MIRRORPASS_SERVER_WORKER")}
    environ["XDG_RUNTIME_DIR"] = str(run)
    environ["MIRRORPASS_SERVER"] = "on"
    yield environ
    subprocess.run([MIRRORPASS, "server", "stop"], env=environ, capture_output=True)


def status(env: dict[str, str]) -> dict:
    out = subprocess.run([MIRRORPASS, "server", "status", "--json"], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def wait_served(env: dict[str, str], n: int) -> dict:
    """The status once the server counted n compiles (it counts a worker when it reaps it, just after
    the client got its exit status)."""
    for _ in range(200):
        info = status(env)
        if info.get("served", 0) >= n:
            return info
        time.sleep(0.05)
    return info


def server_log(env: dict[str, str]) -> str:
    return Path(status(env)["log"]).read_text()


def cc(env: dict[str, str], *args: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([MIRROR_CC, *args], env=env, cwd=cwd, capture_output=True, **kw)


def test_a_served_compile_is_the_local_compile(env, tmp_path):
    (tmp_path / "t.c").write_text(SOURCE)
    served = cc(env, "-O2", "-c", "t.c", "-o", "served.o", cwd=tmp_path)
    assert served.returncode == 0, served.stderr
    info = wait_served(env, 1)
    assert info["running"] and info["current"] and info["served"] == 1
    local = cc({**env, "MIRRORPASS_SERVER": "off"}, "-O2", "-c", "t.c", "-o", "local.o", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    assert (tmp_path / "served.o").read_bytes() == (tmp_path / "local.o").read_bytes()
    assert status(env)["served"] == 1  # the local compile did not go through it
    # a second compile reuses the same server
    assert cc(env, "-O2", "-c", "t.c", "-o", "again.o", cwd=tmp_path).returncode == 0
    again = wait_served(env, 2)
    assert again["pid"] == info["pid"] and again["served"] == 2
    assert server_log(env).count("listening on") == 1


def test_diagnostics_status_stdin_stdout_and_the_environment_are_the_clients(env, tmp_path):
    (tmp_path / "bad.c").write_text("int main(void) { return 3 }\n")
    served = cc(env, "-c", "bad.c", "-o", "bad.o", cwd=tmp_path, text=True)
    local = cc({**env, "MIRRORPASS_SERVER": "off"}, "-c", "bad.c", "-o", "bad.o", cwd=tmp_path, text=True)
    assert served.returncode == local.returncode == 1
    assert "error: expected ';' after return statement" in served.stderr
    assert served.stderr == local.stderr and served.stdout == local.stdout == ""
    assert not (tmp_path / "bad.o").exists()

    # stdin in, assembly out on stdout
    piped = cc(env, "-x", "c", "-", "-S", "-o", "-", cwd=tmp_path, input=SOURCE.encode())
    assert piped.returncode == 0, piped.stderr
    assert b"bump:" in piped.stdout and b".mirror_manifest" in piped.stdout

    # the client's environment (CPATH: clang's include path), working directory and umask
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "value.h").write_text("#define VALUE 7\n")
    (tmp_path / "v.c").write_text('#include "value.h"\nint main(void) { return VALUE; }\n')
    linked = subprocess.run(["sh", "-c", f"umask 077 && exec {MIRROR_CC} v.c -o v"], env={**env, "CPATH": "inc"},
                            cwd=tmp_path, capture_output=True, text=True)
    assert linked.returncode == 0, linked.stderr
    assert (tmp_path / "v").stat().st_mode & 0o777 == 0o700
    assert subprocess.run([tmp_path / "v"]).returncode == 7
    assert wait_served(env, 3)["served"] == 3


def test_the_client_loads_nothing_heavy():
    code = ("import sys; sys.path.insert(0, %r); import mirrorpass.cli.mirror_cc; "
            "heavy = {'llvmlite', 'json', 'socket', 'subprocess', 'enum', 'mirrorpass.driver'} & set(sys.modules); "
            "print(sorted(heavy))") % str(REPO)
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_new_version_of_mirrorpass_restarts_the_server(env, tmp_path):
    """A copy of the package (its own server): edit a module, and the next compile gets a new server."""
    pkg = tmp_path / "pkg"
    shutil.copytree(REPO / "mirrorpass", pkg / "mirrorpass", ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "runtime").symlink_to(REPO / "runtime")
    client = [sys.executable, "-S", "-c",
              f"import sys; sys.path.insert(0, {str(pkg)!r}); from mirrorpass.cli.mirror_cc import main; main()"]
    (tmp_path / "t.c").write_text(SOURCE)

    def compile_and_pid() -> int:
        out = subprocess.run([*client, "-c", "t.c", "-o", "t.o"], env=env, cwd=tmp_path, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        infos = list((tmp_path / "run" / "mirrorpass").glob("cc-*.json"))
        assert len(infos) == 1
        return json.loads(infos[0].read_text())["pid"]

    first = compile_and_pid()
    module = pkg / "mirrorpass" / "driver" / "compile.py"
    module.write_text(module.read_text() + "\n# a new version\n")
    second = compile_and_pid()
    assert second != first
    log = next((tmp_path / "run" / "mirrorpass").glob("cc-*.log")).read_text()
    assert "another version" in log and log.count("listening on") == 2
    for _ in range(200):  # the old one finished its workers and left
        try:
            os.kill(first, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"old server {first} still running")
    os.kill(second, signal.SIGTERM)


def fake_clang(tmp_path: Path, body: str) -> str:
    script = tmp_path / "clang-wrapper"
    script.write_text(f"#!/bin/sh\n{body}\nexec {shutil.which('clang-22')} \"$@\"\n")
    script.chmod(0o755)
    return str(script)


def test_a_worker_that_dies_mid_compile_leaves_the_compile_to_the_client(env, tmp_path):
    (tmp_path / "t.c").write_text(SOURCE)
    marker = tmp_path / "killed-once"
    # The first clang kills the worker that started it (the mirror-cc process in the server) and dies.
    wrapper = fake_clang(tmp_path, f'if [ ! -e {marker} ]; then touch {marker}; kill -9 $PPID; exit 1; fi')
    out = cc({**env, "MIRRORPASS_CLANG": wrapper}, "-O2", "-c", "t.c", "-o", "t.o", cwd=tmp_path, text=True)
    assert out.returncode == 0 and out.stderr == ""
    assert marker.exists()
    local = cc({**env, "MIRRORPASS_SERVER": "off"}, "-O2", "-c", "t.c", "-o", "local.o", cwd=tmp_path)
    assert (tmp_path / "t.o").read_bytes() == (tmp_path / "local.o").read_bytes()
    assert "ended without an exit status" in server_log(env)
    assert status(env)["running"]  # the server itself lives on


def test_a_signal_to_the_client_reaches_the_compile(env, tmp_path):
    (tmp_path / "t.c").write_text(SOURCE)
    pidfile = tmp_path / "clang.pid"
    wrapper = fake_clang(tmp_path, f"echo $$ > {pidfile}; sleep 60")
    proc = subprocess.Popen([MIRROR_CC, "-c", "t.c", "-o", "t.o"], env={**env, "MIRRORPASS_CLANG": wrapper},
                            cwd=tmp_path, stderr=subprocess.PIPE)
    for _ in range(600):
        if pidfile.exists() and pidfile.read_text().strip():
            break
        time.sleep(0.05)
    clang = int(pidfile.read_text())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == -signal.SIGTERM
    for _ in range(100):
        try:
            os.kill(clang, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the compile's clang outlived the client")
    assert not (tmp_path / "t.o").exists()


def test_unsafe_directory_or_foreign_socket_means_a_local_compile(env, tmp_path):
    (tmp_path / "t.c").write_text(SOURCE)
    # a directory others can write to
    open_run = tmp_path / "open"
    (open_run / "mirrorpass").mkdir(parents=True)
    (open_run / "mirrorpass").chmod(0o777)
    out = cc({**env, "XDG_RUNTIME_DIR": str(open_run)}, "-c", "t.c", "-o", "a.o", cwd=tmp_path, text=True)
    assert out.returncode == 0 and out.stderr == "" and (tmp_path / "a.o").exists()
    assert not list((open_run / "mirrorpass").glob("*.sock"))
    # a socket that belongs to another user (root can make one)
    if os.getuid() != 0:
        pytest.skip("making a socket owned by another user needs root")
    info = status(env)
    Path(info["socket"]).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    foreign = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    foreign.bind(info["socket"])
    foreign.listen(1)
    os.chown(info["socket"], 65534, 65534)
    try:
        out = cc(env, "-c", "t.c", "-o", "b.o", cwd=tmp_path, text=True)
        assert out.returncode == 0 and out.stderr == "" and (tmp_path / "b.o").exists()
        assert "belongs to uid 65534" in Path(info["log"]).read_text()
    finally:
        foreign.close()
        os.unlink(info["socket"])


def test_parallel_first_calls_start_one_server_which_exits_when_idle(env, tmp_path):
    env = {**env, "MIRRORPASS_SERVER_IDLE": "2"}
    for n in range(4):
        (tmp_path / f"t{n}.c").write_text(SOURCE.replace("bump", f"bump{n}"))
    procs = [subprocess.Popen([MIRROR_CC, "-c", f"t{n}.c"], env=env, cwd=tmp_path) for n in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 4
    info = wait_served(env, 4)
    assert info["running"] and info["served"] == 4
    assert server_log(env).count("listening on") == 1
    for _ in range(200):
        try:
            os.kill(info["pid"], 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the server did not exit after 2 s idle")
    assert "stopping: idle for 2 s (served 4)" in server_log(env)
    assert not Path(info["socket"]).exists()


def test_mirror_build_runs_its_compiles_in_a_server_it_stops(env, tmp_path):
    (tmp_path / "t.c").write_text(SOURCE + "int main(void) { return bump(2) - 2; }\n")
    (tmp_path / "Makefile").write_text(
        f"prog: t.c\n\t$(CC) -O1 t.c -o prog\n\t{MIRRORPASS} server status --json > during.json\n")
    mirror_build = str(Path(MIRROR_CC).with_name("mirror-build"))
    out = subprocess.run([mirror_build, "--", "make"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    during = json.loads((tmp_path / "during.json").read_text())
    assert during["running"] and during["served"] >= 2  # the probe's compile and link at least
    assert not status(env)["running"]
    assert subprocess.run([tmp_path / "prog"]).returncode == 0
