#!/usr/bin/env bash
# Boot Debian's bookworm kernel under qemu (TCG) and run executables inside a busybox initramfs, printing
# the serial console (=== RUN / === EXIT / === KMSG markers) and a one-line verdict per program.
# The first run installs qemu-system-x86 and busybox-static (root) and caches the kernel image
# ($MIRRORPASS_CACHE or ~/.cache/mirrorpass, under kernel/). See mirrorpass/vm/qemu.py.
#
#   scripts/qemu/run-in-vm.sh --setup                       # packages + kernel only
#   scripts/qemu/run-in-vm.sh ./a.out './b.out --flag x'    # boot once, run both in order
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="$repo/.venv/bin/python"
[ -x "$python" ] || python=python3
PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m mirrorpass.vm.qemu "$@"
