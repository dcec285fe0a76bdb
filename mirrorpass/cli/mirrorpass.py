"""`mirrorpass`: the toolkit's command. `inspect BINARY` shows what mirror-cc did; `bench` measures the
overhead on real projects; `report` renders a bench result."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from rich.table import Table

from ..console import run_tool, stdout
from ..elf.manifest import read_manifest
from ..errors import MirrorError
from ..layout import RUNTIME_DIR


def _inspect(args: argparse.Namespace) -> int:
    manifest = read_manifest(args.binary)
    if not manifest.objects:
        raise MirrorError(f"{args.binary}: no mirror manifest; was it built with mirror-cc?")
    hidden = 0
    if not args.all:  # the runtime's own instrumented code (the mirrored heap) is in every program
        runtime = str(RUNTIME_DIR) + "/"
        kept = [fn for fn in manifest.functions if not fn.source.startswith(runtime)]
        runtime_objects = len({fn.source for fn in manifest.functions if fn.source.startswith(runtime)})
        hidden = len(manifest.functions) - len(kept)
        manifest = dataclasses.replace(manifest, functions=kept, objects=manifest.objects - runtime_objects)
    if args.json:
        print(json.dumps(manifest.as_json(), indent=2))
        return 0
    totals = manifest.totals()
    functions = sorted(manifest.functions, key=lambda f: (-f.mirrored, f.name))
    if args.top:
        functions = functions[: args.top]
    shapes = sorted({f"{fn.mode} / {fn.addressing}" for fn in manifest.functions})
    table = Table(
        title=f"{args.binary}: {_count(manifest.objects, 'instrumented object')}, "
        f"{_count(totals['functions'], 'function')} "
        f"(mode / addressing: {', '.join(shapes) or '-'})"
    )
    table.add_column("function", overflow="fold")
    table.add_column("source", overflow="fold")
    table.add_column("mirrored", justify="right")
    table.add_column("skipped", justify="right")
    table.add_column("mirrored writes by kind; skipped by kind")
    for fn in functions:
        table.add_row(fn.name, Path(fn.source).name, str(fn.mirrored), str(fn.skipped),
                      _detail(fn.mirrored_by_kind, fn.skipped_by_kind))
    table.add_section()
    table.add_row("total", "", str(totals["mirrored"]), str(totals["skipped"]),
                  _detail(totals["mirrored_by_kind"], totals["skipped_by_kind"]))
    stdout.print(table)
    if hidden:
        stdout.print(f"({hidden} functions of mirrorpass's own runtime not shown; --all shows them)")
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _detail(mirrored: dict, skipped: dict) -> str:
    text = " ".join(f"{k}={v}" for k, v in mirrored.items()) or "-"
    if skipped:
        text += "; skipped " + " ".join(f"{k}={v}" for k, v in skipped.items())
    return text


def _bench(args: argparse.Namespace) -> int:
    import tempfile  # noqa: PLC0415  (bench pulls in the project recipes; inspect stays light)

    from ..bench.projects import VARIANTS, select  # noqa: PLC0415
    from ..bench.runner import bench, check_variants, write  # noqa: PLC0415
    from ..report.summary import summarize  # noqa: PLC0415
    from ..report.terminal import render  # noqa: PLC0415

    variants = check_variants(args.variants.split(",") if args.variants else list(VARIANTS))
    projects = select(args.projects.split(",") if args.projects else None, args.quick)
    reps = args.reps or (2 if args.quick else 5)
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="mirrorpass-bench-"))
    result = bench(projects, variants, reps, workdir, args.quick)
    result["command"] = "mirrorpass " + " ".join(sys.argv[1:])
    write(result, Path(args.output))
    render(summarize(result), stdout)
    print(f"results: {args.output} (mirrorpass report {args.output} [--html FILE] [--json FILE])", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    from ..report import html, summary, terminal  # noqa: PLC0415

    digest = summary.summarize(summary.load(Path(args.results)))
    if args.html:
        Path(args.html).write_text(html.render(digest))
    if args.json:
        text = json.dumps(digest, indent=1) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            Path(args.json).write_text(text)
    if not args.json == "-" and (not (args.html or args.json) or args.tables):
        terminal.render(digest, stdout)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mirrorpass", description="mirrorpass: inspect mirrored binaries, "
                                     "measure and report the overhead.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)
    inspect = sub.add_parser("inspect", help="show the writes mirror-cc mirrored and skipped, per function")
    inspect.add_argument("binary", help="an object, shared library or executable built with mirror-cc")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of a table")
    inspect.add_argument("--top", type=int, default=0, help="show only the N functions with most mirrored writes")
    inspect.add_argument("--all", action="store_true", help="include the runtime's own functions (the mirrored heap)")
    inspect.set_defaults(handler=_inspect)

    bench = sub.add_parser("bench", help="build real projects natively, mirrored and with ASan; run their "
                           "workloads interleaved; write a JSON result")
    bench.add_argument("--quick", action="store_true", help="Lua and zlib only, 2 repetitions (for CI)")
    bench.add_argument("--reps", type=int, default=0, help="repetitions of each workload (default 5; 2 with --quick)")
    bench.add_argument("--projects", help="comma-separated: sqlite,lua,zlib,redis (default: all; --quick: lua,zlib)")
    bench.add_argument("--variants", help="comma-separated: native,segment,offset,asan (default: all)")
    bench.add_argument("-o", "--output", default="mirrorpass-bench.json", help="result file (default %(default)s)")
    bench.add_argument("--workdir", help="where the builds go (default: a new temporary directory)")
    bench.set_defaults(handler=_bench)

    report = sub.add_parser("report", help="render a bench result: tables, a self-contained HTML page, JSON")
    report.add_argument("results", help="a result file of `mirrorpass bench`")
    report.add_argument("--html", help="write the HTML page (tables and bar charts) here")
    report.add_argument("--json", help="write the summary (ratios, geomeans, targets) as JSON here ('-': stdout)")
    report.add_argument("--tables", action="store_true", help="also print the tables when writing --html/--json")
    report.set_defaults(handler=_report)
    return parser


def _main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


def main() -> None:
    sys.exit(run_tool("mirrorpass", _main))
