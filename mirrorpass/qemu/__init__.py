"""QEMU, the program mirrorpass exists for first: `mirrorpass qemu build` (build.py) builds
qemu-system-x86_64 mirrored and native from Debian bookworm's sources."""
