"""One source file through the pipeline: clang -emit-llvm, the mirror pass, llvmlite codegen.

clang runs with the user's own flags (optimisation level, -D/-I, -std, -g, -march, ...), so the IR is
what clang would have compiled; its diagnostics go straight to the user's stderr and its exit code
is returned unchanged. Then the IR is parsed and verified, instrumented, re-parsed and verified, and
lowered to a PIC object (or assembly, or instrumented IR for -emit-llvm).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import lower
from ..errors import MirrorError, ClangFailed, CompileError
from ..instrument.manifest import ModuleReport
from ..instrument.mirror_pass import InstrumentError, PassOptions, instrument_module
from ..toolchain import clang_path
from .args import Action, Input, Invocation
from .build_log import logged_compile

ENV_TIMINGS = "MIRRORPASS_TIMINGS"


@dataclass
class Timings:
    phases: dict[str, float] = field(default_factory=dict)

    def record(self, phase: str, start: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - start
        return now

    def print(self, source: str) -> None:
        if os.environ.get(ENV_TIMINGS):
            parts = " ".join(f"{k}={v:.3f}s" for k, v in self.phases.items())
            print(f"mirror-cc: timings {source}: {parts}", file=sys.stderr)


def dependency_flags(flags: list[str], output: str) -> list[str]:
    """With -MD/-MMD, name the dependency file and target after the real output, not our temp file."""
    if not any(f in ("-MD", "-MMD") for f in flags):
        return []
    extra = []
    if "-MF" not in flags and not any(f.startswith("-MF") for f in flags):
        extra += ["-MF", str(Path(output).with_suffix(".d"))]
    if not any(f in ("-MT", "-MQ") or f.startswith(("-MT", "-MQ")) for f in flags):
        extra += ["-MT", output]
    return extra


def emit_ir(inv: Invocation, source: Input, flags: list[str], ir_path: Path, output: str) -> int:
    """Run clang to produce textual IR; returns clang's exit code."""
    cmd = [clang_path(), *flags, *dependency_flags(flags, output), "-S", "-emit-llvm", "-o", str(ir_path)]
    if source.lang:
        cmd += ["-x", source.lang]
    cmd.append(source.path)
    return subprocess.run(cmd).returncode


def read_ir(path: str) -> str:
    if path.endswith(".bc"):
        llvm = lower._llvm()
        return str(llvm.parse_bitcode(Path(path).read_bytes()))
    return Path(path).read_text(encoding="utf-8", errors="surrogateescape")


def compile_source(inv: Invocation, source: Input, output: str, workdir: Path, extra_flags: list[str]) -> ModuleReport:
    """Compile one instrumented input to `output` (object, assembly or IR, by inv.action)."""
    with logged_compile(inv, source.path, output) as outcome:
        outcome.report = _compile_source(inv, source, output, workdir, extra_flags)
    return outcome.report


def _compile_source(inv: Invocation, source: Input, output: str, workdir: Path, extra_flags: list[str]) -> ModuleReport:
    timings = Timings()
    start = time.perf_counter()
    if source.effective_lang == "ir":
        text = read_ir(source.path)
        lower.parse_ir(text, source.path)  # a user's IR file: report its own errors first
    else:
        ir_path = workdir / (Path(source.path).stem + ".ll")
        code = emit_ir(inv, source, inv.flags() + inv.prefix_compile_flags + extra_flags, ir_path, output)
        if code != 0:
            raise ClangFailed(f"clang failed on {source.path}", exit_code=code)
        text = ir_path.read_text(encoding="utf-8", errors="surrogateescape")
    start = timings.record("clang", start)

    try:
        new_text, report = instrument_module(
            text,
            PassOptions(
                addressing=inv.addressing, source=source.path, mode=inv.mode.value, route_libc=inv.route_libc,
                ignorelist=inv.ignorelist,
            ),
        )
    except InstrumentError as exc:
        raise CompileError(f"{source.path}: cannot instrument: {exc}") from exc
    start = timings.record("instrument", start)
    try:
        module = lower.parse_ir(new_text, f"{source.path} after instrumentation")
    except lower.LoweringError:
        # Whose IR is it? Verifying clang's module only now keeps the common path at one parse.
        lower.parse_ir(text, f"{source.path} as emitted by clang")
        raise
    start = timings.record("parse+verify", start)

    if inv.emit_llvm:
        data = new_text.encode("utf-8", errors="surrogateescape") if inv.action is Action.ASSEMBLY else lower.emit_bitcode(module)
    else:
        data = lower.lower(module, new_text, inv.opt_level, assembly=inv.action is Action.ASSEMBLY)
    timings.record("codegen", start)
    _write_output(output, data)
    timings.print(source.path)
    for warning in report.warnings:
        print(f"mirror-cc: warning: {source.path}: {warning}", file=sys.stderr)
    return report


def _write_output(output: str, data: bytes) -> None:
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(output)
    tmp = path.with_name(f".{path.name}.mirror-tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:  # as clang says it
        tmp.unlink(missing_ok=True)
        raise MirrorError(f"unable to open output file '{output}': '{exc.strerror}'") from None
