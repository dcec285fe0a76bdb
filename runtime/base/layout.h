/* The mirror mapping: the one source of truth for where the mirror of an address lives.
 *
 * mirror(p) = p + MIRROR_DELTA for p inside one of the two application windows.
 * The Python side (mirrorpass/layout.py) reads the numbers from this file, so edit them here only.
 * Windows follow MemorySanitizer's x86-64 layout: the PIE executable and brk heap (0x55...) sit in the
 * first, mmap, shared libraries and stacks (0x7f...) in the second. Addresses outside both windows
 * have no mirror; a mirror store to them faults.
 */
#ifndef MIRROR_LAYOUT_H
#define MIRROR_LAYOUT_H

/* The delta. Its bits 12-27 matter on AMD: the L1D way predictor (the "uTag") hashes linear-address
 * bits 12-27, XOR-folded in pairs (12^27, 13^26, 14^25, 15^20, 16^21, 17^22, 18^23, 19^24; Lipp et
 * al., "Take A Way", AsiaCCS 2020). The first delta, -0x500000000000, has those bits all zero, so a
 * line and its mirror always got the same uTag and evicted each other's prediction: on an AMD EPYC
 * (Zen 4, family 25 model 17) a quarter of addresses took 13-17 ns per store-mirror-load iteration
 * instead of 0.3, and SQLite ran at 6.97x native (1.23x with this delta). 0x10000 more makes the
 * mirror's bits 16-27 those of p minus 1: under the hash above no address then keeps its uTag (of the
 * 2^16 values of bits 12-27, none; -0x500000001000 leaves 2, -0x500000008000 64), and it moves the
 * windows by only 64 KiB. MemorySanitizer met the same wall and shifted its x86-64 shadow by 2 MiB.
 * The delta stays a multiple of the page size: a native page is one mirror page, in repair and in
 * injection. Intel's 4K aliasing (a load behind a store equal in bits 0-11) would want a delta that
 * is not; benchmarks/alias_probe.py measures both effects per CPU (README, "Measured on"). */
#define MIRROR_DELTA (-0x500000010000LL)

#define MIRROR_APP1_START 0x510000000000ULL
#define MIRROR_APP1_END 0x600000000000ULL
#define MIRROR_APP2_START 0x700000000000ULL
#define MIRROR_APP2_END 0x800000000000ULL

#endif
