"""Reading a package's own test results (mirrorpass/deps/tests.py) from the summaries its harness prints:
automake's test driver, meson test, ctest; and a harness that ran nothing is "not run", never "passed"."""

from __future__ import annotations

from mirrorpass.deps.tests import summarize, verdict

AUTOMAKE = """\
PASS: test/basic
FAIL: test/regress_dns
============================================================================
Testsuite summary for libevent 2.1.12-stable
============================================================================
# TOTAL: 3
# PASS:  2
# SKIP:  0
# XFAIL: 0
# FAIL:  1
# XPASS: 0
# ERROR: 0
============================================================================
# TOTAL: 2
# PASS:  2
# SKIP:  0
# XFAIL: 0
# FAIL:  0
# XPASS: 0
# ERROR: 0
"""

MESON = """\
  1/4 glib:glib / array-test              OK              0.31s
  2/4 glib:glib / gdatetime               FAIL            1.02s   exit status 1
  3/4 glib:gio / gdbus-peer               TIMEOUT        60.01s   killed by signal 15 SIGTERM
  4/4 glib:glib / unix                    SKIP            0.01s

Ok:                 1
Expected Fail:      0
Fail:               1
Unexpected Pass:    0
Skipped:            1
Timeout:            1
"""


def test_automake_suites_are_summed_and_failures_named():
    s = summarize("autotools", AUTOMAKE, 2)
    assert s["counts"] == {"pass": 4, "skip": 0, "xfail": 0, "fail": 1, "xpass": 0, "error": 0}
    assert s["failed"] == ["test/regress_dns"] and not s["passed"]
    assert verdict(s) == "failed: 1 of 5"


def test_meson_failures_and_timeouts_are_named():
    s = summarize("meson", MESON, 1)
    assert s["failed"] == ["glib:glib / gdatetime", "glib:gio / gdbus-peer"]
    assert s["counts"]["timeout"] == 1 and verdict(s) == "failed: 2 of 4"


def test_a_passing_suite_shows_its_counts():
    s = summarize("meson", "Ok: 3\nSkipped: 1\n", 0)
    assert s["passed"] and verdict(s) == "passed (3 of 4, 1 skipped)"


def test_a_harness_that_ran_nothing_is_not_run():
    s = summarize("autotools", "WARNING: could not find `runtest'\n", 0)
    assert not s["ran"] and "dejagnu" in verdict(s)


def test_ctest():
    s = summarize("cmake", "90% tests passed, 1 tests failed out of 10\n  7 - inflate (Failed)\n", 8)
    assert s["counts"] == {"pass": 9, "fail": 1} and s["failed"] == ["inflate"]


def test_dejagnu_summary():
    s = summarize("autotools", "FAIL: libffi.call/float.c -O2 (test for excess errors)\n\t\t=== libffi Summary ===\n\n"
                  "# of expected passes\t\t258\n# of unexpected failures\t1\n# of unsupported tests\t\t2\n", 2)
    assert s["counts"] == {"pass": 258, "fail": 1, "skip": 2} and s["failed"] == ["libffi.call/float.c"]
    assert verdict(s) == "failed: 1 of 261"
