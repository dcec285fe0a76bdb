"""Libraries mirror-cc did not build (mirrorpass/deps, runtime/domain/libraries.c): mirror-cc warns when it
links one (the real system libz, found by dpkg in Debian's zlib), -fmirror-uninstrumented=error fails
the link, the runtime lists the ones it loads in stats_json and names a dlopen'd one."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import CLANG, MIRROR_CC, MIRROR_INCLUDE, MIRRORPASS, REPO

ZLIB_PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
int main(void) {
    unsigned long n = 1 << 16, out = compressBound(n);
    unsigned char *src = malloc(n), *dst = malloc(out);
    for (unsigned long i = 0; i < n; i++) src[i] = (unsigned char)(i * 7 % 251);
    if (compress2(dst, &out, src, n, 6) != Z_OK) return 1;
    printf("%lu -> %lu\n", n, out);
    return 0;
}
"""


def mirror_cc(tmp_path, *args):
    # No prefix of instrumented dependencies (mirrorpass/deps/prefix.py): the system's libz is the subject.
    env = {**os.environ, "MIRRORPASS_DEPS_PREFIX": ""}
    return subprocess.run([str(MIRROR_CC), *args], cwd=tmp_path, capture_output=True, text=True, env=env)


@pytest.fixture
def zlib_source(tmp_path):
    (tmp_path / "z.c").write_text(ZLIB_PROGRAM)
    return tmp_path


def test_linking_the_system_libz_warns_with_its_path_and_source_package(zlib_source):
    proc = mirror_cc(zlib_source, "-O2", "z.c", "-lz", "-o", "z")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("mirror-cc: warning:")]
    assert len(warnings) == 1, proc.stderr
    assert "z loads libz.so.1 (/" in warnings[0] and "libz.so.1), which mirror-cc did not build" in warnings[0]
    assert "Debian's source package zlib (apt-get source zlib" in warnings[0]
    assert (zlib_source / "z").exists()


def test_error_policy_fails_the_link_and_leaves_no_output(zlib_source):
    proc = mirror_cc(zlib_source, "-O2", "z.c", "-lz", "-o", "z", "-fmirror-uninstrumented=error")
    assert proc.returncode == 1 and "mirror-cc: error: z loads libz.so.1" in proc.stderr, proc.stderr
    assert not (zlib_source / "z").exists()


def test_allow_policy_and_glibc_alone_say_nothing(zlib_source):
    assert mirror_cc(zlib_source, "-O2", "z.c", "-lz", "-o", "z", "-fmirror-uninstrumented=allow").stderr == ""
    (zlib_source / "m.c").write_text("#include <math.h>\nint main(int c, char **v) { (void)v; return (int)sqrt(c); }\n")
    assert mirror_cc(zlib_source, "-O2", "m.c", "-lm", "-lpthread", "-o", "m").stderr == ""


def test_an_instrumented_library_is_not_warned_about(tmp_path):
    (tmp_path / "lib.c").write_text("int lib_value(int x) { static int last; last = x; return last + 1; }\n")
    (tmp_path / "main.c").write_text("int lib_value(int);\nint main(void) { return lib_value(1) - 2; }\n")
    lib = mirror_cc(tmp_path, "-O2", "-fPIC", "-shared", "lib.c", "-o", "libmine.so")
    assert lib.returncode == 0 and lib.stderr == "", lib.stderr
    proc = mirror_cc(tmp_path, "-O2", "main.c", "-L.", "-lmine", f"-Wl,-rpath,{tmp_path}", "-o", "main")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_the_runtime_lists_uninstrumented_libraries_and_names_a_dlopened_one(tmp_path, zlib_source):
    assert mirror_cc(zlib_source, "-O2", "z.c", "-lz", "-o", "z").returncode == 0
    stats = tmp_path / "stats.json"
    env = {**os.environ, "MIRROR_OPTIONS": f"stats_json={stats}"}
    run = subprocess.run([str(zlib_source / "z")], env=env, capture_output=True, text=True)
    assert run.returncode == 0 and run.stderr == "", run.stderr  # named only with verbosity>=1
    libraries = json.loads(stats.read_text())["uninstrumented_libraries"]
    assert [os.path.basename(p) for p in libraries] == ["libz.so.1"], libraries

    (tmp_path / "plain.c").write_text("int plain(int *p) { *p = 7; return 0; }\n")
    subprocess.run([CLANG, "-O2", "-fPIC", "-shared", str(tmp_path / "plain.c"), "-o", str(tmp_path / "libplain.so")],
                   check=True)
    (tmp_path / "d.c").write_text(
        '#include <dlfcn.h>\n#include <stdio.h>\n'
        'int main(int argc, char **argv) { (void)argc; void *h = dlopen(argv[1], RTLD_NOW);\n'
        '  int (*f)(int *) = h ? (int (*)(int *))dlsym(h, "plain") : 0; int v = 0; if (f) f(&v);\n'
        '  printf("%d\\n", v); return h == 0; }\n')
    assert mirror_cc(tmp_path, "-O2", "d.c", "-o", "d").returncode == 0
    loaded = subprocess.run([str(tmp_path / "d"), str(tmp_path / "libplain.so")], capture_output=True, text=True)
    assert loaded.stdout == "7\n"
    assert f"mirrorpass: uninstrumented library {tmp_path}/libplain.so: what it writes" in loaded.stderr, loaded.stderr
    allowed = subprocess.run([str(tmp_path / "d"), str(tmp_path / "libplain.so")], capture_output=True, text=True,
                             env={**os.environ, "MIRROR_OPTIONS": "allow_uninstrumented=libother.so|libplain.so"})
    assert allowed.stdout == "7\n" and allowed.stderr == "", allowed.stderr


def test_inspect_lists_the_libraries_and_which_are_instrumented(zlib_source):
    assert mirror_cc(zlib_source, "-O2", "z.c", "-lz", "-o", "z").returncode == 0
    shown = subprocess.run([MIRRORPASS, "inspect", "--json", "z"], cwd=zlib_source,
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    kinds = {lib["name"]: lib["kind"] for lib in json.loads(shown.stdout)["libraries"]}
    assert kinds == {"libz.so.1": "uninstrumented", "libc.so.6": "covered", "ld-linux-x86-64.so.2": "covered"}
    table = subprocess.run([MIRRORPASS, "inspect", "z"], cwd=zlib_source,
                           capture_output=True, text=True)
    assert "the shared libraries it will load (3)" in table.stdout and "uninstrumented" in table.stdout


@pytest.mark.parametrize("flag", ["-E", "-fsyntax-only", "-M"])
def test_preprocessing_sees_the_deps_prefix_headers_as_a_compile_does(tmp_path, flag):
    """`mirror-cc -E` and the other header-reading passthroughs used to run clang without the prefix's -I:
    a configure script's header check found the system header while the compile used the prefix's."""
    prefix = tmp_path / "prefix"
    (prefix / "include").mkdir(parents=True)
    (prefix / "mirrorpass-deps.json").write_text(json.dumps({"packages": []}))
    (prefix / "include" / "only_in_prefix.h").write_text("#define FROM_PREFIX 42\n")
    (tmp_path / "p.c").write_text("#include <only_in_prefix.h>\nint x = FROM_PREFIX;\n")
    env = {**os.environ, "MIRRORPASS_DEPS_PREFIX": str(prefix)}
    with_prefix = subprocess.run([str(MIRROR_CC), flag, "p.c"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert with_prefix.returncode == 0, with_prefix.stderr
    if flag == "-E":
        assert "int x = 42;" in with_prefix.stdout
    if flag == "-M":
        assert str(prefix / "include" / "only_in_prefix.h") in with_prefix.stdout.replace("\\\n", "")
    without = subprocess.run([str(MIRROR_CC), flag, "p.c"], cwd=tmp_path, capture_output=True, text=True,
                             env={**env, "MIRRORPASS_DEPS_PREFIX": ""})
    assert without.returncode != 0 and "only_in_prefix.h" in without.stderr


STALE_PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <mirror.h>
int main(void) {
    unsigned long n = 1 << 16, out = compressBound(n);
    unsigned char *src = malloc(n), *dst = malloc(out);
    memset(dst, 0, out);                         /* mirrored: the mirror holds zeros */
    for (unsigned long i = 0; i < n; i++) src[i] = (unsigned char)(i * 7 % 251);
    if (compress2(dst, &out, src, n, 6) != Z_OK) return 1;   /* libz writes dst, unmirrored */
    unsigned char before = dst[0];
    if (mirror_inject_error(dst) != 0) return 2;
    printf("%d\n", dst[0] == before);            /* 0: the page came back from the stale mirror */
    return 0;
}
"""


@pytest.mark.parametrize("policy", ["warn", "allowed", "die", "synced"])
def test_a_page_restored_while_an_uninstrumented_library_is_loaded_is_never_silent(tmp_path, policy):
    """The mirror of a buffer libz wrote is stale: restoring it is reported as UNVERIFIED and counted
    (warn), silent only when allow_uninstrumented names the library, refused with uninstrumented_repair=die.
    With examples/vendor_sync/zlib_synced.h (mirror_sync after each call) the page comes back exact."""
    (tmp_path / "s.c").write_text(STALE_PROGRAM)
    synced = ["-I" + str(REPO / "examples" / "vendor_sync"), "-include", "zlib_synced.h", "-DZLIB_SYNCED_REPLACE"]
    assert mirror_cc(tmp_path, "-O2", f"-I{MIRROR_INCLUDE}", *(synced if policy == "synced" else []), "s.c", "-lz",
                     "-o", "s", "-fmirror-uninstrumented=allow").returncode == 0
    stats = tmp_path / "stats.json"
    options = {"warn": "", "allowed": ":allow_uninstrumented=libz.so.1", "die": ":uninstrumented_repair=die",
               "synced": ":allow_uninstrumented=libz.so.1"}[policy]
    run = subprocess.run([str(tmp_path / "s")], capture_output=True, text=True,
                         env={**os.environ, "MIRROR_OPTIONS": f"stats_json={stats}{options}"})
    if policy == "die":
        assert run.returncode == -7, (run.returncode, run.stderr)  # SIGBUS, as without mirrorpass
        assert "cannot restore, an uninstrumented library is loaded, so its mirror may be stale" in run.stderr, run.stderr
        return
    assert run.returncode == 0, run.stderr
    if policy == "synced":
        assert run.stdout == "1\n" and run.stderr == "", run.stderr  # exact: the wrapper synced what libz wrote
        assert json.loads(stats.read_text())["unverified_repairs"] == 0
        return
    assert run.stdout == "0\n"  # the restored page really is stale: what the warning is for
    unverified = json.loads(stats.read_text())["unverified_repairs"]
    if policy == "warn":
        assert "restored from its mirror, UNVERIFIED: uninstrumented " in run.stderr, run.stderr
        assert "libz.so.1 is loaded" in run.stderr, run.stderr
        assert unverified == 1
    else:
        assert run.stderr == "" and unverified == 0, run.stderr


def test_the_audit_names_the_uninstrumented_library_behind_a_divergence(zlib_source):
    assert mirror_cc(zlib_source, "-O2", "z.c", "-lz", "-o", "z", "-fmirror-uninstrumented=allow").returncode == 0
    run = subprocess.run([str(zlib_source / "z")], capture_output=True, text=True,
                         env={**os.environ, "MIRROR_OPTIONS": "audit_at_exit=1"})
    assert run.returncode == 0, run.stderr
    assert "divergent bytes in heap" in run.stderr, run.stderr  # libz's output buffer
    assert "audit at exit: uninstrumented /" in run.stderr and "libz.so.1 is loaded: a divergence" in run.stderr, run.stderr


def test_a_program_without_the_runtime_is_refused_clearly_by_an_instrumented_library(tmp_path):
    """A plain clang program (or any C++ one) that loads a library mirror-cc built: before, the library's
    first store crashed it with a bare SIGSEGV (glib's C++ tests did); now the library says why."""
    (tmp_path / "l.c").write_text("int lib_store(int *p) { *p = 5; return 0; }\n")
    (tmp_path / "m.c").write_text("int lib_store(int *); int main(void) { int v; lib_store(&v); return v != 5; }\n")
    assert mirror_cc(tmp_path, "-O2", "-fPIC", "-shared", "l.c", "-o", "libl.so").returncode == 0
    link = ["m.c", "-L.", "-ll", f"-Wl,-rpath,{tmp_path}"]
    subprocess.run([CLANG, *link, "-o", "plain"], cwd=tmp_path, check=True)
    plain = subprocess.run([str(tmp_path / "plain")], capture_output=True, text=True)
    assert plain.returncode == 127, (plain.returncode, plain.stderr)
    assert plain.stderr == (f"mirrorpass: {tmp_path}/libl.so was built by mirror-cc and needs the mirrorpass runtime, "
                            "which only programs linked by mirror-cc have; this program was not (link it with "
                            "mirror-cc, or load the library's uninstrumented build)\n")
    assert mirror_cc(tmp_path, *link, "-o", "mirrored", "-fmirror-uninstrumented=allow").returncode == 0
    mirrored = subprocess.run([str(tmp_path / "mirrored")], capture_output=True, text=True)
    assert mirrored.returncode == 0 and mirrored.stderr == "", mirrored.stderr
