"""The compile server: mirrorpass and LLVM loaded once, one forked worker per core waiting for a compile.

Started by the first mirror-cc call that finds none (client.spawn), in a session of its own.

The parent imports everything a compile needs (the driver, the pass, llvmlite with its native target
initialised, pyelftools for the link check) and then forks workers: each inherits the loaded
interpreter, blocks in accept() on the shared listening socket, serves exactly one request and exits;
the parent forks its replacement. A compile therefore runs in a fresh process, as a local mirror-cc
does -- its environment, working directory, umask and standard descriptors are the client's, and no
state (functools caches keyed on the environment, a half-finished temporary directory) carries from
one compile to the next -- while the fork and the imports are paid before the request arrives.

Nothing environment-dependent is computed in the parent: clang's path, the deps prefix, the cache
directory are all looked up in the worker after it took on the client's environment.

The parent exits after MIRRORPASS_SERVER_IDLE seconds (default 600) without a compile, on `mirrorpass
server stop`, on SIGTERM, or when a client of another version asks (see protocol.stamp): it removes the
socket, shuts the listening socket (idle workers' accept fails and they exit) and waits for the
workers still compiling.
"""

from __future__ import annotations

import gc
import io
import json
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import time

from . import protocol

# A worker's exit status tells the parent what the request was.
SERVED, RESTART, STOP, CONTROL, REFUSED = 0, 75, 76, 77, 78
LOG_MAX = 1 << 20


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} server {os.getpid()}: {message}", file=sys.stderr, flush=True)


def preload() -> None:
    """Import and initialise what every compile uses, without looking at the environment."""
    from .. import lower
    from ..console import run_tool  # noqa: F401
    from ..deps import check  # noqa: F401  (pyelftools, for the link check)
    from ..driver import compile as _compile, mirror_cc  # noqa: F401
    from ..instrument.routes import routed_functions
    from ..toolchain import llvmlite_major

    lower._llvm()
    llvmlite_major()
    routed_functions()


class Server:
    def __init__(self) -> None:
        self.files = protocol.paths()
        self.stamp = protocol.stamp()
        self.workers: set[int] = set()
        self.count = max(1, len(os.sched_getaffinity(0)))
        self.idle = float(os.environ.get(protocol.ENV_IDLE) or protocol.IDLE_SECONDS)
        self.started = time.time()
        self.last_activity = time.monotonic()
        self.served = 0
        self.stopping: str | None = None
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.inode = 0

    def listen(self) -> None:
        path = self.files["sock"]
        tmp = f"{os.path.basename(path)}.{os.getpid()}.tmp"
        os.chdir(os.path.dirname(path))  # bound by a relative name: any depth of $XDG_RUNTIME_DIR fits
        try:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            self.listener.bind(tmp)
            self.listener.listen(128)
            os.rename(tmp, path)  # atomic: a client connects to a server that is ready, or to none
        finally:
            os.chdir("/")
        self.inode = os.stat(path).st_ino
        log(f"listening on {path} (version {self.stamp}, {self.count} workers, idle exit after {self.idle:.0f} s)")

    def write_state(self) -> None:
        state = {"pid": os.getpid(), "stamp": self.stamp, "started": self.started, "served": self.served,
                 "workers": self.count, "idle_seconds": self.idle}
        tmp = f"{self.files['json']}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.files["json"])

    def fork_worker(self) -> None:
        pid = os.fork()
        if pid == 0:
            try:
                code = Worker(self).run()
            except BaseException as exc:  # noqa: BLE001 - a worker never returns into the parent's loop
                try:
                    log(f"worker failed: {type(exc).__name__}: {exc}")
                except BaseException:  # noqa: BLE001
                    pass
                code = 70
            os._exit(code)
        self.workers.add(pid)

    def reap(self) -> None:
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.workers.clear()
                return
            if pid == 0:
                return
            self.workers.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            if code in (SERVED, RESTART, STOP):
                self.last_activity = time.monotonic()
            if code == SERVED:
                self.served += 1
            elif code == RESTART:
                self.stopping = self.stopping or "a client of another version"
            elif code == STOP:
                self.stopping = self.stopping or "asked to stop"
            elif code not in (CONTROL, REFUSED):
                log(f"worker {pid} ended with status {code}")

    def shut(self) -> None:
        """No new connections: remove our socket (not a newer server's) and wake the idle workers."""
        try:
            if os.stat(self.files["sock"]).st_ino == self.inode:
                os.unlink(self.files["sock"])
        except FileNotFoundError:
            pass
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()

    def serve(self) -> None:
        wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", self.stopping or "SIGTERM"))
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        self.write_state()
        gc.freeze()  # the loaded modules stay shared with the workers instead of being copied by gc
        while self.stopping is None:
            self.reap()
            while len(self.workers) < self.count and self.stopping is None:
                self.fork_worker()
            left = self.idle - (time.monotonic() - self.last_activity)
            if left <= 0:
                self.stopping = f"idle for {self.idle:.0f} s"
                break
            select.select([wake_r], [], [], min(left, 60.0))
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
            self.reap()
            self.write_state()
        log(f"stopping: {self.stopping} (served {self.served})")
        self.shut()
        deadline = time.monotonic() + 3600
        while self.workers and time.monotonic() < deadline:
            select.select([wake_r], [], [], 1.0)
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
            self.reap()
        try:
            with open(self.files["json"]) as f:
                if json.load(f).get("pid") == os.getpid():
                    os.unlink(self.files["json"])
        except (OSError, ValueError):
            pass


class Worker:
    """One forked child: accept one connection, serve it, exit with what it was (SERVED, ...)."""

    def __init__(self, server: Server):
        self.server = server

    def run(self) -> int:
        os.setpgid(0, 0)  # its own process group: the client passes its signals on to the compile's
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            conn, _ = self.server.listener.accept()
        except OSError:
            return CONTROL  # the parent shut the listening socket
        with conn:
            uid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1]
            if uid != os.getuid():
                log(f"refused a connection from uid {uid}")
                return REFUSED
            conn.settimeout(30)
            try:
                header, fds = protocol.recv_request(conn)
            except EOFError:
                return CONTROL
            except (OSError, ValueError, TypeError) as exc:
                log(f"bad request: {exc}")
                return CONTROL
            conn.settimeout(None)
            op = header.get("op")
            if op == "ping":
                protocol.send_reply(conn, pong=os.getppid(), stamp=self.server.stamp)
                return CONTROL
            if op == "stop":
                self.server.shut()  # before the reply: a server started next must not find this one
                protocol.send_reply(conn, stopping=os.getppid())
                return STOP
            if header.get("stamp") != self.server.stamp:
                self.server.shut()
                protocol.send_reply(conn, restart=f"server {self.server.stamp}, client {header.get('stamp')}")
                return RESTART
            self.server.listener.close()
            protocol.send_reply(conn, worker=os.getpid())
            code = self.compile(header, fds)
            try:
                protocol.send_reply(conn, exit=code)
            except OSError:
                pass  # the client is gone (killed): nobody waits for the status
        return SERVED

    def compile(self, header: dict, fds: list[int]) -> int:
        """mirror-cc's own run, in the client's place."""
        self.take_descriptors(header.get("fds", []), fds)
        os.chdir(header["cwd"])
        os.umask(header["umask"])
        os.environ.clear()
        os.environ.update(header["env"])
        os.environ[protocol.ENV_IN_WORKER] = "1"
        tempfile.tempdir = None  # TMPDIR is the client's
        argv = list(header["argv"])
        sys.argv = ["mirror-cc", *argv]
        from ..console import run_tool  # noqa: PLC0415  (loaded by preload)
        from ..driver.mirror_cc import run  # noqa: PLC0415

        try:
            code = run_tool("mirror-cc", run, argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        return code

    @staticmethod
    def take_descriptors(targets: list[int], fds: list[int]) -> None:
        """The client's 0, 1, 2 become ours (those it had closed stay closed), and sys.std* with them."""
        for target, fd in zip(targets, fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd not in (0, 1, 2):
                os.close(fd)
        for fd in (0, 1, 2):
            if fd not in targets:
                try:
                    os.close(fd)
                except OSError:
                    pass

        def stream(fd: int, mode: str):
            if fd not in targets:
                return None
            raw = io.open(fd, mode + "b", closefd=False)
            return io.TextIOWrapper(raw, encoding=sys.getfilesystemencoding(), errors="surrogateescape",
                                    line_buffering=fd == 2 or (mode == "w" and os.isatty(fd)), write_through=fd == 2)

        sys.stdin, sys.stdout, sys.stderr = stream(0, "r"), stream(1, "w"), stream(2, "w")


def main() -> int:
    files = protocol.paths()
    try:
        protocol.ensure_dir()
        if os.fstat(2).st_size > LOG_MAX:
            os.ftruncate(2, 0)
    except protocol.Refused as exc:
        log(f"cannot start: {exc}")
        return 1
    except OSError:
        pass
    try:
        preload()
    except Exception as exc:  # noqa: BLE001 - the client falls back to compiling itself
        log(f"cannot load the compiler: {type(exc).__name__}: {exc}")
        return 1
    server = Server()
    try:
        server.listen()
    except OSError as exc:
        log(f"cannot listen on {files['sock']}: {exc}")
        return 1
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
