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

#define MIRROR_DELTA (-0x500000000000LL)

#define MIRROR_APP1_START 0x510000000000ULL
#define MIRROR_APP1_END 0x600000000000ULL
#define MIRROR_APP2_START 0x700000000000ULL
#define MIRROR_APP2_END 0x800000000000ULL

#endif
