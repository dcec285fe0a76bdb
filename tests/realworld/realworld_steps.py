"""Steps of the real-project tests: run one command, keep its log, and on failure say which project,
which step, and the last lines of the log."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

TAIL_LINES = 40


class StepFailed(AssertionError):
    """A step of a real-project test failed: its message names the project and the step."""


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:])


def fail(project: str, step: str, why: str, log: str = "") -> None:
    message = f"{project}: step '{step}' failed: {why}"
    if log:
        message += f"\n--- last {TAIL_LINES} lines of its log ---\n{tail(log)}"
    raise StepFailed(message)


def run_step(
    project: str,
    step: str,
    cmd: list[str] | str,
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    log_dir: Path | None = None,
    stdin: bytes | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run cmd (a list, or a string for sh -c); stdout and stderr are bytes. The combined log is written
    to log_dir/<step>.log when log_dir is given. Raises StepFailed on a non-zero status or a timeout."""
    argv = ["sh", "-c", cmd] if isinstance(cmd, str) else [str(c) for c in cmd]
    full_env = dict(os.environ, **(env or {}))
    try:
        proc = subprocess.run(argv, cwd=cwd, env=full_env, input=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        log = (exc.stdout or b"").decode(errors="replace") + (exc.stderr or b"").decode(errors="replace")
        fail(project, step, f"timed out after {timeout:.0f} s (a hang): {' '.join(argv)}", log)
    log = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in step)
        (log_dir / f"{safe}.log").write_text(f"$ {' '.join(argv)}\n(cwd {cwd})\n{log}")
    if check and proc.returncode != 0:
        status = f"exit status {proc.returncode}"
        if proc.returncode < 0:
            status = f"killed by signal {-proc.returncode}"
        fail(project, step, f"{status}: {' '.join(argv)}", log)
    return proc


def copy_tree(src: Path, dest: Path) -> Path:
    """A private copy of a cached source tree (never build inside the cache)."""
    shutil.copytree(src, dest, symlinks=True)
    return dest


def read_stats(project: str, step: str, path: Path, log: str = "") -> dict:
    if not path.is_file():
        fail(project, step, f"the runtime wrote no stats file at {path}", log)
    return json.loads(path.read_text())


def check_stats(project: str, step: str, stats: dict, *, injected_at_least: int = 0, log: str = "") -> None:
    """The mirror was exact at exit and every lost page came back."""
    problems = []
    if stats.get("audit_divergent_bytes") != 0:
        problems.append(f"audit found {stats.get('audit_divergent_bytes')} divergent bytes")
    if stats.get("unrecoverable") != 0:
        problems.append(f"{stats.get('unrecoverable')} unrecoverable pages")
    if stats.get("injected", 0) < injected_at_least:
        problems.append(f"only {stats.get('injected')} pages injected, wanted >= {injected_at_least}")
    if problems:
        fail(project, step, "; ".join(problems) + f" (stats {stats})", log)
