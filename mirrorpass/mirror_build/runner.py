"""Running a build with mirror-cc as its C compiler: check mirror-cc takes the options, put the shims
first on PATH, start the build, follow its log, and return what it did.

The order matters: the probe compile runs before the build log exists, and it links, so a stale
runtime archive is rebuilt now (its heap is compiled by mirror-cc and must not show up in the
build's summary) instead of by the first link of a parallel build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from ..deps.prefix import active_prefix, pkg_config_path
from ..driver.build_log import ENV_BUILD_LOG
from ..errors import MirrorError
from ..server import client as server_client
from ..toolchain import CLANG_ENV, clang_path
from .shims import ENV_BUILD_FLAGS, ENV_CCACHE, install_shims
from .state import BuildState, LogTail
from .summary import BuildSummary
from .view import LiveView, NoView, PlainView

POLL_SECONDS = 0.1
# After the build exits, how long its last output may take to arrive (a daemon it left behind may
# hold the pipe open forever).
READER_GRACE_SECONDS = 5.0
PROBE_LINES = 6  # of mirror-cc's stderr quoted when the probe fails
PROBE_SOURCE = "int mirror_build_probe;\nint main(void) { mirror_build_probe = 1; return 0; }\n"


@dataclass(frozen=True)
class BuildOptions:
    command: tuple[str, ...]
    mode: str = "all"  # all | annotated
    addressing: str = "segment"  # segment | offset
    flags: tuple[str, ...] = ()  # more -fmirror-* options, passed through
    progress: str = "auto"  # auto | live | plain | none
    ccache: bool = False  # every compile through ccache, keyed on mirror-cc's identity

    def mirror_flags(self) -> list[str]:
        return [f"-fmirror-mode={self.mode}", f"-fmirror-addressing={self.addressing}", *self.flags]


def mirror_cc_path() -> str:
    """The mirror-cc installed next to this interpreter (a PATH lookup could find a shim)."""
    path = Path(sys.executable).parent / "mirror-cc"
    if not os.access(path, os.X_OK):
        raise MirrorError(f"mirror-cc not found at {path}; install the package (pip install -e .) in this venv")
    return str(path)


def probe(mirror_cc: str, flags: list[str], env: dict[str, str]) -> None:
    """Compile, then link, one tiny program with the build's flags. An option mirror-cc does not take
    (e.g. an -fmirror-ignorelist file with a malformed line) or a runtime that does not build fails here, in
    one message, not in the middle of a build -- nor inside a configure probe, which would only
    conclude that the C compiler is broken."""
    env = {k: v for k, v in env.items() if k != ENV_BUILD_LOG}
    with tempfile.TemporaryDirectory(prefix="mirror-build-probe-") as tmp:
        source, obj = Path(tmp) / "probe.c", Path(tmp) / "probe.o"
        source.write_text(PROBE_SOURCE)
        steps = [
            ([*flags, "-c", str(source), "-o", str(obj)], f"mirror-cc does not accept {' '.join(flags)}"),
            ([*flags, str(obj), "-o", str(Path(tmp) / "probe")], "mirror-cc cannot link a program"),
        ]
        for args, what in steps:
            proc = subprocess.run([mirror_cc, *args], capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                detail = "\n  ".join((proc.stderr or proc.stdout).strip().splitlines()[-PROBE_LINES:])
                raise MirrorError(f"{what} (checked before starting the build):\n  {detail}")


def ccache_environment() -> dict[str, str]:
    """--ccache: the shims run `ccache mirror-cc`, and ccache keys its cache on mirror-cc's identity
    (computed once for the build: ccache's default looks at the mirror-cc stub only, which a new pass
    leaves unchanged; a CCACHE_COMPILERCHECK of the user's own is kept)."""
    ccache = shutil.which("ccache")
    if ccache is None:
        raise MirrorError("--ccache: ccache is not installed (apt-get install ccache)")
    from ..driver.identity import identity  # noqa: PLC0415  (hashes the sources: only with --ccache)

    return {ENV_CCACHE: ccache, "CCACHE_COMPILERCHECK": os.environ.get("CCACHE_COMPILERCHECK") or f"string:{identity()}"}


def build_environment(shim_dir: Path, clang: str, flags: list[str], log_path: str) -> dict[str, str]:
    env = dict(os.environ)
    env[ENV_CCACHE] = ""
    env["PATH"] = os.pathsep.join([str(shim_dir), env.get("PATH", os.defpath)])
    env["CC"] = str(shim_dir / "cc")
    env["CXX"] = str(shim_dir / "c++")
    env[CLANG_ENV] = clang  # mirror-cc must find the real clang-22, not the shim of that name
    env[ENV_BUILD_FLAGS] = " ".join(flags)
    env[ENV_BUILD_LOG] = log_path
    prefix = active_prefix()
    if prefix is not None:  # pkg-config finds the instrumented dependencies first
        env["PKG_CONFIG_PATH"] = pkg_config_path(prefix, env.get("PKG_CONFIG_PATH"))
    return env


def _validate(options: BuildOptions) -> None:
    for flag in options.flags:
        if not flag.startswith("-fmirror-") or any(ch.isspace() for ch in flag):
            raise MirrorError(f"-f {flag!r}: only -fmirror-* options without blanks are passed to mirror-cc")
        if flag.startswith(("-fmirror-mode", "-fmirror-addressing")):
            raise MirrorError(f"-f {flag}: use --mode or --addressing for this")


def _same_terminal(fd_a: int, fd_b: int) -> bool:
    try:
        return os.isatty(fd_a) and os.isatty(fd_b) and os.ttyname(fd_a) == os.ttyname(fd_b)
    except OSError:
        return False


def run_build(options: BuildOptions, console: Console) -> BuildSummary:
    """Run the build; returns its summary (the build's exit code is in it). `console`: stderr's."""
    _validate(options)
    if not options.command:
        raise MirrorError("no build command after --; e.g. mirror-build -- make -j4")
    cached = ccache_environment() if options.ccache else {}
    mirror_cc = mirror_cc_path()
    clang = clang_path()  # resolved before the shims shadow `clang-22` on PATH
    flags = options.mirror_flags()
    shim_dir = install_shims(mirror_cc, clang)
    # The compile server for the build's mirror-cc calls (mirrorpass/server/): started now, so that no
    # compile of the build waits for it, and stopped at the end if this build started it.
    started = server_client.ensure_running()
    try:
        return _run_build(options, console, cached, mirror_cc, clang, flags, shim_dir)
    finally:
        if started:
            server_client.stop()


def _run_build(options: BuildOptions, console: Console, cached: dict[str, str], mirror_cc: str, clang: str,
               flags: list[str], shim_dir: Path) -> BuildSummary:
    # Without LD_LIBRARY_PATH, as the shims run it (shims.py: the compiler loads no instrumented library).
    probe(mirror_cc, flags, {**{k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}, CLANG_ENV: clang})

    progress = options.progress
    if progress == "auto":
        progress = "live" if console.is_terminal else "none"
    view = {"live": lambda: LiveView(console, list(options.command)), "plain": lambda: PlainView(console),
            "none": NoView}[progress]()
    with tempfile.TemporaryDirectory(prefix="mirror-build-") as tmp:
        log_path = os.path.join(tmp, "build-log.jsonl")
        env = {**build_environment(shim_dir, clang, flags, log_path), **cached}
        state = BuildState(os.getcwd())
        tail = LogTail(log_path)
        code = _run(options.command, env, view, state, tail)
    return state.summary(list(options.command), {"mode": options.mode, "addressing": options.addressing,
                                                  "flags": flags}, code)


def _run(command: tuple[str, ...], env: dict[str, str], view: NoView, state: BuildState, tail: LogTail) -> int:
    output_r = output_w = None
    if view.passes_output_through:
        # One pipe, so the build's stdout and stderr keep their order; its stdout goes through us only
        # when it shares the view's terminal (redirected, it goes where it was sent, untouched).
        output_r, output_w = os.pipe()
    try:
        proc = subprocess.Popen(list(command), env=env, stderr=output_w,
                                stdout=output_w if output_w is not None and _same_terminal(1, 2) else None)
    except OSError as exc:
        if output_r is not None:
            os.close(output_r)
        if isinstance(exc, FileNotFoundError):
            raise MirrorError(f"{command[0]}: command not found", exit_code=127) from None
        raise MirrorError(f"{command[0]}: cannot run it ({exc.strerror})", exit_code=126) from None
    finally:
        if output_w is not None:
            os.close(output_w)
    with view:
        reader = view.pass_through(os.fdopen(output_r, "rb")) if output_r is not None else None
        try:
            while True:
                try:
                    code = proc.wait(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    _follow(tail, state, view)
        except KeyboardInterrupt:
            proc.wait()  # the build got the SIGINT too; let it finish its clean-up
            raise
        if reader is not None:
            reader.join(timeout=READER_GRACE_SECONDS)
        _follow(tail, state, view)
    return 128 - code if code < 0 else code  # killed by signal N: the shell's 128+N


def _follow(tail: LogTail, state: BuildState, view: NoView) -> None:
    finished = [event for record in tail.read() if (event := state.add(record)) is not None]
    view.update(state, finished)
