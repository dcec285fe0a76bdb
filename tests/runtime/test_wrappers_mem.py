"""mmap outside the application windows: refused (or retried) by the routed mmap, reported once per kind.

A mapping outside the windows has no mirror: the first instrumented store into it would fault on its
mirror address. The routed mmap refuses MAP_32BIT and MAP_FIXED/MAP_FIXED_NOREPLACE outside the windows
with ENOMEM and one stderr line per kind, and retries a hint that the kernel honoured outside them
without it. The control build shows that the kernel would have placed each of them outside.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wrapper_programs import Program, build, run

PROGRAM = "mem_windows"


@pytest.fixture(scope="module")
def outcomes(runtime_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    out_dir = Path(tmp_path_factory.mktemp("mem_windows"))
    results = {}
    for mode in ("wrap", "direct"):
        outcome = run(build(PROGRAM, Program(), "-O2", mode, out_dir))
        assert outcome.returncode == 0, outcome.describe()
        values: dict[str, str] = {}
        for line in outcome.stdout.splitlines():
            for word in line.split():
                key, _, value = word.partition("=")
                values.setdefault(key, value)  # the first round
        values["stderr"] = outcome.stderr
        results[mode] = values
    return results


def test_map_32bit_is_refused_with_enomem(outcomes: dict[str, dict[str, str]]) -> None:
    routed = outcomes["wrap"]
    assert (routed["map32bit.failed"], routed["map32bit.errno"]) == ("1", "12")
    assert outcomes["direct"]["map32bit.failed"] == "0"
    assert outcomes["direct"]["map32bit.in_windows"] == "0"


def test_map_fixed_outside_the_windows_is_refused(outcomes: dict[str, dict[str, str]]) -> None:
    routed = outcomes["wrap"]
    for name in ("fixed_low", "noreplace_low"):
        assert (routed[f"{name}.failed"], routed[f"{name}.errno"]) == ("1", "12"), name
    assert outcomes["direct"]["fixed_low.failed"] == "0"


def test_a_low_hint_is_retried_inside_the_windows(outcomes: dict[str, dict[str, str]]) -> None:
    assert outcomes["direct"]["hint_low.in_windows"] == "0", "the kernel no longer honours the hint"
    assert outcomes["wrap"]["hint_low.failed"] == "0"
    assert outcomes["wrap"]["hint_low.in_windows"] == "1"


def test_map_fixed_inside_the_windows_is_left_alone(outcomes: dict[str, dict[str, str]]) -> None:
    assert outcomes["wrap"]["fixed_inside.failed"] == "0"


def test_one_line_per_kind_of_refusal(outcomes: dict[str, dict[str, str]]) -> None:
    lines = outcomes["wrap"]["stderr"].splitlines()
    assert len(lines) == 2, lines
    assert all(line.startswith("mirrorpass: mmap(") and "refused with ENOMEM" in line for line in lines)
    assert "MAP_32BIT" in lines[0] and "map without MAP_32BIT" in lines[0]
    assert "MAP_FIXED" in lines[1] and "outside the application windows" in lines[1]
    assert outcomes["direct"]["stderr"] == ""
