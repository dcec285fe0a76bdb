"""The bench summary as one self-contained HTML page: tables and inline SVG bar charts, no scripts,
no external files, readable in any browser."""

from __future__ import annotations

from html import escape

from ..machine import cpu_line

COLORS = {"native": "#7f8c8d", "segment": "#2e86de", "offset": "#10ac84", "asan": "#ee5253", "annotated": "#f6b93b"}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 1em 0 2em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.met { color: #10ac84; font-weight: bold; } .missed { color: #ee5253; font-weight: bold; }
.legend span { display: inline-block; margin-right: 1.5em; }
.legend i { display: inline-block; width: 1em; height: 1em; margin-right: .3em; vertical-align: middle; }
"""


def _bars(title: str, groups: list[tuple[str, dict[str, float]]], variants: list[str], unit: str,
          reference: float | None = None) -> str:
    """Horizontal grouped bars: one group per workload, one bar per variant."""
    bar, gap, label_w, chart_w = 16, 10, 220, 520
    top = max((v for _, values in groups for v in values.values()), default=1.0) or 1.0
    if reference:
        top = max(top, reference)
    height = len(groups) * (len(variants) * bar + gap) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + chart_w + 90}" height="{height}" '
             f'role="img" aria-label="{escape(title)}">']
    y = 10
    for name, values in groups:
        parts.append(f'<text x="0" y="{y + len(variants) * bar / 2 + 4}" font-size="12">{escape(name)}</text>')
        for v in variants:
            value = values.get(v, 0.0)
            width = chart_w * value / top
            parts.append(f'<rect x="{label_w}" y="{y}" width="{width:.1f}" height="{bar - 2}" fill="{COLORS.get(v, "#999")}">'
                         f'<title>{escape(v)}: {value:.3f}{unit}</title></rect>')
            parts.append(f'<text x="{label_w + width + 4:.1f}" y="{y + bar - 5}" font-size="11">{value:.2f}{unit}</text>')
            y += bar
        y += gap
    if reference:
        x = label_w + chart_w * reference / top
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{y}" stroke="#222" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x + 3:.1f}" y="{y + 12}" font-size="11">{reference:g}{unit}</text>')
    parts.append("</svg>")
    return f"<h3>{escape(title)}</h3>\n" + "".join(parts)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render(summary: dict) -> str:
    variants = summary["variants"]
    machine = summary.get("machine") or {}
    legend = "".join(f'<span><i style="background:{COLORS.get(v, "#999")}"></i>{escape(v)}</span>' for v in variants)
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>mirrorpass bench {escape(str(summary.get('date')))}"
           f"</title><style>{STYLE}</style></head><body>",
           "<h1>mirrorpass: overhead against native and ASan</h1>",
           f"<p>{escape(str(summary.get('date')))}; {escape(cpu_line(machine))}, {machine.get('nproc', '?')} cores, "
           f"kernel {escape(str(machine.get('kernel', '?')))}; {summary.get('reps')} repetitions, variants interleaved"
           f"{' (quick run)' if summary.get('quick') else ''}. Hardware counters: "
           f"{escape(str(summary.get('hardware_counters')))}.</p>",
           f'<p class="legend">{legend}</p>']
    rows = summary["workloads"]
    out.append(_bars("Run time, x native (median wall; dashed: the 1.20x limit per workload)",
                     [(r["workload"], {v: r["variants"][v]["ratio"] for v in variants}) for r in rows],
                     variants, "x", reference=1.20))
    out.append(_bars("Peak RSS, MiB (median)",
                     [(r["workload"], {v: r["variants"][v]["rss_bytes"] / (1 << 20) for v in variants}) for r in rows],
                     variants, " MiB"))
    out.append("<h2>Run time</h2>")
    table_rows = []
    for r in rows:
        cells = [escape(r["workload"]) + f"<br><small>{escape(r['description'])}</small>"]
        for v in variants:
            e = r["variants"][v]
            cells.append(f"{e['wall_s']:.3f} s<br>{e['ratio']:.2f}x ±{e['spread'] * 100:.0f}%<br>"
                         f"<small>user {e['user_s']:.2f} s, sys {e['sys_s']:.2f} s, RSS {e['rss_bytes'] / (1 << 20):.1f} MiB"
                         + (f" (limit {e['rss_allowed_bytes'] / (1 << 20):.1f})" if "rss_allowed_bytes" in e else "")
                         + "</small>")
        table_rows.append(cells)
    if rows:
        table_rows.append(["<b>geomean</b>", *[f"<b>{summary['geomean_ratio'][v]:.3f}x</b>" for v in variants]])
    out.append(_table(["workload", *variants], table_rows))
    out.append("<h2>Compile time and code size</h2>")
    build_rows = []
    for project, times in summary["compile"].items():
        build_rows.append([f"{escape(project)} build", *[f"{times[v]['s']:.1f} s ({times[v]['ratio']:.2f}x)"
                                                         if v in times else "-" for v in variants]])
        for binary, sizes in summary["code_size"].get(project, {}).items():
            base = sizes.get("native") or 1
            build_rows.append([f"&nbsp;&nbsp;{escape(binary)} (code bytes)",
                               *[f"{sizes[v]:,} ({sizes[v] / base:.2f}x)" if v in sizes else "-" for v in variants]])
    out.append(_table(["", *variants], build_rows))
    for project, growth in summary["functions"].items():
        out.append(f"<h3>{escape(project)}: functions that grew most (native → segment)</h3>")
        out.append(_table(["function", "native bytes", "segment bytes", "x"],
                          [[escape(f["name"]), f"{f['native']:,}", f"{f['mirrored']:,}",
                            f"{f['mirrored'] / max(f['native'], 1):.2f}"] for f in growth["top"]]))
    out.append("<h2>Targets</h2>")
    out.append(_table(["what", "measured", "target", ""], [
        [escape(t["what"]), f"{t['value']:.3f}x" if isinstance(t["value"], float) else escape(str(t["value"])),
         f"≤ {t['target']}x" if isinstance(t["target"], float) else escape(str(t["target"])),
         '<span class="met">met</span>' if t["ok"] else '<span class="missed">missed</span>'] for t in summary["targets"]]))
    out.append("</body></html>\n")
    return "\n".join(out)
