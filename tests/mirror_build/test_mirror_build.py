"""mirror-build with real builds: Makefiles that hard-code gcc or use $(CC), a configure-style probe,
cmake, failing builds, the live view on a terminal, the --json summary, and mirror-cc's build log."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mirrorpass.elf.manifest import read_manifest
from tests.conftest import BIN, CLANG, MIRROR_CC, MIRROR_INCLUDE, MIRRORPASS

MIRROR_BUILD = str(BIN / "mirror-build")
CMAKE = shutil.which("cmake")
MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")

COUNTER_C = (
    "int counter;\nvoid bump(int n) { counter += n; }\n"
    'void fence(void) { __asm__ volatile("nop" ::: "memory"); }\n'
)
MAIN_C = (
    '#include <stdio.h>\nextern int counter; void bump(int); void fence(void);\n'
    'int main(void) { bump(41); bump(1); fence(); printf("%d\\n", counter); return counter != 42; }\n'
)
HARDCODED_MAKEFILE = """\
CC=gcc
prog: counter.o main.o
\t$(CC) -o prog counter.o main.o
%.o: %.c
\t$(CC) -O2 -c $< -o $@
"""
CC_MAKEFILE = """\
prog: counter.o main.o
\t$(CC) -o prog counter.o main.o
%.o: %.c
\t$(CC) -O1 -c $< -o $@
"""
JSON_KEYS = {"command", "options", "exit_code", "build_exit_code", "elapsed_seconds", "totals", "files",
             "warnings", "failed", "links"}
TOTAL_KEYS = {"files", "compiles", "functions", "mirrored", "skipped", "mirrored_by_kind", "skipped_by_kind",
              "warnings", "failed", "links"}
FILE_KEYS = {"source", "compiles", "functions", "mirrored", "skipped", "mirrored_by_kind", "skipped_by_kind",
             "warnings", "seconds", "status", "stage"}


@pytest.fixture(scope="session")
def build_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of every build: its own shim cache, no inherited build log."""
    env = dict(os.environ, MIRRORPASS_CACHE=str(tmp_path_factory.mktemp("cache")))
    env.pop("MIRRORPASS_BUILD_LOG", None)
    env.pop("CC", None)
    # Under `make test` the builds would be sub-makes of it: make[1] prints "Entering/Leaving directory"
    # and joins the outer jobserver. Each test build is a top-level build, as a user runs it.
    for name in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"):
        env.pop(name, None)
    return env


def mirror_build(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120):
    return subprocess.run([MIRROR_BUILD, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def inspect(binary: Path) -> dict:
    out = subprocess.run([MIRRORPASS, "inspect", "--json", str(binary)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def project(tmp_path: Path, makefile: str) -> Path:
    (tmp_path / "Makefile").write_text(makefile)
    (tmp_path / "counter.c").write_text(COUNTER_C)
    (tmp_path / "main.c").write_text(MAIN_C)
    return tmp_path


def test_makefile_that_hardcodes_gcc_is_built_by_mirror_cc(tmp_path, build_env):
    src = project(tmp_path, HARDCODED_MAKEFILE)
    res = mirror_build(["--json", "summary.json", "--", "make", "-j2"], src, build_env)
    assert res.returncode == 0, res.stderr
    # The build's stdout is make's own: the recipes it ran, nothing of mirror-build's.
    assert res.stdout.splitlines()[-1] == "gcc -o prog counter.o main.o"
    assert "mirror-build" not in res.stdout
    manifest = inspect(src / "prog")
    assert manifest["objects"] == 2
    names = {fn["name"] for fn in manifest["functions"]}
    assert {"bump", "fence", "main"} <= names
    assert {fn["addressing"] for fn in manifest["functions"]} == {"segment"}
    summary = json.loads((src / "summary.json").read_text())
    assert set(summary) == JSON_KEYS
    assert set(summary["totals"]) == TOTAL_KEYS
    assert all(set(f) == FILE_KEYS for f in summary["files"])
    assert summary["exit_code"] == summary["build_exit_code"] == 0
    assert sorted(f["source"] for f in summary["files"]) == ["counter.c", "main.c"]
    assert summary["totals"]["mirrored"] == manifest["totals"]["mirrored"] >= 1
    assert summary["links"] == [{"output": "prog", "inputs": 2, "runtime": True, "status": 0}]
    # The inline asm warning reaches the summary, the table and its list of warnings.
    assert [w["source"] for w in summary["warnings"]] == ["counter.c"]
    assert "inline asm" in summary["warnings"][0]["message"]
    assert "warnings (1):" in res.stderr and "total: 2 files" in res.stderr


def test_makefile_with_cc_variable_and_options_passed_through(tmp_path, build_env):
    src = project(tmp_path, CC_MAKEFILE)
    res = mirror_build(["--addressing=offset", "-f", "-fmirror-libc=wrap", "--json", "s.json", "--",
                        "make", "-j2"], src, build_env)
    assert res.returncode == 0, res.stderr
    manifest = inspect(src / "prog")
    assert manifest["objects"] == 2
    assert {fn["addressing"] for fn in manifest["functions"]} == {"offset"}
    run = subprocess.run(["./prog"], cwd=src, capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout == "42\n", run.stderr
    summary = json.loads((src / "s.json").read_text())
    assert summary["options"]["flags"] == ["-fmirror-mode=all", "-fmirror-addressing=offset", "-fmirror-libc=wrap"]
    # CC is the shim `cc`, so `$(CC)` in the recipes names it.
    assert "/cc -O1 -c counter.c" in res.stdout


CONFIGURE = """\
#!/bin/sh
# A configure in miniature: compile+link+run, an exit code, a probe that must fail, the preprocessor.
: "${CC:=cc}"
printf 'int main(void) { return 0; }\\n' > conftest.c
$CC -O2 -o conftest conftest.c || exit 10
./conftest || exit 11
printf 'int main(void) { return 3; }\\n' > conftest3.c
$CC -o conftest3 conftest3.c || exit 12
./conftest3; echo $? > run3.status
printf '#include <no_such_header_mirrorpass.h>\\nint x;\\n' > conftest_bad.c
$CC -c conftest_bad.c -o conftest_bad.o 2>/dev/null; echo $? > bad.status
$CC -E -DANSWER=42 conftest.c > cpp.out
echo "checking whether the C compiler works... yes"
"""


def test_configure_probe_sees_clang(tmp_path, build_env):
    (tmp_path / "configure").write_text(CONFIGURE)
    (tmp_path / "configure").chmod(0o755)
    res = mirror_build(["--addressing=offset", "--json", "s.json", "--", "./configure"], tmp_path, build_env)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "checking whether the C compiler works... yes\n"
    assert (tmp_path / "run3.status").read_text() == "3\n"
    clang_bad = subprocess.run([CLANG, "-c", "conftest_bad.c", "-o", "clang_bad.o"], cwd=tmp_path,
                               capture_output=True)
    assert int((tmp_path / "bad.status").read_text()) == clang_bad.returncode != 0
    clang_cpp = subprocess.run([CLANG, "-E", "-DANSWER=42", "conftest.c"], cwd=tmp_path, capture_output=True,
                               text=True)
    assert (tmp_path / "cpp.out").read_text() == clang_cpp.stdout
    assert inspect(tmp_path / "conftest")["objects"] == 1
    # The probe clang rejected is the build's business: counted, not a failure of mirror-build.
    summary = json.loads((tmp_path / "s.json").read_text())
    assert [(f["source"], f["stage"]) for f in summary["failed"]] == [("conftest_bad.c", "clang")]
    assert summary["exit_code"] == 0
    assert "rejected by clang and tolerated" in res.stderr


@pytest.mark.skipif(CMAKE is None, reason="cmake is not installed")
def test_cmake_configure_then_build_in_two_runs(tmp_path, build_env):
    src = tmp_path / "src"
    src.mkdir()
    (src / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(demo C)\nadd_executable(demo main.c counter.c)\n"
    )
    (src / "counter.c").write_text(COUNTER_C)
    (src / "main.c").write_text(MAIN_C)
    configure = mirror_build(["--addressing=offset", "--", CMAKE, "-S", "src", "-B", "out"], tmp_path, build_env)
    assert configure.returncode == 0, configure.stdout + configure.stderr
    assert "The C compiler identification is Clang 22" in configure.stdout
    assert "Detecting C compiler ABI info - done" in configure.stdout
    # A second mirror-build finds the compiler cmake recorded (the shims' directory is stable).
    build = mirror_build(["--addressing=offset", "--json", "s.json", "--", CMAKE, "--build", "out"], tmp_path,
                         build_env)
    assert build.returncode == 0, build.stdout + build.stderr
    assert inspect(tmp_path / "out" / "demo")["objects"] == 2
    run = subprocess.run([str(tmp_path / "out" / "demo")], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout == "42\n", run.stderr
    summary = json.loads((tmp_path / "s.json").read_text())
    assert sorted(f["source"] for f in summary["files"]) == ["src/counter.c", "src/main.c"]


def test_failed_build_exits_nonzero_and_names_the_file(tmp_path, build_env):
    src = project(tmp_path, CC_MAKEFILE)
    (src / "main.c").write_text("int main(void) { return 0 }\n")
    res = mirror_build(["--json", "s.json", "--", "make"], src, build_env)
    assert res.returncode == 2  # make's own exit code
    assert "expected ';' after return statement" in res.stderr  # clang's diagnostic passes through
    assert "failed compiles (1):" in res.stderr and "main.c: rejected by clang (exit 1)" in res.stderr
    assert "the build failed: make exited 2" in res.stderr
    summary = json.loads((src / "s.json").read_text())
    assert summary["exit_code"] == summary["build_exit_code"] == 2
    assert [f["source"] for f in summary["failed"]] == ["main.c"]


def test_build_that_exits_0_after_a_mirror_cc_failure_fails(tmp_path, build_env):
    # A build that ignores its compiler's failures; the failure is one of mirror-cc's own stages.
    record = {"event": "compile", "pid": 1, "source": str(tmp_path / "x.c"), "output": str(tmp_path / "x.o"),
              "addressing": "segment", "mode": "all", "functions": 0, "mirrored": 0, "skipped": 0,
              "mirrored_by_kind": {}, "skipped_by_kind": {}, "warnings": [], "seconds": 0.1, "status": 1,
              "stage": "mirror-cc"}
    script = f"printf '%s\\n' '{json.dumps(record)}' >> \"$MIRRORPASS_BUILD_LOG\"; exit 0"
    res = mirror_build(["--", "sh", "-c", script], tmp_path, build_env)
    assert res.returncode == 1
    assert "x.c: failed in mirror-cc (exit 1)" in res.stderr
    assert "sh exited 0, but mirror-cc failed on 1 source" in res.stderr


def test_mode_annotated_and_ignorelist_reach_every_compile(tmp_path, build_env):
    (tmp_path / "x.c").write_text(
        '#include "mirror.h"\nint g, h;\nMIRROR_PROTECT void set(void) { g = 1; }\nvoid other(void) { h = 2; }\n'
        "void hot(void) { h = 3; }\nint main(void) { set(); other(); hot(); return 0; }\n")
    (tmp_path / "ignore.txt").write_text("[mirror]\nfun:hot\n")
    script = f"mkdir -p sub && cd sub && cc -O2 -I{MIRROR_INCLUDE} ../x.c -o ../prog"
    res = mirror_build(["--mode=annotated", "--ignorelist", "ignore.txt", "--json", "b.json", "--", "sh", "-c", script],
                       tmp_path, build_env)
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "b.json").read_text())["options"]["mode"] == "annotated"
    selection = {fn.name: fn.selection for fn in read_manifest(tmp_path / "prog").functions if fn.source.endswith("x.c")}
    assert selection == {"set": "mirrored", "other": "unannotated", "hot": "ignorelisted", "main": "unannotated"}


def test_shims_come_first_and_do_not_recurse(tmp_path, build_env):
    (tmp_path / "x.c").write_text("int g; void set(void) { g = 1; }\n")
    res = mirror_build(["--", "sh", "-c", "command -v gcc; clang-22 -c x.c -o x.o && c99 -c x.c -o y.o"],
                       tmp_path, build_env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().startswith(build_env["MIRRORPASS_CACHE"])
    assert inspect(tmp_path / "x.o")["objects"] == 1 and inspect(tmp_path / "y.o")["objects"] == 1


def test_command_not_found(tmp_path, build_env):
    res = mirror_build(["--", "no-such-build-tool-mirrorpass"], tmp_path, build_env)
    assert res.returncode == 127 and "no-such-build-tool-mirrorpass: command not found" in res.stderr


def test_plain_progress_lines(tmp_path, build_env):
    src = project(tmp_path, CC_MAKEFILE)
    res = mirror_build(["--progress=plain", "--", "make"], src, build_env)
    assert res.returncode == 0, res.stderr
    assert "mirror-build: counter.c: 2 functions," in res.stderr


def test_live_view_on_a_terminal(tmp_path, build_env):
    """On a terminal the build's output (stdout and stderr) scrolls above the view; then the summary."""
    src = project(tmp_path, HARDCODED_MAKEFILE)
    master, slave = pty.openpty()
    proc = subprocess.Popen([MIRROR_BUILD, "--", "make", "-j2"], cwd=src, env=dict(build_env, COLUMNS="120"),
                            stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the terminal is gone
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    assert proc.wait(timeout=10) == 0
    text = output.decode("utf-8", errors="replace")
    assert "gcc -O2 -c counter.c -o counter.o" in text  # make's stdout
    assert "inline asm may write memory" in text  # mirror-cc's warning on the build's stderr
    assert "2 compiles, " in text and "✓ counter.c" in text  # the live view
    assert "total: 2 files" in text  # the summary table


def test_build_log_records_of_mirror_cc(tmp_path):
    """The driver's hook, without mirror-build: one line per compile and per link, also for failures,
    and whole lines when several mirror-cc run at once."""
    log = tmp_path / "log.jsonl"
    env = dict(os.environ, MIRRORPASS_BUILD_LOG=str(log))
    sources = []
    for n in range(6):
        (tmp_path / f"f{n}.c").write_text(f"int v{n}; void f{n}(int *p) {{ v{n} = *p; p[1] = {n}; }}\n")
        sources.append(f"f{n}.c")
    (tmp_path / "bad.c").write_text("int main(void) { return 0 }\n")

    def compile_one(name: str):
        return subprocess.run([MIRROR_CC, "-fPIC", "-c", name], cwd=tmp_path, env=env, capture_output=True, text=True)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(compile_one, [*sources, "bad.c"]))
    assert all(r.stdout == "" for r in results)
    link = subprocess.run([MIRROR_CC, "f0.o", "f1.o", "-shared", "-o", "libf.so"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert link.returncode == 0 and link.stdout == "", link.stderr

    records = [json.loads(line) for line in log.read_text().splitlines()]
    compiles = {Path(r["source"]).name: r for r in records if r["event"] == "compile"}
    starts = [r for r in records if r["event"] == "start"]
    assert len(starts) == len(compiles) == 7
    for name in sources:
        rec = compiles[name]
        assert rec["status"] == 0 and rec["stage"] is None
        assert rec["functions"] == 1 and rec["mirrored"] == 2 and rec["mirrored_by_kind"] == {"store": 2}
        assert rec["output"] == str(tmp_path / name.replace(".c", ".o"))
        assert rec["addressing"] == "segment" and rec["mode"] == "all"
    assert compiles["bad.c"]["status"] == 1 and compiles["bad.c"]["stage"] == "clang"
    links = [r for r in records if r["event"] == "link"]
    assert links == [{"event": "link", "pid": links[0]["pid"], "output": str(tmp_path / "libf.so"), "inputs": 2,
                      "runtime": False, "status": 0}]


@pytest.mark.skipif(shutil.which("ccache") is None, reason="ccache is installed by scripts/setup.sh")
def test_ccache_serves_the_second_build_and_the_program_is_the_same(tmp_path, build_env):
    src = project(tmp_path, HARDCODED_MAKEFILE)
    env = {**build_env, "CCACHE_DIR": str(tmp_path / "ccache")}
    env.pop("CCACHE_COMPILERCHECK", None)
    subprocess.run(["ccache", "--zero-stats"], env=env, check=True, capture_output=True)
    first = mirror_build(["--ccache", "--", "make"], src, env)
    assert first.returncode == 0, first.stderr
    before = (src / "counter.o").read_bytes()
    subprocess.run(["make", "clean"], cwd=src, env=env, capture_output=True)  # no such rule: remove by hand
    for name in ("counter.o", "main.o", "prog"):
        (src / name).unlink()
    second = mirror_build(["--ccache", "--", "make"], src, env)
    assert second.returncode == 0, second.stderr
    stats = subprocess.run(["ccache", "--print-stats"], env=env, check=True, capture_output=True, text=True).stdout
    counts = {k: int(v) for k, v in (line.split("\t") for line in stats.splitlines() if "\t" in line)
              if v.isdigit()}
    assert counts["cache_miss"] == 2, stats  # the first build's two compiles
    assert counts["direct_cache_hit"] + counts["preprocessed_cache_hit"] == 2, stats  # the second's
    assert (src / "counter.o").read_bytes() == before
    assert subprocess.run([str(src / "prog")], capture_output=True, text=True).stdout == "42\n"
    assert inspect(src / "prog")["objects"] == 2  # still mirror-cc's objects, with their manifest


def test_ccache_missing_is_a_clear_error(tmp_path, build_env):
    src = project(tmp_path, HARDCODED_MAKEFILE)
    tools = tmp_path / "tools"  # a PATH with make and clang-22 but no ccache
    tools.mkdir()
    for tool in (MAKE, CLANG):
        (tools / os.path.basename(tool)).symlink_to(tool)
    res = mirror_build(["--ccache", "--", "make"], src, {**build_env, "PATH": str(tools)})
    assert res.returncode != 0 and "--ccache: ccache is not installed (apt-get install ccache)" in res.stderr, res.stderr


def test_the_compiler_does_not_load_the_instrumented_libraries_ld_library_path_names(tmp_path, build_env):
    """libffi's DejaGnu suite points LD_LIBRARY_PATH at its instrumented .libs for the whole run: python3's
    ctypes (llvmlite) and clang's libLLVM then loaded the instrumented libffi.so.8, which refuses a process
    without the runtime, and every test compile failed. The shims keep LD_LIBRARY_PATH from the compiler."""
    libs = tmp_path / "libs"
    libs.mkdir()
    (tmp_path / "ffi.c").write_text("int not_ffi(int *p) { *p = 1; return 0; }\n")
    subprocess.run([MIRROR_CC, "-O2", "-fPIC", "-shared", str(tmp_path / "ffi.c"), "-Wl,-soname,libffi.so.8",
                    "-o", str(libs / "libffi.so.8")], check=True, env=build_env)
    (tmp_path / "src").mkdir()
    src = project(tmp_path / "src", CC_MAKEFILE)
    res = mirror_build(["--", "make"], src, {**build_env, "LD_LIBRARY_PATH": str(libs)})
    assert res.returncode == 0, res.stderr
    assert subprocess.run([str(src / "prog")], capture_output=True, text=True).stdout == "42\n"


CXX_MAKEFILE = """\
prog: counter.o main.o twice.o
\t$(CXX) -o prog counter.o main.o twice.o
%.o: %.c
\t$(CC) -O1 -c $< -o $@
twice.o: twice.cpp
\tg++ -O1 -c $< -o $@
"""
TWICE_CPP = (
    '#include <vector>\nstatic std::vector<int> seen;\n'
    'extern "C" int twice(int n) { seen.push_back(n); return 2 * n + int(seen.size()); }\n'
)


def test_a_link_by_the_cxx_compiler_gets_the_runtime_and_cxx_is_mirrored(tmp_path, build_env):
    """QEMU's meson links C objects with $(CXX) when it finds a C++ compiler: with CXX left as the build
    had it, the program got no runtime and the summary said nothing. CXX and `g++` are shims too now."""
    src = project(tmp_path, CXX_MAKEFILE)
    (src / "twice.cpp").write_text(TWICE_CPP)
    (src / "main.c").write_text(MAIN_C.replace("void fence(void);", "void fence(void); int twice(int);")
                                .replace("bump(41); bump(1);", "bump(twice(20)); bump(1);"))
    res = mirror_build(["--json", "s.json", "--", "make"], src, build_env)
    assert res.returncode == 0, res.stderr
    assert "/c++ -o prog" in res.stdout
    summary = json.loads((src / "s.json").read_text())
    assert summary["links"] == [{"output": "prog", "inputs": 3, "runtime": True, "status": 0}]
    assert sorted(f["source"] for f in summary["files"]) == ["counter.c", "main.c", "twice.cpp"]
    manifest = inspect(src / "prog")
    assert manifest["objects"] == 3
    assert any(fn["name"] == "twice" and fn["mirrored"] >= 1 for fn in manifest["functions"]), manifest["functions"]
    run = subprocess.run(["./prog"], cwd=src, capture_output=True, text=True,
                         env=dict(build_env, MIRROR_OPTIONS="verbosity=1"))
    assert run.returncode == 0 and run.stdout == "42\n", run.stderr
    assert "libstdc++.so.6" in run.stderr  # uninstrumented, and said so
