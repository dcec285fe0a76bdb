; store_merge_gs.ll: regression input for an x86 DAG store-merging miscompile (LLVM 22.1.x).
;
; What it shows. This is the pass input: an uninstrumented function that initialises fields of a
; freshly allocated 128-byte object, the shape of SQLite's sqlite3SelectNew. It was reduced with
; llvm-reduce from the real function (SQLite 3.40.1, clang-22 -O2). The interestingness test put a
; plain mirror store after every store and required that llc -O2 lose a native store while the
; volatile construction lost none. Each naive mirror store is
;     %i = ptrtoint ptr %f to i64
;     %g = inttoptr i64 %i to ptr addrspace(256)
;     store ptr null, ptr addrspace(256) %g, align 8
; With that construction, llc-22 -O2 -relocation-model=pic (and llvmlite 0.50's TargetMachine at
; opt=2) emits, near the end of the function:
;     movq   $0, 112(%rax)
;     movups %xmm0, %gs:112(%rax)   <- GS mirror store of 112 merged with the NATIVE store of 120
;     movq   $0, %gs:120(%rax)
; The result has no native store covering bytes 120..127: the native write is lost.
; See store_merge_gs_naive.ll for the instrumented form, which llc reproduces on its own.
; Cause: DAGCombiner::getStoreMergeCandidates compares addresses with BaseIndexOffset, which ignores
; the address space. The GS store and the native store have the same base SDValue, so they look
; like adjacent stores. The merged store takes the address space of the lowest-addressed store.
;
; To trigger, the function needs "target-cpu"="x86-64", which is what clang emits. Plain llc without
; it assumes slow unaligned 16-byte stores and does not merge. It also needs at least 10
; native+mirror store pairs. Every store below is needed (1-minimal).
;
; Correct output after the mirror pass and -O2 codegen must write each of these byte ranges of
; the returned object (%rax after the call) both natively and through %gs:
;     [0,1) [8,12) [32,88) [112,128)
; In particular, a native store covering 120..127 must survive: `movq $0, 120(%rax)`, or a native
; 16-byte store at 112(%rax). Its mirror must also be there: `movq $0, %gs:120(%rax)` with volatile
; mirror stores.
; The volatile construction (shapes.SEGMENT_STORE_VOLATILE) gives this code:
;     movq $0, 112(%rax) / movq $0, %gs:112(%rax) / movq $0, 120(%rax) / movq $0, %gs:120(%rax)

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare ptr @alloc(i64)

define ptr @select_new(ptr %list) #0 {
  %p = tail call ptr @alloc(i64 128)
  %f32 = getelementptr inbounds nuw i8, ptr %p, i64 32
  store ptr %list, ptr %f32, align 8
  store i8 -118, ptr %p, align 8
  %f8 = getelementptr inbounds nuw i8, ptr %p, i64 8
  store i32 0, ptr %f8, align 8
  %f40 = getelementptr inbounds nuw i8, ptr %p, i64 40
  store ptr null, ptr %f40, align 8
  %f48 = getelementptr inbounds nuw i8, ptr %p, i64 48
  store ptr null, ptr %f48, align 8
  %f56 = getelementptr inbounds nuw i8, ptr %p, i64 56
  store ptr null, ptr %f56, align 8
  %f64 = getelementptr inbounds nuw i8, ptr %p, i64 64
  store ptr null, ptr %f64, align 8
  %f72 = getelementptr inbounds nuw i8, ptr %p, i64 72
  store ptr null, ptr %f72, align 8
  %f80 = getelementptr inbounds nuw i8, ptr %p, i64 80
  store ptr null, ptr %f80, align 8
  %f112 = getelementptr inbounds nuw i8, ptr %p, i64 112
  store ptr null, ptr %f112, align 8
  %f120 = getelementptr inbounds nuw i8, ptr %p, i64 120
  store ptr null, ptr %f120, align 8
  ret ptr %p
}

attributes #0 = { nounwind "target-cpu"="x86-64" }
