"""The mirror-cc client: hand one command to the compile server and return its exit status, starting
the server first when none answers. Standard library only, and nothing heavy on the common path (a
connect, one sendmsg, two reads): it runs on every compiler call of a build.

`compile_via_server(argv)` returns None whenever the server cannot do the compile -- disabled, refused,
failed to start, died mid-compile -- and the caller then compiles in its own process: a build never
fails because of the server. Every such fallback is logged (protocol.paths()["log"]; where the
directory is not safely ours, `mirrorpass server status` says why), never printed: configure scripts
read a compiler's stderr.
"""

from __future__ import annotations

import _signal as signal  # signal imports enum (protocol.py: the client's start-up budget)
import _socket
import errno
import fcntl
import os
import sys
import time

from . import protocol

START_TIMEOUT = 60.0  # a server loads LLVM in ~0.2 s; a loaded machine may take much longer
RETRIES = 3
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def log(files: dict[str, str], message: str) -> None:
    line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} client {os.getpid()}: {message}\n"
    try:
        fd = os.open(files["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        pass


def connect(path: str):
    """A connection to the server at `path`; None when none listens there (Refused when it is not ours)."""
    try:
        protocol.check_socket(path)
    except FileNotFoundError:
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    address, fd = protocol.short_address(path)
    try:
        sock.connect(address)
    except OSError:
        sock.close()
        return None
    finally:
        if fd is not None:
            os.close(fd)
    return sock


def compile_via_server(argv: list[str]) -> int | None:
    if not protocol.enabled():
        return None
    files = protocol.paths()
    try:
        protocol.ensure_dir()
    except protocol.Refused:
        return None  # not even a log line in a directory that is not safely ours: `mirrorpass server status` says why
    try:
        mine = protocol.stamp()
        for _ in range(RETRIES):
            sock = connect(files["sock"]) or start(files)
            if sock is None:
                return None
            try:
                outcome = _request(sock, argv, mine, files)
            finally:
                sock.close()
            if outcome != "retry":
                return outcome
        log(files, f"no server took the compile after {RETRIES} tries; compiling locally")
    except protocol.Refused as exc:
        log(files, f"not using the compile server: {exc}")
    except OSError as exc:
        log(files, f"compile server unusable ({exc}); compiling locally")
    return None


def _open_std_fds() -> list[int]:
    fds = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            pass
    return fds


def _request(sock, argv: list[str], mine: str, files: dict[str, str]):
    """The command's exit status, "retry" (the server is another version or went away before taking
    it), or None (compile locally)."""
    try:
        cwd = os.getcwd()
    except OSError:
        return None  # a deleted working directory: the local compile says what clang says
    umask = os.umask(0o022)
    os.umask(umask)
    fds = _open_std_fds()
    header = {"op": "compile", "argv": argv, "cwd": cwd, "env": dict(os.environ), "umask": umask, "fds": fds,
              "stamp": mine}
    try:
        protocol.send_request(sock, header, fds)
        replies = protocol.Replies(sock)
        first = replies.next()
    except (OSError, ValueError, EOFError, TypeError):
        return "retry"
    if first is None:
        return "retry"  # shut down between our connect and a worker's accept
    if "restart" in first:
        log(files, f"server is another version ({first['restart']}); starting a new one")
        return "retry"
    worker = first.get("worker")
    if not isinstance(worker, int):
        log(files, f"unexpected reply {first!r}; compiling locally")
        return None
    received: list[int] = []

    def forward(signum, _frame):
        received.append(signum)
        try:
            os.killpg(worker, signum)
        except OSError:
            pass

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        try:
            last = replies.next()
        except (OSError, ValueError, EOFError, TypeError):
            last = None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if last is not None and isinstance(last.get("exit"), int):
        return last["exit"]
    if received:  # the worker died of the signal we passed on: so do we, as a local mirror-cc would
        signal.signal(received[-1], signal.SIG_DFL)
        os.kill(os.getpid(), received[-1])
        return 128 + received[-1]
    log(files, f"worker {worker} ended without an exit status (killed?); compiling locally")
    return None


def start(files: dict[str, str]):
    """Start a server (one client at a time, under the lock file) and connect to it; None if it
    does not come up."""
    lock = os.open(files["lock"], os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sock = connect(files["sock"])  # another client started one while we waited for the lock
        if sock is not None:
            return sock
        pid = spawn(files)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            sock = connect(files["sock"])
            if sock is not None:
                return sock
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done:
                log(files, f"server {pid} exited during start-up (status {status}); see the lines above")
                return None
            time.sleep(0.005)
        log(files, f"server {pid} did not listen within {START_TIMEOUT:.0f} s; compiling locally")
        return None
    finally:
        os.close(lock)


def spawn(files: dict[str, str]) -> int:
    """The server process, in its own session, its output to the log, holding none of our descriptors
    (a build that waits for its compiler's stdout must not wait for the server)."""
    import subprocess  # noqa: PLC0415  (only when starting a server)

    log_fd = os.open(files["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "MIRROR_OPTIONS", "PYTHONSTARTUP")}
        # -c, not -m: sys.path[0] is then set to the checkout by hand, never a working directory that
        # a worker's chdir into the client's directory would turn into an import path.
        root = os.path.dirname(protocol.PACKAGE)
        code = f"import sys; sys.path[0] = {root!r}; from mirrorpass.server.daemon import main; sys.exit(main())"
        proc = subprocess.Popen(
            [sys.executable, "-c", code], cwd="/", env=env, stdin=subprocess.DEVNULL, stdout=log_fd, stderr=log_fd,
            start_new_session=True, close_fds=True,
        )
    finally:
        os.close(log_fd)
    proc.returncode = 0  # never waited for by subprocess at exit: the server outlives us
    return proc.pid


# ---- control: `mirrorpass server status|stop`, mirror-build ----------------------------------------

def _ask(files: dict[str, str], op: str) -> dict | None:
    sock = connect(files["sock"])
    if sock is None:
        return None
    try:
        sock.settimeout(10)
        protocol.send_request(sock, {"op": op}, [])
        return protocol.Replies(sock).next()
    except (OSError, ValueError, EOFError, TypeError):
        return None
    finally:
        sock.close()


def status() -> dict:
    """What `mirrorpass server status` shows: where, whether it answers, its state file."""
    files = protocol.paths()
    info: dict = {"socket": files["sock"], "log": files["log"], "enabled": protocol.enabled(), "running": False}
    try:
        protocol.ensure_dir()
        pong = _ask(files, "ping")
    except (protocol.Refused, OSError) as exc:
        info["refused"] = str(exc)
        return info
    if pong is not None:
        info["running"] = True
        info["pid"] = pong.get("pong")
        info["current"] = pong.get("stamp") == protocol.stamp()
        import json  # noqa: PLC0415

        try:
            with open(files["json"]) as f:
                state = json.load(f)
            if state.get("pid") == info["pid"]:
                info.update({k: v for k, v in state.items() if k not in info})
        except (OSError, ValueError):
            pass
    return info


def stop(timeout: float = 30.0) -> int | None:
    """Stop the server (it finishes the compiles it has); its pid, or None if none was running."""
    files = protocol.paths()
    try:
        protocol.ensure_dir()
        reply = _ask(files, "stop")
    except (protocol.Refused, OSError):
        return None
    if reply is None or not isinstance(reply.get("stopping"), int):
        return None
    pid = reply["stopping"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.02)
    return pid


def _alive(pid: int) -> bool:
    try:  # our own child (mirror-build started it): reap it, or kill(0) would see the zombie forever
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno != errno.ESRCH
    return True


def ensure_running() -> bool:
    """Start a server unless one of our version answers; True if this call started it."""
    if not protocol.enabled():
        return False
    files = protocol.paths()
    try:
        protocol.ensure_dir()
        pong = _ask(files, "ping")
        if pong is not None and pong.get("stamp") == protocol.stamp():
            return False
        if pong is not None:
            stop()
        sock = start(files)
    except (protocol.Refused, OSError):
        return False  # the build's compiles run locally; `mirrorpass server status` says why
    if sock is None:
        return False
    sock.close()
    return True
