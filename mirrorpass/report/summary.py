"""What a bench result file says: ratios against native, geomeans, and the targets (issue targets:
runtime geomean <= 1.08x native and no workload above 1.20x; peak RSS <= native + protected resident
bytes + 2 MiB; compile time <= 1.25x clang-22; the alias probe's share of slow addresses with the shipped delta
(mirrorpass/bench/alias.py))."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from ..bench import alias
from ..errors import MirrorError

TIME_GEOMEAN_TARGET = 1.08
TIME_MAX_TARGET = 1.20
COMPILE_TARGET = 1.25
RSS_SLACK_BYTES = 2 << 20
MIRRORED = ("segment", "offset", "annotated")


def load(path: Path) -> dict:
    try:
        result = json.loads(path.read_text())
    except OSError as exc:
        raise MirrorError(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise MirrorError(f"{path} is not a mirrorpass result (not JSON: {exc})") from exc
    if isinstance(result, dict) and result.get("kind") == "mirrorpass-campaign" and "workloads" in result:
        return result
    if not isinstance(result, dict) or "workloads" not in result or "variants" not in result:
        raise MirrorError(f"{path} is not a mirrorpass bench or campaign result (no workloads/variants); "
                          "make one with `mirrorpass bench` or `mirrorpass campaign --json FILE`")
    return result


def summarize(result: dict) -> dict:
    variants = result["variants"]
    rows = []
    for w in result["workloads"]:
        native = w["variants"]["native"]
        row = {"workload": f"{w['project']}/{w['name']}", "description": w["description"], "variants": {}}
        for v in variants:
            m = w["variants"][v]
            wall = m["wall_s"]
            rss = m["max_rss_kb"]["median"] * 1024
            entry = {
                "wall_s": wall["median"],
                "spread": (wall["max"] - wall["min"]) / wall["median"] if wall["median"] else 0.0,
                "ratio": wall["median"] / native["wall_s"]["median"],
                "user_s": m["user_s"]["median"],
                "sys_s": m["sys_s"]["median"],
                "rss_bytes": rss,
                "rss_ratio": rss / (native["max_rss_kb"]["median"] * 1024),
            }
            protected = m.get("protected_resident_bytes")
            if v in MIRRORED and protected is not None:
                allowed = native["max_rss_kb"]["median"] * 1024 + protected + RSS_SLACK_BYTES
                entry.update(protected_bytes=protected, rss_allowed_bytes=allowed, rss_ok=rss <= allowed)
            row["variants"][v] = entry
        rows.append(row)
    geomeans = {v: statistics.geometric_mean([r["variants"][v]["ratio"] for r in rows]) for v in variants} if rows else {}
    worst = {v: max(r["variants"][v]["ratio"] for r in rows) for v in variants} if rows else {}
    compile_rows = {}
    for project, times in result.get("compile_s", {}).items():
        compile_rows[project] = {v: {"s": t, "ratio": t / times["native"]} for v, t in times.items()}
    targets = []
    for v in (x for x in MIRRORED if x in variants and rows):
        targets.append({"what": f"{v}: runtime geomean", "value": geomeans[v], "target": TIME_GEOMEAN_TARGET,
                        "ok": geomeans[v] <= TIME_GEOMEAN_TARGET})
        targets.append({"what": f"{v}: slowest workload", "value": worst[v], "target": TIME_MAX_TARGET,
                        "ok": worst[v] <= TIME_MAX_TARGET})
        rss = [r["variants"][v].get("rss_ok") for r in rows if "rss_ok" in r["variants"][v]]
        if rss:
            targets.append({"what": f"{v}: peak RSS within native + protected + 2 MiB",
                            "value": f"{sum(rss)}/{len(rss)} workloads", "target": "all", "ok": all(rss)})
        for project, times in compile_rows.items():
            if v in times:
                targets.append({"what": f"{v}: compile time of {project}", "value": times[v]["ratio"],
                                "target": COMPILE_TARGET, "ok": times[v]["ratio"] <= COMPILE_TARGET})
    probe = result.get("alias_probe")
    if probe:  # results written before the probe existed have none
        d = alias.shipped(probe)
        targets.append({"what": f"alias probe: slow addresses with the shipped delta {d['delta']}",
                        "value": f"{d['slow']}/{d['addresses']} ({d['slow_share']:.1%})",
                        "target": f"≤ {alias.SLOW_SHARE_LIMIT:.0%}", "ok": alias.warning(probe) is None})
    return {
        "date": result.get("date"), "machine": result.get("machine"), "quick": result.get("quick"),
        "reps": result.get("reps"), "variants": variants, "hardware_counters": result.get("hardware_counters"),
        "workloads": rows, "geomean_ratio": geomeans, "worst_ratio": worst, "compile": compile_rows,
        "code_size": result.get("code_size", {}), "functions": result.get("functions", {}), "targets": targets,
    }
