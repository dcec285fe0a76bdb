; Bug A: DAG store merging merges a store in addrspace(256) (x86 GS segment) with a store in
; addrspace(0) whose address has the same base SDValue; the merged store takes the address space of
; the lowest-addressed candidate, so one of the two stores is lost (here native bytes 80..95).
; RUN: llc -mtriple=x86_64-- -O2 < %s | FileCheck %s
; A correct backend must keep a non-GS store covering 80..95 (it emits only GS stores there on 22.1.8):
; CHECK-LABEL: f:
; CHECK-DAG: {{mov(q|ups|aps)[[:space:]]+[^,]+, 80\(%rdi\)}}
; CHECK-DAG: {{mov(q|ups|aps)[[:space:]]+[^,]+, %gs:80\(%rdi\)}}
target triple = "x86_64-pc-linux-gnu"
define void @f(ptr %p) #0 {
  %a0 = getelementptr inbounds i8, ptr %p, i64 0
  store i64 0, ptr %a0, align 8
  %x0 = ptrtoint ptr %a0 to i64
  %g0 = inttoptr i64 %x0 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g0, align 8
  %a8 = getelementptr inbounds i8, ptr %p, i64 8
  store i64 0, ptr %a8, align 8
  %x8 = ptrtoint ptr %a8 to i64
  %g8 = inttoptr i64 %x8 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g8, align 8
  %a16 = getelementptr inbounds i8, ptr %p, i64 16
  store i64 0, ptr %a16, align 8
  %x16 = ptrtoint ptr %a16 to i64
  %g16 = inttoptr i64 %x16 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g16, align 8
  %a24 = getelementptr inbounds i8, ptr %p, i64 24
  store i64 0, ptr %a24, align 8
  %x24 = ptrtoint ptr %a24 to i64
  %g24 = inttoptr i64 %x24 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g24, align 8
  %a32 = getelementptr inbounds i8, ptr %p, i64 32
  store i64 0, ptr %a32, align 8
  %x32 = ptrtoint ptr %a32 to i64
  %g32 = inttoptr i64 %x32 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g32, align 8
  %a40 = getelementptr inbounds i8, ptr %p, i64 40
  store i64 0, ptr %a40, align 8
  %x40 = ptrtoint ptr %a40 to i64
  %g40 = inttoptr i64 %x40 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g40, align 8
  %a48 = getelementptr inbounds i8, ptr %p, i64 48
  store i64 0, ptr %a48, align 8
  %x48 = ptrtoint ptr %a48 to i64
  %g48 = inttoptr i64 %x48 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g48, align 8
  %a56 = getelementptr inbounds i8, ptr %p, i64 56
  store i64 0, ptr %a56, align 8
  %x56 = ptrtoint ptr %a56 to i64
  %g56 = inttoptr i64 %x56 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g56, align 8
  %a64 = getelementptr inbounds i8, ptr %p, i64 64
  store i64 0, ptr %a64, align 8
  %x64 = ptrtoint ptr %a64 to i64
  %g64 = inttoptr i64 %x64 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g64, align 8
  %a72 = getelementptr inbounds i8, ptr %p, i64 72
  store i64 0, ptr %a72, align 8
  %x72 = ptrtoint ptr %a72 to i64
  %g72 = inttoptr i64 %x72 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g72, align 8
  %a80 = getelementptr inbounds i8, ptr %p, i64 80
  store i64 0, ptr %a80, align 8
  %x80 = ptrtoint ptr %a80 to i64
  %g80 = inttoptr i64 %x80 to ptr addrspace(256)
  store i64 0, ptr addrspace(256) %g80, align 8
  ret void
}
attributes #0 = { nounwind "target-cpu"="x86-64" }
