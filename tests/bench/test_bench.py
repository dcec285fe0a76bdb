"""`mirrorpass bench --quick` builds the service example, Lua and zlib natively, mirrored (both addressings) and with ASan,
runs their workloads interleaved and writes a result; `mirrorpass report` renders it as terminal tables,
a self-contained HTML page and JSON. (What the numbers are is for benchmarks/, not for a test.)"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MIRRORPASS

VARIANTS = ["native", "segment", "offset", "asan"]
WORKLOADS = {"service/requests", "lua/cpu", "lua/alloc", "zlib/compress", "zlib/decompress"}


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("bench")
    result = work / "bench.json"
    proc = subprocess.run([MIRRORPASS, "bench", "--quick", "-o", str(result), "--workdir", str(work / "builds")],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "targets" in proc.stdout and "results: " in proc.stderr
    assert proc.stdout.index("alias probe") < proc.stdout.index("mirrorpass bench"), "the probe runs first"
    return result


@pytest.mark.slow
def test_quick_bench_measures_every_variant_of_every_workload(quick_result):
    result = json.loads(quick_result.read_text())
    assert result["quick"] is True and result["reps"] == 2 and result["variants"] == VARIANTS
    machine = result["machine"]
    assert machine["nproc"] >= 1 and machine["kernel"] and machine["date"]
    assert {"model_name", "vendor", "family", "model"} <= set(machine["cpu"]) and machine["cpu"]["vendor"]
    probe = result["alias_probe"]
    assert probe["deltas"][0]["shipped"] and probe["deltas"][0]["addresses"] == 400
    assert {f"{w['project']}/{w['name']}" for w in result["workloads"]} == WORKLOADS
    for workload in result["workloads"]:
        for variant in VARIANTS:
            m = workload["variants"][variant]
            assert len(m["wall_s"]["runs"]) == 2 and m["wall_s"]["median"] > 0, (workload["name"], variant)
            assert m["user_s"]["median"] > 0 and m["max_rss_kb"]["median"] > 0
            # The launcher forks from a small process: peak RSS is the program's, not the driver's.
            assert m["max_rss_kb"]["median"] < 400 * 1024
            mirrored = variant in ("segment", "offset")
            assert (m["protected_resident_bytes"] is not None) == mirrored, (workload["name"], variant, m)
    for project in ("lua", "zlib"):
        assert set(result["compile_s"][project]) == set(VARIANTS)
        sizes = next(iter(result["code_size"][project].values()))
        assert sizes["segment"] > sizes["native"] and sizes["asan"] > sizes["native"]
        growth = result["functions"][project]
        assert growth["common_functions"] > 50 and growth["mirrored_bytes"] > growth["native_bytes"]


@pytest.mark.slow
def test_report_renders_tables_html_and_json(quick_result, tmp_path):
    tables = subprocess.run([MIRRORPASS, "report", str(quick_result)], capture_output=True, text=True,
                            env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"})
    assert tables.returncode == 0, tables.stderr
    for heading in ("run time", "CPU time", "compile time", "targets", "geomean x native", "lua/alloc", "family"):
        assert heading in tables.stdout, heading

    page, summary = tmp_path / "report.html", tmp_path / "summary.json"
    proc = subprocess.run([MIRRORPASS, "report", str(quick_result), "--html", str(page), "--json", str(summary)],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 2 and "<script" not in html
    assert "http" not in re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", html), "the page must be self-contained"
    digest = json.loads(summary.read_text())
    assert set(digest["geomean_ratio"]) == set(VARIANTS) and digest["geomean_ratio"]["native"] == 1.0
    assert {t["what"] for t in digest["targets"]} >= {"segment: runtime geomean", "offset: slowest workload"}


def test_report_of_something_else_is_a_clear_error(tmp_path):
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello\n")
    proc = subprocess.run([MIRRORPASS, "report", str(not_json)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert proc.stderr.startswith("mirrorpass: error: ") and "not a mirrorpass result" in proc.stderr
    assert "Traceback" not in proc.stderr
    missing = subprocess.run([MIRRORPASS, "report", str(tmp_path / "missing.json")], capture_output=True, text=True)
    assert missing.returncode != 0 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr


def test_default_projects_are_the_real_ones():
    # The service example (a demonstration of selective protection, 1.7x in the default mode) once
    # counted in the full run's geomean and worst workload, against targets set for real projects.
    from mirrorpass.bench.projects import select

    assert [p.name for p in select(None, quick=False)] == ["sqlite", "lua", "zlib", "redis"]
    assert [p.name for p in select(None, quick=True)] == ["service", "lua", "zlib"]
    assert [p.name for p in select(["service", "zlib"], quick=False)] == ["service", "zlib"]


def test_bench_rejects_unknown_projects_and_variants():
    for args, message in ((["--projects", "nginx"], "unknown project"), (["--variants", "native,tsan"], "unknown variant"),
                          (["--variants", "segment"], "baseline")):
        proc = subprocess.run([MIRRORPASS, "bench", *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_annotated_variant_is_refused_for_projects_without_annotations(tmp_path):
    proc = subprocess.run([MIRRORPASS, "bench", "--projects", "lua", "--variants", "native,annotated",
                           "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "lua cannot be built as annotated" in proc.stderr and "--projects service" in proc.stderr
    assert not any(tmp_path.iterdir())  # refused before anything was built


@pytest.mark.slow
def test_bench_compares_all_with_annotated_on_the_service_example(tmp_path):
    """The service example protects a 128 KiB ledger amid 16 MiB of working memory: built annotated, its
    working memory is neither mirrored nor protected, and the report has the annotated column."""
    result = tmp_path / "bench.json"
    proc = subprocess.run([MIRRORPASS, "bench", "--projects", "service", "--variants", "native,segment,annotated",
                           "--reps", "1", "-o", str(result), "--workdir", str(tmp_path / "builds")],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (workload,) = json.loads(result.read_text())["workloads"]
    rss = {v: workload["variants"][v]["max_rss_kb"]["median"] for v in ("native", "segment", "annotated")}
    assert rss["segment"] > rss["native"] + 12 * 1024, rss  # the 16 MiB of working memory, mirrored
    assert rss["annotated"] < rss["native"] + 4 * 1024, rss
    assert "annotated" in proc.stdout
