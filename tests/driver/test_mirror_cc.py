"""mirror-cc behaves like clang from the outside: outputs, exit codes, diagnostics, stdout."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLANG, MIRROR_CC, MIRRORPASS
from mirrorpass.layout import MIRROR_DELTA


def run(cmd, cwd, **kw):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, **kw)


@pytest.fixture
def srcdir(tmp_path: Path) -> Path:
    (tmp_path / "a.c").write_text("int counter;\nvoid bump(int n) { counter += n; }\n")
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\nextern int counter; void bump(int);\n'
        'int main(void) { bump(41); bump(1); printf("%d\\n", counter); return counter == 42 ? 0 : 1; }\n'
    )
    (tmp_path / "bad.c").write_text("int main(void) { return 0 }\n")
    return tmp_path


def test_syntax_error_gives_clangs_diagnostic_and_exit_code(srcdir):
    ours = run([MIRROR_CC, "-c", "bad.c"], srcdir)
    theirs = run([CLANG, "-c", "bad.c"], srcdir)
    assert ours.returncode == theirs.returncode != 0
    assert "expected ';' after return statement" in ours.stderr
    assert ours.stdout == ""
    assert "Traceback" not in ours.stderr


def test_preprocess_is_clangs_output_exactly(srcdir):
    ours = run([MIRROR_CC, "-E", "-DX=3", "main.c"], srcdir)
    theirs = run([CLANG, "-E", "-DX=3", "main.c"], srcdir)
    assert ours.returncode == 0 and ours.stdout == theirs.stdout


def test_compile_link_several_inputs_in_one_call(srcdir):
    res = run([MIRROR_CC, "-O2", "main.c", "a.c", "-o", "prog"], srcdir)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "" and res.stderr == ""
    out = run(["./prog"], srcdir)
    assert out.returncode == 0 and out.stdout == "42\n"


def test_separate_compile_then_link_and_default_object_names(srcdir):
    assert run([MIRROR_CC, "-c", "a.c", "main.c"], srcdir).returncode == 0
    assert (srcdir / "a.o").exists() and (srcdir / "main.o").exists()
    assert run([MIRROR_CC, "a.o", "main.o", "-o", "prog"], srcdir).returncode == 0
    assert run(["./prog"], srcdir).stdout == "42\n"


def test_dependency_file_names_the_real_object(srcdir):
    (srcdir / "sub").mkdir()
    assert run([MIRROR_CC, "-MD", "-c", "main.c", "-o", "sub/m.o"], srcdir).returncode == 0
    dep = (srcdir / "sub" / "m.d").read_text()
    assert dep.startswith("sub/m.o:") and "main.c" in dep
    assert run([MIRROR_CC, "-MMD", "-MF", "deps.d", "-MT", "custom", "-c", "a.c"], srcdir).returncode == 0
    assert (srcdir / "deps.d").read_text().startswith("custom:")


def test_dependency_only_run_is_passthrough(srcdir):
    ours = run([MIRROR_CC, "-M", "main.c"], srcdir)
    assert ours.returncode == 0 and ours.stdout == run([CLANG, "-M", "main.c"], srcdir).stdout


def test_response_file(srcdir):
    (srcdir / "args.rsp").write_text("-O1 -c a.c -o from_rsp.o\n")
    assert run([MIRROR_CC, "@args.rsp"], srcdir).returncode == 0
    assert (srcdir / "from_rsp.o").exists()


def test_assembly_output_shows_gs_mirror_stores(srcdir):
    res = run([MIRROR_CC, "-O2", "-S", "a.c", "-o", "-"], srcdir)
    assert res.returncode == 0
    assert "%gs:counter(%rip)" in res.stdout


def test_offset_addressing_has_no_gs_stores(srcdir):
    res = run([MIRROR_CC, "-O2", "-fmirror-addressing=offset", "-S", "a.c", "-o", "-"], srcdir)
    assert res.returncode == 0 and "%gs:" not in res.stdout
    assert hex(MIRROR_DELTA & (2**64 - 1)) in res.stdout.lower() or str(MIRROR_DELTA) in res.stdout


def test_assembly_and_object_inputs_pass_through(srcdir):
    (srcdir / "f.s").write_text('.section .note.GNU-stack,"",@progbits\n.text\n.globl forty_two\nforty_two: mov $42, %eax\nret\n')
    (srcdir / "u.c").write_text("int forty_two(void);\nint main(void) { return forty_two() == 42 ? 0 : 1; }\n")
    assert run([MIRROR_CC, "-c", "f.s", "-o", "f.o"], srcdir).returncode == 0
    assert run([MIRROR_CC, "u.c", "f.o", "-o", "u"], srcdir).returncode == 0
    assert run(["./u"], srcdir).returncode == 0
    assert run([MIRROR_CC, "u.c", "f.s", "-o", "u2"], srcdir).returncode == 0
    assert run(["./u2"], srcdir).returncode == 0


def test_explicit_language_and_stdin(srcdir):
    res = subprocess.run([MIRROR_CC, "-x", "c", "-", "-o", "from_stdin"], cwd=srcdir, input="int main(void){return 7;}\n",
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert run(["./from_stdin"], srcdir).returncode == 7


def test_static_and_shared_libraries(srcdir):
    assert run([MIRROR_CC, "-fPIC", "-c", "a.c", "-o", "a.o"], srcdir).returncode == 0
    assert run(["ar", "rcs", "liba.a", "a.o"], srcdir).returncode == 0
    assert run([MIRROR_CC, "main.c", "liba.a", "-o", "with_archive"], srcdir).returncode == 0
    assert run(["./with_archive"], srcdir).stdout == "42\n"
    res = run([MIRROR_CC, "-shared", "-fPIC", "a.c", "-o", "liba.so"], srcdir)
    assert res.returncode == 0, res.stderr
    nm = run(["nm", "-D", "liba.so"], srcdir).stdout
    assert "bump" in nm and "mirror_diff" not in nm  # the runtime belongs to the executable only
    assert run([MIRROR_CC, "main.c", "-L.", "-la", "-o", "with_so"], srcdir).returncode == 0
    assert run(["./with_so"], srcdir, env=dict(os.environ, LD_LIBRARY_PATH=str(srcdir))).stdout == "42\n"


def test_mode_off_is_pure_passthrough(srcdir):
    assert run([MIRROR_CC, "-fmirror-mode=off", "-O2", "-c", "a.c", "-o", "off.o"], srcdir).returncode == 0
    assert run([CLANG, "-O2", "-c", "a.c", "-o", "ref.o"], srcdir).returncode == 0
    assert (srcdir / "off.o").read_bytes() == (srcdir / "ref.o").read_bytes()


def test_emit_llvm_gives_instrumented_ir(srcdir):
    res = run([MIRROR_CC, "-O2", "-S", "-emit-llvm", "a.c", "-o", "-"], srcdir)
    assert res.returncode == 0
    assert "ptr addrspace(256)" in res.stdout and "module asm" in res.stdout


def test_unknown_mirror_option_is_a_clear_error(srcdir):
    res = run([MIRROR_CC, "-fmirror-adressing=offset", "-c", "a.c"], srcdir)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        "mirror-cc: error: unknown option '-fmirror-adressing=offset'; "
        "mirror-cc knows -fmirror-addressing=segment|offset, -fmirror-mode=all|annotated|off, -fmirror-ignorelist=FILE, -fmirror-libc=wrap|direct and "
        "-fmirror-uninstrumented=warn|error|allow (and, alone, -fmirror-print-identity)"
    ]


def test_missing_input_file_behaves_like_clang(srcdir):
    ours = run([MIRROR_CC, "-c", "nope.c"], srcdir)
    theirs = run([CLANG, "-c", "nope.c"], srcdir)
    assert ours.returncode == theirs.returncode != 0
    assert "no such file" in ours.stderr.lower() and "Traceback" not in ours.stderr


def test_version_mismatch_message_names_both_versions(srcdir, tmp_path):
    fake = tmp_path / "clang-fake"
    fake.write_text("#!/bin/sh\necho 'Debian clang version 19.1.7'\n")
    fake.chmod(0o755)
    res = run([MIRROR_CC, "-c", "a.c"], srcdir, env=dict(os.environ, MIRRORPASS_CLANG=str(fake)))
    assert res.returncode == 1
    line = res.stderr.strip()
    assert "LLVM 22" in line and "clang 19" in line and "\n" not in line


def test_inspect_reports_functions(srcdir):
    assert run([MIRROR_CC, "-O2", "main.c", "a.c", "-o", "prog"], srcdir).returncode == 0
    import json

    res = run([MIRRORPASS, "inspect", "--json", "prog"], srcdir)
    data = json.loads(res.stdout)
    names = {f["name"]: f for f in data["functions"]}
    assert names["bump"]["mirrored"] == 1 and data["totals"]["mirrored"] >= 1
    table = run([MIRRORPASS, "inspect", "prog"], srcdir)
    assert table.returncode == 0 and "bump" in table.stdout


def test_inspect_on_a_plain_binary_is_a_clear_error(srcdir):
    assert run([CLANG, "main.c", "a.c", "-o", "plain"], srcdir).returncode == 0
    res = run([MIRRORPASS, "inspect", "plain"], srcdir)
    assert res.returncode == 1 and "no mirror manifest" in res.stderr and "Traceback" not in res.stderr


def test_shared_library_links_with_z_defs_and_binds_to_the_executables_runtime(srcdir):
    # The library calls routed libc functions (malloc, strcpy): the runtime's entry points are weak
    # in the library and exported by the executable, also to a library loaded with dlopen.
    (srcdir / "lib.c").write_text(
        "#include <stdlib.h>\n#include <string.h>\n"
        "char *make_copy(const char *s) { char *p = malloc(strlen(s) + 1); strcpy(p, s); return p; }\n"
    )
    (srcdir / "loader.c").write_text(
        '#include <dlfcn.h>\n#include <stdio.h>\n#include <stdlib.h>\n'
        'int main(int argc, char **argv) { void *h = dlopen(argv[1], RTLD_NOW); if (!h) { puts(dlerror()); return 1; }\n'
        '  char *(*mk)(const char *) = (char *(*)(const char *))dlsym(h, "make_copy");\n'
        '  char *p = mk("copied"); puts(p); free(p); return 0; }\n'
    )
    res = run([MIRROR_CC, "-O2", "-shared", "-fPIC", "-Wl,-z,defs", "lib.c", "-o", "libcopy.so"], srcdir)
    assert res.returncode == 0, res.stderr
    assert run([MIRROR_CC, "-O2", "loader.c", "-o", "loader"], srcdir).returncode == 0
    out = run(["./loader", str(srcdir / "libcopy.so")], srcdir)
    assert out.returncode == 0 and out.stdout == "copied\n", out.stderr


def test_clang_version_is_cached_per_binary_and_rechecked_when_it_changes(srcdir, tmp_path):
    """The version check runs `clang --version` once per clang binary (keyed by path, size and mtime):
    a clang replaced in place is asked again."""
    fake = tmp_path / "clang-counting"
    log = tmp_path / "asked"
    fake.write_text(f"#!/bin/sh\nif [ \"$1\" = --version ]; then echo x >> {log}; echo 'clang version 19.1.7'; "
                    f"exit 0; fi\nexec {CLANG} \"$@\"\n")
    fake.chmod(0o755)
    env = dict(os.environ, MIRRORPASS_CLANG=str(fake), MIRRORPASS_CACHE=str(tmp_path / "cache"))
    for _ in range(3):
        res = run([MIRROR_CC, "-c", "a.c"], srcdir, env=env)
        assert res.returncode == 1 and "clang 19" in res.stderr
    assert log.read_text() == "x\n", "asked more than once"
    fake.write_text(fake.read_text().replace("19.1.7", "22.1.0") + "\n")  # a new clang, same path
    res = run([MIRROR_CC, "-c", "a.c", "-o", str(tmp_path / "a.o")], srcdir, env=env)
    assert res.returncode == 0, res.stderr
    assert log.read_text() == "x\nx\n"


def test_inspect_of_an_archive_says_what_to_inspect_instead(srcdir, tmp_path):
    assert run([MIRROR_CC, "-c", "a.c", "-o", str(tmp_path / "a.o")], srcdir).returncode == 0
    assert subprocess.run(["ar", "rcs", str(tmp_path / "liba.a"), str(tmp_path / "a.o")]).returncode == 0
    res = run([MIRRORPASS, "inspect", str(tmp_path / "liba.a")], srcdir)
    assert res.returncode == 1 and "an ar archive" in res.stderr and "Traceback" not in res.stderr
