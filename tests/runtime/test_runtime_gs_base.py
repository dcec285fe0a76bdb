"""The GS base (runtime/process/init_linux.c, set_gs_base): segment-mode mirror stores work everywhere they must,
and a program that needs GS stops clearly where the CPU or kernel cannot provide it."""

from __future__ import annotations

from runtime_support import GS_BASE, assert_one_line_fatal, needs_fsgsbase, run, values

pytestmark = needs_fsgsbase

MIRRORED_LONG = "5eed"


def test_gs_base_is_mirror_delta_and_gs_store_reaches_the_mirror(build):
    result = run(build("gs_store.c"))
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["gs_base"] == GS_BASE
    # The %gs store wrote the mirror only: the native copy is untouched, all 4 bytes now differ.
    assert seen["native"] == "0"
    assert seen["mirror"] == "11223344"
    assert seen["diff"] == "4"


def test_threads_inherit_the_gs_base(build):
    result = run(build("inheritance.c"), "thread")
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["thread_gs_base"] == GS_BASE
    assert seen["mirror"] == MIRRORED_LONG
    assert seen["native"] == "0"


def test_fork_children_inherit_the_gs_base(build):
    result = run(build("inheritance.c"), "fork")
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["child_gs_base"] == GS_BASE
    assert seen["child_mirror"] == MIRRORED_LONG
    # The child's mirror store went to the child's copy of the mirror, not the parent's.
    assert seen["mirror"] == "0"


def hide_fsgsbase(build) -> dict[str, str]:
    """Environment making the runtime see no HWCAP2_FSGSBASE (an interposed getauxval)."""
    library = build("hide_fsgsbase.c", output="libhide_fsgsbase.so", shared=True)
    return {"LD_PRELOAD": str(library)}


def test_segment_code_without_fsgsbase_stops(build):
    result = run(build("addressing.c"), env=hide_fsgsbase(build))
    line = assert_one_line_fatal(result)
    assert line == (
        "mirrorpass: this CPU/kernel lacks FSGSBASE (Linux >= 5.9 and a CPU with FSGSBASE are needed for "
        "segment addressing); rebuild with -fmirror-addressing=offset"
    )


def test_segment_code_with_fsgsbase_runs(build):
    # The control for the test above: the same binary, FSGSBASE visible.
    result = run(build("addressing.c"))
    assert result.returncode == 0, result.stderr
    assert values(result.stdout) == {"gs_base": GS_BASE, "diff": "0"}


def test_offset_code_without_fsgsbase_runs_without_gs(build):
    result = run(build("addressing.c", cflags=["-DOFFSET_MODE"]), env=hide_fsgsbase(build))
    assert result.returncode == 0, result.stderr
    # GS untouched (exec leaves it 0); offset-mode stores need no GS and still mirror.
    assert values(result.stdout) == {"gs_base": "0", "diff": "0"}


def test_offset_code_leaves_gs_alone_even_with_fsgsbase(build):
    """Only segment-mode code needs the GS base; a debugger cannot write a kernel-half GS base back, so
    leaving it 0 keeps offset-mode programs resumable under gdb."""
    result = run(build("addressing.c", cflags=["-DOFFSET_MODE"]))
    assert result.returncode == 0, result.stderr
    assert values(result.stdout) == {"gs_base": "0", "diff": "0"}
