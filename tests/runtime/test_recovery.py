"""Recovery (runtime/recovery/signal.c, runtime/inject/inject.c): real processes built by mirror-cc lose pages and get real
SIGBUS signals; the runtime rebuilds protected pages from their mirror, reports what it cannot rebuild in
one line and then lets the program get what it would have got without mirrorpass (its own handler, else
death by SIGBUS).

The programs are in programs/recovery/. Losses come from mirror_inject_error (the page is replaced by a
MAP_SHARED mapping of an empty memfd: the next access raises a genuine SIGBUS BUS_ADRERR) or from
kernel-style memory-error signals a thread queues to itself (rt_tgsigqueueinfo with si_code
BUS_MCEERR_AO/AR). The tests at the end are regression tests for bugs found this way; each program says
what went wrong before the fix.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from runtime_support import run, values

PROGRAMS = Path(__file__).resolve().parent / "programs"
SIGBUS_DEATH = -signal.SIGBUS
PAGE = 4096
# A program that should end within a second or two; a livelocked one is stopped here.
HANG_TIMEOUT = 10

RESTORED = re.compile(r"^mirrorpass: memory error \((\w+)\) at (0x[0-9a-f]+): page restored from its "
                      r"(mirror|native copy)$")


def program(name: str) -> str:
    return f"recovery/{name}.c"


def memory_error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("mirrorpass: memory error")]


def restored_pages(stderr: str) -> list[int]:
    return [int(m.group(2), 16) & ~(PAGE - 1) for m in map(RESTORED.match, stderr.splitlines()) if m]


def read_stats(path: Path) -> dict[str, int]:
    return json.loads(path.read_text())


def run_limited(binary: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """run() with a short timeout: a hang is a failure of its own, not a minute of waiting."""
    try:
        return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=HANG_TIMEOUT,
                              env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        pytest.fail(f"{binary.name} {' '.join(args)} hung (no end within {HANG_TIMEOUT}s); stdout so far: {stdout!r}")


def stdout_page(stdout: str) -> int:
    return int(values(stdout)["page"], 16)


# ---- the heap's own bookkeeping ----------------------------------------------------------------------------


def test_lost_allocator_metadata_is_rebuilt_and_the_allocator_runs_on(mirror_build, tmp_path):
    """Free lists threading through freed objects, free runs, the page map and the globals holding the
    central lists and bins are lost; the allocator goes on and the program computes the same checksum."""
    binary = mirror_build(program("allocator_meta"))
    clean = run(binary, "none")
    assert clean.returncode == 0, clean.stderr
    assert "checksum=" in clean.stdout

    stats_path = tmp_path / "stats.json"
    result = run(binary, "inject",
                 env={"MIRROR_OPTIONS": f"verbosity=1:stats_json={stats_path}:audit_at_exit=1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == clean.stdout, "the allocator computed something else after the losses"

    what: dict[int, str] = {}
    for kind, page in re.findall(r"^lost (\S+) (0x[0-9a-f]+)$", result.stderr, re.MULTILINE):
        what[int(page, 16)] = kind
    kinds = sorted(what.values())
    assert kinds.count("free-run") == 4 and kinds.count("page-map") >= 1, kinds
    assert kinds.count("freed-object") >= 50 and kinds.count("globals") >= 2, kinds

    # Which pages came back while the allocator ran on (before the program's final sweep).
    phase, during_reuse, restored = "setup", set(), []
    for line in result.stderr.splitlines():
        if line.startswith("phase: "):
            phase = line[len("phase: "):]
        elif match := RESTORED.match(line):
            page = int(match.group(2), 16) & ~(PAGE - 1)
            restored.append(page)
            assert match.group(1) == "injected" and match.group(3) == "mirror", line
            if phase == "reuse":
                during_reuse.add(page)
    assert sorted(restored) == sorted(what), "every lost page comes back exactly once (sweep included)"
    for kind in ("free-run", "page-map", "freed-object"):
        pages = {page for page, k in what.items() if k == kind}
        assert pages <= during_reuse, f"the allocator did not read its lost {kind} pages: {pages - during_reuse}"

    assert not [line for line in memory_error_lines(result.stderr) if "cannot restore" in line]
    assert "audit at exit: 0 divergent bytes" in result.stderr
    stats = read_stats(stats_path)
    assert stats["injected"] == len(what) and stats["recovered_pages"] == len(what), stats
    assert stats["unrecoverable"] == 0 and stats["audit_divergent_bytes"] == 0, stats


# ---- outside the protected domain: one line, then death by SIGBUS ---------------------------------------------


@pytest.mark.parametrize(("mode", "where"), [("stack", r"\[stack\]"), ("libc", r"/\S*/libc\.so\.6")])
def test_lost_page_outside_the_domain_is_reported_once_then_sigbus(mirror_build, mode, where):
    result = run(mirror_build(program("lost_outside")), mode)
    assert result.returncode == SIGBUS_DEATH, (result.returncode, result.stdout, result.stderr)
    page = stdout_page(result.stdout)
    assert result.stdout == f"page={page:#x}\n", "the program ran on after touching the lost page"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(rf"mirrorpass: memory error \(injected\): lost page {page:#x}-{page + PAGE:#x} in {where}: "
                        r"cannot restore, it is outside the protected domain", lines[0]), lines[0]


# ---- SIGBUS that is not a memory error: the program's own handler ------------------------------------------


@pytest.fixture(scope="module")
def own_handler_builds(mirror_build, runtime_archive, tmp_path_factory):
    """The mirror-cc build and a plain clang-22 build (no runtime) of own_handler.c."""
    native = tmp_path_factory.mktemp("native") / "own_handler"
    command = ["clang-22", "-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11", str(PROGRAMS / program("own_handler")),
               "-o", str(native)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return mirror_build(program("own_handler")), native


@pytest.mark.parametrize("how", ["sigaction", "signal"])
def test_own_sigbus_handler_gets_a_truncated_mapping_fault_and_continues(own_handler_builds, how):
    mirrored, native = own_handler_builds
    expected = run(native, how)
    assert expected.returncode == 0, expected.stderr
    result = run(mirrored, how)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected.stdout, "the program's handler saw something else than without mirrorpass"
    assert "mirrorpass:" not in result.stderr, result.stderr
    caught = re.findall(r"^caught=(\d) code=(-?\d+) addr_ok=(\d)$", result.stdout, re.MULTILINE)
    code = "2" if how == "sigaction" else "-1"  # BUS_ADRERR; signal() handlers get no siginfo
    addr_ok = "1" if how == "sigaction" else "0"
    assert caught == [(str(i), code, addr_ok) for i in range(3)], result.stdout
    seen = values(result.stdout)
    assert seen["old_handler_ok"] == "1" and seen["first_page"] == "a" and seen["continued"] == "1", result.stdout


def test_truncated_mapping_fault_without_a_handler_kills_by_sigbus_unreported(own_handler_builds):
    mirrored, native = own_handler_builds
    assert run(native, "none").returncode == SIGBUS_DEATH
    result = run(mirrored, "none")
    assert result.returncode == SIGBUS_DEATH, (result.returncode, result.stderr)
    assert result.stderr == "", "a SIGBUS that is no memory error was reported as one"


# ---- kernel-style memory-error signals through the real signal path ----------------------------------------


@pytest.mark.parametrize(
    ("mode", "code", "lost_before", "injected", "recovered", "unrecoverable"),
    [
        ("ao", "BUS_MCEERR_AO", "1", 1, 1, 0),
        ("ar", "BUS_MCEERR_AR", "1", 1, 1, 0),
        ("ar-intact", "BUS_MCEERR_AR", "0", 0, 1, 0),
        ("ao-unprotected", "BUS_MCEERR_AO", "0", 0, 0, 1),
    ],
)
def test_synthesised_memory_error_signal(mirror_build, tmp_path, mode, code, lost_before, injected, recovered,
                                          unrecoverable):
    stats_path = tmp_path / "stats.json"
    result = run(mirror_build(program("synth_siginfo")), mode,
                 env={"MIRROR_OPTIONS": f"verbosity=1:stats_json={stats_path}"})
    assert result.returncode == 0, (result.returncode, result.stderr)
    seen = values(result.stdout)
    page = int(seen["page"], 16)
    assert seen["lost_before"] == lost_before, result.stdout
    assert seen["lost_after"] == "0", "the page was still lost after the signal's handler ran"
    assert seen["intact"] == "1" and seen["continued"] == "1", result.stdout
    lines = memory_error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    if mode == "ao-unprotected":
        # Outside the domain, and not consumed yet (AO): say so, and let the program run on.
        assert lines[0] == (f"mirrorpass: memory error ({code}): lost page {page:#x}-{page + PAGE:#x} in "
                            "anonymous memory: cannot restore, it is outside the protected domain"), lines[0]
    else:
        assert lines[0] == f"mirrorpass: memory error ({code}) at {page + 123:#x}: page restored from its mirror"
    stats = read_stats(stats_path)
    assert (stats["injected"], stats["recovered_pages"], stats["unrecoverable"]) == (injected, recovered,
                                                                                   unrecoverable), stats
    assert stats["audit_divergent_bytes"] == 0


# ---- both copies lost ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("mode", "where"),
    [
        pytest.param("heap", "heap (heap)", id="heap"),
        # The handler must not read the lost RELRO page while reporting it (the runtime is built with
        # -fno-jump-tables: no switch tables in .data.rel.ro); it used to print "(null)".
        pytest.param("relro", "globals (globals)", id="relro"),
    ],
)
def test_both_copies_lost_is_reported_once_then_sigbus(mirror_build, mode, where):
    result = run(mirror_build(program("both_lost")), mode)
    page = stdout_page(result.stdout)
    assert result.returncode == SIGBUS_DEATH, (result.returncode, result.stdout, result.stderr)
    lines = memory_error_lines(result.stderr)
    assert lines == [f"mirrorpass: memory error (injected): lost page {page:#x}-{page + PAGE:#x} in {where}: "
                     "cannot restore, its mirror is lost too"], result.stderr
    assert result.stderr.splitlines() == lines


# ---- threads ------------------------------------------------------------------------------------------------


def test_threads_touching_one_lost_page_together(mirror_build, tmp_path):
    """Each round a fresh page is lost and six threads read and write it at once: one repairs it, the
    others wait and retry."""
    stats_path = tmp_path / "stats.json"
    result = run(mirror_build(program("threads_same_page")), env={"MIRROR_OPTIONS": f"stats_json={stats_path}"})
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    rounds = int(seen["rounds"])
    assert seen["bad_reads"] == "0" and seen["bad_pages"] == "0", result.stdout
    stats = read_stats(stats_path)
    # Each page counts once, however many threads faulted on it.
    assert stats["injected"] == rounds and stats["recovered_pages"] == rounds, stats
    assert stats["unrecoverable"] == 0 and stats["audit_divergent_bytes"] == 0, stats


def test_repair_is_never_seen_half_done(mirror_build):
    """A 2 MiB memory error (BUS_MCEERR_AO, si_addr_lsb 21) is repaired while another thread reads the
    block: it must only ever see the block's bytes. (The repair used to map a zero page in place first
    and copy the mirror into it there; it is now built elsewhere and moved in by one mremap.)"""
    result = run(mirror_build(program("repair_exposes_page")))
    seen = values(result.stdout)
    assert result.returncode == 0 and seen["bad_reads"] == "0", result.stdout
    assert seen["bad_bytes_after"] == "0"


# ---- handle_sigbus=0 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("handle", ["1", "0"])
def test_handle_sigbus_option(mirror_build, handle):
    result = run(mirror_build(program("inject_touch")), env={"MIRROR_OPTIONS": f"handle_sigbus={handle}"})
    page = stdout_page(result.stdout)
    if handle == "1":
        assert result.returncode == 0, result.stderr
        assert values(result.stdout)["intact"] == "1"
    else:
        # No repair: the lost page kills the program as it would kill one built without mirrorpass.
        assert result.returncode == SIGBUS_DEATH, (result.returncode, result.stdout, result.stderr)
        assert result.stdout == f"page={page:#x}\n"
        assert result.stderr == ""


# ---- the GOT ------------------------------------------------------------------------------------------------


def test_lost_got_page_comes_back_read_only_and_libc_calls_work(mirror_build, tmp_path):
    stats_path = tmp_path / "stats.json"
    result = run(mirror_build(program("got_loss")), env={"MIRROR_OPTIONS": f"verbosity=1:stats_json={stats_path}"})
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    seen = values(result.stdout)
    got = int(seen["got"], 16)
    assert seen["perms_before"] == "r--p", "mirror-cc links with -z now: the GOT is RELRO, read-only"
    assert (seen["len"], seen["pid_ok"], seen["text"]) == ("10", "1", "mirrorpass"), result.stdout
    assert seen["perms_after"] == "r--p", "the repaired GOT page must be read-only again"
    assert restored_pages(result.stderr) == [got], result.stderr
    stats = read_stats(stats_path)
    assert stats["injected"] == 1 and stats["recovered_pages"] == 1 and stats["unrecoverable"] == 0, stats


# ---- regressions --------------------------------------------------------------------------------------------


def test_page_lost_again_after_repair_comes_back_again(mirror_build):
    """The second loss used to find the first loss's REPAIRED slot: taken for a straggler, retried forever."""
    result = run_limited(mirror_build(program("reinject_same_page")))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "first repair ok\nsecond repair ok\n"


def test_repairs_after_the_spare_pages_and_in_a_forked_child(mirror_build, tmp_path):
    """The first 16 repairs take pre-faulted spare pages, later ones map a page; a forked child starts
    with its parent's spares copy-on-write. 40 losses in each process: every byte back, every repaired
    page writable and private to its process, the audit at exit clean."""
    stats_path = tmp_path / "stats.json"
    result = run_limited(mirror_build(program("spares_then_fresh")),
                         env={"MIRROR_OPTIONS": f"audit_at_exit=1:stats_json={stats_path}"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "child ok\nparent ok\n"
    children = list(tmp_path.glob("stats.json.*"))  # a forked child writes PATH.<pid>
    assert len(children) == 1, children
    for stats in (read_stats(stats_path), read_stats(children[0])):
        assert (stats["recovered_pages"], stats["unrecoverable"], stats["audit_divergent_bytes"]) == (40, 0, 0), stats


def test_injector_never_loses_both_copies_of_a_page(mirror_build, tmp_path):
    """inject_target=any used to lose a native page whose mirror it had lost earlier (untouched since)."""
    stats_path = tmp_path / "stats.json"
    result = run_limited(mirror_build(program("any_loses_both_copies")), env={
        "MIRROR_OPTIONS": f"inject_count=40:inject_interval_ms=1:inject_target=any:stats_json={stats_path}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sum=")
    assert "its mirror is lost too" not in result.stderr
    assert read_stats(stats_path)["unrecoverable"] == 0


def test_page_lost_inside_a_memcpy_keeps_the_copied_bytes(mirror_build):
    """The mirror copy of a memcpy used to read the native destination: a destination page lost between
    the two copies came back without the copied bytes, silently. It now reads the native source."""
    result = run(mirror_build(program("memcpy_window")))
    assert "the copy never touched" not in result.stdout, "the test did not set up the window"
    assert result.returncode == 0 and result.stdout.startswith("dst page 0: intact"), result.stdout


def test_lost_buffer_pages_are_rebuilt_before_a_system_call_meets_them(mirror_build, tmp_path):
    """The kernel fails read()/write() with EFAULT at a lost page (no SIGBUS): the routed wrappers touch
    the buffer's protected pages first, so the handler rebuilds them (minigzip used to print "Bad
    address" under heap injection); epoll_wait, poll and select are called again after touching it
    (redis-server died of "epoll_wait, Bad address")."""
    stats_path = tmp_path / "stats.json"
    result = run_limited(mirror_build(program("syscall_on_lost_page")),
                         env={"MIRROR_OPTIONS": f"stats_json={stats_path}:audit_at_exit=1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "write ok\nread ok\nwritev ok\nsend/recv ok\nepoll_wait ok\npoll ok\nselect ok\n"
    stats = read_stats(stats_path)
    assert stats["injected"] == stats["recovered_pages"] == 8, stats
    assert stats["unrecoverable"] == 0 and stats["audit_divergent_bytes"] == 0, stats


def test_page_lost_while_qsort_sorts_comes_back_sorted(mirror_build, tmp_path):
    """libc's qsort writes the array without mirror stores; a page lost mid-sort used to come back as
    it was before the sort (silently wrong results). The wrapper sorts a copy and copies it in."""
    stats_path = tmp_path / "stats.json"
    result = run_limited(mirror_build(program("qsort_loss")),
                         env={"MIRROR_OPTIONS": f"stats_json={stats_path}:audit_at_exit=1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "sorted=1 same=1 calls_past_loss=1\n", result.stdout
    stats = read_stats(stats_path)
    assert stats["injected"] == stats["recovered_pages"] == 1 and stats["audit_divergent_bytes"] == 0, stats


def test_page_lost_while_a_thread_waits_comes_back_with_the_mutex_released(mirror_build):
    """pthread_cond_wait releases the mutex inside libc; the mirror used to keep it locked for the whole
    wait, so the rebuilt page had the mutex locked and the next pthread_mutex_lock waited for ever
    (Redis's type suite hung under injection). The blocked-wait syncer (wrap_sync.c) keeps it current."""
    result = run_limited(mirror_build(program("lost_while_waiting")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("page=") and result.stdout.endswith("woke\n"), result.stdout
    assert len(restored_pages(result.stderr + "\n")) <= 1


def test_mirror_page_lost_inside_a_memmove_keeps_the_moved_bytes(mirror_build):
    """memmove's mirror move used to run before the native one: a mirror page lost and rebuilt (from
    native) in between kept the old bytes, and no recopy followed (runtime/mirror/copy.c)."""
    result = run(mirror_build(program("move_mirror_lost")))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "native ok=1 mirror_diff=0 faults=1\n"


# ---- mirror_exclude: memory that code mirror-cc did not compile writes ------------------------------------


def test_an_excluded_page_is_never_restored_from_its_stale_mirror(mirror_build):
    """QEMU's TCG-generated code stores into the vCPU state with no mirror store: restored from the mirror,
    the page would bring back old register values silently. Excluded, its loss is reported with the reason
    and the program dies of it as it would have without mirrorpass."""
    result = run_limited(mirror_build(program("excluded")), "lose")
    assert result.returncode == SIGBUS_DEATH, (result.stdout, result.stderr)
    assert "read=" not in result.stdout
    page = stdout_page(result.stdout)
    lines = memory_error_lines(result.stderr)
    assert len(lines) == 1 and f"lost page {page:#x}-{page + PAGE:#x} in heap" in lines[0], result.stderr
    assert "its mirror may be stale: code mirror-cc did not compile writes it (mirror_exclude: vCPU state: " \
           "generated code)" in lines[0]


def test_excluded_pages_are_left_out_of_the_audit_and_listed_in_stats_json(mirror_build, tmp_path):
    binary = mirror_build(program("excluded"))
    plain = run_limited(binary, "plain")
    assert plain.returncode == 0 and values(plain.stdout)["divergent"] == "1", plain.stdout
    stats = tmp_path / "stats.json"
    result = run_limited(binary, "audit", env={"MIRROR_OPTIONS": f"stats_json={stats}"})
    assert result.returncode == 0 and values(result.stdout)["divergent"] == "0", (result.stdout, result.stderr)
    page = stdout_page(result.stdout)
    listed = read_stats(stats)
    # Whole pages: the first one (which holds state + 100) through the one holding the range's last byte.
    assert listed["excluded"] == [{"start": hex(page - PAGE), "end": hex(page + 2 * PAGE), "why": "vCPU state: generated code"}]
    assert listed["excluded_bytes"] == 3 * PAGE


# ---- SIGBUS kept deliverable when the program blocks it (QEMU does) ----------------------------------------


@pytest.mark.parametrize("mode", ["pthread_sigmask", "sigprocmask", "handler", "thread", "signalfd"])
def test_a_page_lost_while_the_program_blocks_sigbus_is_repaired(mirror_build, mode):
    """A synchronous SIGBUS on a thread that blocks it is forced through with the default action: the
    process would die of a page the runtime can rebuild. The program still sees its own mask."""
    result = run_limited(mirror_build(program("blocked_sigbus")), mode)
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    seen = values(result.stdout)
    assert seen["intact"] == "1", result.stdout
    if mode != "handler":  # the handler's mask is the kernel's doing: there is no call to read it back
        assert seen["blocked_view"] == "1", result.stdout
    if mode in ("pthread_sigmask", "signalfd"):
        assert seen["old_had_sigbus"] == "0" and seen["after_unblock_view"] == "0", result.stdout
    if mode == "signalfd":
        assert seen["signalfd_read"] == "0", result.stdout  # the runtime took it, not QEMU's main loop


def test_a_blocked_sigbus_the_runtime_cannot_repair_still_kills(mirror_build):
    """handle_sigbus=0: the runtime keeps out of SIGBUS entirely, and the program's mask is the kernel's."""
    result = run_limited(mirror_build(program("blocked_sigbus")), "pthread_sigmask",
                         env={"MIRROR_OPTIONS": "handle_sigbus=0"})
    assert result.returncode == SIGBUS_DEATH, (result.stdout, result.stderr)
    assert values(result.stdout)["blocked_view"] == "1"
