; Bug C: load combining ignores address spaces as well: a native i32 load of p and a GS i32 load
; of p+4 become one native i64 load; two consecutive i64 loads (native, GS) become one native
; 16-byte vector load.
; RUN: llc -mtriple=x86_64-- -O2 < %s | FileCheck %s
; CHECK-LABEL: loadcomb:
; CHECK: %gs:
; CHECK-LABEL: loadvec:
; CHECK: %gs:
target triple = "x86_64-pc-linux-gnu"
define i64 @loadcomb(ptr %p) {
  %a = load i32, ptr %p, align 4
  %i = ptrtoint ptr %p to i64
  %i4 = add i64 %i, 4
  %m4 = inttoptr i64 %i4 to ptr addrspace(256)
  %b = load i32, ptr addrspace(256) %m4, align 4
  %az = zext i32 %a to i64
  %bz = zext i32 %b to i64
  %bs = shl i64 %bz, 32
  %r = or i64 %az, %bs
  ret i64 %r
}
define <2 x i64> @loadvec(ptr %p) {
  %a = load i64, ptr %p, align 8
  %i = ptrtoint ptr %p to i64
  %i8 = add i64 %i, 8
  %m8 = inttoptr i64 %i8 to ptr addrspace(256)
  %b = load i64, ptr addrspace(256) %m8, align 8
  %v0 = insertelement <2 x i64> poison, i64 %a, i32 0
  %v1 = insertelement <2 x i64> %v0, i64 %b, i32 1
  ret <2 x i64> %v1
}
