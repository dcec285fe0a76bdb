"""MIRROR_OPTIONS (runtime/base/flags.inc, flags.c): one table gives the defaults, the parser and help=1;
a wrong option stops the program before main with one line naming what is valid; log_path and
verbosity steer where and how much the runtime says (report.c)."""

from __future__ import annotations

import re

import pytest
from runtime_support import assert_one_line_fatal, option_table, run, runtime_lines, values

OPTIONS = option_table()


def test_the_table_defines_the_options_of_this_issue():
    # The parse of flags.inc below is what the other tests rely on; if it finds nothing they prove nothing.
    assert {"verbosity", "log_path", "print_stats", "audit_at_exit", "stats_json", "help"} <= set(OPTIONS)
    assert OPTIONS["verbosity"]["type"].replace(" ", "") == "INT(0,3)"


@pytest.fixture(scope="module")
def program(mirror_build):
    return mirror_build("options.c")


def options(text: str) -> dict[str, str]:
    return {"MIRROR_OPTIONS": text}


def test_no_options_runs_silently(program):
    result = run(program, "audit", env=options(""))
    assert result.returncode == 0, result.stderr
    assert values(result.stdout) == {"main_ran": "1", "audit": "0"}
    assert result.stderr == ""


def test_unknown_option_stops_and_lists_every_valid_name(program):
    line = assert_one_line_fatal(run(program, env=options("verbosity=1:colour=1")), "unknown option 'colour'")
    listed = re.search(r"valid options: ([\w, ]+) \(", line).group(1).split(", ")
    assert listed == list(OPTIONS)


@pytest.mark.parametrize("value", ["4", "-1", "99999999999999999999"])
def test_int_out_of_range_stops_and_names_the_range(program, value):
    assert_one_line_fatal(
        run(program, env=options(f"verbosity={value}")),
        f"verbosity={value} is out of range; expected an integer from 0 to 3",
    )


@pytest.mark.parametrize("value", ["high", "", "1x"])
def test_int_that_is_no_integer_says_so(program, value):
    assert_one_line_fatal(
        run(program, env=options(f"verbosity={value}")),
        f"verbosity={value} is not an integer; expected an integer from 0 to 3",
    )


def test_commas_separate_options_too(program, tmp_path):
    """As in ASAN_OPTIONS: print_stats=1,verbosity=1 is two options."""
    result = run(program, env=options("print_stats=1,verbosity=1"))
    assert result.returncode == 0, result.stderr
    assert "mirrorpass: stats: " in result.stderr


def test_bad_bool_stops_and_names_the_accepted_spellings(program):
    assert_one_line_fatal(
        run(program, env=options("print_stats=yes")),
        "print_stats=yes is not a boolean; use 0, 1, true or false",
    )


def test_option_without_value_stops(program):
    assert_one_line_fatal(run(program, env=options("audit_at_exit")), "option 'audit_at_exit' has no value")


def test_empty_path_stops(program):
    assert_one_line_fatal(run(program, env=options("stats_json=")), "stats_json= needs a file name")


def test_every_spelling_of_valid_values_and_empty_pieces_are_accepted(program):
    text = ":verbosity=0::print_stats=false:audit_at_exit=0:help=false:verbosity=+0:"
    result = run(program, env=options(text))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_later_value_wins(program):
    result = run(program, env=options("audit_at_exit=true:audit_at_exit=0"))
    assert result.returncode == 0 and result.stderr == ""
    result = run(program, env=options("audit_at_exit=0:audit_at_exit=1"))
    assert "audit at exit: 0 divergent bytes" in result.stderr


def test_overlong_options_stop(program):
    assert_one_line_fatal(
        run(program, env=options("verbosity=0:" * 500)), "MIRROR_OPTIONS is 6000 bytes long; at most 4095"
    )


def test_help_lists_every_option_with_default_and_help_then_exits_zero(program):
    result = run(program, env=options("help=1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", "main ran although help=1 exits at start-up"
    lines = runtime_lines(result.stderr)
    assert "MIRROR_OPTIONS" in lines[0]
    described = {}
    for line in lines[1:]:
        name, rest = line.strip().split(" ", 1)
        described[name] = rest
    assert list(described) == list(OPTIONS)
    for name, spec in OPTIONS.items():
        shown_default = {"NULL": "unset", "false": "0", "true": "1"}.get(spec["default"], spec["default"].strip('"'))
        assert f"default {shown_default})" in described[name], described[name]
        assert described[name].endswith(spec["help"]), described[name]
    assert described["verbosity"].startswith("(int 0-3, ")


def test_help_is_printed_even_when_other_options_are_wrong_later(program):
    # Options are parsed in order; an error before help=1 still stops with exit 1.
    assert_one_line_fatal(run(program, env=options("nope=1:help=1")), "unknown option 'nope'")


def test_verbosity_one_prints_the_start_up_summary(program):
    quiet = run(program, env=options("verbosity=0"))
    assert runtime_lines(quiet.stderr) == []
    loud = run(program, "audit", env=options("verbosity=1"))
    assert loud.returncode == 0, loud.stderr
    lines = runtime_lines(loud.stderr)
    assert any(line.startswith("protecting ") and "of the executable's data" in line for line in lines), lines
    assert any(line.startswith("audit: no divergent bytes") for line in lines), lines
    # Level 2 lines (each range added) only from verbosity 2.
    assert not any(line.startswith("domain: protecting") for line in lines)
    verbose = run(program, env=options("verbosity=2"))
    assert any(line.startswith("domain: protecting") for line in runtime_lines(verbose.stderr))


def test_log_path_writes_messages_to_path_dot_pid(program, tmp_path):
    log = tmp_path / "runtime.log"
    result = run(program, "audit", env=options(f"verbosity=1:log_path={log}"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "messages went to stderr instead of the log file"
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and re.fullmatch(r"runtime\.log\.\d+", files[0].name), files
    text = files[0].read_text()
    assert "mirrorpass: protecting " in text and "mirrorpass: audit: no divergent bytes" in text


def test_log_path_in_a_forked_child_gets_the_child_pid(program, tmp_path):
    log = tmp_path / "runtime.log"
    result = run(program, "fork", env=options(f"verbosity=1:log_path={log}"))
    assert result.returncode == 0, result.stderr
    seen = values(result.stdout)
    assert seen["child_audit"] == seen["parent_audit"] == "0"
    parent = tmp_path / f"runtime.log.{seen['parent_pid']}"
    child = tmp_path / f"runtime.log.{seen['child_pid']}"
    assert parent.is_file() and child.is_file(), sorted(p.name for p in tmp_path.iterdir())
    assert "audit: no divergent bytes" in child.read_text()
    # The parent's file has its start-up summary and its own audit only.
    assert parent.read_text().count("audit: no divergent bytes") == 1


def test_log_path_to_stdout(program):
    result = run(program, "audit", env=options("verbosity=1:log_path=stdout"))
    assert result.returncode == 0
    assert "mirrorpass: audit: no divergent bytes" in result.stdout
    assert result.stderr == ""


def test_log_path_in_a_missing_directory_stops(program, tmp_path):
    missing = tmp_path / "no-such-dir" / "log"
    assert_one_line_fatal(
        run(program, env=options(f"log_path={missing}")), f"cannot open the log file {missing}.", "errno 2"
    )


def test_runtime_threads_leave_process_signals_to_the_program(mirror_build):
    # The coverage sampler and the injector once ran with nothing blocked: a SIGTERM the program
    # blocked and awaited with sigwait was delivered to them instead and killed the process (exit -15).
    binary = mirror_build("sigwait_term.c")
    options = "coverage_interval_ms=1:inject_count=1:inject_interval_ms=3600000"
    for _ in range(5):
        result = run(binary, env={"MIRROR_OPTIONS": options})
        assert result.returncode == 0 and result.stdout == "sigwait: 15\n", (result.returncode, result.stderr)
