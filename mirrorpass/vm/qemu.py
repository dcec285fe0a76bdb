"""Boot Debian's own kernel under qemu (TCG) and run test programs inside a busybox initramfs.

Standard library only. Why: this machine's kernel lacks CONFIG_MEMORY_FAILURE, so
``madvise(MADV_HWPOISON)`` fails with EINVAL here; Debian's bookworm kernel has it, and booting that
kernel under ``qemu-system-x86_64 -machine accel=tcg`` takes a few seconds (KVM hangs here).

Typical use (from a test)::

    from mirrorpass.vm.qemu import VMUnavailable, Program, ensure_vm, build_initramfs, run_vm, parse_results
    try:
        kernel = ensure_vm()                        # packages + kernel, or VMUnavailable(reason)
    except VMUnavailable as exc:
        pytest.skip(exc.reason)
    build_initramfs({"probe": Path("probe"), "x": Program(Path("x"), args=["-v"])}, tmp / "initrd.gz")
    text = run_vm(tmp / "initrd.gz", kernel=kernel, timeout=120)
    results = parse_results(text)                   # {"probe": ProgramResult(...), ...}
    assert results["probe"].signal == 7             # SIGBUS

Host side (needs root the first time, then nothing):

* Packages ``qemu-system-x86`` and ``busybox-static`` are installed with
  ``apt-get install -y --no-install-recommends`` when ``qemu-system-x86_64`` / the static busybox are
  missing (``apt-get update`` is run once and the install retried if it fails on a stale index).
* The kernel is Debian's ``linux-image-6.1.0-NN-amd64`` (the one that bookworm's ``linux-image-amd64``
  metapackage depends on, else the highest NN that ``apt-cache search`` lists). It is *not* installed:
  ``apt-get download`` fetches the .deb and only its ``./boot/`` is unpacked (``dpkg-deb --fsys-tarfile``,
  the part of ``dpkg -x`` that matters; the 400 MB of modules are not needed) into::

      <base>/kernel/<package>_<version>/boot/{vmlinuz-*,config-*,System.map-*}
      <base>/kernel/<package>_<version>/.mirrorpass-kernel.json     (versions, sha256, timings)

  where ``<base>`` is ``$MIRRORPASS_CACHE`` if set, else ``~/.cache/mirrorpass`` (as for
  tests/realworld/debian_sources.py). Entries are built in ``.tmp-*`` and renamed into place, under a
  ``flock``. A cache hit needs neither root nor network; without ``$MIRRORPASS_KERNEL_PACKAGE`` the newest
  cached kernel is used, so results do not shift when Debian publishes a new ABI.
* The kernel's config must say CONFIG_MEMORY_FAILURE=y, CONFIG_MMU=y and the few options an initramfs boot
  on a serial console needs (see REQUIRED_CONFIG); otherwise :class:`VMUnavailable` names the option.

Guest side: ``/init`` (busybox sh) mounts proc, sys, devtmpfs and a tmpfs on /tmp, keeps kernel messages
off the console (``printk`` console level 1; each program's kernel log is printed in its own section),
prints the info lines, runs each program in order and powers off. The console protocol::

    === INIT <uname -r> uptime=<s>        guest reached /init
    === INFO <key> <value>                 e.g. fsgsbase yes, early_kill 0
    === RUN <name>                         then the program's stdout+stderr
    === EXIT <name> <status> uptime=<t0>-<t1>   status as busybox sh's $?: 128+N means killed by signal N;
                                           t0, t1: /proc/uptime when it started and ended
    === KMSG <name>                        then the kernel log lines written while it ran (dmesg -c)
    === END <name>
    === DONE uptime=<s>

Programs are dynamically linked PIE executables: the shared libraries ``ldd`` names on the host
(libc.so.6, ld-linux-x86-64.so.2, ...) are copied in at the same paths. A program that exits with a code
above 128 cannot be told from a signal death: test programs should not.

Manual use::

    python -m mirrorpass.vm.qemu --setup              # packages + kernel, prints where
    python -m mirrorpass.vm.qemu ./prog1 './prog2 arg'   # boot once, run them, print the console
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gzip
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from ..cache import cache_base
from ..system import as_root, can_be_root

__all__ = [
    "VMUnavailable",
    "VMError",
    "Kernel",
    "Program",
    "ProgramResult",
    "VMRun",
    "cache_base",
    "kernel_cache_dir",
    "ensure_packages",
    "resolve_kernel_package",
    "ensure_kernel",
    "ensure_vm",
    "vm_unavailable_reason",
    "build_initramfs",
    "run_vm",
    "run_vm_timed",
    "parse_results",
    "boot_programs",
    "Boot",
    "clean_console",
    "parse_info",
]

log = logging.getLogger("mirrorpass.vm.qemu")

QEMU = "qemu-system-x86_64"
BUSYBOX_STATIC = Path("/bin/busybox")  # busybox-static's binary (also what `busybox` usually is)
HOST_PACKAGES = ("qemu-system-x86", "busybox-static")
KERNEL_FLAVOUR = "amd64"
KERNEL_SERIES = "6.1.0"  # bookworm's kernel ABI series: linux-image-6.1.0-NN-amd64
KERNEL_META = ".mirrorpass-kernel.json"
COMMAND_TIMEOUT = 1800  # seconds; apt on a slow mirror
DEFAULT_APPEND = "console=ttyS0 quiet panic=-1"
DEFAULT_MEMORY_MB = 512
OUTPUT_TAIL_LINES = 30

# name -> accepted values. CONFIG_MEMORY_FAILURE gives madvise(MADV_HWPOISON); the rest boot an initramfs
# with a serial console. (CONFIG_HWPOISON_INJECT is the debugfs injector, =m in Debian and not needed.)
REQUIRED_CONFIG: dict[str, tuple[str, ...]] = {
    "CONFIG_MEMORY_FAILURE": ("y",),
    "CONFIG_MMU": ("y",),
    "CONFIG_X86_64": ("y",),
    "CONFIG_BLK_DEV_INITRD": ("y",),
    "CONFIG_RD_GZIP": ("y",),
    "CONFIG_DEVTMPFS": ("y",),
    "CONFIG_TMPFS": ("y",),
    "CONFIG_PROC_FS": ("y",),
    "CONFIG_BINFMT_ELF": ("y",),
    "CONFIG_SERIAL_8250": ("y",),
    "CONFIG_SERIAL_8250_CONSOLE": ("y",),
}

NAME_RE = re.compile(r"^[A-Za-z0-9_.+-]+$")
MARKER_RE = re.compile(r"^=== (INIT|INFO|RUN|EXIT|KMSG|END|DONE)\b ?(.*)$")
SIGNAL_NAMES = {int(s): s.name for s in signal.Signals}


class VMUnavailable(RuntimeError):
    """qemu or the guest kernel cannot be had on this machine; ``reason`` is a one-paragraph skip reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class VMError(RuntimeError):
    """qemu ran but the guest did not do what was asked (no /init, timeout, ...): a failure, not a skip."""

    def __init__(self, message: str, output: str = "") -> None:
        self.output = output
        tail = "\n".join(output.rstrip().splitlines()[-OUTPUT_TAIL_LINES:])
        text = message + (f"\n--- last {OUTPUT_TAIL_LINES} lines of the console ---\n{tail}" if tail else "")
        super().__init__(text)


@dataclasses.dataclass(frozen=True)
class Kernel:
    package: str
    version: str
    release: str  # e.g. 6.1.0-56-amd64
    vmlinuz: Path
    config_path: Path
    config: Mapping[str, str]
    meta: Mapping[str, object]


@dataclasses.dataclass(frozen=True)
class Program:
    """An executable to run in the guest as ``/progs/<name> args...`` (stdin /dev/null, stderr to stdout)."""

    path: Path
    args: Sequence[str] = ()
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    timeout: int = 60  # seconds of guest time before SIGKILL (busybox timeout); 0 = none


@dataclasses.dataclass
class ProgramResult:
    name: str
    output: str = ""
    status: int | None = None  # busybox sh's $?; None when the program never finished (hang, VM died)
    kmsg: str = ""
    seconds: float | None = None  # guest time from start to end (/proc/uptime, 10 ms resolution)

    @property
    def finished(self) -> bool:
        return self.status is not None

    @property
    def signal(self) -> int | None:
        """The signal that killed the program, or None when it exited (or never finished)."""
        return self.status - 128 if self.status is not None and self.status > 128 else None

    @property
    def exit_code(self) -> int | None:
        """The exit code, or None when a signal killed the program (or it never finished)."""
        return self.status if self.status is not None and self.status <= 128 else None

    def describe(self) -> str:
        if self.status is None:
            return "did not finish"
        if self.signal is not None:
            return f"killed by signal {self.signal} ({SIGNAL_NAMES.get(self.signal, '?')})"
        return f"exited with {self.exit_code}"


@dataclasses.dataclass
class VMRun:
    text: str  # the whole serial console, "\r\n" turned into "\n"
    seconds: float  # wall time from starting qemu to its exit
    init_seconds: float | None  # wall time until "=== INIT" appeared (the boot)
    timed_out: bool
    returncode: int | None
    stderr: str


# ----------------------------------------------------------------------------------------- helpers



def kernel_cache_dir() -> Path:
    return cache_base() / "kernel"


def _run(cmd: Sequence[str | os.PathLike[str]], *, cwd: Path | None = None, timeout: float = COMMAND_TIMEOUT,
         stdout=subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    argv = [os.fspath(c) for c in cmd]
    log.debug("run: %s", " ".join(argv))
    env = dict(os.environ, LC_ALL="C", DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout,
                          stderr=subprocess.STDOUT, text=True, errors="replace", timeout=timeout, check=False)


def _tail(text: str, n: int = 12) -> str:
    return "\n".join(text.rstrip().splitlines()[-n:])


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_apt_updated = False


def _apt_update() -> subprocess.CompletedProcess[str]:
    global _apt_updated
    _apt_updated = True
    log.info("apt-get update ...")
    return _run(as_root(["apt-get", "update"]))


def _apt_retry(cmd: Sequence[str], *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run an apt command; on failure run `apt-get update` once (stale index, 404) and retry."""
    proc = _run(cmd, cwd=cwd)
    if proc.returncode != 0 and not _apt_updated and can_be_root():
        upd = _apt_update()
        if upd.returncode == 0:
            proc = _run(cmd, cwd=cwd)
    return proc


def _busybox_is_static(path: Path) -> bool:
    """True if `path` is a statically linked ELF (no PT_INTERP): what the initramfs needs."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(1 << 16)
    except OSError:
        return False
    if data[:4] != b"\x7fELF" or data[4] != 2:  # 64-bit only
        return False
    phoff = int.from_bytes(data[32:40], "little")
    phentsize = int.from_bytes(data[54:56], "little")
    phnum = int.from_bytes(data[56:58], "little")
    for i in range(phnum):
        off = phoff + i * phentsize
        if int.from_bytes(data[off:off + 4], "little") == 3:  # PT_INTERP
            return False
    return True


# ----------------------------------------------------------------------------------------- host packages


def apt_install(packages: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """apt-get install them (as root, through sudo if need be), after one `apt-get update` if it fails."""
    return _apt_retry(as_root(["apt-get", "install", "-y", "--no-install-recommends", *packages]))



def ensure_packages() -> dict[str, float]:
    """Install qemu-system-x86 / busybox-static when missing. Returns step timings; raises VMUnavailable."""
    timings: dict[str, float] = {}
    missing = []
    if shutil.which(QEMU) is None:
        missing.append("qemu-system-x86")
    if not _busybox_is_static(BUSYBOX_STATIC):
        missing.append("busybox-static")
    if not missing:
        return timings
    if not can_be_root():
        raise VMUnavailable(f"{', '.join(missing)} not installed, and installing them needs root or passwordless "
                            f"sudo: apt-get install {' '.join(missing)}")
    if shutil.which("apt-get") is None:
        raise VMUnavailable(f"{', '.join(missing)} not installed and no apt-get on this machine")
    t0 = time.monotonic()
    proc = apt_install(missing)
    timings["apt-get install " + " ".join(missing)] = round(time.monotonic() - t0, 3)
    if proc.returncode != 0:
        raise VMUnavailable(f"apt-get install {' '.join(missing)} failed (exit {proc.returncode}):\n"
                            f"{_tail(proc.stdout)}")
    if shutil.which(QEMU) is None:
        raise VMUnavailable(f"{QEMU} still missing after installing qemu-system-x86")
    if not _busybox_is_static(BUSYBOX_STATIC):
        raise VMUnavailable(f"{BUSYBOX_STATIC} is not a static binary after installing busybox-static")
    return timings


# ----------------------------------------------------------------------------------------- the kernel

_KPKG_RE = re.compile(rf"^linux-image-{re.escape(KERNEL_SERIES)}-(\d+)-{KERNEL_FLAVOUR}$")


def _abi(package: str) -> int:
    m = _KPKG_RE.match(package)
    return int(m.group(1)) if m else -1


def resolve_kernel_package() -> str:
    """The newest linux-image-6.1.0-NN-amd64 apt knows: the metapackage's Depends, else apt-cache search."""
    for attempt in range(2):
        proc = _run(["apt-cache", "depends", f"linux-image-{KERNEL_FLAVOUR}"])
        via_meta = [m.group(1) for m in re.finditer(r"Depends:\s*(linux-image-\S+)", proc.stdout)
                    if _KPKG_RE.match(m.group(1))]
        proc = _run(["apt-cache", "search", "--names-only", rf"^linux-image-{re.escape(KERNEL_SERIES)}-[0-9]+-"
                     rf"{KERNEL_FLAVOUR}$"])
        searched = [line.split(" ", 1)[0] for line in proc.stdout.splitlines() if _KPKG_RE.match(line.split(" ", 1)[0])]
        candidates = via_meta or searched
        if candidates:
            # The metapackage's candidate is the newest; take the max in case it lists several.
            return max(candidates, key=_abi)
        if attempt == 0 and can_be_root() and not _apt_updated:
            _apt_update()  # empty lists before the first update
    raise VMUnavailable(f"apt knows no linux-image-{KERNEL_SERIES}-NN-{KERNEL_FLAVOUR} package "
                        "(not a Debian bookworm apt configuration?)")


def parse_kernel_config(path: Path) -> dict[str, str]:
    config: dict[str, str] = {}
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("CONFIG_") and "=" in line:
            key, _, value = line.partition("=")
            config[key] = value.strip().strip('"')
        else:
            m = re.match(r"^# (CONFIG_\w+) is not set", line)
            if m:
                config[m.group(1)] = "n"
    return config


def check_kernel_config(config: Mapping[str, str]) -> list[str]:
    """Problems with the guest kernel's config, as 'CONFIG_X=n (need y)' strings; empty when fine."""
    problems = []
    for key, accepted in REQUIRED_CONFIG.items():
        have = config.get(key, "n")
        if have not in accepted:
            problems.append(f"{key}={have} (need {'/'.join(accepted)})")
    return problems


def _load_cached(entry: Path) -> Kernel | None:
    meta_path = entry / KERNEL_META
    try:
        meta = json.loads(meta_path.read_text())
        vmlinuz = entry / meta["vmlinuz"]
        config_path = entry / meta["config"]
        if not vmlinuz.is_file() or not config_path.is_file():
            return None
        return Kernel(meta["package"], meta["version"], meta["release"], vmlinuz, config_path,
                      parse_kernel_config(config_path), meta)
    except (OSError, ValueError, KeyError):
        return None


def _cached_kernels() -> list[Kernel]:
    base = kernel_cache_dir()
    if not base.is_dir():
        return []
    found = [k for e in base.iterdir() if not e.name.startswith(".") and e.is_dir() and (k := _load_cached(e))]
    return sorted(found, key=lambda k: (_abi(k.package), k.version))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _unpack_boot(deb: Path, root: Path) -> tuple[bool, str]:
    """`dpkg-deb --fsys-tarfile deb | tar -x ./boot/*`: the boot/ part of `dpkg -x deb root`."""
    with tempfile.TemporaryFile() as errors:
        dpkg = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE, stderr=errors)
        tar = subprocess.Popen(["tar", "-x", "-C", str(root), "--wildcards", "./boot/*"], stdin=dpkg.stdout,
                               stdout=errors, stderr=errors)
        assert dpkg.stdout is not None
        dpkg.stdout.close()
        rc_tar = tar.wait(timeout=COMMAND_TIMEOUT)
        rc_dpkg = dpkg.wait(timeout=COMMAND_TIMEOUT)
        errors.seek(0)
        out = errors.read().decode(errors="replace")
    return rc_tar == 0 and rc_dpkg == 0, out + f"\n[dpkg-deb exit {rc_dpkg}, tar exit {rc_tar}]"


def ensure_kernel(package: str | None = None) -> Kernel:
    """The guest kernel from the cache, fetching it on a miss. Raises VMUnavailable."""
    package = package or os.environ.get("MIRRORPASS_KERNEL_PACKAGE") or None
    cached = _cached_kernels()
    if package is None and cached:
        kernel = cached[-1]
    elif package is not None and (hit := [k for k in cached if k.package == package]):
        kernel = hit[-1]
    else:
        kernel = _fetch_kernel(package)
    problems = check_kernel_config(kernel.config)
    if problems:
        raise VMUnavailable(f"{kernel.package} ({kernel.config_path}) lacks: {', '.join(problems)}")
    return kernel


def _fetch_kernel(package: str | None) -> Kernel:
    if shutil.which("apt-get") is None:
        raise VMUnavailable("no guest kernel cached and no apt-get to fetch Debian's")
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    package = package or resolve_kernel_package()
    timings["resolve"] = round(time.monotonic() - t0, 3)
    base = kernel_cache_dir()
    with _locked(base / f".{package}.lock"):
        for k in _cached_kernels():  # someone else fetched it while we waited
            if k.package == package:
                return k
        for stale in base.glob(f".tmp-{package}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{package}-", dir=base))
        try:
            dl = tmp / "download"
            dl.mkdir()
            os.chmod(tmp, 0o755)
            os.chmod(dl, 0o777)  # let apt's _apt user write there (else a harmless "unsandboxed" warning)
            t0 = time.monotonic()
            proc = _apt_retry(["apt-get", "download", package], cwd=dl)
            timings["apt-get download"] = round(time.monotonic() - t0, 3)
            debs = sorted(dl.glob(f"{package}_*.deb"))
            if proc.returncode != 0 or not debs:
                raise VMUnavailable(f"apt-get download {package} failed (exit {proc.returncode}):\n"
                                    f"{_tail(proc.stdout)}")
            deb = debs[-1]
            version = deb.name.split("_")[1].replace("%3a", ":")
            # Only ./boot of the package (what `dpkg -x` would put there): vmlinuz, config, System.map.
            t0 = time.monotonic()
            root = tmp / "root"
            root.mkdir()
            ok, unpack_out = _unpack_boot(deb, root)
            timings["unpack boot/"] = round(time.monotonic() - t0, 3)
            vmlinuzes = sorted((root / "boot").glob("vmlinuz-*"))
            configs = sorted((root / "boot").glob("config-*"))
            if not ok or not vmlinuzes or not configs:
                raise VMUnavailable(f"unpacking {deb.name} gave no boot/vmlinuz-* and boot/config-*:\n"
                                    f"{_tail(unpack_out)}")
            release = vmlinuzes[0].name[len("vmlinuz-"):]
            entry_tmp = tmp / "entry"
            entry_tmp.mkdir()
            shutil.move(root / "boot", entry_tmp / "boot")
            config = parse_kernel_config(entry_tmp / "boot" / configs[0].name)
            meta = {
                "package": package,
                "version": version,
                "release": release,
                "vmlinuz": f"boot/{vmlinuzes[0].name}",
                "config": f"boot/{configs[0].name}",
                "deb": deb.name,
                "deb_sha256": _sha256(deb),
                "config_checked": {k: config.get(k, "n") for k in REQUIRED_CONFIG},
                "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "timings": timings,
            }
            (entry_tmp / KERNEL_META).write_text(json.dumps(meta, indent=2) + "\n")
            final = base / f"{package}_{version}"
            if final.exists():
                shutil.rmtree(final)
            os.rename(entry_tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    kernel = _load_cached(final)
    assert kernel is not None
    log.info("kernel %s %s cached in %s (%s)", package, version, final, timings)
    return kernel


def ensure_vm() -> Kernel:
    """Everything a boot needs: packages and the kernel. Raises VMUnavailable with a skip reason."""
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        raise VMUnavailable(f"the qemu harness needs an x86_64 Linux host, not {sys.platform}/{os.uname().machine}")
    ensure_packages()
    return ensure_kernel()


def vm_unavailable_reason() -> str | None:
    """None when a VM can be booted here, else why not (for pytest.skip)."""
    try:
        ensure_vm()
    except VMUnavailable as exc:
        return exc.reason
    return None


# ----------------------------------------------------------------------------------------- initramfs


class _Cpio:
    """A newc ("070701") cpio archive writer: directories, regular files, symlinks, device nodes."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._ino = 1
        self._seen: set[str] = set()

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0),
               nlink: int = 1) -> None:
        name = name.lstrip("/") or "."
        if name in self._seen:
            return
        self._seen.add(name)
        encoded = name.encode() + b"\0"
        fields = [self._ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
        self._ino += 1
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self._chunks.append(header + encoded + b"\0" * (-(len(header) + len(encoded)) % 4))
        self._chunks.append(data + b"\0" * (-len(data) % 4))

    def dir(self, name: str, perm: int = 0o755) -> None:
        parts = name.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            self._entry("/".join(parts[:i]), stat.S_IFDIR | perm, nlink=2)

    def file(self, name: str, data: bytes, perm: int = 0o644) -> None:
        parent = os.path.dirname(name.strip("/"))
        if parent:
            self.dir(parent)
        self._entry(name, stat.S_IFREG | perm, data)

    def symlink(self, name: str, target: str) -> None:
        parent = os.path.dirname(name.strip("/"))
        if parent:
            self.dir(parent)
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name: str, major: int, minor: int, perm: int = 0o600) -> None:
        self._entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0, nlink=1)
        body = b"".join(self._chunks)
        return body + b"\0" * (-len(body) % 512)


_LDD_ARROW = re.compile(r"^\s*(\S+)\s+=>\s+(/\S+)\s+\(0x[0-9a-f]+\)")
_LDD_ABS = re.compile(r"^\s*(/\S+)\s+\(0x[0-9a-f]+\)")


def shared_libraries(executable: Path) -> list[str]:
    """Absolute paths of the shared objects `executable` loads (ldd on the host), loader included."""
    proc = _run(["ldd", str(executable)], timeout=60)
    out = proc.stdout
    if "not a dynamic executable" in out or "statically linked" in out:
        return []
    if proc.returncode != 0:
        raise VMError(f"ldd {executable} failed (exit {proc.returncode})", out)
    paths = []
    for line in out.splitlines():
        if "not found" in line:
            raise VMError(f"ldd {executable}: a library is missing on the host", out)
        m = _LDD_ARROW.match(line) or _LDD_ABS.match(line)
        if m:
            paths.append(m.group(m.lastindex))
    return paths


def _init_script(programs: Mapping[str, Program]) -> str:
    lines = [
        "#!/bin/busybox sh",
        "/bin/busybox --install -s /bin",
        "export PATH=/bin",
        "mount -t proc proc /proc",
        "mount -t sysfs sysfs /sys",
        "mount -t devtmpfs devtmpfs /dev",
        "mount -t tmpfs tmpfs /tmp",
        # Kernel messages would interleave with program output on ttyS0: keep them off the console and
        # print each program's in its own section instead.
        "echo 1 > /proc/sys/kernel/printk",
        "dmesg -c > /tmp/boot.dmesg",
        'read up _ < /proc/uptime',
        "echo",  # the firmware leaves the cursor mid-line
        'echo "=== INIT $(uname -r) uptime=$up"',
        'if grep -qw fsgsbase /proc/cpuinfo; then fs=yes; else fs=no; fi',
        'echo "=== INFO fsgsbase $fs"',
        'if grep -qw la57 /proc/cpuinfo; then la=yes; else la=no; fi',
        'echo "=== INFO la57 $la"',
        'echo "=== INFO early_kill $(cat /proc/sys/vm/memory_failure_early_kill 2>/dev/null || echo none)"',
        'echo "=== INFO memory_failure_recovery $(cat /proc/sys/vm/memory_failure_recovery 2>/dev/null || echo none)"',
        'echo "=== INFO memtotal_kb $(grep MemTotal /proc/meminfo | tr -s " " | cut -d" " -f2)"',
        "cd /tmp",
    ]
    for name, prog in programs.items():
        for key in prog.env:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
                raise ValueError(f"{name}: bad environment variable name {key!r}")
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in prog.env.items())
        argv = " ".join(shlex.quote(a) for a in [f"/progs/{name}", *prog.args])
        timeout = f"timeout -s KILL {int(prog.timeout)} " if prog.timeout else ""
        prefix = f"env {env} " if env else ""
        lines += [
            f'echo "=== RUN {name}"',
            "read t0 _ < /proc/uptime",
            f"{prefix}{timeout}{argv} </dev/null 2>&1",
            "rc=$?",
            "read t1 _ < /proc/uptime",
            f'echo "=== EXIT {name} $rc uptime=$t0-$t1"',
            f'echo "=== KMSG {name}"',
            "dmesg -c",
            f'echo "=== END {name}"',
        ]
    lines += [
        'read up _ < /proc/uptime',
        'echo "=== DONE uptime=$up"',
        "sync",
        "poweroff -f",
        "echo o > /proc/sysrq-trigger",
        "sleep 5",
    ]
    return "\n".join(lines) + "\n"


def build_initramfs(programs: Mapping[str, Path | Program], out: Path, *,
                    extra_files: Mapping[str, Path] | None = None) -> Path:
    """Write a gzip'd newc cpio to `out`: static busybox, /init, /progs/<name> and their shared libraries.

    `programs` maps a name (letters, digits, ``_.+-``) to an executable or a :class:`Program` (arguments,
    environment, guest timeout); they run in the mapping's order. `extra_files` maps guest paths to host
    files copied in as they are.
    """
    progs = {n: p if isinstance(p, Program) else Program(Path(p)) for n, p in programs.items()}
    archive = _Cpio()
    for d in ("bin", "sbin", "dev", "proc", "sys", "tmp", "progs", "root", "etc"):
        archive.dir(d)
    archive.chardev("dev/console", 5, 1)
    archive.chardev("dev/null", 1, 3, 0o666)
    archive.chardev("dev/ttyS0", 4, 64)
    archive.file("bin/busybox", BUSYBOX_STATIC.read_bytes(), 0o755)
    archive.symlink("bin/sh", "busybox")
    libs: dict[str, None] = {}
    first_name: dict[Path, str] = {}  # a program run many times (a campaign) is stored once
    for name, prog in progs.items():
        if not NAME_RE.match(name):
            raise ValueError(f"program name {name!r} must match {NAME_RE.pattern}")
        path = Path(prog.path).resolve()
        if path in first_name:
            archive.symlink(f"progs/{name}", first_name[path])
            continue
        first_name[path] = name
        archive.file(f"progs/{name}", path.read_bytes(), 0o755)
        for lib in shared_libraries(path):
            libs[lib] = None
    for lib in libs:  # at the path ldd names, content of the symlink's target
        archive.file(lib, Path(lib).resolve().read_bytes(), 0o755)
    for guest, host in (extra_files or {}).items():
        archive.file(guest, Path(host).read_bytes(), Path(host).stat().st_mode & 0o7777)
    archive.file("init", _init_script(progs).encode(), 0o755)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as fh:
        fh.write(gzip.compress(archive.finish(), compresslevel=6, mtime=0))
    return out


# ----------------------------------------------------------------------------------------- booting


def qemu_command(kernel: Kernel, initramfs: Path, *, memory_mb: int = DEFAULT_MEMORY_MB,
                 append: str = DEFAULT_APPEND, cpu: str = "max", icount: int | None = None,
                 qemu: str = QEMU, devices: Sequence[str] = ()) -> list[str]:
    """`icount`: run the guest's clock on instructions (2**icount ns each) instead of the host's clock.
    `qemu`: another qemu-system-x86_64 (a build of our own); `devices`: options that replace the default
    devices (e.g. ``-nodefaults -serial mon:stdio`` for a build without VGA)."""
    # -nic none: no network card, so no iPXE option ROM at boot (about 0.5 s) and no network in the guest.
    cmd = [qemu, *devices, "-machine", "accel=tcg", "-cpu", cpu, "-m", str(memory_mb), "-nographic", "-no-reboot",
           "-nic", "none", "-kernel", str(kernel.vmlinuz), "-initrd", str(initramfs), "-append", append]
    if icount is not None:
        # sleep=off: an idle guest's clock jumps to its next timer instead of waiting for the host's.
        cmd += ["-icount", f"shift={icount},sleep=off"]
    return cmd


def run_vm_timed(initramfs: Path, *, kernel: Kernel | None = None, timeout: float = 180.0,
                 memory_mb: int = DEFAULT_MEMORY_MB, append: str = DEFAULT_APPEND, cpu: str = "max",
                 icount: int | None = None, qemu: str = QEMU, devices: Sequence[str] = (),
                 env: Mapping[str, str] | None = None) -> VMRun:
    """Boot the kernel with `initramfs`, return the serial console. qemu is killed after `timeout` s.
    `env`: qemu's environment (default: ours)."""
    kernel = kernel or ensure_vm()
    cmd = qemu_command(kernel, Path(initramfs), memory_mb=memory_mb, append=append, cpu=cpu, icount=icount,
                       qemu=qemu, devices=devices)
    log.info("boot: %s", " ".join(shlex.quote(c) for c in cmd))
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=None if env is None else dict(env))
    except OSError as exc:
        raise VMUnavailable(f"cannot start {cmd[0]}: {exc}") from exc
    chunks: list[bytes] = []
    init_at: list[float] = []
    stderr_chunks: list[bytes] = []

    def read_stdout() -> None:
        assert proc.stdout is not None
        seen = b""
        while True:
            data = proc.stdout.read1(65536)
            if not data:
                return
            chunks.append(data)
            if not init_at:
                seen = (seen + data)[-4096:]
                if b"=== INIT" in seen:
                    init_at.append(time.monotonic() - t0)

    def read_stderr() -> None:
        assert proc.stderr is not None
        for data in iter(lambda: proc.stderr.read1(65536), b""):
            stderr_chunks.append(data)

    readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    for r in readers:
        r.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        proc.wait()
    for r in readers:
        r.join(timeout=5)
    elapsed = time.monotonic() - t0
    text = clean_console(b"".join(chunks).decode(errors="replace"))
    stderr = b"".join(stderr_chunks).decode(errors="replace")
    return VMRun(text, elapsed, init_at[0] if init_at else None, timed_out, proc.returncode, stderr)


_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_]|[ -/][@-~]|c)")


def clean_console(raw: str) -> str:
    """Serial console bytes as text: "\\r\\n" -> "\\n", terminal escapes (the firmware's reset/clear) dropped."""
    return _ANSI_RE.sub("", raw.replace("\r\n", "\n")).replace("\r", "")


def run_vm(initramfs: Path, timeout: float = 180.0, **kwargs) -> str:
    """Boot and return the serial console text (see :func:`run_vm_timed` for the keyword arguments)."""
    return run_vm_timed(initramfs, timeout=timeout, **kwargs).text


_MARKER_INLINE_RE = re.compile(r"(?<=.)(?==== (?:EXIT|KMSG|END|DONE) )")


def _console_lines(text: str) -> list[str]:
    """Lines of the console; a marker that follows output without a final newline starts its own line."""
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend(_MARKER_INLINE_RE.split(line) if "=== " in line else [line])
    return lines


def parse_results(text: str) -> dict[str, ProgramResult]:
    """Split the console text into one ProgramResult per ``=== RUN`` marker, in order."""
    results: dict[str, ProgramResult] = {}
    current: ProgramResult | None = None
    section: str | None = None  # "out" | "kmsg"
    buf: list[str] = []

    def flush() -> None:
        if current is None or section is None:
            return
        body = "\n".join(buf)
        if section == "out":
            current.output = body
        else:
            current.kmsg = body

    for line in _console_lines(text):
        m = MARKER_RE.match(line)
        if not m:
            if section is not None:
                buf.append(line)
            continue
        kind, rest = m.group(1), m.group(2).strip()
        if kind == "RUN":
            flush()
            current = results.setdefault(rest, ProgramResult(rest))
            section, buf = "out", []
        elif kind == "EXIT" and current is not None:
            flush()
            parts = rest.split()
            if len(parts) >= 2 and parts[0] == current.name and parts[1].lstrip("-").isdigit():
                current.status = int(parts[1])
            span = re.fullmatch(r"uptime=([0-9.]+)-([0-9.]+)", parts[2]) if len(parts) >= 3 else None
            if span:
                current.seconds = float(span.group(2)) - float(span.group(1))
            section, buf = None, []
        elif kind == "KMSG" and current is not None:
            section, buf = "kmsg", []
        elif kind == "END":
            flush()
            section, buf = None, []
        elif kind in ("DONE", "INIT"):
            flush()
            section, buf = None, []
    flush()
    return results


def parse_info(text: str) -> dict[str, str]:
    """The ``=== INFO key value`` lines (plus ``kernel`` and ``init_uptime`` from ``=== INIT``)."""
    info: dict[str, str] = {}
    for line in text.split("\n"):
        m = MARKER_RE.match(line)
        if not m:
            continue
        if m.group(1) == "INFO":
            key, _, value = m.group(2).partition(" ")
            info[key] = value.strip()
        elif m.group(1) == "INIT":
            parts = m.group(2).split()
            if parts:
                info["kernel"] = parts[0]
            for p in parts[1:]:
                if p.startswith("uptime="):
                    info["init_uptime"] = p.split("=", 1)[1]
        elif m.group(1) == "DONE":
            for p in m.group(2).split():
                if p.startswith("uptime="):
                    info["done_uptime"] = p.split("=", 1)[1]
    return info


@dataclasses.dataclass
class Boot:
    run: VMRun
    results: dict[str, ProgramResult]
    info: dict[str, str]
    kernel: Kernel

    @property
    def completed(self) -> bool:
        return "=== DONE" in self.run.text


def boot_programs(programs: Mapping[str, Path | Program], workdir: Path, *, timeout: float = 180.0,
                  kernel: Kernel | None = None, extra_files: Mapping[str, Path] | None = None, **kwargs) -> Boot:
    """ensure_vm + build_initramfs + run_vm + parse: one boot running all `programs`.

    Raises VMUnavailable (skip) when the VM cannot be had, VMError when the guest never reached /init,
    timed out, or stopped before running every program.
    """
    kernel = kernel or ensure_vm()
    initrd = build_initramfs(programs, Path(workdir) / "initrd.gz", extra_files=extra_files)
    run = run_vm_timed(initrd, kernel=kernel, timeout=timeout, **kwargs)
    results = parse_results(run.text)
    boot = Boot(run, results, parse_info(run.text), kernel)
    if run.init_seconds is None:
        if run.returncode not in (0, None) and not run.text.strip():
            raise VMError(f"{kwargs.get('qemu', QEMU)} exited with {run.returncode} before any console output: "
                          f"{run.stderr.strip()}")
        raise VMError(f"the guest never reached /init (qemu exit {run.returncode}, timed out: {run.timed_out}, "
                      f"stderr: {run.stderr.strip()!r})", run.text)
    if not boot.completed:
        missing = [n for n in programs if n not in results or not results[n].finished]
        raise VMError(f"the guest stopped before finishing (timed out after {timeout:.0f} s: {run.timed_out}); "
                      f"unfinished: {missing}", run.text)
    return boot


# ----------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("programs", nargs="*", help="executables to run in the guest ('path arg...' to pass args)")
    parser.add_argument("--setup", action="store_true", help="only install packages and fetch the kernel")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--keep", type=Path, help="write the initramfs here instead of a temporary directory")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    t0 = time.monotonic()
    try:
        kernel = ensure_vm()
    except VMUnavailable as exc:
        print(f"VM unavailable: {exc.reason}", file=sys.stderr)
        return 2
    print(f"kernel: {kernel.package} {kernel.version} ({kernel.vmlinuz}); setup {time.monotonic() - t0:.1f} s",
          file=sys.stderr)
    if args.setup:
        return 0
    progs: dict[str, Program] = {}
    for spec in args.programs:
        words = shlex.split(spec)
        name = re.sub(r"[^A-Za-z0-9_.+-]", "_", Path(words[0]).name)
        while name in progs:
            name += "_"
        progs[name] = Program(Path(words[0]), args=words[1:])
    with tempfile.TemporaryDirectory(prefix="mirrorpass-vm-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        initrd = build_initramfs(progs, workdir / "initrd.gz")
        run = run_vm_timed(initrd, kernel=kernel, timeout=args.timeout)
    sys.stdout.write(run.text)
    print(f"\n[qemu exit {run.returncode}, {run.seconds:.1f} s, /init after "
          f"{run.init_seconds if run.init_seconds is None else round(run.init_seconds, 1)} s, "
          f"timed out: {run.timed_out}]", file=sys.stderr)
    for name, res in parse_results(run.text).items():
        print(f"{name}: {res.describe()}", file=sys.stderr)
    return 0 if "=== DONE" in run.text else 1


if __name__ == "__main__":
    sys.exit(main())
