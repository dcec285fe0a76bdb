"""`mirrorpass campaign` end to end: real programs (clang-22 and mirror-cc builds of programs/worker.c)
lose real pages through the runtime's injector and the preloaded native one, and die or recover by real
SIGBUS."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mirrorpass.layout import APPLICATION_WINDOWS
from tests.conftest import MIRROR_CC, MIRRORPASS

OUTCOMES = {"recovered", "crashed", "hung", "sdc", "reported", "not_injected"}


def campaign(tmp_path: Path, *args: str, program: list[str], cwd: Path | None = None, env: dict | None = None
             ) -> tuple[subprocess.CompletedProcess, dict | None]:
    out = tmp_path / "campaign.json"
    proc = subprocess.run([MIRRORPASS, "campaign", "--json", str(out), *args, "--", *program], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env={"COLUMNS": "160", "PATH": "/usr/bin:/bin", **(env or {})})
    return proc, (json.loads(out.read_text()) if out.exists() else None)


def test_losses_in_the_protected_domain_are_all_recovered_and_kill_the_native_build(worker, tmp_path):
    proc, result = campaign(tmp_path, "--runs", "8", "--losses", "2", "--seed", "7",
                            "--native", str(worker["native"]), program=[str(worker["mirrored"])])
    assert proc.returncode == 0, proc.stderr
    assert result["kind"] == "mirrorpass-campaign" and result["target"] == "protected"
    assert set(result["outcomes"]) == OUTCOMES and set(result["native"]["outcomes"]) == OUTCOMES
    # The top level is the mirrored build, as {"runs": N, "outcomes": {...}}.
    assert result["runs"] >= 6, result["outcomes"]["not_injected"]
    assert result["outcomes"]["recovered"] == result["runs"], result["workloads"][0]["runs"]
    # The worker touches every page of its data each round: without the mirror a lost page kills it.
    native = result["native"]
    assert native["outcomes"]["crashed"] >= native["runs"] - 1 >= 5, result["workloads"][0]["runs"]
    runs = result["workloads"][0]["runs"]
    assert len(runs) == 16 and {r["build"] for r in runs} == {"native", "mirrored"}
    assert all(len(r["lost"]) == 2 for r in runs if r["outcome"] == "recovered"), runs
    assert all(r["ending"] == "SIGBUS" for r in runs if r["outcome"] == "crashed"), runs
    # The same moments and seeds for both builds of a run.
    by_run = {}
    for r in runs:
        by_run.setdefault(r["run"], set()).add(r["seed"])
    assert all(len(seeds) == 1 for seeds in by_run.values())
    assert "recovered" in proc.stdout and "mirrored" in proc.stdout
    assert result["unverified_runs"] == 0  # no uninstrumented library: every repair is exact


def test_repairs_made_while_an_uninstrumented_library_is_loaded_are_counted_unverified(tmp_path):
    # The worker linked with the system libz (uninstrumented; DT_NEEDED though unused): its repairs are exact
    # in fact, but the runtime cannot know that, and the campaign must not count them as plain recoveries.
    program = tmp_path / "worker-libz"
    subprocess.run([MIRROR_CC, "-O2", str(Path(__file__).parent / "programs" / "worker.c"), "-o", str(program),
                    "-Wl,--no-as-needed", "-lz", "-fmirror-uninstrumented=allow"], check=True,
                   env={**os.environ, "MIRRORPASS_DEPS_PREFIX": ""})
    proc, result = campaign(tmp_path, "--runs", "4", "--seed", "3", program=[str(program)])
    assert proc.returncode == 0, proc.stderr
    assert result["outcomes"]["recovered"] == result["runs"] >= 3, result["workloads"][0]["runs"]
    runs = result["workloads"][0]["runs"]
    # A lost mirror page is rebuilt from native, which is exact: only runs that lost a native page count.
    def native(lost: str) -> bool:
        address = int(lost.split()[0], 16)
        return any(start <= address < end for start, end in APPLICATION_WINDOWS)
    native_losses = [r for r in runs if any(native(lost) for lost in r["lost"])]
    assert native_losses and result["unverified_runs"] == len(native_losses), runs
    assert all(r["unverified"] == (r in native_losses) for r in runs), runs
    # The user's own MIRROR_OPTIONS reach the mirrored runs: vouching for libz makes its repairs plain.
    proc, result = campaign(tmp_path, "--runs", "4", "--seed", "3", program=[str(program)],
                            env={"MIRROR_OPTIONS": "allow_uninstrumented=libz.so.1"})
    assert proc.returncode == 0, proc.stderr
    assert result["outcomes"]["recovered"] == result["runs"] and result["unverified_runs"] == 0, result["workloads"]
    assert "unverified" in proc.stdout


def test_losses_anywhere_are_recovered_or_reported_never_silent(worker, tmp_path):
    """Most resident pages of `worker mmap` are its own mapping, outside the protected domain: a loss
    there is reported by the runtime and the process dies, as it would have without us."""
    proc, result = campaign(tmp_path, "--runs", "10", "--target", "anywhere", "--seed", "3",
                            "--native", str(worker["native"]), program=[str(worker["mirrored"]), "mmap"])
    assert proc.returncode == 0, proc.stderr
    mirrored, runs = result["outcomes"], result["workloads"][0]["runs"]
    assert mirrored["sdc"] == 0 and mirrored["hung"] == 0, runs
    assert mirrored["reported"] >= 1, runs
    for r in runs:
        if r["build"] == "mirrored" and r["outcome"] == "reported":
            assert "cannot restore" in r["detail"] and r["ending"] == "SIGBUS", r
    assert result["native"]["outcomes"]["sdc"] == 0
    coverage = result["workloads"][0]["coverage"]
    assert coverage["samples"] >= 2 and coverage["share"] < 0.5, coverage  # 16 MiB unprotected of ~19


def test_coverage_of_a_program_whose_data_is_protected(worker, tmp_path):
    proc, result = campaign(tmp_path, "--runs", "1", program=[str(worker["mirrored"])])
    assert proc.returncode == 0, proc.stderr
    assert "native" not in result  # no --native: the mirrored build alone
    assert result["workloads"][0]["coverage"]["share"] > 0.8, result["workloads"][0]["coverage"]


def test_report_renders_a_campaign_as_tables_html_and_json(worker, tmp_path):
    proc, _ = campaign(tmp_path, "--runs", "2", "--native", str(worker["native"]), "--html", str(tmp_path / "c.html"),
                       program=[str(worker["mirrored"])])
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "c.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "Wilson" in page and "coverage" in page
    report = subprocess.run([MIRRORPASS, "report", str(tmp_path / "campaign.json"), "--json", "-"],
                            capture_output=True, text=True)
    assert report.returncode == 0 and json.loads(report.stdout)["kind"] == "mirrorpass-campaign"
    tables = subprocess.run([MIRRORPASS, "report", str(tmp_path / "campaign.json")], capture_output=True, text=True)
    assert tables.returncode == 0 and "recovered" in tables.stdout and "native" in tables.stdout


def test_a_short_program_loses_its_pages_in_nine_runs_of_ten(worker, tmp_path):
    """A 0.3 s program (issue 15): the moments are drawn from the faster of two plain golden runs, so they
    fall while it runs. They were drawn from the coverage-sampling run, which took three times as long,
    and 14 of 20 runs lost no page."""
    proc, result = campaign(tmp_path, "--runs", "20", "--seed", "15", "--native", str(worker["native"]),
                            program=[str(worker["mirrored"]), "rounds=15"])
    assert proc.returncode == 0, proc.stderr
    workload = result["workloads"][0]
    assert max(workload["golden_s"].values()) < 0.6, workload["golden_s"]
    for entry in (result, result["native"]):
        assert entry["outcomes"]["not_injected"] <= 2, workload["runs"]
        assert entry["runs"] + entry["outcomes"]["not_injected"] == 20
    assert result["outcomes"]["recovered"] == result["runs"], workload["runs"]
    assert "not injected" in proc.stdout


def test_a_program_that_ends_before_its_losses_fails_the_campaign(tmp_path):
    """A run that lost no page is counted as not injected, never as recovered, and more than a tenth of
    them fail the campaign with a message saying what to do."""
    source = tmp_path / "quick.c"
    source.write_text('#include <stdio.h>\nint main(void) { puts("done"); return 0; }\n')
    program = tmp_path / "quick"
    subprocess.run([MIRROR_CC, "-O2", str(source), "-o", str(program)], check=True)
    proc, result = campaign(tmp_path, "--runs", "10", "--seed", "2", program=[str(program)])
    assert proc.returncode == 1, proc.stderr
    assert result["outcomes"]["not_injected"] >= 2, result["workloads"][0]["runs"]
    not_injected = [r for r in result["workloads"][0]["runs"] if r["outcome"] == "not_injected"]
    assert all(r["lost"] == [] for r in not_injected)
    assert result["outcomes"]["recovered"] == result["runs"] == 10 - len(not_injected)
    assert "ended before any page was lost" in proc.stderr and "lengthen the workload" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_program_not_built_with_mirror_cc_is_a_clear_error(worker, tmp_path):
    proc, result = campaign(tmp_path, "--runs", "1", program=[str(worker["native"])])
    assert proc.returncode != 0 and result is None
    assert proc.stderr.startswith("mirrorpass: error: ") and "not built with mirror-cc" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_output_that_is_not_deterministic_is_a_clear_error(worker, tmp_path):
    proc, result = campaign(tmp_path, "--runs", "1", program=[str(worker["mirrored"]), "clock"])
    assert proc.returncode != 0 and result is None
    assert "two runs without losses differ" in proc.stderr and "deterministic" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_programs_named_relative_to_the_working_directory(worker, tmp_path):
    # `-- ./prog` once became "prog", which Popen then looked up on PATH (FileNotFoundError).
    folder = worker["mirrored"].parent
    assert worker["native"].parent == folder
    proc, result = campaign(tmp_path, "--runs", "2", "--native", f"./{worker['native'].name}",
                            program=[f"./{worker['mirrored'].name}"], cwd=folder)
    assert proc.returncode == 0, proc.stderr
    assert result["runs"] == 2 and result["native"]["runs"] == 2


@pytest.mark.parametrize("case", ["directory", "not executable", "output in a missing directory", "timeout"])
def test_bad_arguments_are_refused_before_any_run(worker, tmp_path, case):
    program, args = [str(worker["mirrored"])], ["--runs", "1"]
    if case == "directory":
        program = [str(tmp_path)]
    elif case == "not executable":
        plain = tmp_path / "data.txt"
        plain.write_text("x")
        program = [str(plain)]
    elif case == "output in a missing directory":
        args += ["--html", str(tmp_path / "missing" / "c.html")]
    else:
        args += ["--timeout", "-1"]
    proc, result = campaign(tmp_path, *args, program=program)
    assert proc.returncode != 0 and result is None
    assert proc.stderr.startswith("mirrorpass: error: ") and "Traceback" not in proc.stderr, proc.stderr
    assert "golden" not in proc.stderr  # refused before the golden runs


def test_nothing_to_run_is_a_clear_error(tmp_path):
    proc = subprocess.run([MIRRORPASS, "campaign", "--runs", "3"], capture_output=True, text=True)
    assert proc.returncode != 0 and "give the mirrored program" in proc.stderr and "Traceback" not in proc.stderr


def test_native_injector_loses_pages_of_a_plain_program(worker, tmp_path):
    """The preloaded injector alone: a clang-22 program loses a heap page it touches again and dies by
    SIGBUS, after the log named the page."""
    from mirrorpass.campaign.runner import NATIVE_INJECTOR

    log = tmp_path / "lost.log"
    proc = subprocess.run([str(worker["native"])], capture_output=True, text=True, timeout=60, env={
        "LD_PRELOAD": str(NATIVE_INJECTOR),
        "MIRROR_OPTIONS": f"inject_count=1:inject_interval_ms=100:inject_seed=5:inject_log={log}"})
    assert proc.returncode == -7, (proc.returncode, proc.stdout, proc.stderr)
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("0x")
