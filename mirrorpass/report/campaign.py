"""A campaign result (mirrorpass/campaign/runner.py) as rich tables and as a self-contained HTML page:
outcome counts with rates and 95% Wilson intervals, native beside mirrored, coverage per workload."""

from __future__ import annotations

from html import escape

from rich import box
from rich.console import Console
from rich.table import Table

from ..campaign.outcomes import OUTCOMES, not_injected
from ..machine import cpu_line
from .html import STYLE, _table

COLORS = {"recovered": "#10ac84", "reported": "#f6b93b", "crashed": "#ee5253", "hung": "#8854d0", "sdc": "#222222"}
TARGET_TEXT = {"protected": "pages of the protected domain (heap, globals, their mirror)",
               "anywhere": "pages anywhere in the process's resident writable memory"}


def is_campaign(result: dict) -> bool:
    return result.get("kind") == "mirrorpass-campaign"


def _percent(share: float) -> str:
    return f"{100 * share:.1f}".removesuffix(".0") + "%"


def _cell(entry: dict, outcome: str, separator: str = " ") -> str:
    """`n (rate)` and the 95% interval: "98 (98%) [93–99.6%]"."""
    n, runs = entry["outcomes"][outcome], entry["runs"]
    if not runs:
        return "-"
    lo, hi = entry["ci95"][outcome]
    return f"{n} ({_percent(n / runs)}){separator}[{_percent(lo).removesuffix('%')}–{_percent(hi)}]"


def _short(entry: dict, outcome: str) -> str:
    n, runs = entry["outcomes"][outcome], entry["runs"]
    return f"{n}\n({_percent(n / runs)})" if runs else "-"


def _coverage(workload: dict) -> str:
    c = workload.get("coverage")
    return f"{100 * c['share']:.1f}%" if c else "-"


def _title(result: dict) -> str:
    losses = result["losses_per_run"]
    return (f"fault-injection campaign: {result['runs_per_build']} runs per build, {losses} lost page"
            f"{'s' if losses != 1 else ''} per run, target {result['target']} "
            f"({TARGET_TEXT.get(result['target'], '')}), seed {result['seed']}")


def _rows(result: dict) -> list[tuple[str, str, dict, str]]:
    rows = []
    for w in result["workloads"]:
        for build, entry in w["builds"].items():
            rows.append((w["name"], build, entry, _coverage(w) if build == "mirrored" else ""))
    totals = [("all", b, result[b] if b == "native" else result, "") for b in ("native", "mirrored")
              if (b == "native" and "native" in result) or (b == "mirrored" and "outcomes" in result)]
    return rows + totals if len(result["workloads"]) > 1 else rows


def _unverified(entry: dict) -> str:
    """Runs with an UNVERIFIED repair (older results do not count them: "-")."""
    return str(entry["unverified_runs"]) if "unverified_runs" in entry else "-"


def render_terminal(result: dict, console: Console) -> None:
    wide = console.width >= 110  # room for the intervals; else the rates only (the HTML and JSON have them)
    table = Table(title=_title(result), box=box.SIMPLE_HEAD, padding=(0, 1 if wide else 0),
                  caption="count (rate)" + (" [95% Wilson interval]" if wide else "") + " of the runs in which a "
                  "page was lost; not injected: runs that ended before any page was lost (in no rate); coverage: "
                  "resident writable pages inside the protected domain; unverified: runs whose repairs were made while an "
                  "uninstrumented library was loaded (their pages may be stale)")
    for column in ("workload", "build", "runs", "pages lost", *OUTCOMES, "not injected", "unverified", "coverage"):
        table.add_column(column, justify="left" if column in ("workload", "build") else "right",
                         min_width=min(len(column), 9), overflow="fold")
    for name, build, entry, coverage in _rows(result):
        if name == "all" and build == "native":
            table.add_section()
        style = "bold" if name == "all" else None
        table.add_row(name, build, str(entry["runs"]), str(entry["pages_lost"]),
                      *[_cell(entry, o, "\n") if wide else _short(entry, o) for o in OUTCOMES],
                      str(not_injected(entry)), _unverified(entry), coverage, style=style)
    console.print(table)


def _stacked(rows: list[tuple[str, str, dict, str]]) -> str:
    bar, gap, label_w, chart_w = 18, 6, 200, 560
    height = len(rows) * (bar + gap) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + chart_w + 10}" height="{height}" '
             'role="img" aria-label="outcomes per workload and build">']
    y = 5
    for name, build, entry, _ in rows:
        parts.append(f'<text x="0" y="{y + bar - 5}" font-size="12">{escape(name)} ({escape(build)})</text>')
        x = float(label_w)
        for outcome in OUTCOMES:
            share = entry["rates"][outcome]
            if share <= 0:
                continue
            width = chart_w * share
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{bar}" fill="{COLORS[outcome]}">'
                         f'<title>{outcome}: {entry["outcomes"][outcome]} of {entry["runs"]}</title></rect>')
            x += width
        y += bar + gap
    parts.append("</svg>")
    return "".join(parts)


def render_html(result: dict) -> str:
    rows = _rows(result)
    legend = "".join(f'<span><i style="background:{COLORS[o]}"></i>{o}</span>' for o in OUTCOMES)
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>mirrorpass campaign {escape(str(result['date']))}"
           f"</title><style>{STYLE}</style></head><body>",
           "<h1>mirrorpass: fault-injection campaign</h1>",
           f"<p>{escape(_title(result))}.<br>{escape(str(result['date']))}; {escape(cpu_line(result['machine']))}; kernel "
           f"{escape(str(result['machine'].get('kernel')))}; losses: {escape(str(result.get('mode')))}.<br>"
           f"<code>{escape(str(result.get('command')))}</code></p>",
           "<p>Each run loses its pages at a random moment and is compared with a run without losses: "
           "<b>recovered</b> finished with identical output, <b>sdc</b> finished with different output (silent "
           "data corruption), <b>reported</b> the runtime reported a page it cannot restore and the process "
           "died, <b>crashed</b> died otherwise, <b>hung</b> did not finish in time; <b>unverified</b> counts the runs "
           "whose pages were restored while an uninstrumented library was loaded (they may hold stale bytes).</p>",
           f'<p class="legend">{legend}</p>', _stacked(rows),
           "<h2>Outcomes</h2>",
           "<p>count (rate) [95% Wilson interval] of the runs in which a page was lost; <b>not injected</b>: runs "
           "that ended before any page was lost, in no rate.</p>",
           _table(["workload", "build", "runs", "pages lost", *OUTCOMES, "not injected", "unverified", "coverage"],
                  [[escape(n), escape(b), str(e["runs"]), str(e["pages_lost"]),
                    *[_cell(e, o) for o in OUTCOMES], str(not_injected(e)), _unverified(e), c]
                   for n, b, e, c in rows])]
    out.append("<h2>Coverage</h2><p>Share of the mirrored process's resident writable pages (the mirror itself not "
               "counted) inside the protected domain, sampled during a run without losses.</p>")
    out.append(_table(["workload", "coverage", "samples", "resident pages (mean)", "protected pages (mean)"],
                      [[escape(w["name"]), _coverage(w), str((w.get("coverage") or {}).get("samples", "-")),
                        f"{w['coverage']['resident_pages_mean']:.0f}" if w.get("coverage") else "-",
                        f"{w['coverage']['protected_pages_mean']:.0f}" if w.get("coverage") else "-"]
                       for w in result["workloads"]]))
    failures = [(w["name"], r) for w in result["workloads"] for r in w["runs"] if "detail" in r]
    if failures:
        out.append("<h2>Runs that did not recover</h2>")
        out.append(_table(["workload", "build", "run", "outcome", "pages lost", "how it ended"],
                          [[escape(n), escape(r["build"]), str(r["run"]), escape(r["outcome"]),
                            escape(", ".join(r["lost"])), escape(r["detail"])] for n, r in failures[:200]]))
    out.append("</body></html>\n")
    return "\n".join(out)
