; Bug B: two GS (addrspace(256)) stores to a stack object are merged into one NATIVE store.
; mergeStoresOfConstantsOrVecElts cannot reuse the first store's pointer info (its pointers have different
; underlying IR values), builds MachinePointerInfo(AS=256) without a Value, and SelectionDAG::getStore
; then runs InferPointerInfo on the FrameIndex address, which returns FixedStack pointer info in
; address space 0: the segment override disappears.
; RUN: llc -mtriple=x86_64-- -O2 < %s | FileCheck %s
; CHECK-LABEL: f:
; CHECK-NOT: {{mov[a-z]*[[:space:]]+[^,]+, \(%rsp\)}}
; CHECK: callq
target triple = "x86_64-pc-linux-gnu"
declare void @use(ptr)
define void @f() #0 {
  %buf = alloca [32 x i8], align 16
  %i0 = ptrtoint ptr %buf to i64
  %g0 = inttoptr i64 %i0 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g0, align 8
  %i1 = add i64 %i0, 8
  %g1 = inttoptr i64 %i1 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g1, align 8
  call void @use(ptr %buf)
  ret void
}
attributes #0 = { nounwind "target-cpu"="x86-64" }
