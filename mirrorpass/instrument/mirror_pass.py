"""The mirror pass: after every instruction that writes memory, write the same bytes to the mirror.

Input is the textual IR clang emitted after its optimisation pipeline; output is the same text with
mirror instructions inserted right after each write (the native write stays first, so a bad pointer
faults exactly where the uninstrumented program would). What is mirrored and how:

- `store` (any type): the same store to the mirror address. Volatile native stores get an ordinary
  mirror store: the mirror is memory no device or handler watches.
- `store atomic`, every `atomicrmw`, `cmpxchg`: a call to the runtime's __mirror_sync_atomic, which
  copies the native word to the mirror until native stayed unchanged across the copy
  (runtime/mirror/atomic_sync.c). Replaying them on the mirror does not work: an exchange or a CAS replayed
  by racing threads leaves the mirror stale (seen with a contended CAS loop), and even a commuting
  add is applied twice when its mirror page was lost and is rebuilt from native -- which already
  holds the add -- by the replay's own fault (seen under injection). A copy is idempotent.
- memset: the same memset on the mirror; one that is more than a single move is guarded like a
  copy (below) and sets the native bytes again when a page was rebuilt meanwhile.
- memcpy/memmove of a constant size stored with one move (1, 2, 4, 8, 16 bytes): the same copy to the
  mirror, from the native source (memcpy: unchanged by the copy, equal to or disjoint from the
  destination) or from the native destination (memmove: its source may be overwritten). Had a memcpy
  read the native destination instead, a destination page lost between the two copies would be
  rebuilt from the mirror without the new bytes, and the mirror copy would then make native and
  mirror agree on the stale ones.
- memcpy of another constant size below GUARDED_MEMCPY_MIN (a few moves): the same copy to the mirror,
  inline, from the native source, guarded as below. The backend emits all the native moves before all
  the mirror moves, so a page lost between two native moves would come back from a mirror that lacks
  the first: the guard copies the mirror, right by then, back over the native destination. (A
  memmove of such a size is a call to __mirror_move, as below: its source may be gone.)
- memcpy/memmove of any other size: one call to the runtime, __mirror_copy or __mirror_move
  (runtime/mirror/copy.c), in place of the native copy: it makes the native copy and then the mirror copy
  (most such copies are short, and a second library call per copy cost more than its bytes). A
  destination page lost while the native copy runs, and written again by it (glibc stores a large
  copy's head and tail last), is rebuilt from the mirror without the bytes written before the loss:
  so the runtime's repair counter (__mirror_repairs) is read before the call and after it, and when
  it changed the mirror (right by then) is copied back over the native destination, in a block of
  its own that splits the copy's block (phis of its successors are renamed to the new block). A
  zero-length memcpy instead of the branch cost a third call per copy: SQLite made 6.5 million of
  them. memcpy.inline must not become a call, and a source in another address space (__seg_fs) is
  no flat pointer: their mirror copy is the same intrinsic again, from the native source, guarded
  the same way.
- masked store, compress store, scatter, x86 maskstore: the same call on the mirror address(es).
- va_start/va_copy of a va_list that escapes: the 24-byte va_list is copied to the mirror.
- setjmp/sigsetjmp: libc fills the jmp_buf and the call returns twice (no wrapper possible): the
  200-byte buffer is copied to the mirror after the call, on each return.
- inline asm with memory outputs (`=*m`): each output object is copied to the mirror afterwards.
  Inline asm that clobbers "memory" and other intrinsics that write memory cannot be mirrored: a
  warning names the function.
Stores through pointers derived from non-escaping stack slots are skipped (see escape.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..ir.instructions import Call, parse_atomicrmw, parse_call, parse_cmpxchg, parse_store
from ..ir.module import Function, Instruction, Module, make_instruction, parse_module_text
from ..ir.operands import Operand, ParseError, pointer_address_space
from .escape import private_stack_pointers
from .routes import HEAP_FUNCTIONS, route_calls
from .selection import MIRRORED, Ignorelist, select
from .manifest import FunctionReport, ModuleReport, instrumented_note_module_asm, manifest_module_asm
from .shapes import Addressing, NameSource, flat_mirror, name_source_for, plain_store_keyword, store_mirror
from .writes import intrinsic_writes_memory

MEMCPY_LIKE = ("llvm.memcpy.", "llvm.memmove.", "llvm.memcpy.inline.")
# Storing intrinsics replayed on the mirror, and which argument is the address. The value operand
# may itself be a pointer or a vector of pointers (a scatter of pointers), so position decides.
REPLAYED_STORE_INTRINSICS = {
    "llvm.masked.store.": 1,
    "llvm.masked.compressstore.": 1,
    "llvm.masked.scatter.": 1,
    "llvm.x86.avx.maskstore.": 0,
    "llvm.x86.avx2.maskstore.": 0,
    "llvm.x86.sse2.maskmov.dqu": 2,
}
# Intrinsics that write memory but need no mirror: stack bookkeeping and markers.
NO_MIRROR_INTRINSICS = (
    "llvm.lifetime.",
    "llvm.va_end",
    "llvm.stackprotector",
    "llvm.stacksave",
    "llvm.stackrestore",
    "llvm.readcyclecounter",
    "llvm.x86.rdtsc",
    "llvm.x86.rdtscp",
    "llvm.x86.rdrand.",
    "llvm.x86.rdseed.",
    "llvm.x86.rdpid",
    "llvm.x86.sse2.clflush",
    "llvm.x86.clflushopt",
    "llvm.x86.clwb",
    "llvm.dbg.",
    "llvm.assume",
    "llvm.experimental.noalias.scope.decl",
    "llvm.invariant.",
    "llvm.launder.invariant.group",
    "llvm.strip.invariant.group",
    "llvm.sideeffect",
    "llvm.pseudoprobe",
    "llvm.instrprof.",
    "llvm.prefetch",
    "llvm.donothing",
    "llvm.trap",
    "llvm.debugtrap",
    "llvm.ubsantrap",
    "llvm.eh.",
    "llvm.x86.sse2.pause",
    "llvm.x86.sse2.mfence",
    "llvm.x86.sse2.lfence",
    "llvm.x86.sse.sfence",
    "llvm.x86.sse.stmxcsr",  # writes a stack slot (the out-parameter of _mm_getcsr)
    "llvm.x86.sse.ldmxcsr",
)
VA_LIST_BYTES = 24  # x86-64 SysV: { i32, i32, ptr, ptr }
SETJMP_FUNCTIONS = frozenset({"@setjmp", "@_setjmp", "@sigsetjmp", "@__sigsetjmp"})
JMP_BUF_BYTES = 200  # glibc x86-64: struct __jmp_buf_tag (registers, mask flag, saved signal mask)
MEMCPY_DECL = "declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1 immarg)"
MEMSET_DECL = "declare void @llvm.memset.p0.i64(ptr, i8, i64, i1 immarg)"
SYNC_ATOMIC = "__mirror_sync_atomic"  # runtime/mirror/atomic_sync.c
COPY, MOVE = "__mirror_copy", "__mirror_move"  # runtime/mirror/copy.c: a copy and its mirror copy in one call
REPAIRS = "__mirror_repairs"  # runtime/recovery/signal.c: native page rebuilds begun so far
# A memcpy or memset of a constant size below this is lowered by the backend to a few moves, all the
# native ones before all the mirror ones: its mirror copy stays inline, with the repair-counter guard
# (see the module docstring). At or above it, a memcpy is one call to the runtime.
GUARDED_MEMCPY_MIN = 257
# Sizes the backend stores with one move (x86-64 baseline: up to a 16-byte SSE store). A faulting move
# stores nothing, so a page lost before it leaves nothing half-written: no guard needed.
SINGLE_MOVE_SIZES = frozenset({0, 1, 2, 4, 8, 16})

_DBG_RE = re.compile(r",\s*!dbg\s+(![0-9]+)")
# A basic block's label line, and a phi's incoming block (`, %label ]`).
_LABEL_RE = re.compile(r'^("(?:[^"\\]|\\.)*"|[-a-zA-Z$._0-9]+):')
_PHI_BLOCK_RE = re.compile(r'(,\s*)%("(?:[^"\\]|\\.)*"|[-a-zA-Z$._0-9]+)(\s*\])')
_UNNAMED_RE = re.compile(r"%([0-9]+)\b")
# Instruction lines that can write memory: the only ones the pass parses.
_MAY_WRITE_RE = re.compile(r"  (?:%(?:\"[^\"]*\"|\S+) = )?(?:store |atomicrmw |cmpxchg |(?:tail |musttail |notail )?call )")


class InstrumentError(ValueError):
    """An instruction the pass must instrument but cannot read."""


@dataclass(frozen=True)
class PassOptions:
    addressing: Addressing = Addressing.SEGMENT
    source: str = "<module>"
    mode: str = "all"  # or "annotated": only MIRROR_PROTECT functions (selection.py)
    route_libc: bool = True  # rename calls listed in runtime/libc/routes.h to the runtime's __mirror_ functions
    ignorelist: Ignorelist | None = None  # -fmirror-ignorelist: functions and files left alone


def instrument_module(text: str, options: PassOptions) -> tuple[str, ModuleReport]:
    """Insert mirror writes into the module; return the new text and what was done."""
    annotated = options.mode == "annotated"
    if options.route_libc:
        # Annotated mode leaves the heap to libc: critical data comes from mirror_malloc explicitly.
        text, _ = route_calls(text, keep=HEAP_FUNCTIONS if annotated else frozenset())
    module = parse_module_text(text)
    report = ModuleReport(options.source, options.addressing.value, options.mode)
    declarations = _declarations(module)
    names = [f.name.removeprefix("@").strip('"') for f in module.functions]
    chosen = select(text, names, options.mode, options.source, options.ignorelist)
    needs_memcpy = needs_sync_atomic = needs_repairs = needs_memset = False
    helpers: set[str] = set()
    for function, name in zip(module.functions, names):
        if chosen[name] != MIRRORED:
            report.functions.append(FunctionReport(name, selection=chosen[name]))
            continue
        rewriter = _FunctionRewriter(function, options, declarations, report.warnings)
        rewriter.run()
        report.functions.append(rewriter.report)
        needs_memcpy |= rewriter.used_memcpy
        needs_sync_atomic |= rewriter.used_sync_atomic
        needs_repairs |= rewriter.used_repairs
        needs_memset |= rewriter.used_memset
        helpers |= rewriter.used_helpers
    tail: list[str] = []
    tail += [f"declare extern_weak void @{helper}(ptr, ptr, i64)" for helper in sorted(helpers)
             if f"@{helper}" not in declarations]
    if needs_memcpy and "@llvm.memcpy.p0.p0.i64" not in declarations:
        tail.append(MEMCPY_DECL)
    if needs_sync_atomic and f"@{SYNC_ATOMIC}" not in declarations:
        tail.append(f"declare extern_weak void @{SYNC_ATOMIC}(ptr, i64)")
    if needs_repairs:
        tail.append(f"@{REPAIRS} = extern_weak global i64")
    if needs_memset and "@llvm.memset.p0.i64" not in declarations:
        tail.append(MEMSET_DECL)
    if options.addressing is Addressing.SEGMENT:
        # Tells the runtime that this program needs the GS base (runtime/process/init.c checks its address). Also
        # in modules with nothing to mirror: a segment-mode main that only dlopens segment-mode plugins
        # must still set it.
        tail.append("@__mirror_uses_gs = weak global i8 1")
    if annotated:
        # Tells the runtime that the program protects only what it asks for (runtime/process/init.c): the
        # executable's globals stay out of the protected domain, libc's allocations stay libc's.
        tail.append("@__mirror_mode_annotated = weak global i8 1")
    out = _insert_module_asm(module.render(), manifest_module_asm(report) + instrumented_note_module_asm())
    if tail:
        out += "\n" + "\n".join(tail) + "\n"
    return out, report


def _declarations(module: Module) -> dict[str, str]:
    """Declared function name -> its `declare` line plus resolved attribute group text."""
    groups: dict[str, str] = {}
    for part in module.parts:
        if isinstance(part, str) and part.startswith("attributes #"):
            key, _, body = part.partition(" = ")
            groups[key.removeprefix("attributes ")] = body
    decls: dict[str, str] = {}
    for part in module.parts:
        if isinstance(part, str) and part.startswith("declare "):
            m = re.search(r'(@[-a-zA-Z$._0-9]+|@"[^"]*")\(', part)
            if m:
                attrs = " ".join(groups.get(g, "") for g in re.findall(r"#[0-9]+", part))
                decls[m.group(1)] = part + " " + attrs
    return decls


def _insert_module_asm(text: str, asm: str) -> str:
    """Place `module asm` after the module's `target ...` lines (LLVM wants those first)."""
    insert_at = 0
    pos = 0
    while pos < len(text):
        eol = text.find("\n", pos)
        eol = len(text) if eol < 0 else eol
        line = text[pos:eol]
        if line.startswith(("target ", "source_filename", ";")) or not line.strip():
            if line.startswith(("target ", "source_filename")):
                insert_at = eol + 1
            pos = eol + 1
            continue
        break
    return text[:insert_at] + asm + text[insert_at:]


class _FunctionRewriter:
    def __init__(self, function: Function, options: PassOptions, declarations: dict[str, str], warnings: list[str]):
        self.function = function
        self.addressing = options.addressing
        self.declarations = declarations
        self.warnings = warnings
        self.report = FunctionReport(function.name.removeprefix("@").strip('"'))
        self.names: NameSource = name_source_for("\n".join(function.items))
        self.private = private_stack_pointers(function)
        self.used_memcpy = False
        self.used_sync_atomic = False
        self.used_repairs = False
        self.used_memset = False
        self._warned_asm = False
        self.used_helpers: set[str] = set()  # COPY, MOVE
        self._before: list[str] = []  # lines _mirror wants in front of the instruction
        self._replacement = ""  # what _mirror puts in the instruction's place (a copy's runtime call)
        self._repairs_before = ""  # the value holding __mirror_repairs read before a guarded copy
        self.block = _entry_block_name(function.header)  # the block being rewritten
        self.moved: dict[str, str] = {}  # block -> the block its terminator now ends (after a split)

    def run(self) -> None:
        items: list[str] = []
        for item in self.function.items:
            if not _MAY_WRITE_RE.match(item):
                label = _LABEL_RE.match(item)
                if label:
                    self.block = label.group(1)
                items.append(item)
                continue
            inst = make_instruction(item)
            self._before = []
            self._replacement = ""
            try:
                extra = self._mirror(inst)
            except ParseError as exc:
                raise InstrumentError(f"in function {self.function.name}: {exc}") from exc
            dbg = _DBG_RE.search(item)
            suffix = f", !dbg {dbg.group(1)}" if dbg else ""
            items.extend(f"  {line}{suffix}" for line in self._before)
            items.append(f"  {self._replacement}{suffix}" if self._replacement else item)
            items.extend(line if _LABEL_RE.match(line) else f"  {line}{suffix}" for line in extra)
        self.function.items = _rename_phi_blocks(items, self.moved) if self.moved else items

    # -- dispatch --------------------------------------------------------------------------------
    def _mirror(self, inst: Instruction) -> list[str]:
        op = inst.opcode
        if op == "store":
            return self._store(inst)
        if op == "atomicrmw":
            return self._atomicrmw(inst)
        if op == "cmpxchg":
            return self._cmpxchg(inst)
        if op == "call":
            return self._call(inst)
        return []

    def _target(self, pointer: Operand) -> bool:
        """Whether a write through `pointer` is mirrored; counts the skipped ones."""
        space = pointer_address_space(pointer.type)
        if space != 0:
            self.report.skipped["address_space"] += 1
            return False
        if pointer.value in self.private:
            self.report.skipped["stack"] += 1
            return False
        return True

    # -- stores and atomics ----------------------------------------------------------------------
    def _store(self, inst: Instruction) -> list[str]:
        store = parse_store(inst.body)
        if not self._target(store.pointer):
            return []
        lines, ptr_type, mirror = store_mirror(self.addressing, store.pointer.value, self.names)
        align = f", align {store.align}" if store.align else ""
        value = store.value.text(attrs=False)
        if store.atomic:
            self.report.mirrored["atomic_store"] += 1
            return self._sync_atomic(store.pointer.value, store.value.type)
        else:
            self.report.mirrored["store"] += 1
            lines.append(f"{plain_store_keyword(self.addressing)} {value}, {ptr_type} {mirror}{align}")
        return lines

    def _atomicrmw(self, inst: Instruction) -> list[str]:
        rmw = parse_atomicrmw(inst.body)
        if not self._target(rmw.pointer):
            return []
        self.report.mirrored["atomicrmw"] += 1
        return self._sync_atomic(rmw.pointer.value, rmw.value.type)

    def _cmpxchg(self, inst: Instruction) -> list[str]:
        xchg = parse_cmpxchg(inst.body)
        if not self._target(xchg.pointer):
            return []
        self.report.mirrored["cmpxchg"] += 1
        return self._sync_atomic(xchg.pointer.value, xchg.new.type)

    def _sync_atomic(self, pointer: str, value_type: str) -> list[str]:
        """An atomic write that does not commute: the runtime copies native to mirror until stable."""
        self.used_sync_atomic = True
        size = f"ptrtoint (ptr getelementptr ({value_type}, ptr null, i32 1) to i64)"
        return [f"call void @{SYNC_ATOMIC}(ptr {pointer}, i64 {size})"]

    # -- calls -----------------------------------------------------------------------------------
    def _call(self, inst: Instruction) -> list[str]:
        if "jmp(" in inst.body:
            call = parse_call(inst.body)
            if call.callee in SETJMP_FUNCTIONS and call.args:
                # libc fills the jmp_buf; setjmp returns twice, so it cannot be wrapped: copy the
                # buffer to its mirror after each return instead.
                return self._copy_object(call.args[0], str(JMP_BUF_BYTES), "setjmp")
        if "@llvm." not in inst.body and " asm " not in inst.body:
            return []  # an ordinary call: the callee mirrors its own writes
        call = parse_call(inst.body)
        if call.asm is not None:
            return self._inline_asm(call)
        intrinsic = call.intrinsic
        if intrinsic is None:
            return []
        if intrinsic.startswith("llvm.memset."):
            return self._memset(call)
        if intrinsic.startswith(MEMCPY_LIKE):
            return self._memcpy(call, intrinsic)
        for prefix, address_index in REPLAYED_STORE_INTRINSICS.items():
            if intrinsic.startswith(prefix):
                return self._replay(call, address_index)
        if intrinsic.startswith(("llvm.va_start", "llvm.va_copy")):
            return self._copy_object(call.args[0], str(VA_LIST_BYTES), "va_start")
        if intrinsic.startswith(NO_MIRROR_INTRINSICS):
            return []
        if intrinsic_writes_memory(self.declarations.get(call.callee, "")):
            self.report.skipped["intrinsic"] += 1
            self.warnings.append(
                f"function '{self.report.name}': call to {intrinsic} writes memory that is not mirrored"
            )
        return []

    def _memset(self, call: Call) -> list[str]:
        dest = call.args[0]
        if not self._target(dest):
            return []
        self.report.mirrored["memset"] += 1
        lines, mirror = flat_mirror("ptr", dest.value, self.names)
        args = [_with_value(dest, mirror)] + [a.text() for a in call.args[1:]]
        lines.append(f"call void {call.callee}({', '.join(args)})")
        size = call.args[2]
        if not _guarded_size(size.value):
            return lines
        # Like a large copy: a page lost while the native memset ran, and written again by it, comes
        # back from the mirror without the bytes set before the loss; set them again.
        self._before.append(self._read_repairs())
        size64 = self._size64(size, lines)
        value = call.args[1].text(attrs=False)
        self.used_memset = True
        return lines + self._if_repaired(f"call void @llvm.memset.p0.i64(ptr {dest.value}, {value}, i64 {size64}, i1 false)")

    def _memcpy(self, call: Call, intrinsic: str) -> list[str]:
        dest, source, size = call.args[0], call.args[1], call.args[2]
        if not self._target(dest):
            return []
        self.report.mirrored["memcpy"] += 1
        lines, mirror = flat_mirror("ptr", dest.value, self.names)
        move = intrinsic.startswith("llvm.memmove.")
        if not _guarded_size(size.value):
            if move:  # a few moves: copy the bytes they left in the native destination
                align = dest.attr_value("align")
                mirror_source = f"ptr align {align} {dest.value}" if align else f"ptr {dest.value}"
            else:
                mirror_source = source.text()
            args = [_with_value(dest, mirror), mirror_source] + [a.text() for a in call.args[2:]]
            return lines + [f"call void {call.callee}({', '.join(args)})"]
        self._before.append(self._read_repairs())
        size64 = self._size64(size, self._before)
        if intrinsic.startswith("llvm.memcpy.inline.") or source.type != "ptr" or (not move and _inline_copy(size.value)):
            # memcpy.inline must not become a call; a source in another address space (__seg_fs,
            # __seg_gs) is not a flat pointer the runtime could read; a few moves are cheaper inline
            # than a call: the same intrinsic again, to the mirror, from the native source.
            args = [_with_value(dest, mirror), source.text()] + [a.text() for a in call.args[2:]]
            lines.append(f"call void {call.callee}({', '.join(args)})")
        else:
            helper = MOVE if move else COPY
            self.used_helpers.add(helper)
            self._replacement = f"call void @{helper}(ptr {dest.value}, ptr {source.value}, i64 {size64})"
        return lines + self._recopy_if_repaired(dest.value, mirror, size64)

    def _read_repairs(self) -> str:
        self.used_repairs = True
        self._repairs_before = self.names.fresh()
        return f"{self._repairs_before} = load atomic i64, ptr @{REPAIRS} acquire, align 8"

    def _size64(self, size: Operand, lines: list[str]) -> str:
        if size.type == "i64":
            return size.value
        wide = self.names.fresh()
        lines.append(f"{wide} = zext {size.type} {size.value} to i64")
        return wide

    def _if_repaired(self, line: str) -> list[str]:
        """Lines that run `line` when a native page was rebuilt since _read_repairs: a branch to a block
        of its own, then a new block where the rest of the current one continues."""
        after, changed, repair, rest = (self.names.fresh() for _ in range(4))
        repair_label, rest_label = repair.removeprefix("%"), rest.removeprefix("%")
        self.moved[self.block] = rest_label
        self.block = rest_label
        return [
            f"{after} = load atomic i64, ptr @{REPAIRS} acquire, align 8",
            f"{changed} = icmp ne i64 {self._repairs_before}, {after}",
            f"br i1 {changed}, label {repair}, label {rest}",
            f"{repair_label}:",
            line,
            f"br label {rest}",
            f"{rest_label}:",
        ]

    def _recopy_if_repaired(self, dest: str, mirror: str, size64: str) -> list[str]:
        """After a copy and its mirror copy: when a page was rebuilt meanwhile, copy the mirror (now
        right) back over the native destination."""
        self.used_memcpy = True
        return self._if_repaired(f"call void @llvm.memcpy.p0.p0.i64(ptr {dest}, ptr {mirror}, i64 {size64}, i1 false)")

    def _replay(self, call: Call, address_index: int) -> list[str]:
        """Call a storing intrinsic again with its address operand moved to the mirror."""
        pointer = call.args[address_index]
        if pointer.type == "ptr" and not self._target(pointer):
            return []
        self.report.mirrored["masked"] += 1
        lines, mirror = flat_mirror(pointer.type, pointer.value, self.names)
        args = [a.text() for a in call.args]
        args[address_index] = _with_value(pointer, mirror)
        lines.append(f"call void {call.callee}({', '.join(args)})")
        return lines

    def _copy_object(self, pointer: Operand, size: str, kind: str) -> list[str]:
        """Copy `size` bytes at `pointer` to its mirror."""
        if not self._target(pointer):
            return []
        self.report.mirrored[kind] += 1
        self.used_memcpy = True
        lines, mirror = flat_mirror("ptr", pointer.value, self.names)
        lines.append(f"call void @llvm.memcpy.p0.p0.i64(ptr {mirror}, ptr {pointer.value}, i64 {size}, i1 false)")
        return lines

    def _inline_asm(self, call: Call) -> list[str]:
        asm = call.asm
        lines: list[str] = []
        arg_index = 0
        for constraint in asm.constraints:
            if constraint.startswith("~") or (constraint.startswith("=") and not constraint.startswith("=*")):
                continue
            if constraint.startswith("=*") and arg_index < len(call.args):
                arg = call.args[arg_index]
                elem = arg.attr_value("elementtype")
                if elem:
                    size = f"ptrtoint (ptr getelementptr ({elem}, ptr null, i32 1) to i64)"
                    lines += self._copy_object(arg, size, "asm")
            arg_index += 1
        template_empty = not asm.template.strip()
        if asm.clobbers_memory and not template_empty:
            self.report.skipped["asm"] += 1
            if not self._warned_asm:
                self._warned_asm = True
                self.warnings.append(
                    f"function '{self.report.name}': inline asm may write memory that is not mirrored "
                    f"(\"memory\" clobber); call mirror_sync() on what it writes"
                )
        return lines


def _entry_block_name(header: str) -> str:
    """The name of a function's first block when it has no label: the next unnamed number after the
    unnamed parameters (`define i32 @f(ptr %0, i64 %1)` -> "2")."""
    params = header[header.index("(") + 1 : header.rindex(")")] if "(" in header else ""
    return str(len(set(_UNNAMED_RE.findall(params))))


def _rename_phi_blocks(items: list[str], moved: dict[str, str]) -> list[str]:
    """A block split by _if_repaired ends in its last new block: phis that name it as a predecessor
    must name that block instead."""

    def final(block: str) -> str:
        while block in moved:
            block = moved[block]
        return block

    def rename(m: re.Match) -> str:
        return f"{m.group(1)}%{final(m.group(2))}{m.group(3)}" if m.group(2) in moved else m.group(0)

    return [_PHI_BLOCK_RE.sub(rename, item) if " = phi " in item else item for item in items]


def _constant(size: str) -> int | None:
    return int(size) if size.lstrip("-").isdigit() else None


def _guarded_size(size: str) -> bool:
    """Whether a memcpy or memset of `size` bytes (an IR value) gets the repair-counter guard: all but a
    single move. Several moves are emitted native first, mirror after: a page lost between two native
    moves faults on the second, comes back from a mirror that has not yet had the first, and the first
    is undone (seen as 1-22 divergent bytes in tests/e2e/programs/structs.c's struct assignments)."""
    return _constant(size) not in SINGLE_MOVE_SIZES


def _inline_copy(size: str) -> bool:
    """A constant size the backend lowers to a few moves: the mirror copy stays inline (guarded)."""
    value = _constant(size)
    return value is not None and value < GUARDED_MEMCPY_MIN


def _with_value(operand: Operand, value: str) -> str:
    return " ".join([operand.type, *operand.attrs, value])

