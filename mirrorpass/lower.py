"""The only module that talks to llvmlite: parse and verify IR text, lower it to x86-64 code.

Lowering runs the code generator only (no IR optimisation: clang already ran its pipeline before the
mirror pass, the place sanitizers instrument) at the optimisation level the user asked for, with the
CPU and features clang recorded in the module, as position-independent code.
"""

from __future__ import annotations

import functools
import re

from .errors import MirrorError

# clang's -O level -> code generation level
CODEGEN_LEVEL = {"0": 0, "1": 1, "2": 2, "3": 3, "s": 2, "z": 2, "g": 1, "fast": 3}
# The "Code Model" module flag value (llvm::CodeModel::Model) -> llvmlite's name
_CODE_MODELS = {0: "small", 1: "small", 2: "kernel", 3: "medium", 4: "large"}


class LoweringError(MirrorError):
    """llvmlite rejected IR or could not emit code for it."""


@functools.cache
def _llvm():
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    llvm.initialize_native_asmparser()  # module-level and inline asm in the module
    return llvm


def parse_ir(text: str, what: str):
    """Parse and verify IR text; `what` names it in errors (e.g. "foo.c after instrumentation")."""
    llvm = _llvm()
    try:
        module = llvm.parse_assembly(text)
        module.verify()
    except RuntimeError as exc:
        raise LoweringError(f"invalid LLVM IR ({what}): {str(exc).strip()}") from exc
    return module


def _target_attributes(text: str) -> tuple[str, str]:
    """The CPU and feature string clang recorded for the module's functions."""
    cpu = re.search(r'"target-cpu"="([^"]*)"', text)
    features = re.search(r'"target-features"="([^"]*)"', text)
    return (cpu.group(1) if cpu else "x86-64"), (features.group(1) if features else "")


def _code_model(text: str) -> str:
    m = re.search(r'!\{i32 \d+, !"Code Model", i32 (\d+)\}', text)
    return _CODE_MODELS.get(int(m.group(1)), "small") if m else "small"


def lower(module, text: str, opt_level: str, assembly: bool = False) -> bytes:
    """Emit an object file (or assembly text as bytes) for a parsed module."""
    llvm = _llvm()
    cpu, features = _target_attributes(text)
    try:
        target = llvm.Target.from_triple(module.triple)
        machine = target.create_target_machine(
            cpu=cpu,
            features=features,
            opt=CODEGEN_LEVEL.get(opt_level, 2),
            reloc="pic",
            codemodel=_code_model(text),
        )
        if assembly:
            return machine.emit_assembly(module).encode()
        return machine.emit_object(module)
    except RuntimeError as exc:
        raise LoweringError(f"code generation failed: {str(exc).strip()}") from exc


def emit_bitcode(module) -> bytes:
    return module.as_bitcode()
