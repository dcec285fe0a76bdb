"""What a package's own test suite said: counts and the names of the tests that failed, read from the
output of `make check` (automake's test driver, several suites summed, or DejaGnu's runtest), `meson
test` and `ctest`.

A suite that did not run its tests is not "passed": libffi's `make check` exits 0 when DejaGnu's
`runtest` is missing, having run nothing.
"""

from __future__ import annotations

import re

# automake: "# PASS:  12" in each suite's summary; "FAIL: name" per test.
_AUTOMAKE_COUNT = re.compile(r"^# (PASS|FAIL|XFAIL|XPASS|SKIP|ERROR):\s+(\d+)\s*$", re.M)
_AUTOMAKE_FAILED = re.compile(r"^(?:FAIL|ERROR|XPASS): (\S+)", re.M)
# meson: "Ok:                 301" ... and "123/305 glib:core / gdatetime   FAIL   1.23s   exit status 1".
_MESON_COUNT = re.compile(r"^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout):\s+(\d+)\s*$", re.M)
_MESON_FAILED = re.compile(r"^\s*\d+/\d+\s+(.+?)\s+(FAIL|TIMEOUT|UNEXPECTEDPASS|ERROR)\s", re.M)
# ctest: "95% tests passed, 2 tests failed out of 40"; "  12 - name (Failed)".
_CTEST_COUNT = re.compile(r"(\d+)% tests passed, (\d+) tests? failed out of (\d+)")
_CTEST_FAILED = re.compile(r"^\s*\d+ - (\S+) \((?:Failed|Timeout|SEGFAULT|Subprocess aborted|Not Run)\)", re.M)
# DejaGnu (runtest): "# of expected passes\t\t258", "# of unexpected failures\t3"; "FAIL: name (reason)".
_DEJAGNU_COUNT = re.compile(r"^# of (expected passes|unexpected failures|unexpected successes|expected failures|"
                            r"unresolved testcases|unsupported tests|untested testcases)\s+(\d+)\s*$", re.M)
_DEJAGNU_KEYS = {"expected passes": "pass", "unexpected failures": "fail", "unexpected successes": "xpass",
                 "expected failures": "xfail", "unresolved testcases": "error", "unsupported tests": "skip",
                 "untested testcases": "skip"}
# Harnesses that exit 0 without running anything.
_NOT_RUN = {"could not find `runtest'": "DejaGnu's runtest is not installed (apt-get install dejagnu)"}
MAX_NAMES = 40

_MESON_KEYS = {"Ok": "pass", "Expected Fail": "xfail", "Fail": "fail", "Unexpected Pass": "xpass",
               "Skipped": "skip", "Timeout": "timeout"}


def summarize(system: str, output: str, exit_status: int) -> dict:
    """{"ran", "passed", "exit_status", "counts": {"pass": n, "fail": n, ...}, "failed": [names], "tail"}."""
    for mark, reason in _NOT_RUN.items():
        if mark in output:
            return {"ran": False, "reason": reason, "exit_status": exit_status}
    counts: dict[str, int] = {}
    failed: list[str] = []
    if system == "meson":
        for key, n in _MESON_COUNT.findall(output):
            counts[_MESON_KEYS[key]] = counts.get(_MESON_KEYS[key], 0) + int(n)
        failed = [name.strip() for name, _ in _MESON_FAILED.findall(output)]
    elif system == "cmake":
        match = _CTEST_COUNT.search(output)
        if match:
            total, fail = int(match.group(3)), int(match.group(2))
            counts = {"pass": total - fail, "fail": fail}
        failed = _CTEST_FAILED.findall(output)
    else:
        for key, n in _AUTOMAKE_COUNT.findall(output):
            counts[key.lower()] = counts.get(key.lower(), 0) + int(n)
        for key, n in _DEJAGNU_COUNT.findall(output):
            counts[_DEJAGNU_KEYS[key]] = counts.get(_DEJAGNU_KEYS[key], 0) + int(n)
        failed = _AUTOMAKE_FAILED.findall(output)
    failed = list(dict.fromkeys(failed))
    summary = {"ran": True, "passed": exit_status == 0 and not counts.get("fail") and not counts.get("error"),
               "exit_status": exit_status, "counts": counts, "failed": failed[:MAX_NAMES]}
    if len(failed) > MAX_NAMES:
        summary["failed_more"] = len(failed) - MAX_NAMES
    if not summary["passed"]:
        summary["tail"] = output[-1500:]
    return summary


def verdict(tests: dict) -> str:
    """One cell of `mirrorpass deps list`: "passed (301 of 305, 4 skipped)", "failed: 3 of 305", "not run"."""
    if not tests.get("ran"):
        return "not run" + (f": {tests['reason']}" if tests.get("reason") else "")
    counts = tests.get("counts") or {}
    total = sum(counts.values())
    bad = counts.get("fail", 0) + counts.get("error", 0) + counts.get("timeout", 0) + counts.get("xpass", 0)
    if tests["passed"]:
        if not total:
            return "passed"
        skipped = f", {counts['skip']} skipped" if counts.get("skip") else ""
        return f"passed ({counts.get('pass', 0)} of {total}{skipped})"
    if total:
        return f"failed: {bad} of {total}"
    return f"failed (exit {tests.get('exit_status')})"
