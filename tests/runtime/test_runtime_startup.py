"""Start-up (runtime/process/init.c): the layout check, the mirror reservation, and when it all happens."""

from __future__ import annotations

import resource

from runtime_support import GS_BASE, LAYOUT, MIRROR_DELTA, assert_one_line_fatal, needs_fsgsbase, run

MIRROR_WINDOWS = [
    (LAYOUT[f"MIRROR_APP{n}_START"] + MIRROR_DELTA, LAYOUT[f"MIRROR_APP{n}_END"] + MIRROR_DELTA)
    for n in (1, 2)
]


def parse_maps(text: str) -> list[tuple[int, int, str]]:
    mappings = []
    for line in text.splitlines():
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        mappings.append((start, end, fields[1]))
    return mappings


def test_mirror_windows_are_reserved_read_write_private(build):
    result = run(build("windows.c"))
    assert result.returncode == 0, result.stderr
    mappings = parse_maps(result.stdout)
    for start, end in MIRROR_WINDOWS:
        assert (start, end, "rw-p") in mappings, f"mirror window {start:#x}-{end:#x} not reserved"


def test_mirror_windows_refuse_transparent_huge_pages(build):
    # VmFlags "nh" is MADV_NOHUGEPAGE: a mirror store into a sparse area must not make 2 MiB resident.
    result = run(build("windows.c"), "smaps")
    assert result.returncode == 0, result.stderr
    flags_by_range = {}
    current = None
    for line in result.stdout.splitlines():
        if line.startswith("VmFlags:") and current is not None:
            flags_by_range[current] = line.split()[1:]
        elif "-" in line.split()[0]:
            current = tuple(int(x, 16) for x in line.split()[0].split("-"))
    for window in MIRROR_WINDOWS:
        assert "nh" in flags_by_range[window], f"{window[0]:#x}-{window[1]:#x}: {flags_by_range[window]}"


def test_non_pie_executable_stops_with_the_fix(build):
    binary = build("windows.c", cflags=["-fno-pie"], ldflags=["-no-pie"])
    line = assert_one_line_fatal(
        run(binary),
        "mapping 0x400000-",
        str(binary),
        "the executable is not position-independent; link with -pie (mirror-cc does by default)",
    )
    assert "below the mirror and application windows" in line


def set_stack_limit_unlimited():
    resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def test_unlimited_stack_moves_mmap_area_and_stops(build):
    # With no stack limit the kernel places the mmap base below a 5/6-of-the-address-space gap,
    # around 0x1555..., between the two mirror windows: shared libraries land outside the windows.
    result = run(build("windows.c"), preexec_fn=set_stack_limit_unlimited)
    assert_one_line_fatal(result, "the stack size limit is unlimited", "run `ulimit -s 8192`")


def test_legacy_mmap_layout_stops(build):
    # setarch -L: mmap grows bottom-up from 0x2aaa..., inside the second mirror window.
    result = run("setarch", "-L", build("windows.c"))
    line = assert_one_line_fatal(result, "legacy mmap layout", "setarch -L")
    assert "lies in the second mirror window" in line


def limit(kind: int, size: int):
    def apply():
        resource.setrlimit(kind, (size, size))

    return apply


def test_address_space_limit_stops_reservation(build):
    # The mirror needs tens of TiB of address space (no memory); ulimit -v 4 GiB refuses it.
    result = run(build("windows.c"), preexec_fn=limit(resource.RLIMIT_AS, 4 << 30))
    start, end = MIRROR_WINDOWS[0]
    assert_one_line_fatal(result, f"cannot reserve the mirror window {start:#x}-{end:#x}", "run `ulimit -v unlimited`")


def test_data_limit_stops_reservation(build):
    # Since Linux 4.7 private writable mappings count against RLIMIT_DATA.
    result = run(build("windows.c"), preexec_fn=limit(resource.RLIMIT_DATA, 1 << 30))
    assert_one_line_fatal(result, "cannot reserve the mirror window", "run `ulimit -d unlimited`")


@needs_fsgsbase
def test_runtime_is_ready_before_every_constructor(build, tmp_path):
    # The executable's .preinit_array runs before the constructors of its shared libraries (linked or
    # preloaded) and of the executable itself: in each, a %gs store already reaches the mirror.
    def library(name: str):
        return build("ordering_lib.c", output=f"lib{name}.so", shared=True, cflags=[f'-DLIB_NAME="{name}"'])

    linked, preloaded = library("linked"), library("preloaded")
    binary = build("ordering.c", ldflags=[str(linked), f"-Wl,-rpath,{tmp_path}"])
    result = run(binary, env={"LD_PRELOAD": str(preloaded)})
    assert result.returncode == 0, result.stderr
    # Each constructor wrote its mirror with %gs and read it back: 77 in the libraries, 88 in the
    # executable. (The order between the two libraries is the loader's business.)
    lines = result.stdout.splitlines()
    assert sorted(lines[:2]) == [
        f"linked_constructor gs_base={GS_BASE} mirror=77",
        f"preloaded_constructor gs_base={GS_BASE} mirror=77",
    ]
    assert lines[2:] == [f"exe_constructor gs_base={GS_BASE} mirror=88", "main"]


def test_mapping_in_a_mirror_window_is_found(build):
    # Something mapped into a mirror window before start-up (here an LD_AUDIT library): the layout
    # check names it. The suggested cause depends on whether vm.mmap_rnd_bits is readable (root only).
    address = LAYOUT["MIRROR_APP1_START"] + MIRROR_DELTA + 0x40000000000
    audit = build(
        "map_early.c", output="libmap_early.so", shared=True, cflags=[f"-DEARLY_ADDRESS={address:#x}"]
    )
    result = run(build("windows.c"), env={"LD_AUDIT": str(audit)})
    line = assert_one_line_fatal(
        result, f"mapping {address:#x}-{address + 4096:#x} (anonymous) lies in the first mirror window"
    )
    assert "mmap_rnd_bits" in line or "unexpected address layout" in line
