"""How a campaign runs one program (mirrorpass/campaign/subjects.py): real processes, real timeouts."""

from __future__ import annotations

import time

from mirrorpass.campaign.subjects import Command


def test_a_hung_run_keeps_what_it_printed(tmp_path):
    # The output of a run that hung was once thrown away: a runtime report printed before the hang
    # (the page it could not restore) was lost from the record.
    script = "echo 'mirrorpass: lost page' >&2; echo partial; exec sleep 30"
    start = time.perf_counter()
    result = Command(["sh", "-c", script]).run({"PATH": "/usr/bin:/bin"}, 0.5, tmp_path / "lost.log")
    assert time.perf_counter() - start < 10
    assert result.returncode is None and result.timed_out
    assert "mirrorpass: lost page" in result.stderr and result.output == b"partial\n"
