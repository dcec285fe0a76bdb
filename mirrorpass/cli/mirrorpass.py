"""`mirrorpass`: the toolkit's command. `inspect BINARY` shows what mirror-cc did; `bench` measures the
overhead on real projects; `campaign` injects memory errors and classifies what became of each run;
`report` renders a bench or campaign result."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from rich.table import Table
from rich.markup import escape

from ..console import run_tool, stdout
from ..deps import tests as deps_tests
from ..deps.closure import closure
from ..elf.manifest import read_manifest
from ..errors import MirrorError
from .. import machine
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
    libraries = closure(args.binary)
    if args.json:
        print(json.dumps({**manifest.as_json(), "libraries": [dataclasses.asdict(lib) for lib in libraries]}, indent=2))
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
    table.add_column("mode")  # mirrored, or why not: unannotated, excluded, ignorelisted
    table.add_column("mirrored", justify="right")
    table.add_column("skipped", justify="right")
    table.add_column("mirrored writes by kind; skipped by kind")
    for fn in functions:
        table.add_row(fn.name, Path(fn.source).name, fn.selection, str(fn.mirrored), str(fn.skipped),
                      _detail(fn.mirrored_by_kind, fn.skipped_by_kind))
    table.add_section()
    selected = sum(fn.selection == "mirrored" for fn in manifest.functions)
    table.add_row("total", "", f"{selected} mirrored", str(totals["mirrored"]), str(totals["skipped"]),
                  _detail(totals["mirrored_by_kind"], totals["skipped_by_kind"]))
    stdout.print(table)
    if hidden:
        stdout.print(f"({hidden} functions of mirrorpass's own runtime not shown; --all shows them)")
    stdout.print(_libraries_table(args.binary, libraries))
    return 0


# What each kind of library means for recovery (mirrorpass/deps/closure.py).
_LIBRARY_KIND = {
    "instrumented": "built by mirror-cc: its stores are mirrored, its data protected",
    "covered": "glibc: what it writes into the program's memory, the runtime's wrappers mirror",
    "uninstrumented": "NOT mirrored: a lost page it wrote would be rebuilt stale",
    "missing": "not found on the loader's search path",
}


def _libraries_table(binary: str, libraries: list) -> Table:
    table = Table(title=f"{binary}: the shared libraries it will load ({len(libraries)})")
    table.add_column("library")
    table.add_column("path", overflow="fold")
    table.add_column("kind")
    table.add_column("what it means", overflow="fold")
    for lib in libraries:
        kind = f"[bold red]{lib.kind}[/]" if lib.kind in ("uninstrumented", "missing") else lib.kind
        table.add_row(lib.name, lib.path or "-", kind, _LIBRARY_KIND[lib.kind])
    return table


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _detail(mirrored: dict, skipped: dict) -> str:
    text = " ".join(f"{k}={v}" for k, v in mirrored.items()) or "-"
    if skipped:
        text += "; skipped " + " ".join(f"{k}={v}" for k, v in skipped.items())
    return text


def _bench(args: argparse.Namespace) -> int:
    import tempfile  # noqa: PLC0415  (bench pulls in the project recipes; inspect stays light)

    from ..bench import alias  # noqa: PLC0415
    from ..bench.projects import DEFAULT_VARIANTS, check_supported, select  # noqa: PLC0415
    from ..bench.runner import bench, check_variants, write  # noqa: PLC0415
    from ..console import stderr  # noqa: PLC0415
    from ..report.summary import summarize  # noqa: PLC0415
    from ..report.terminal import alias_table, render  # noqa: PLC0415

    variants = check_variants(args.variants.split(",") if args.variants else list(DEFAULT_VARIANTS))
    projects = select(args.projects.split(",") if args.projects else None, args.quick)
    check_supported(projects, variants)
    reps = args.reps or (2 if args.quick else 5)
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="mirrorpass-bench-"))
    probe = alias.run(workdir)  # first: a delta that defeats this CPU's load predictor explains every ratio below
    stdout.print(alias_table(probe))
    slow = alias.warning(probe)
    if slow:
        stderr.print(f"[bold red]mirrorpass: WARNING:[/] {slow}", highlight=False)
    result = bench(projects, variants, reps, workdir, args.quick)
    result["alias_probe"] = probe
    result["command"] = "mirrorpass " + " ".join(sys.argv[1:])
    write(result, Path(args.output))
    render(summarize(result), stdout)
    print(f"results: {args.output} (mirrorpass report {args.output} [--html FILE] [--json FILE])", file=sys.stderr)
    return 0


def _campaign(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415

    from ..campaign.runner import Settings, check_injected, run_campaign  # noqa: PLC0415
    from ..console import stderr  # noqa: PLC0415
    from ..report.campaign import render_terminal  # noqa: PLC0415

    program = args.program[1:] if args.program[:1] == ["--"] else args.program
    if bool(program) == bool(args.projects):
        raise MirrorError("give the mirrored program and its arguments after `--`, or --projects (not both); "
                          "e.g. mirrorpass campaign --runs 50 --native ./prog.native -- ./prog input")
    if args.native and args.projects:
        raise MirrorError("--native goes with a program after `--`; --projects builds both ways itself")
    if args.real and args.projects:
        raise MirrorError("--real runs a program given after `--` in the guest (its arguments must name no host "
                          "files); --projects needs the host")
    if args.runs < 1 or args.losses < 1 or args.jobs < 1:
        raise MirrorError("--runs, --losses and --jobs must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        raise MirrorError("--timeout must be a positive number of seconds")
    for option, path in (("--json", args.json), ("--html", args.html)):
        _check_writable(option, path)  # before the runs, not after them
    workloads = [] if args.projects else [_program_workload(program, args.native)]  # checked before any bar
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr, transient=False) as progress:
        task = progress.add_task("preparing", total=None)

        def step(description: str, done: int | None = None, total: int | None = None) -> None:
            progress.update(task, description=description, completed=done, total=total)

        if args.projects:
            import tempfile  # noqa: PLC0415

            from ..campaign.projects import project_workloads  # noqa: PLC0415

            workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="mirrorpass-campaign-"))
            workloads = project_workloads(args.projects.split(","), workdir, step)
        settings = Settings(runs=args.runs, seed=args.seed, target=args.target, losses=args.losses, jobs=args.jobs,
                            timeout=args.timeout)
        command = "mirrorpass " + " ".join(sys.argv[1:])
        if args.real:
            from ..campaign.real import run_real_campaign  # noqa: PLC0415

            result = run_real_campaign(workloads[0], settings, command, step)
        else:
            result = run_campaign(workloads, settings, command, step)
        step("done")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    if args.html:
        from ..report.campaign import render_html  # noqa: PLC0415

        Path(args.html).write_text(render_html(result))
    render_terminal(result, stdout)
    problems = check_injected(result)
    for problem in problems:
        print(f"mirrorpass: error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _program_workload(program: list[str], native: str | None):
    from ..campaign.runner import Workload  # noqa: PLC0415
    from ..campaign.subjects import Command  # noqa: PLC0415

    import shutil  # noqa: PLC0415

    found = program[0] if "/" in program[0] else shutil.which(program[0])
    mirrored = _executable(found or program[0])
    program = [str(mirrored), *program[1:]]
    if not read_manifest(mirrored).objects:
        raise MirrorError(f"{mirrored}: not built with mirror-cc (no mirror manifest); give the mirror-cc build "
                          "after `--` and the clang build with --native")
    builds = {"mirrored": Command(program)}
    if native:
        builds = {"native": Command([str(_executable(native)), *program[1:]]), **builds}
    return Workload(Path(program[0]).name, " ".join(program), builds)


def _executable(name: str) -> Path:
    """The program at `name`, as an absolute path (`./prog` must not be looked up on PATH later)."""
    path = Path(os.path.abspath(name))
    if not path.exists():
        raise MirrorError(f"{name}: no such file")
    if path.is_dir() or not os.access(path, os.X_OK):
        raise MirrorError(f"{name}: not an executable file")
    return path


def _check_writable(option: str, name: str | None) -> None:
    if not name:
        return
    parent = Path(os.path.abspath(name)).parent
    if Path(name).is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise MirrorError(f"{option} {name}: cannot write there (no such directory, or a directory itself)")


def _report(args: argparse.Namespace) -> int:
    from ..report import html, summary, terminal  # noqa: PLC0415
    from ..report import campaign  # noqa: PLC0415

    loaded = summary.load(Path(args.results))
    if campaign.is_campaign(loaded):
        if args.html:
            Path(args.html).write_text(campaign.render_html(loaded))
        if args.json:
            _write_json(loaded, args.json)
        if not args.json == "-" and (not (args.html or args.json) or args.tables):
            campaign.render_terminal(loaded, stdout)
        return 0
    digest = summary.summarize(loaded)
    if args.html:
        Path(args.html).write_text(html.render(digest))
    if args.json:
        _write_json(digest, args.json)
    if not args.json == "-" and (not (args.html or args.json) or args.tables):
        terminal.render(digest, stdout)
    return 0


def _write_json(data: dict, where: str) -> None:
    text = json.dumps(data, indent=1) + "\n"
    if where == "-":
        sys.stdout.write(text)
    else:
        Path(where).write_text(text)


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

    bench = sub.add_parser("bench", help="run the alias probe of the mirror delta on this CPU, then build real "
                           "projects natively, mirrored and with ASan; run their workloads interleaved; write a JSON "
                           "result")
    bench.add_argument("--quick", action="store_true", help="the service example, Lua and zlib, 2 repetitions (for CI)")
    bench.add_argument("--reps", type=int, default=0, help="repetitions of each workload (default 5; 2 with --quick)")
    bench.add_argument("--projects", help="comma-separated: service,sqlite,lua,zlib,redis (default: the real projects "
                       "sqlite,lua,zlib,redis; --quick: service,lua,zlib)")
    bench.add_argument("--variants", help="comma-separated: native,segment,offset,asan,annotated (default: all but "
                       "annotated, which only the service example supports)")
    bench.add_argument("-o", "--output", default="mirrorpass-bench.json", help="result file (default %(default)s)")
    bench.add_argument("--workdir", help="where the builds go (default: a new temporary directory)")
    bench.set_defaults(handler=_bench)

    campaign = sub.add_parser(
        "campaign", help="lose memory pages at random moments in many runs of a program, natively and mirrored; "
        "classify each run (recovered, crashed, hung, sdc, reported)",
        usage="mirrorpass campaign [options] [--native PROG] -- MIRRORED_PROG [ARGS...]\n"
              "       mirrorpass campaign [options] --projects sqlite,lua,zlib,redis")
    campaign.add_argument("--runs", type=int, default=20, help="runs per build and workload (default %(default)s)")
    campaign.add_argument("--seed", type=int, default=1, help="seed of the moments and pages (default %(default)s)")
    campaign.add_argument("--target", choices=("protected", "anywhere"), default="protected",
                          help="lose pages of the protected domain (heap, globals, their mirror), or anywhere in the "
                          "process's resident writable memory: stack, libc data, unprotected mappings (default %(default)s)")
    campaign.add_argument("--losses", type=int, default=1, help="pages lost per run (default %(default)s)")
    campaign.add_argument("--native", metavar="PROG", help="the same program built without mirrorpass, run with the "
                          "same arguments beside it")
    campaign.add_argument("--projects", help="comma-separated real projects instead of a program: sqlite,lua,zlib,redis "
                          "(fetched from Debian's sources and built both ways)")
    campaign.add_argument("--workdir", help="--projects: where the builds go (reused when run again)")
    campaign.add_argument("--jobs", type=int, default=2, help="runs at a time (default %(default)s)")
    campaign.add_argument("--timeout", type=float, help="seconds before a run counts as hung (default: 10x the run "
                          "without losses, at least that + 10 s)")
    campaign.add_argument("--real", action="store_true", help="lose pages with madvise(MADV_HWPOISON) on the kernel's "
                          "real memory-failure path, in Debian's kernel booted under qemu (installs qemu and fetches "
                          "the kernel on first use)")
    campaign.add_argument("--json", metavar="FILE", help="write the result, every run included, as JSON")
    campaign.add_argument("--html", metavar="FILE", help="write a self-contained HTML page")
    campaign.add_argument("program", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    campaign.set_defaults(handler=_campaign)

    report = sub.add_parser("report", help="render a bench or campaign result: tables, a self-contained HTML page, JSON")
    report.add_argument("results", help="a result file of `mirrorpass bench` or `mirrorpass campaign --json`")
    report.add_argument("--html", help="write the HTML page (tables and bar charts) here")
    report.add_argument("--json", help="write the summary (ratios, geomeans, targets) as JSON here ('-': stdout)")
    report.add_argument("--tables", action="store_true", help="also print the tables when writing --html/--json")
    report.set_defaults(handler=_report)

    deps = sub.add_parser("deps", help="the protected program's libraries: rebuild Debian source packages "
                                       "instrumented into a prefix, list what it holds")
    deps_sub = deps.add_subparsers(dest="deps_command", required=True)
    deps_install = deps_sub.add_parser("install", help="fetch Debian bookworm sources, build them with mirror-build, "
                                                       "run their tests, install into the prefix")
    deps_install.add_argument("packages", nargs="+", metavar="PKG", help="Debian source package (zlib, libevent, ...)")
    deps_install.add_argument("--prefix", type=Path, help="default: $MIRRORPASS_CACHE/deps/<arch>")
    deps_install.add_argument("--jobs", type=int, help="parallel build jobs (default: the cores)")
    deps_install.set_defaults(handler=_deps_install)
    deps_list = deps_sub.add_parser("list", help="the packages installed in the prefix, their versions and tests")
    deps_list.add_argument("--prefix", type=Path, help="default: $MIRRORPASS_CACHE/deps/<arch>")
    deps_list.set_defaults(handler=_deps_list)

    qemu = sub.add_parser("qemu", help="QEMU, the flagship: build qemu-system-x86_64 mirrored and native from "
                                       "Debian's sources")
    qemu_sub = qemu.add_subparsers(dest="qemu_command", required=True)
    qemu_build = qemu_sub.add_parser("build", help="build qemu-system-x86_64 mirrored (and native, from the same tree); "
                                                   "the mirrored binary's path is the last line of stdout")
    qemu_build.add_argument("--dir", type=Path, help="build root (default: $MIRRORPASS_CACHE/qemu/<version>)")
    qemu_build.add_argument("--jobs", type=int, help="parallel build jobs (default: the cores)")
    qemu_build.add_argument("--no-native", dest="native", action="store_false", help="skip the native build")
    qemu_build.add_argument("--prefix", type=Path, help="the instrumented libraries' prefix "
                                                        "(default: $MIRRORPASS_CACHE/deps/<arch>)")
    qemu_build.set_defaults(handler=_qemu_build)
    qemu_boot = qemu_sub.add_parser("boot", help="boot the test machine (Debian's kernel, a busybox workload) on the "
                                                 "builds of `qemu build`; their guests' output must be identical")
    qemu_boot.add_argument("--dir", type=Path, help="the build root of `qemu build` (default: its default)")
    qemu_boot.add_argument("--rounds", type=int, default=1, help="boots per build, interleaved (default 1)")
    qemu_boot.add_argument("--system", action="store_true", help="also boot Debian's own qemu-system-x86_64")
    qemu_boot.add_argument("--options", help="MIRROR_OPTIONS of the mirrored QEMU, e.g. audit_at_exit=1 or "
                                             "inject_count=5,inject_target=heap (its lines: in --json)")
    qemu_boot.add_argument("--json", type=Path, help="write the comparison here")
    qemu_boot.set_defaults(handler=_qemu_boot)

    server = sub.add_parser("server", help="mirror-cc's compile server (started by the first mirror-cc call, "
                                           "exits when idle): status, start, stop")
    server.add_argument("action", choices=("status", "start", "stop"))
    server.add_argument("--json", action="store_true", help="status as JSON")
    server.set_defaults(handler=_server)
    return parser


def _server(args: argparse.Namespace) -> int:
    import time  # noqa: PLC0415

    from ..server import client, protocol  # noqa: PLC0415

    if args.action == "stop":
        pid = client.stop()
        print(f"stopped the compile server (pid {pid})" if pid else "no compile server was running")
        return 0
    if args.action == "start":
        if not protocol.enabled():
            raise MirrorError(f"the compile server is off ({protocol.ENV_SERVER}=off in the environment)")
        client.ensure_running()
    info = client.status()
    if args.action == "start" and not info["running"]:  # one more look, then say what the log says
        time.sleep(0.5)
        info = client.status()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0 if info["running"] or args.action == "status" else 1
    table = Table(title="mirror-cc's compile server", show_header=False)
    table.add_column("")
    table.add_column("", overflow="fold")
    if not info["enabled"]:
        table.add_row("enabled", f"no ({protocol.ENV_SERVER} is off: mirror-cc compiles in its own process)")
    if "refused" in info:
        table.add_row("refused", escape(info["refused"]))
    table.add_row("running", f"yes, pid {info['pid']}" if info["running"] else "no")
    if info["running"]:
        table.add_row("version", "current" if info.get("current") else "[bold]another version[/] (the next "
                      "mirror-cc call replaces it)")
        if "started" in info:
            table.add_row("up", f"{time.time() - info['started']:.0f} s; exits after {info['idle_seconds']:.0f} s "
                          f"without a compile ({protocol.ENV_IDLE})")
            table.add_row("compiles served", str(info["served"]))
            table.add_row("workers", str(info["workers"]))
    table.add_row("socket", escape(info["socket"]))
    table.add_row("log", escape(info["log"]))
    stdout.print(table)
    if args.action == "start" and not info["running"]:
        raise MirrorError(f"the compile server did not start; see {info['log']}")
    return 0


def _qemu_boot(args: argparse.Namespace) -> int:
    from ..qemu import build, guest  # noqa: PLC0415
    from ..vm.qemu import QEMU, VMError, VMUnavailable  # noqa: PLC0415

    builds = build.built(args.dir)
    if args.system:
        builds["system"] = Path(QEMU)
    try:
        result = {"machine": machine.describe(), **guest.compare(builds, rounds=max(1, args.rounds),
                                                                   options=args.options)}
    except (VMError, VMUnavailable) as exc:
        raise MirrorError(f"the test machine did not run: {exc}") from None
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    table = Table(title=f"the test machine on each QEMU ({machine.cpu_line()}; guest clock: instructions)")
    for name in ("build", "boots", "median wall s", "guest output", "protected resident MiB", "coverage"):
        table.add_column(name, justify="left" if name in ("build", "guest output") else "right")
    reference = next(iter(result["builds"].values()))["outputs"]
    for name, b in result["builds"].items():
        same = "same" if b["ok"] and b["outputs"] == reference else "[bold red]DIFFERS[/]"
        stats = b["stats"]
        protected = f"{stats['protected_resident_bytes'] / 2**20:.1f}" if "protected_resident_bytes" in stats else "-"
        coverage = (f"{100 * stats['coverage_protected_pages'] / stats['coverage_resident_pages']:.0f}%"
                    if stats.get("coverage_resident_pages") else "-")
        table.add_row(name, str(len(b["wall_seconds"])), f"{b['median_seconds']:.2f}", same, protected, coverage)
    stdout.print(table)
    if not result["identical"]:
        raise MirrorError("the guests' outputs differ (or a guest program failed): see the table"
                          + (f" and {args.json}" if args.json else "; --json FILE keeps every output"))
    return 0


def _qemu_build(args: argparse.Namespace) -> int:
    from ..qemu import build  # noqa: PLC0415

    builds = build.build(args.dir, jobs=args.jobs, native=args.native, prefix=args.prefix,
                         log=lambda line: print(line, file=sys.stderr))
    table = Table(title=f"{build.TARGET} from Debian's qemu sources (built on {machine.cpu_line()})")
    for name in ("build", "configure s", "build s", "mirrored writes", "uninstrumented libraries", "binary"):
        table.add_column(name, justify="right" if name.endswith(" s") else "left")
    for one in builds:
        r = one.record
        mb = r.get("mirror_build") or {}
        writes = f"{mb.get('mirrored')} in {mb.get('files')} files" if mb else "-"
        status = "" if one.ran else " (up to date)"
        table.add_row(one.flavour + status, f"{r.get('configure_seconds', 0):.1f}", f"{r.get('build_seconds', 0):.1f}",
                      writes, "-" if one.flavour == "native"
                      else escape(", ".join(r.get("libraries", {}).get("uninstrumented", [])) or "none"),
                      escape(str(one.binary)))
    stdout.print(table)
    print(builds[0].binary, flush=True)
    return 0


def _deps_install(args: argparse.Namespace) -> int:
    from ..deps import install  # noqa: PLC0415

    records = install.install(args.packages, args.prefix, args.jobs, log=lambda line: print(line, file=sys.stderr))
    stdout.print(_deps_table(records, (args.prefix or install.default_prefix()).resolve()))
    return 0


def _deps_list(args: argparse.Namespace) -> int:
    from ..deps import install  # noqa: PLC0415

    prefix = (args.prefix or install.default_prefix()).resolve()
    stdout.print(_deps_table(list(install.read_manifest(prefix).values()), prefix))
    return 0


def _deps_table(records: list[dict], prefix: Path) -> Table:
    table = Table(title=f"instrumented libraries in {prefix} (a machine's build times: see the README)")
    for name in ("package", "version", "build system", "tests", "build s", "test s"):
        table.add_column(name, justify="right" if name.endswith(" s") else "left")
    for r in records:
        tests = r["tests"]
        cell = escape(deps_tests.verdict(tests))
        if tests.get("ran") and not tests["passed"]:
            failed = tests.get("failed") or []
            cell = f"[bold red]{cell}[/]" + (f"\n{escape(', '.join(failed[:8]))}" + (" ..." if len(failed) > 8 else "")
                                              if failed else "")
        table.add_row(r["package"], r["version"], r["build_system"], cell, f"{r['build_seconds']:.1f}",
                      f"{r['test_seconds']:.1f}")
    return table


def _main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


def main() -> None:
    sys.exit(run_tool("mirrorpass", _main))
