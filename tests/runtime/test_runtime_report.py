"""The message writer (runtime/base/report.c) and mirror_diff's refusal of addresses without a mirror."""

from __future__ import annotations

from runtime_support import assert_one_line_fatal, run


def test_every_conversion_formats_like_printf(build):
    result = run(build("report.c"), "formats")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "mirrorpass: s=text c=Q d=-42 i=-2147483648 u=4294967295 x=beef",
        "mirrorpass: ld=-9223372036854775808 lu=18446744073709551615 lx=1234abcd",
        "mirrorpass: lld=-9223372036854775808 llu=0 llx=ffffb00000000000",
        "mirrorpass: zu=12345 zx=fff p=0x510000000000 null=0x0 pct=% s_null=(null)",
    ]


def test_long_message_is_cut_to_one_marked_line(build):
    result = run(build("report.c"), "long")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0] == "mirrorpass: " + "y" * (512 - len("mirrorpass: ")) + "..."


def test_fatal_exits_with_status_one(build):
    assert_one_line_fatal(run(build("report.c"), "fatal"), "stopping with 7")


def test_mirror_diff_outside_the_windows_stops(build):
    assert_one_line_fatal(
        run(build("report.c"), "diff_outside"),
        "mirror_diff(0x1000, 16): the range is not inside an application window",
    )
