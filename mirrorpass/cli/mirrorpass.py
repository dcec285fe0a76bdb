"""`mirrorpass`: the toolkit's command: `mirrorpass inspect BINARY` shows what mirror-cc did."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.table import Table

from ..console import run_tool, stdout
from ..elf.manifest import read_manifest
from ..errors import MirrorError


def _inspect(args: argparse.Namespace) -> int:
    manifest = read_manifest(args.binary)
    if not manifest.objects:
        raise MirrorError(f"{args.binary}: no mirror manifest; was it built with mirror-cc?")
    if args.json:
        print(json.dumps(manifest.as_json(), indent=2))
        return 0
    totals = manifest.totals()
    functions = sorted(manifest.functions, key=lambda f: (-f.mirrored, f.name))
    if args.top:
        functions = functions[: args.top]
    shapes = sorted({f"{fn.mode} / {fn.addressing}" for fn in manifest.functions})
    table = Table(
        title=f"{args.binary}: {manifest.objects} instrumented objects, {totals['functions']} functions "
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
    return 0


def _detail(mirrored: dict, skipped: dict) -> str:
    text = " ".join(f"{k}={v}" for k, v in mirrored.items()) or "-"
    if skipped:
        text += "; skipped " + " ".join(f"{k}={v}" for k, v in skipped.items())
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mirrorpass", description="mirrorpass: inspect mirrored binaries.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)
    inspect = sub.add_parser("inspect", help="show the writes mirror-cc mirrored and skipped, per function")
    inspect.add_argument("binary", help="an object, shared library or executable built with mirror-cc")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of a table")
    inspect.add_argument("--top", type=int, default=0, help="show only the N functions with most mirrored writes")
    inspect.set_defaults(handler=_inspect)
    return parser


def _main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


def main() -> None:
    sys.exit(run_tool("mirrorpass", _main))
