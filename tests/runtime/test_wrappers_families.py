"""The libc-boundary wrappers, one program per family, against real files, pipes, sockets and threads.

For every family and optimisation level, the routed build must leave 0 divergent bytes in everything
libc wrote, and the control build (`-fmirror-libc=direct`, same program) must show divergence for every
checked call: so each wrapper is what makes its mirror exact. Names ending in '?' in a program's output
are checked in the routed build only (their bytes may or may not change without routing, e.g. a
realloc that grows in place). Return values and errno must be the same with and without the wrappers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wrapper_programs import MODES, OPT_LEVELS, Program, ProgramRuns

FAMILIES: dict[str, Program] = {
    "io": Program(),
    "net": Program(),
    "stdio": Program(),
    "scanf": Program(stdin="31 41 59 26\n"),
    "format": Program(),
    # -fno-builtin: otherwise the compiler turns these calls into intrinsics the pass mirrors itself.
    "string": Program(cflags=("-fno-builtin",)),
    "time": Program(),
    "fs": Program(),
    "proc": Program(),
    "mem": Program(),
    "algo": Program(),
    "sync": Program(),
}

CASES = [pytest.param(family, opt, id=f"{family}{opt}") for family in FAMILIES for opt in OPT_LEVELS]


@pytest.fixture(scope="session")
def family_runs(runtime_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> ProgramRuns:
    return ProgramRuns(FAMILIES, Path(tmp_path_factory.mktemp("wrappers")))


@pytest.mark.parametrize("family, opt", CASES)
def test_routed_mirror_is_exact(family_runs: ProgramRuns, family: str, opt: str) -> None:
    outcome = family_runs.outcome(family, opt, "wrap")
    assert outcome.returncode == 0, outcome.describe()
    assert len(outcome.diffs) >= 5, outcome.describe()
    divergent = {name: n for name, n in outcome.diffs.items() if n != 0}
    assert not divergent, f"mirror differs after these calls: {divergent}\n{outcome.describe()}"
    # And the audit at exit over the whole protected domain agrees.
    assert outcome.stats.get("audit_divergent_bytes") == 0, f"{outcome.stats}\n{outcome.describe()}"
    assert outcome.stats["protected_resident_bytes"] > 0
    assert "total=0\n" in outcome.stdout


@pytest.mark.parametrize("family, opt", CASES)
def test_direct_control_diverges(family_runs: ProgramRuns, family: str, opt: str) -> None:
    outcome = family_runs.outcome(family, opt, "direct")
    assert outcome.returncode == 0, outcome.describe()
    checked = {name: n for name, n in outcome.diffs.items() if not name.endswith("?")}
    exact = sorted(name for name, n in checked.items() if n == 0)
    assert not exact, (
        f"without routing these calls left the mirror exact anyway, so the test does not prove their "
        f"wrapper: {exact}"
    )
    assert "total=0\n" not in outcome.stdout


@pytest.mark.parametrize("family, opt", CASES)
def test_results_and_errno_unchanged(family_runs: ProgramRuns, family: str, opt: str) -> None:
    routed, direct = (family_runs.outcome(family, opt, mode).results for mode in MODES)
    assert routed, "the program printed no results"
    assert routed == direct
