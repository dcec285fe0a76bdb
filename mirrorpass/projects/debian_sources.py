"""Pristine upstream sources of Debian (bookworm) source packages, and SQLite's amalgamation.

Standard library only; used by the real-project tests and `mirrorpass bench`::

    from mirrorpass.projects.debian_sources import fetch, sqlite_amalgamation
    tree = fetch("lua5.4")            # ~/.cache/mirrorpass/sources/lua5.4-5.4.4/
    amalg = sqlite_amalgamation()     # dir with sqlite3.c sqlite3.h shell.c speedtest1.c

Cache layout (``<base>`` is ``$MIRRORPASS_CACHE`` if set, else ``~/.cache/mirrorpass``)::

    <base>/sources/<package>-<upstream version>/     the unpacked .orig tarball, no Debian patches
    <base>/amalgamation/sqlite3-<upstream version>/  sqlite3.c sqlite3.h sqlite3ext.h shell.c speedtest1.c

Every cache entry is created in a ``.tmp-*`` directory next to it and renamed into place when complete,
so an interrupted run never leaves a half tree; a per-entry ``flock`` serialises concurrent callers.
Each entry holds ``.mirrorpass-source.json`` (or ``.mirrorpass-build.json``): versions, tarball
sha256, and how long each step took.

A cache hit needs neither root nor network. ``fetch(pkg)`` without a version returns the newest cached
version if there is one, so test results do not shift when Debian publishes a new revision; pass
``version=`` to insist on one (``fetch("sqlite3", version="3.40.1-2+deb12u2")``).

A miss needs network and, the first time, root: it adds ``deb-src`` entries for bookworm,
bookworm-updates and bookworm-security (``/etc/apt/sources.list.d/mirrorpass-src.sources``, same URIs,
components and Signed-By as the machine's ``deb`` entries), runs ``apt-get update`` only when a Sources
index is missing, then ``apt-get source --download-only PKG=VERSION`` in a temporary directory for the
versions ``apt-cache showsrc PKG`` lists, newest first, until one downloads and its upstream tarball
matches the checksum in its ``.dsc``. An index can list a version whose files are gone (a security pool
lagging its index, a pruned snapshot: zlib's ``1:1.2.13.dfsg-1+deb12u1`` answered 404 while
``1:1.2.13.dfsg-1`` downloaded), so a failed version is not the end; when every version fails, the
indexes are refreshed once (as root) and the versions tried again. The entry's metadata records the
version used and every version that failed, with why. Trees are meant to be read: copy one before
building in it (or build out of tree), the cache is shared.

Failures raise :class:`SourceFetchError` naming the package, the step and the tail of the command output;
when no version downloads, it names every version tried and why each failed.

Run as a script for manual use: ``python -m mirrorpass.projects.debian_sources sqlite3 lua5.4 --sqlite-amalgamation``.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import glob
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..cache import cache_base
from ..system import as_root, can_be_root

__all__ = [
    "SourceFetchError",
    "cache_base",
    "sources_dir",
    "fetch",
    "sqlite_amalgamation",
    "ensure_deb_src",
    "ensure_tclsh",
    "source_stanzas",
    "source_versions",
]

log = logging.getLogger("mirrorpass.debian_sources")

SUITES = ("bookworm", "bookworm-updates", "bookworm-security")
SRC_ENTRY_FILE = Path("/etc/apt/sources.list.d/mirrorpass-src.sources")
APT_ETC = Path("/etc/apt")
DEFAULT_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
DEFAULT_STANZAS = (
    ("http://deb.debian.org/debian", ("bookworm", "bookworm-updates")),
    ("http://deb.debian.org/debian-security", ("bookworm-security",)),
)
SOURCE_META = ".mirrorpass-source.json"
BUILD_META = ".mirrorpass-build.json"
AMALGAMATION_FILES = ("sqlite3.c", "sqlite3.h", "sqlite3ext.h", "shell.c", "speedtest1.c")
COMMAND_TIMEOUT = 1800  # seconds; apt-get update on a slow mirror, configure+make on a slow machine
OUTPUT_TAIL_LINES = 30


class SourceFetchError(RuntimeError):
    """A step of fetching or preparing a package's sources failed."""

    def __init__(self, package: str, step: str, message: str, output: str = "") -> None:
        self.package = package
        self.step = step
        self.output = output
        text = f"{package}: {step} failed: {message}"
        tail = "\n".join(output.rstrip().splitlines()[-OUTPUT_TAIL_LINES:])
        if tail:
            text += f"\n--- last {OUTPUT_TAIL_LINES} lines of output ---\n{tail}"
        super().__init__(text)


# ----------------------------------------------------------------------------------------- helpers


def sources_dir() -> Path:
    return cache_base() / "sources"


def _run(
    cmd: Sequence[str | os.PathLike[str]],
    package: str,
    step: str,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = COMMAND_TIMEOUT,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command, stdout and stderr merged; raise SourceFetchError on failure."""
    argv = [os.fspath(c) for c in cmd]
    log.debug("%s: %s: %s", package, step, " ".join(argv))
    full_env = dict(os.environ, LC_ALL="C", **(env or {}))
    full_env.setdefault("DEBIAN_FRONTEND", "noninteractive")
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        raise SourceFetchError(package, step, f"command not found: {argv[0]}") from exc
    except subprocess.TimeoutExpired as exc:
        out = exc.output if isinstance(exc.output, str) else (exc.output or b"").decode(errors="replace")
        raise SourceFetchError(package, step, f"timed out after {timeout:.0f} s: {' '.join(argv)}", out) from exc
    if check and proc.returncode != 0:
        raise SourceFetchError(
            package, step, f"exit status {proc.returncode}: {' '.join(argv)}", proc.stdout
        )
    return proc


class _Timer:
    """Collects step durations (seconds) for the metadata file and the log."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.steps: dict[str, float] = {}

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        log.info("%s: %s ...", self.package, name)
        t0 = time.monotonic()
        try:
            yield
        finally:
            dt = time.monotonic() - t0
            self.steps[name] = round(self.steps.get(name, 0.0) + dt, 3)
            log.info("%s: %s took %.1f s", self.package, name, dt)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remove_stale_tmp(parent: Path, prefix: str) -> None:
    """Remove leftovers of interrupted runs (call with the entry's lock held)."""
    for stale in parent.glob(f".tmp-{prefix}-*"):
        shutil.rmtree(stale, ignore_errors=True)


def upstream_version(debian_version: str) -> str:
    """'1:1.2.13.dfsg-1' -> '1.2.13.dfsg'; '3.40.1-2+deb12u1' -> '3.40.1'; native '1.0' -> '1.0'."""
    v = re.sub(r"^\d+:", "", debian_version)
    return v.rsplit("-", 1)[0] if "-" in v else v


def _compare_debian_versions(a: str, b: str) -> int:
    if a == b:
        return 0
    try:
        lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], check=False).returncode == 0
    except FileNotFoundError:  # not Debian: fall back to a plain string order
        return -1 if a < b else 1
    return -1 if lt else 1


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ------------------------------------------------------------------------------ deb-src configuration


def _parse_deb822(text: str) -> list[dict[str, str]]:
    """Paragraphs of a deb822 file; continuation lines kept (with their newline) in the value."""
    stanzas: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    key: str | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                stanzas.append(cur)
            cur, key = {}, None
            continue
        if line[0] in " \t" and key is not None:
            cur[key] += "\n" + line
            continue
        k, sep, v = line.partition(":")
        if not sep:
            continue
        key = k.strip().lower()
        cur[key] = v.strip()
    if cur:
        stanzas.append(cur)
    return stanzas


def _deb_entries() -> list[tuple[str, list[str], list[str], str | None]]:
    """(URI, suites, components, signed-by) of the machine's enabled `deb` entries for bookworm."""
    entries: list[tuple[str, list[str], list[str], str | None]] = []
    for path in sorted(APT_ETC.glob("sources.list.d/*.sources")):
        if path == SRC_ENTRY_FILE:
            continue
        try:
            stanzas = _parse_deb822(path.read_text(errors="replace"))
        except OSError:
            continue
        for st in stanzas:
            if st.get("enabled", "yes").strip().lower() == "no":
                continue
            if "deb" not in st.get("types", "").split():
                continue
            suites = [s for s in st.get("suites", "").split() if s in SUITES]
            if not suites:
                continue
            for uri in st.get("uris", "").split():
                entries.append((uri, suites, st.get("components", "main").split(), st.get("signed-by")))
    list_files = [APT_ETC / "sources.list", *sorted(APT_ETC.glob("sources.list.d/*.list"))]
    for path in list_files:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.split("#", 1)[0].strip()
            m = re.match(r"^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
            if not m or m.group(3) not in SUITES:
                continue
            opts = dict(
                o.split("=", 1) for o in (m.group(1) or "").split() if "=" in o
            )
            entries.append((m.group(2), [m.group(3)], m.group(4).split() or ["main"], opts.get("signed-by")))
    return entries


def _source_index_targets(package: str) -> list[tuple[str, str]]:
    """(release, index file) for every configured deb-src target, from apt's own parser."""
    out = _run(
        ["apt-get", "indextargets", "--format", "$(RELEASE)\t$(FILENAME)", "Created-By: Sources"],
        package,
        "apt-get indextargets",
    ).stdout
    targets = []
    for line in out.splitlines():
        if "\t" in line:
            rel, fn = line.split("\t", 1)
            targets.append((rel.strip(), fn.strip()))
    return targets


def _index_exists(filename: str) -> bool:
    stem = re.sub(r"\.(lz4|gz|xz|bz2|lzma|zst)$", "", filename)
    return os.path.exists(stem) or bool(glob.glob(glob.escape(stem) + ".*"))


def _src_entry_text(missing: set[str]) -> str:
    stanzas: list[str] = []
    seen: set[tuple[str, str]] = set()
    grouped: dict[tuple[str, str, str | None], list[str]] = {}
    for uri, suites, comps, signed_by in _deb_entries():
        for suite in suites:
            if suite in missing and (uri, suite) not in seen:
                seen.add((uri, suite))
                grouped.setdefault((uri, " ".join(comps), signed_by), []).append(suite)
    covered = {suite for _, suite in seen}
    for uri, suites in DEFAULT_STANZAS:  # suites with no deb entry to copy: Debian's defaults
        rest = [s for s in suites if s in missing and s not in covered]
        if rest:
            grouped.setdefault((uri, "main", DEFAULT_KEYRING), []).extend(rest)
    for (uri, comps, signed_by), suites in grouped.items():
        lines = ["Types: deb-src", f"URIs: {uri}", f"Suites: {' '.join(suites)}", f"Components: {comps}"]
        if signed_by:
            lines.append(f"Signed-By: {signed_by}")
        stanzas.append("\n".join(lines))
    header = "# Added by mirrorpass (tests/realworld/debian_sources.py) for `apt-get source`.\n"
    return header + "\n\n".join(stanzas) + "\n"


def ensure_deb_src(package: str = "(apt)", timer: _Timer | None = None, *, force_update: bool = False) -> bool:
    """Make sure bookworm's deb-src indexes are configured and present. Returns True if it updated."""
    timer = timer or _Timer(package)
    # apt-get update fails at once if another one holds /var/lib/apt/lists/lock: serialise ours
    # (parallel test workers fetching different packages).
    with _locked(sources_dir() / ".apt.lock"):
        return _ensure_deb_src_locked(package, timer, force_update)


def _ensure_deb_src_locked(package: str, timer: _Timer, force_update: bool) -> bool:
    targets = _source_index_targets(package)
    configured = {rel for rel, _ in targets}
    missing = set(SUITES) - configured
    need_update = force_update
    if missing:
        text = _src_entry_text(missing)
        if SRC_ENTRY_FILE.exists():
            # Our file is there but apt does not see some suite (edited or stale): rewrite it whole.
            text = _src_entry_text(set(SUITES) - (configured - _suites_in(SRC_ENTRY_FILE)))
        if not can_be_root():
            raise SourceFetchError(
                package,
                "add deb-src entry",
                f"no deb-src entry for {', '.join(sorted(missing))}, and adding one needs root (run once as "
                f"root or with passwordless sudo, or add this as {SRC_ENTRY_FILE}):\n{text}",
            )
        with timer.step("add deb-src entry"), tempfile.TemporaryDirectory() as scratch:
            staged = Path(scratch) / SRC_ENTRY_FILE.name
            staged.write_text(text)
            # install(1) writes a new file and renames it into place: apt never reads half of it.
            _run(as_root(["install", "-m", "0644", str(staged), str(SRC_ENTRY_FILE)]), package, "add deb-src entry")
            log.info("%s: wrote %s for %s", package, SRC_ENTRY_FILE, ", ".join(sorted(missing)))
        need_update = True
        targets = _source_index_targets(package)
    if not need_update:
        need_update = not targets or not all(_index_exists(fn) for _, fn in targets)
    if need_update:
        if not can_be_root():
            raise SourceFetchError(
                package, "apt-get update",
                "the deb-src indexes are missing and updating them needs root (or passwordless sudo): "
                "run `apt-get update` as root once"
            )
        with timer.step("apt-get update"):
            _run(as_root(["apt-get", "update", "-q"]), package, "apt-get update")
    return need_update


def _suites_in(path: Path) -> set[str]:
    try:
        return {s for st in _parse_deb822(path.read_text()) for s in st.get("suites", "").split()}
    except OSError:
        return set()


# ------------------------------------------------------------------------------------------- fetch


def _cached_tree(package: str, version: str | None) -> Path | None:
    root = sources_dir()
    if version is not None:
        p = root / f"{package}-{upstream_version(version)}"
        return p if (p / SOURCE_META).is_file() else None
    found: list[tuple[str, Path]] = []
    for p in root.glob(f"{glob.escape(package)}-*"):
        meta = p / SOURCE_META
        if not meta.is_file():
            continue
        try:
            info = json.loads(meta.read_text())
        except (OSError, ValueError):
            continue
        if info.get("package") == package:
            found.append((info.get("debian_version", ""), p))
    if not found:
        return None
    found.sort(key=functools.cmp_to_key(lambda a, b: _compare_debian_versions(a[0], b[0])))
    return found[-1][1]


def _parse_dsc(path: Path) -> dict[str, str]:
    text = path.read_text(errors="replace")
    # Signed .dsc: the paragraph is between the PGP header block and the signature.
    m = re.search(r"-----BEGIN PGP SIGNED MESSAGE-----\n(?:.+\n)*\n", text)
    if m:
        text = text[m.end():]
    text = text.split("-----BEGIN PGP SIGNATURE-----", 1)[0]
    stanzas = _parse_deb822(text)
    return stanzas[0] if stanzas else {}


def _stanza_versions(text: str, package: str) -> list[str]:
    """The distinct versions of source package `package` in `apt-cache showsrc` output, newest first.

    showsrc prints one stanza per index that lists a version (the same version can stand in bookworm
    and bookworm-security) and also the source packages of a binary package of that name: only
    stanzas whose Package is `package` count."""
    versions: list[str] = []
    for stanza in _parse_deb822(text):
        v = stanza.get("version", "")
        if stanza.get("package") == package and v and v not in versions:
            versions.append(v)
    versions.sort(key=functools.cmp_to_key(_compare_debian_versions), reverse=True)
    return versions


def source_stanzas(package: str) -> list[dict[str, str]]:
    """The `apt-cache showsrc --only-source` stanzas of source package `package`, its deb-src indexes
    added first where they are missing (keys lower-case: "binary", "build-depends"). Empty: none."""
    ensure_deb_src(package)
    proc = _run(["apt-cache", "showsrc", "--only-source", package], package, "apt-cache showsrc", check=False)
    return [stanza for stanza in _parse_deb822(proc.stdout) if stanza.get("package") == package]


def source_versions(package: str) -> list[str]:
    """Every version of a source package that the machine's deb-src indexes list, newest first."""
    proc = _run(["apt-cache", "showsrc", "--only-source", package], package, "apt-cache showsrc", check=False)
    versions = _stanza_versions(proc.stdout, package)
    if not versions:
        raise SourceFetchError(
            package, "apt-cache showsrc",
            f"the deb-src indexes list no source package {package!r} (`apt-cache showsrc --only-source "
            f"{package}` found none; a binary package's name will not do: `apt-cache showsrc {package}` "
            "names its source package)", proc.stdout)
    return versions


class _VersionFailed(Exception):
    """One version did not download or verify; the message says why (one line)."""


def first_that_works(versions: Sequence[str], attempt) -> tuple[str | None, object, list[dict[str, str]]]:
    """Call `attempt(version)` for each version in order until one does not raise _VersionFailed.

    Returns (the version, what attempt returned, the failed tries before it as {"version", "error"});
    (None, None, every try) when none works."""
    failed: list[dict[str, str]] = []
    for version in versions:
        try:
            return version, attempt(version), failed
        except _VersionFailed as exc:
            failed.append({"version": version, "error": str(exc)})
    return None, None, failed


def _apt_failure(output: str, returncode: int) -> str:
    """The reason apt gave, in one line: its first `E:` line (for a 404, the URL and status)."""
    errors = [ln[2:].strip() for ln in output.splitlines() if ln.startswith("E:")]
    if not errors:
        return f"apt-get source exited with status {returncode}"
    first = re.sub(r"\s+\[IP: [^\]]*\]", "", errors[0])
    return first + (f" (and {len(errors) - 1} more apt errors)" if len(errors) > 1 else "")


def _dsc_sha256(dsc: dict[str, str]) -> dict[str, str]:
    """file name -> sha256 from a .dsc's Checksums-Sha256 field."""
    sums = {}
    for line in dsc.get("checksums-sha256", "").splitlines():
        parts = line.split()
        if len(parts) == 3:
            sums[parts[2]] = parts[0]
    return sums


APT_HELPER = "/usr/lib/apt/apt-helper"
URI_LINE = re.compile(r"^'(?P<url>[^']+)' (?P<name>\S+) (?P<size>\d+) (?P<hash>SHA256:[0-9a-f]{64})$")


def _download_upstream_only(package: str, version: str, dl: Path, timer: _Timer, apt_error: str) -> None:
    """When `apt-get source` fails because a file we do not use is gone from the mirror (seen: bookworm's
    pixman_0.42.2-1.diff.gz answers 404 while its .dsc and .orig.tar.gz are there), fetch only the .dsc
    and the upstream tarballs (no Debian diff or debian.tar): apt's own URIs and SHA-256 sums from the
    signed index (`--print-uris`), each file checked by apt-helper. Raises _VersionFailed naming apt's
    first error and what this try found."""
    with tempfile.TemporaryDirectory() as empty:  # apt lists no URI for a file already in its directory
        proc = _run(["apt-get", "source", "--print-uris", "-q", f"{package}={version}"], package,
                    "apt-get source --print-uris", cwd=Path(empty), check=False)
    uris = [m.groupdict() for m in map(URI_LINE.match, proc.stdout.splitlines()) if m]
    wanted = [u for u in uris if u["name"].endswith(".dsc")
              or re.search(r"\.tar\.[a-z0-9]+$", u["name"]) and ".debian.tar." not in u["name"]]
    if proc.returncode != 0 or not wanted:
        raise _VersionFailed(apt_error)
    for uri in wanted:
        with timer.step(f"apt-helper download-file {uri['name']}"):
            got = _run([APT_HELPER, "download-file", uri["url"], str(dl / uri["name"]), uri["hash"]], package,
                       "apt-helper download-file", cwd=dl, check=False)
        if got.returncode != 0:
            raise _VersionFailed(f"{apt_error}; then {uri['name']} alone: {_apt_failure(got.stdout, got.returncode)}")
    skipped = sorted(u["name"] for u in uris if u not in wanted)
    log.info("%s: %s; fetched the .dsc and tarballs alone (not needed, not fetched: %s)", package, apt_error,
             ", ".join(skipped) or "none")


def _download_version(package: str, version: str, dl: Path, timer: _Timer) -> tuple[dict[str, str], Path, bool]:
    """Download one version into the empty directory dl and check it: (the .dsc's fields, the upstream
    tarball, whether the package is native). Raises _VersionFailed with apt's reason."""
    with timer.step(f"apt-get source --download-only {package}={version}"):
        proc = _run(["apt-get", "source", "--download-only", "-q", f"{package}={version}"], package,
                    "apt-get source --download-only", cwd=dl, check=False)
    if proc.returncode != 0:
        _download_upstream_only(package, version, dl, timer, _apt_failure(proc.stdout, proc.returncode))
    dscs = sorted(dl.glob("*.dsc"))
    if len(dscs) != 1:
        raise _VersionFailed(f"expected one .dsc, found {[p.name for p in dscs]}")
    dsc = _parse_dsc(dscs[0])
    deb_version = dsc.get("version", "")
    if deb_version != version:
        raise _VersionFailed(f"{dscs[0].name} is version {deb_version or '(none)'!r}")
    source_name = dsc.get("source", package)
    upver = upstream_version(deb_version)
    names = [p.name for p in dl.iterdir()]
    tar_re = re.compile(rf"^{re.escape(source_name)}_{re.escape(upver)}\.orig\.tar\.[a-z0-9]+$")
    tarballs = [n for n in names if tar_re.match(n)]
    native = False
    if not tarballs:  # native package: <src>_<version>.tar.*
        vnoep = re.sub(r"^\d+:", "", deb_version)
        native_re = re.compile(rf"^{re.escape(source_name)}_{re.escape(vnoep)}\.tar\.[a-z0-9]+$")
        tarballs = [n for n in names if native_re.match(n)]
        native = bool(tarballs)
    if len(tarballs) != 1:
        raise _VersionFailed(f"expected one upstream tarball among {sorted(names)}")
    tarball = dl / tarballs[0]
    expected = _dsc_sha256(dsc).get(tarball.name)
    if expected is None:
        raise _VersionFailed(f"{dscs[0].name} has no SHA-256 for {tarball.name}")
    if _sha256(tarball) != expected:
        raise _VersionFailed(f"{tarball.name} does not match the SHA-256 in {dscs[0].name}")
    return dsc, tarball, native


def _download(package: str, version: str | None, dl: Path, timer: _Timer,
              updated: bool) -> tuple[dict[str, str], Path, bool, list[dict[str, str]]]:
    """The newest listed version (or the pinned one) that downloads and verifies, and the failed tries."""
    def attempt(v: str) -> tuple[dict[str, str], Path, bool]:
        if v not in listed:
            raise _VersionFailed(f"not listed by the deb-src indexes (they list {', '.join(listed)})")
        for leftover in dl.iterdir():
            leftover.unlink() if leftover.is_file() else shutil.rmtree(leftover)
        return _download_version(package, v, dl, timer)

    failed: list[dict[str, str]] = []
    while True:
        listed = source_versions(package)
        found, result, tries = first_that_works([version] if version else listed, attempt)
        failed += [{**t, "error": t["error"] + (" (after apt-get update)" if failed else "")} for t in tries]
        if found is not None:
            dsc, tarball, native = result
            return dsc, tarball, native, failed
        if updated or not can_be_root():
            break
        # A stale index (a new revision was published, the old files are gone): refresh once, try again.
        log.info("%s: no listed version downloaded; refreshing the indexes and trying again", package)
        ensure_deb_src(package, timer, force_update=True)
        updated = True
    tried = "\n".join(f"  {f['version']}: {f['error']}" for f in failed)
    what = f"version {version} of {package} does not download" if version else \
        f"no version of {package} downloads; tried, newest first"
    raise SourceFetchError(package, "apt-get source --download-only", f"{what}:\n{tried}")


def _extract(package: str, tarball: Path, dest: Path) -> None:
    """Unpack a tarball into dest (must exist, empty)."""
    # The "data" filter (Python >= 3.11.4, 3.12) refuses absolute paths, "..", links leaving the
    # tree and device files. Without it (Debian's own python3 is 3.11.2), GNU tar(1) is used: it
    # also strips leading "/" and refuses ".." members by default.
    if hasattr(tarfile, "data_filter"):
        try:
            with tarfile.open(tarball) as tf:
                tf.extractall(dest, filter="data")
            return
        except tarfile.CompressionError:
            pass  # e.g. .tar.zst before Python 3.14: let tar(1) and its helpers do it
        except (tarfile.TarError, OSError) as exc:
            raise SourceFetchError(package, f"unpack {tarball.name}", str(exc)) from exc
        shutil.rmtree(dest)
        dest.mkdir()
    _run(["tar", "-x", "--no-same-owner", "-f", tarball, "-C", dest], package, f"unpack {tarball.name}")


def fetch(package: str, *, version: str | None = None) -> Path:
    """Unpacked pristine upstream source tree of a Debian bookworm source package (cached).

    The tree is the package's ``.orig`` tarball (or, for a native package, its only tarball) with no
    Debian patches applied; component tarballs (``.orig-<name>.tar.*``) are not unpacked.
    """
    if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", package):
        raise SourceFetchError(package, "check name", "not a Debian source package name")
    hit = _cached_tree(package, version)
    if hit is not None:
        return hit
    root = sources_dir()
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f".{package}.lock"):
        hit = _cached_tree(package, version)  # someone else may have fetched it meanwhile
        if hit is not None:
            return hit
        _remove_stale_tmp(root, package)
        timer = _Timer(package)
        t_all = time.monotonic()
        updated = ensure_deb_src(package, timer)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{package}-", dir=root))
        try:
            dl = tmp / "download"
            dl.mkdir()
            os.chmod(tmp, 0o755)
            os.chmod(dl, 0o777)  # lets apt's _apt sandbox user write there (else a warning)
            dsc, tarball, native, failed = _download(package, version, dl, timer, updated)
            deb_version, source_name = dsc["version"], dsc.get("source", package)
            upver = upstream_version(deb_version)
            names = [p.name for p in dl.iterdir()]

            unpack = tmp / "unpack"
            unpack.mkdir()
            with timer.step(f"unpack {tarball.name}"):
                _extract(package, tarball, unpack)
            entries = list(unpack.iterdir())
            tree = entries[0] if len(entries) == 1 and entries[0].is_dir() else unpack
            info = {
                "package": package,
                "source": source_name,
                "debian_version": deb_version,
                "upstream_version": upver,
                "version_requested": version,
                "versions_failed": failed,
                "native": native,
                "tarball": tarball.name,
                "tarball_sha256": _sha256(tarball),
                "tarball_top_dir": entries[0].name if tree is not unpack else None,
                # files of the source package we do not use, gone from the mirror (_download_upstream_only)
                "files_not_fetched": sorted(set(_dsc_sha256(dsc)) - set(names)),
                "components_not_unpacked": sorted(
                    n for n in names if ".orig-" in n and not n.endswith(".asc")
                ),
                "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "steps_seconds": timer.steps,
                "total_seconds": round(time.monotonic() - t_all, 3),
            }
            (tree / SOURCE_META).write_text(json.dumps(info, indent=2) + "\n")
            final = root / f"{package}-{upver}"
            if final.exists():
                if (final / SOURCE_META).is_file():  # same upstream version, another revision
                    return final
                raise SourceFetchError(package, "install into cache", f"{final} exists but is not a cache entry")
            os.rename(tree, final)
            log.info("%s: %s ready at %s (%.1f s)", package, deb_version, final, info["total_seconds"])
            return final
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def source_info(tree: Path) -> dict:
    """The metadata fetch() stored in a tree (versions, tarball sha256, step timings)."""
    return json.loads((Path(tree) / SOURCE_META).read_text())


# ------------------------------------------------------------------------------ SQLite amalgamation


def ensure_tclsh(package: str, timer: _Timer | None = None) -> str:
    """tclsh (SQLite's amalgamation and Redis's tests are made with Tcl), installing Debian's tcl if missing."""
    timer = timer or _Timer(package)
    for name in ("tclsh", "tclsh8.6"):
        found = shutil.which(name)
        if found:
            return found
    if not can_be_root():
        raise SourceFetchError(package, "find tclsh", "tclsh is missing; install the `tcl` package (needs root "
                               "or passwordless sudo): apt-get install tcl")
    install = as_root(["apt-get", "install", "-y", "-q", "--no-install-recommends", "tcl"])
    with timer.step("apt-get install tcl"), _locked(sources_dir() / ".apt.lock"):
        if _run(install, package, "apt-get install tcl", check=False).returncode != 0:  # a stale index
            _run(as_root(["apt-get", "update", "-q"]), package, "apt-get update")
            _run(install, package, "apt-get install tcl")
    found = shutil.which("tclsh") or shutil.which("tclsh8.6")
    if not found:
        raise SourceFetchError(package, "find tclsh", "tclsh still missing after installing `tcl`")
    return found


def sqlite_amalgamation(*, version: str | None = None) -> Path:
    """Directory with sqlite3.c, sqlite3.h, sqlite3ext.h, shell.c and speedtest1.c (cached).

    Built out of tree from Debian's pristine sqlite3 source with ``configure && make sqlite3.c
    shell.c``; speedtest1.c is the source tree's test/speedtest1.c.
    """
    package = "sqlite3"
    src = fetch(package, version=version)
    upver = source_info(src)["upstream_version"]
    root = cache_base() / "amalgamation"
    final = root / f"sqlite3-{upver}"
    if (final / BUILD_META).is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f".sqlite3-{upver}.lock"):
        if (final / BUILD_META).is_file():
            return final
        _remove_stale_tmp(root, f"sqlite3-{upver}")
        timer = _Timer(f"{package} amalgamation")
        t_all = time.monotonic()
        tclsh = ensure_tclsh(package, timer)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-sqlite3-{upver}-", dir=root))
        try:
            bld = tmp / "build"
            bld.mkdir()
            env = {"TCLSH_CMD": tclsh}
            if not shutil.which("cc") and not os.environ.get("CC"):
                clang = shutil.which("clang-22") or "/usr/bin/clang-22"
                env["CC"] = clang
            log_parts: list[str] = []
            with timer.step("configure"):
                proc = _run([src / "configure"], package, "configure (amalgamation)", cwd=bld, env=env)
                log_parts.append(proc.stdout)
            with timer.step("make sqlite3.c shell.c"):
                jobs = str(os.cpu_count() or 1)
                proc = _run(["make", "-j", jobs, "sqlite3.c", "shell.c"], package,
                            "make sqlite3.c shell.c", cwd=bld, env=env)
                log_parts.append(proc.stdout)
            out = tmp / "out"
            out.mkdir()
            for name in ("sqlite3.c", "sqlite3.h", "sqlite3ext.h", "shell.c"):
                origin = bld / name if (bld / name).exists() else src / "src" / name
                if not origin.exists():
                    raise SourceFetchError(package, "collect amalgamation", f"{name} was not produced")
                shutil.copy2(origin, out / name)
            speedtest = src / "test" / "speedtest1.c"
            if not speedtest.exists():
                raise SourceFetchError(package, "collect amalgamation", f"{speedtest} is missing")
            shutil.copy2(speedtest, out / "speedtest1.c")
            (out / "build.log").write_text("".join(log_parts))
            info = {
                "package": package,
                "upstream_version": upver,
                "debian_version": source_info(src)["debian_version"],
                "source_tree": str(src),
                "tclsh": tclsh,
                "env": env,
                "files": {n: _sha256(out / n) for n in AMALGAMATION_FILES},
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "steps_seconds": timer.steps,
                "total_seconds": round(time.monotonic() - t_all, 3),
            }
            (out / BUILD_META).write_text(json.dumps(info, indent=2) + "\n")
            os.rename(out, final)
            log.info("sqlite3 amalgamation ready at %s (%.1f s)", final, info["total_seconds"])
            return final
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packages", nargs="*", help="Debian source package names to fetch")
    ap.add_argument("--sqlite-amalgamation", action="store_true", help="also prepare SQLite's amalgamation")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    try:
        for pkg in args.packages:
            print(fetch(pkg))
        if args.sqlite_amalgamation:
            print(sqlite_amalgamation())
    except SourceFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
