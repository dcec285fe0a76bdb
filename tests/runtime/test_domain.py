"""The protected domain (runtime/domain/domain.c, globals.c): the executable's globals are in it except what
code without mirror stores writes (the runtime's state, copy-relocated libc variables, lazily bound PLT
slots); the registry API the heap uses; lock-free readers; mirror_register/mirror_unregister."""

from __future__ import annotations

import subprocess

import pytest
from elftools.elf.elffile import ELFFile
from runtime_support import run, runtime_lines, values

# -fdirect-access-external-data: the program reads optind & co. directly, so the linker copies them into
# the executable (R_X86_64_COPY), where libc then writes them. Without it they are reached through the
# GOT and stay in libc.
COPY_RELOCATIONS = ["-fdirect-access-external-data"]


def copy_relocated(binary) -> set[str]:
    """Names of the executable's R_X86_64_COPY relocations, as readelf shows them."""
    text = subprocess.run(["readelf", "-rW", str(binary)], capture_output=True, text=True, check=True).stdout
    return {line.split()[4].split("@")[0] for line in text.splitlines() if "R_X86_64_COPY" in line}


@pytest.mark.parametrize("cflags", [[], COPY_RELOCATIONS], ids=["got", "copy-relocations"])
def test_globals_are_protected_and_libc_writes_stay_outside(mirror_build, cflags):
    binary = mirror_build("domain_globals.c", cflags=cflags)
    relocated = copy_relocated(binary)
    if cflags:
        assert {"optind", "optarg", "__environ", "stdout"} <= relocated, relocated
    else:
        assert relocated == set()

    result = run(binary, "-a", "value", "-b", "rest")
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    # getopt and setenv wrote optind, optarg and environ without mirror stores.
    assert seen["optind_value"] == "4" and seen["a_value"] == "value"
    assert seen["audit"] == "0", result.stderr
    assert seen["data_global"] == seen["bss_global"] == seen["static_global"] == "globals"
    for name in ("optind", "optarg", "environ", "stdout", "runtime_state", "runtime_state_end", "stack"):
        assert seen[name] == "none", (name, seen[name])
    # Every hole splits the segment: with copy relocations there are more ranges (the runtime's state
    # and the copy-relocated variables in .bss, of which two may be adjacent and leave one hole).
    assert int(seen["ranges"]) >= (4 if cflags else 2)


def test_lazily_bound_plt_slots_stay_outside_unless_bound_now(mirror_build):
    # mirror-cc links with -z now; a later -z lazy of the user's brings lazy binding back.
    lazy = run(mirror_build("domain_globals.c", ldflags=["-Wl,-z,lazy"]), env={"MIRROR_OPTIONS": "verbosity=2"})
    assert lazy.returncode == 0
    lazy_lines = runtime_lines(lazy.stderr)
    assert any("PLT slots the dynamic loader binds on first call" in line for line in lazy_lines)
    assert values(lazy.stdout)["audit"] == "0", lazy.stderr

    # -z now: the loader binds every slot before start-up; they are then protected, and still clean.
    bound = mirror_build("domain_globals.c", ldflags=["-Wl,-z,now"])
    eager = run(bound, env={"MIRROR_OPTIONS": "verbosity=2"})
    assert eager.returncode == 0
    assert not any("binds on first call" in line for line in runtime_lines(eager.stderr))
    assert "0 lazily bound PLT slots" in eager.stderr
    assert values(eager.stdout)["audit"] == "0", eager.stderr

    # LD_BIND_NOW has the same effect on a lazily linked executable.
    env_bound = run(
        mirror_build("domain_globals.c", ldflags=["-Wl,-z,lazy"]),
        env={"MIRROR_OPTIONS": "verbosity=1", "LD_BIND_NOW": "1"},
    )
    assert "0 lazily bound PLT slots" in env_bound.stderr
    assert values(env_bound.stdout)["audit"] == "0", env_bound.stderr


def test_registry_api(mirror_build):
    result = run(mirror_build("domain_api.c"))
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["handle_ok"] == "1"
    assert (seen["first"], seen["last"], seen["before"], seen["after"]) == ("self", "self", "none", "none")
    assert seen["kind"] == "heap" and seen["name"] == "heap"
    assert seen["start_ok"] == seen["end_ok"] == "1"
    assert (seen["grown"], seen["beyond"]) == ("self", "none")
    assert seen["removed"] == "none"
    assert seen["reused"] == "1" and seen["reused_lookup"] == "self" and seen["old_range"] == "none"
    assert seen["empty"] == seen["outside"] == "-1"
    # Full: the fillers plus the live entries (globals, the page-map entry) use every slot.
    assert int(seen["live"]) == int(seen["capacity"])
    assert int(seen["full_after"]) > 0
    assert any("all 1024 entries are in use" in line for line in runtime_lines(result.stderr)), result.stderr


def test_lock_free_readers_see_every_live_entry_even_from_a_signal_handler(mirror_build):
    result = run(mirror_build("domain_readers.c"))
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["handler_lookups_nonzero"] == "1", "the timer signal never ran a lookup"
    assert seen["bad"] == "0"


def test_mirror_register_and_unregister(mirror_build):
    result = run(mirror_build("register.c"))
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert int(seen["diff_before_register"]) == 64
    assert seen["register"] == "0"
    assert seen["diff_after_register"] == "0"
    assert seen["audit_clean"] == "0"
    assert seen["audit_dirty"] == "4"
    assert any("in registered region" in line and "at +4112" in line for line in runtime_lines(result.stderr))
    assert (seen["register_overlap"], seen["errno_eexist"]) == ("-1", "1")
    assert (seen["register_outside"], seen["errno_einval"]) == ("-1", "1")
    assert (seen["unregister_unknown"], seen["errno_enoent"]) == ("-1", "1")
    assert seen["unregister"] == "0"
    assert seen["audit_after_unregister"] == "0"


def writable_data_sections(path) -> list[tuple[str, int]]:
    """Allocated, writable sections with bytes, except those written only before start-up ends."""
    relocated_then_read_only = (".data.rel.ro", ".init_array", ".fini_array", ".preinit_array")
    with open(path, "rb") as f:
        return [
            (s.name, s["sh_size"])
            for s in ELFFile(f).iter_sections()
            if s["sh_flags"] & 0x3 == 0x3  # SHF_WRITE | SHF_ALLOC
            and s["sh_size"] > 0
            and s.name != "mirror_rt_state"
            and not s.name.startswith(relocated_then_read_only)
            and not s.name.startswith((".tbss", ".tdata"))  # thread-local: per thread, never in the domain
        ]


def test_runtime_state_lives_only_in_the_excluded_section(runtime_archive):
    # The runtime's own stores are not mirrored, so any variable outside mirror_rt_state would sit in the
    # protected globals with a stale mirror. The heap (heap/*.o) is compiled by mirror-cc: its globals are
    # mirrored and belong in the domain.
    build = runtime_archive.parent
    objects = [o for o in build.glob("*/*.o") if o.parent.name != "heap"]
    assert len(objects) > 30
    offenders = {str(o.relative_to(build)): writable_data_sections(o) for o in objects}
    assert {name: sections for name, sections in offenders.items() if sections} == {}
