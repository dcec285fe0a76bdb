"""What the mirror-cc client and the compile server share: where the server listens, what version it
is, and the framing of a request and its replies. Standard library only: the client imports this.

Where: one server per user and per installation of mirrorpass (its package directory and its venv), in
`$XDG_RUNTIME_DIR/mirrorpass/` when that is set, else `/tmp/mirrorpass-<uid>/` (as tmux and ssh-agent
do). The directory must be ours with no access for group or others; a socket owned by another user
is refused. The files there, per installation key K: `cc-K.sock` (the socket), `cc-K.lock` (held by
the one client that starts a server), `cc-K.json` (the server's pid, version and counters) and
`cc-K.log` (the server's log, and every fallback of a client to compiling locally).

Version: the server keeps mirrorpass's modules and LLVM loaded, so it serves only clients whose
mirrorpass sources and llvmlite are the ones it loaded: `stamp()` hashes the path, size and mtime of
every module of the package, the runtime headers the pass reads at import (layout.h, routes.h) and
the mtime of the venv's site-packages directory.

A request: one `sendmsg` carrying the client's open standard descriptors (SCM_RIGHTS) and the first
bytes of a length-prefixed marshal header (argv, cwd, the whole environment, umask, which of 0, 1, 2
are open, the stamp). The worker compiles with the client's own descriptors, so stdout and stderr are the
client's (a terminal stays a terminal for clang's colours) and files land where the client would
have written them. Replies are length-prefixed marshal dicts: {"worker": pid} first, then one of {"exit": status},
{"restart": why} (another version: start a new server) or {"stopping": pid}.
"""

from __future__ import annotations

# Only modules that cost nothing to import (built in, or already loaded at start-up): the client
# imports this on every compiler call. Hence _socket, not socket (which imports enum: 5 ms), marshal
# (the client and the server are one Python) rather than json, zlib's checksums rather than hashlib.
import _socket
import marshal
import os
import struct
import sys
import zlib

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes with its NUL
FRAME = struct.Struct("!I")
MAX_HEADER = 64 << 20

# The client's environment: MIRRORPASS_SERVER=on sends compiles to the server (default: off, in the client).
ENV_SERVER = "MIRRORPASS_SERVER"
# The server exits after this many seconds without a compile (default IDLE_SECONDS).
ENV_IDLE = "MIRRORPASS_SERVER_IDLE"
IDLE_SECONDS = 600.0
# Set in the environment of every compile the server runs: a mirror-cc started by one (the runtime
# archive's rebuild compiles the heap with mirror-cc) compiles itself instead of waiting for a worker.
ENV_IN_WORKER = "MIRRORPASS_SERVER_WORKER"


class Refused(Exception):
    """The server's directory or socket is not safely ours; the message says why."""


def enabled(environ=os.environ) -> bool:
    """Opt-in for now (MIRRORPASS_SERVER=on): two known faults keep it off by default -- compiles that
    wait on each other (`mirror-cc -E x.c | mirror-cc -x c -`) can hang when they outnumber the
    workers, and the server does not yet notice all runtime edits it must restart for (README)."""
    return environ.get(ENV_SERVER, "off").lower() in ("on", "1", "yes", "true") and not environ.get(ENV_IN_WORKER)


def server_dir(environ=os.environ) -> str:
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "mirrorpass")
    return f"/tmp/mirrorpass-{os.getuid()}"


def venv() -> str:
    """The venv we run in. Under `python -S` (the fast launcher) site never ran, so sys.prefix is
    still the base installation's: find the venv by its pyvenv.cfg, as site would."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
    return here if os.path.exists(os.path.join(here, "pyvenv.cfg")) else os.path.abspath(sys.prefix)


def key() -> str:
    """One server per installation: a second checkout (or venv) gets its own."""
    ident = f"{os.path.realpath(PACKAGE)}\0{venv()}"
    return _checksum(ident.encode("utf-8", "surrogateescape"))


def paths(environ=os.environ) -> dict[str, str]:
    base = os.path.join(server_dir(environ), f"cc-{key()}")
    return {name: f"{base}.{name}" for name in ("sock", "lock", "json", "log")}


def ensure_dir(environ=os.environ) -> str:
    """The server directory, created 0700; Refused unless it is ours and closed to others."""
    path = server_dir(environ)
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError as exc:
        raise Refused(f"cannot create {path}: {exc.strerror}") from None
    if not os.path.isdir(path) or os.path.islink(path):
        raise Refused(f"{path} is not a directory")
    if st.st_uid != os.getuid():
        raise Refused(f"{path} belongs to uid {st.st_uid}, not to us (uid {os.getuid()})")
    if st.st_mode & 0o077:
        raise Refused(f"{path} is open to other users (mode {st.st_mode & 0o777:o}); it must be 0700")
    return path


def check_socket(path: str) -> None:
    """Refused when the socket at `path` belongs to another user (FileNotFoundError when absent)."""
    st = os.lstat(path)
    if st.st_uid != os.getuid():
        raise Refused(f"{path} belongs to uid {st.st_uid}, not to us (uid {os.getuid()}): not using it")


def short_address(path: str) -> tuple[str, int | None]:
    """An address connect() takes for `path`: itself, or through /proc/self/fd/N when longer than a
    Unix socket's 107 bytes (a deep $XDG_RUNTIME_DIR). The descriptor, if any, is the caller's to close."""
    if len(path.encode("utf-8", "surrogateescape")) <= SOCKET_PATH_MAX:
        return path, None
    fd = os.open(os.path.dirname(path), os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    return f"/proc/self/fd/{fd}/{os.path.basename(path)}", fd


def stamp() -> str:
    """The version of the code a server keeps loaded: every module of mirrorpass (path, size, mtime)
    and the venv's packages (llvmlite, pyelftools)."""
    entries = []
    for root, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                entries.append(f"{os.path.relpath(path, PACKAGE)}:{st.st_size}:{st.st_mtime_ns}")
    # runtime files the pass reads when it is imported or preloaded: the mirror delta, the libc routes
    for name in ("base/layout.h", "libc/routes.h"):
        path = os.path.join(os.path.dirname(PACKAGE), "runtime", name)
        try:
            st = os.stat(path)
            entries.append(f"runtime/{name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            pass
    # llvmlite and the other packages: any pip install or upgrade in the venv renames entries of its
    # site-packages directory, which changes that directory's mtime (read without importing them).
    site = os.path.join(venv(), "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
    try:
        entries.append(f"site-packages:{os.stat(site).st_mtime_ns}")
    except OSError:
        pass
    return _checksum("\0".join([venv(), *sorted(entries)]).encode("utf-8", "surrogateescape"))


def _checksum(data: bytes) -> str:
    """64 bits: enough to tell versions and installations apart (this is no security boundary)."""
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def send_request(sock, header: dict, fds: list[int]) -> None:
    """`sock`: a socket.socket or _socket.socket."""
    body = marshal.dumps(header)
    data = FRAME.pack(len(body)) + body
    ancillary = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))] if fds else []
    sent = sock.sendmsg([data[:65536]], ancillary)
    sock.sendall(data[sent:])


def recv_request(sock) -> tuple[dict, list[int]]:
    """The header and the descriptors that came with it (which the caller owns)."""
    data, ancdata, _, _ = sock.recvmsg(65536, _socket.CMSG_LEN(3 * 4))
    received: list[int] = []
    for level, kind, payload in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            n = len(payload) // 4
            received += struct.unpack(f"{n}i", payload[: 4 * n])
    try:
        if not data:
            raise EOFError("connection closed without a request")  # a readiness probe
        if len(data) < FRAME.size:
            raise ValueError("short request")
        (length,) = FRAME.unpack(data[: FRAME.size])
        if length > MAX_HEADER:
            raise ValueError(f"request header of {length} bytes")
        body = bytearray(data[FRAME.size:])
        while len(body) < length:
            chunk = sock.recv(min(1 << 20, length - len(body)))
            if not chunk:
                raise ValueError("request cut short")
            body += chunk
        header = marshal.loads(bytes(body))
        if not isinstance(header, dict):
            raise ValueError("request is not a mapping")
        return header, received
    except BaseException:
        for fd in received:
            os.close(fd)
        raise


def send_reply(sock, **message) -> None:
    body = marshal.dumps(message)
    sock.sendall(FRAME.pack(len(body)) + body)


class Replies:
    """The server's replies, one at a time; None at end of stream."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def _fill(self, n: int) -> bool:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buffer += chunk
        return True

    def next(self) -> dict | None:
        if not self._fill(FRAME.size):
            return None
        (length,) = FRAME.unpack(self.buffer[: FRAME.size])
        if length > MAX_HEADER or not self._fill(FRAME.size + length):
            return None
        body, self.buffer = self.buffer[FRAME.size: FRAME.size + length], self.buffer[FRAME.size + length:]
        message = marshal.loads(body)
        return message if isinstance(message, dict) else None
