"""Outcome classes and their 95% intervals (mirrorpass/campaign/outcomes.py)."""

from __future__ import annotations

import pytest

from mirrorpass.campaign.outcomes import RunResult, classify, not_injected, not_injected_share, tally, wilson
from mirrorpass.campaign.runner import check_injected

GOLDEN = RunResult(0, b"checksum 42\n", "", 0.5)


def result(code: int | None, output: bytes = b"checksum 42\n", stderr: str = "", lost: int = 1) -> RunResult:
    return RunResult(code, output, stderr, 0.5, [f"0x{0x7f0000000000 + i * 4096:x} anonymous memory" for i in range(lost)])


@pytest.mark.parametrize(("run", "expected"), [
    (result(0), "recovered"),
    (result(0, b"checksum 41\n"), "sdc"),
    (result(None), "hung"),
    (result(-7), "crashed"),
    (result(1), "crashed"),
    (result(-7, b"", "mirrorpass: memory error (injected): lost page 0x1-0x2 in [stack]: cannot restore, it is outside "
                     "the protected domain\n"), "reported"),
    (result(0, lost=0), "not_injected"),
    (result(-7, lost=0), "not_injected"),
])
def test_classify(run, expected):
    assert classify(GOLDEN, run) == expected


def test_a_report_does_not_hide_a_completed_run():
    """The runtime may report a loss it could not restore (found in the background) and the program still
    finish: what it printed decides."""
    reported = "mirrorpass: memory error (BUS_MCEERR_AO): lost page 0x1-0x2 in x: cannot restore, ...\n"
    assert classify(GOLDEN, result(0, stderr=reported)) == "recovered"
    assert classify(GOLDEN, result(0, b"other\n", stderr=reported)) == "sdc"


def test_wilson_interval_matches_published_values():
    # Wilson 95% for 0/10: [0, 0.2775]; for 10/10: [0.7225, 1]; for 5/10: [0.2366, 0.7634].
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_tally_leaves_runs_without_losses_out_of_the_rates():
    counts = tally(["recovered", "recovered", "crashed", "not_injected"])
    assert counts["runs"] == 3
    assert counts["outcomes"] == {"recovered": 2, "crashed": 1, "hung": 0, "sdc": 0, "reported": 0, "not_injected": 1}
    assert set(counts["rates"]) == set(counts["ci95"]) == {"recovered", "crashed", "hung", "sdc", "reported"}
    assert counts["rates"]["recovered"] == pytest.approx(2 / 3)
    lo, hi = counts["ci95"]["crashed"]
    assert 0 < lo < 1 / 3 < hi < 1


def test_not_injected_share_and_results_of_the_old_shape():
    assert not_injected_share(tally(["recovered"] * 9 + ["not_injected"])) == pytest.approx(0.1)
    assert not_injected_share(tally([])) == 0.0
    old = {"runs": 3, "not_injected": 2, "outcomes": {"recovered": 3}}  # written before it was an outcome
    assert not_injected(old) == 2 and not_injected_share(old) == pytest.approx(0.4)


def _campaign_result(mirrored: list[str], native: list[str]) -> dict:
    return {"workloads": [{"name": "mix", "golden_s": {"native": 0.3, "mirrored": 0.31},
                           "builds": {"native": tally(native), "mirrored": tally(mirrored)}}]}


def test_more_than_a_tenth_of_runs_not_injected_fails_the_campaign():
    assert check_injected(_campaign_result(["recovered"] * 9 + ["not_injected"], ["crashed"] * 10)) == []
    problems = check_injected(_campaign_result(["recovered"] * 8 + ["not_injected"] * 2, ["crashed"] * 10))
    assert len(problems) == 1
    assert problems[0].startswith("mix (mirrored): 2 of 10 runs (20%, limit 10%) ended before any page was lost")
    assert "0.31 s" in problems[0] and "lengthen the workload" in problems[0]
    both = check_injected(_campaign_result(["not_injected"] * 3, ["not_injected"] * 3))
    assert [p.split(":")[0] for p in both] == ["mix (native)", "mix (mirrored)"]
