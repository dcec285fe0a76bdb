; store_merge_gs_naive.ll: store_merge_gs.ll after the NAIVE segment-mode mirror construction
; (plain, non-volatile addrspace(256) stores). llc alone shows the miscompile, so this file is also
; the upstream reproducer. Do not use it as mirror-pass input: it is already instrumented.
;
; Reproduce (LLVM 22.1.8; llvmlite 0.50 / LLVM 22.1.0 at opt=2 behaves the same):
;   llc-22 -O2 -relocation-model=pic store_merge_gs_naive.ll -o - | FileCheck --check-prefix=BUG22 store_merge_gs_naive.ll
;     passes: this is the wrong code. The GS store of field 112 and the native store of field 120
;     are merged into one 16-byte GS store, so native bytes 120..127 are never written.
;   llc-22 -O2 -relocation-model=pic store_merge_gs_naive.ll -o - | FileCheck --check-prefix=CORRECT store_merge_gs_naive.ll
;     fails on 22.1.8. A fixed backend must keep a native store covering 120..127. The
;     pattern accepts `movq $0, 120(%rax)` or a native 16-byte store at 112(%rax). The mirror of
;     120 must also survive.
; (Without "target-cpu"="x86-64" llc assumes slow unaligned 16-byte accesses and does not merge.)
;
; BUG22-LABEL: select_new:
; BUG22:       movq $0, 112(%rax)
; BUG22-NEXT:  movups %xmm0, %gs:112(%rax)
; BUG22-NEXT:  movq $0, %gs:120(%rax)
; BUG22-NOT:   {{[^:]}}120(%rax)
; BUG22:       retq
;
; CORRECT-LABEL: select_new:
; CORRECT-DAG:   {{(movq[[:space:]]+\$0, 120|mov[au]ps[[:space:]]+%xmm[0-9]+, 112)\(%rax\)}}
; CORRECT-DAG:   {{(movq[[:space:]]+\$0, %gs:120|mov[au]ps[[:space:]]+%xmm[0-9]+, %gs:112)\(%rax\)}}
; CORRECT:       retq

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare ptr @alloc(i64)

define ptr @select_new(ptr %list) #0 {
  %p = tail call ptr @alloc(i64 128)
  %f32 = getelementptr inbounds nuw i8, ptr %p, i64 32
  store ptr %list, ptr %f32, align 8
  %mir1.i = ptrtoint ptr %f32 to i64
  %mir1.p = inttoptr i64 %mir1.i to ptr addrspace(256)
  store ptr %list, ptr addrspace(256) %mir1.p, align 8
  store i8 -118, ptr %p, align 8
  %mir2.i = ptrtoint ptr %p to i64
  %mir2.p = inttoptr i64 %mir2.i to ptr addrspace(256)
  store i8 -118, ptr addrspace(256) %mir2.p, align 8
  %f8 = getelementptr inbounds nuw i8, ptr %p, i64 8
  store i32 0, ptr %f8, align 8
  %mir3.i = ptrtoint ptr %f8 to i64
  %mir3.p = inttoptr i64 %mir3.i to ptr addrspace(256)
  store i32 0, ptr addrspace(256) %mir3.p, align 8
  %f40 = getelementptr inbounds nuw i8, ptr %p, i64 40
  store ptr null, ptr %f40, align 8
  %mir4.i = ptrtoint ptr %f40 to i64
  %mir4.p = inttoptr i64 %mir4.i to ptr addrspace(256)
  store ptr null, ptr addrspace(256) %mir4.p, align 8
  %f48 = getelementptr inbounds nuw i8, ptr %p, i64 48
  store ptr null, ptr %f48, align 8
  %mir5.i = ptrtoint ptr %f48 to i64
  %mir5.p = inttoptr i64 %mir5.i to ptr addrspace(256)
  store ptr null, ptr addrspace(256) %mir5.p, align 8
  %f56 = getelementptr inbounds nuw i8, ptr %p, i64 56
  store ptr null, ptr %f56, align 8
  %mir6.i = ptrtoint ptr %f56 to i64
  %mir6.p = inttoptr i64 %mir6.i to ptr addrspace(256)
  store ptr null, ptr addrspace(256) %mir6.p, align 8
  %f64 = getelementptr inbounds nuw i8, ptr %p, i64 64
  store ptr null, ptr %f64, align 8
  %mir7.i = ptrtoint ptr %f64 to i64
  %mir7.p = inttoptr i64 %mir7.i to ptr addrspace(256)
  store ptr null, ptr addrspace(256) %mir7.p, align 8
  %f72 = getelementptr inbounds nuw i8, ptr %p, i64 72
  store ptr null, ptr %f72, align 8
  %mir8.i = ptrtoint ptr %f72 to i64
  %mir8.p = inttoptr i64 %mir8.i to ptr addrspace(256)
  store ptr null, ptr addrspace(256) %mir8.p, align 8
  %f80 = getelementptr inbounds nuw i8, ptr %p, i64 80
  store ptr null, ptr %f80, align 8
  %mir9.i = ptrtoint ptr %f80 to i64
  %mir9.p = inttoptr i64 %mir9.i to ptr addrspace(256)
  store ptr null, ptr addrspace(256) %mir9.p, align 8
  %f112 = getelementptr inbounds nuw i8, ptr %p, i64 112
  store ptr null, ptr %f112, align 8
  %mir10.i = ptrtoint ptr %f112 to i64
  %mir10.p = inttoptr i64 %mir10.i to ptr addrspace(256)
  store ptr null, ptr addrspace(256) %mir10.p, align 8
  %f120 = getelementptr inbounds nuw i8, ptr %p, i64 120
  store ptr null, ptr %f120, align 8
  %mir11.i = ptrtoint ptr %f120 to i64
  %mir11.p = inttoptr i64 %mir11.i to ptr addrspace(256)
  store ptr null, ptr addrspace(256) %mir11.p, align 8
  ret ptr %p
}

attributes #0 = { nounwind "target-cpu"="x86-64" }

