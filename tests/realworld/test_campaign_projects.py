"""`mirrorpass campaign --projects`: Lua and zlib from Debian's sources, built natively and mirrored by
the bench recipes, lose pages of the protected domain at random moments (3 per run): every mirrored run
recovers, the native runs are beside them, and coverage is measured per workload."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import MIRRORPASS

pytestmark = pytest.mark.slow


def test_project_campaign_recovers_every_mirrored_run(tmp_path):
    out = tmp_path / "campaign.json"
    proc = subprocess.run([MIRRORPASS, "campaign", "--projects", "lua,zlib", "--runs", "4", "--losses", "3",
                           "--workdir", str(tmp_path / "work"), "--json", str(out)],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert [w["name"] for w in result["workloads"]] == ["lua", "zlib"]
    for workload in result["workloads"]:
        mirrored, native = workload["builds"]["mirrored"], workload["builds"]["native"]
        assert mirrored["runs"] >= 3 and mirrored["outcomes"]["recovered"] == mirrored["runs"], workload["runs"]
        assert native["outcomes"]["sdc"] == 0 and native["runs"] + native["outcomes"]["not_injected"] == 4
        assert 0.3 < workload["coverage"]["share"] <= 1.0, workload["coverage"]
    assert result["outcomes"]["recovered"] == result["runs"] and result["pages_lost"] >= result["runs"]
