"""The bench summary as rich tables in the terminal."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from ..machine import cpu_line


def _mib(n: float) -> str:
    return f"{n / (1 << 20):.1f}"


def render(summary: dict, console: Console) -> None:
    variants = summary["variants"]
    machine = summary.get("machine") or {}
    console.print(f"[bold]mirrorpass bench[/] {summary.get('date')}  {cpu_line(machine)}, "
                  f"{machine.get('nproc', '?')} cores, kernel {machine.get('kernel', '?')}, {summary.get('reps')} reps"
                  f"{' (quick)' if summary.get('quick') else ''}; hardware counters: {summary.get('hardware_counters')}")

    time = Table(title="run time: median wall (x native) and spread (max-min)/median")
    time.add_column("workload")
    for v in variants:
        time.add_column(v, justify="right")
    for row in summary["workloads"]:
        cells = []
        for v in variants:
            e = row["variants"][v]
            ratio = "" if v == "native" else f" ({e['ratio']:.2f}x)"
            cells.append(f"{e['wall_s']:.3f} s{ratio} ±{e['spread'] * 100:.0f}%")
        time.add_row(row["workload"], *cells)
    if summary["workloads"]:
        time.add_section()
        time.add_row("geomean x native", *[f"{summary['geomean_ratio'][v]:.3f}x" for v in variants])
    console.print(time)

    cpu = Table(title="CPU time (median user + sys, s) and peak RSS (median, MiB)")
    cpu.add_column("workload")
    for v in variants:
        cpu.add_column(v, justify="right")
    for row in summary["workloads"]:
        cells = []
        for v in variants:
            e = row["variants"][v]
            text = f"{e['user_s']:.2f}+{e['sys_s']:.2f}  {_mib(e['rss_bytes'])} MiB"
            if "rss_ok" in e:
                text += f" (≤{_mib(e['rss_allowed_bytes'])} {'ok' if e['rss_ok'] else 'OVER'})"
            cells.append(text)
        cpu.add_row(row["workload"], *cells)
    console.print(cpu)

    build = Table(title="compile time (s, x native) and code size (executable bytes, x native)")
    build.add_column("project / binary")
    for v in variants:
        build.add_column(v, justify="right")
    for project, times in summary["compile"].items():
        build.add_row(f"{project}: build", *[f"{times[v]['s']:.1f} ({times[v]['ratio']:.2f}x)" if v in times else "-"
                                             for v in variants])
        for binary, sizes in summary["code_size"].get(project, {}).items():
            base = sizes.get("native") or 1
            build.add_row(f"  {binary}", *[f"{sizes[v]:,} ({sizes[v] / base:.2f}x)" if v in sizes else "-"
                                           for v in variants])
    console.print(build)

    for project, growth in summary["functions"].items():
        table = Table(title=f"{project}: functions that grew most (bytes, native -> segment); "
                            f"{growth['common_functions']} functions, {growth['native_bytes']:,} -> "
                            f"{growth['mirrored_bytes']:,} bytes")
        table.add_column("function")
        table.add_column("native", justify="right")
        table.add_column("segment", justify="right")
        table.add_column("x", justify="right")
        for f in growth["top"][:8]:
            table.add_row(f["name"], f"{f['native']:,}", f"{f['mirrored']:,}", f"{f['mirrored'] / max(f['native'], 1):.2f}")
        console.print(table)

    targets = Table(title="targets")
    targets.add_column("what")
    targets.add_column("measured", justify="right")
    targets.add_column("target", justify="right")
    targets.add_column("")
    for t in summary["targets"]:
        value = f"{t['value']:.3f}x" if isinstance(t["value"], float) else str(t["value"])
        target = f"≤ {t['target']}x" if isinstance(t["target"], float) else str(t["target"])
        targets.add_row(t["what"], value, target, "[green]met[/]" if t["ok"] else "[red]missed[/]")
    console.print(targets)


def alias_table(record: dict) -> Table:
    """The alias probe's record (mirrorpass/bench/alias.py) as one row per delta."""
    machine = record["machine"]
    table = Table(title=f"alias probe, {record['addresses']} random heap and stack lines: ns per iteration of "
                        f"store, mirror store, load (mirrored) and of store, load (plain)\n"
                        f"{cpu_line(machine)}, {machine['date']}", box=box.SIMPLE_HEAD,
                  caption=f"* the shipped MIRROR_DELTA (runtime/base/layout.h); slow: over {record['slow_factor']:g}x the median")
    for name in ("delta", "mirrored", "plain", "worst mirrored", "slow"):
        # The delta is the row's name: never cut, whatever the width (80 columns in a pipe with COLUMNS set).
        table.add_column(name, justify="left" if name in ("delta", "worst mirrored") else "right", no_wrap=True,
                         min_width=18 if name == "delta" else None)
    for d in record["deltas"]:
        table.add_row(d["delta"] + (" *" if d["shipped"] else ""), f"{d['median_ns']:.2f}",
                      f"{d['plain_median_ns']:.2f}", f"{d['worst_ns']:.2f} {d['worst_region']} {d['worst_address']}",
                      f"{d['slow']} ({d['slow_share']:.1%})")
    return table
