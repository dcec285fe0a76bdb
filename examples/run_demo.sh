#!/usr/bin/env bash
# The main job on the bundled example: build ledger.c natively and with mirror-cc, run both, compare,
# and show what mirror-cc protected. Run through `make demo` (which sets everything up first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=$root/build/demo
mkdir -p "$out"
cd "$out"

echo "== build: clang-22 (native) and mirror-cc (mirrored), both -O2"
clang-22 -O2 "$here/ledger.c" -o ledger-native
"$root/.venv/bin/mirror-cc" -O2 -DMIRRORED -I"$root/runtime/include" "$here/ledger.c" -o ledger-mirrored
echo "== run native"
./ledger-native | tee native.txt
echo "== run mirrored"
./ledger-mirrored | tee mirrored.txt
if diff <(cat native.txt) <(grep -v '^mirror:' mirrored.txt) >/dev/null; then
  echo "== same output as the native build"
else
  echo "== OUTPUT DIFFERS from the native build" >&2
  exit 1
fi
echo "== what mirror-cc instrumented"
"$root/.venv/bin/mirrorpass" inspect --top 8 ledger-mirrored

echo "== memory errors: lose 5 pages (heap, globals, their mirror) while the mirrored build runs"
MIRROR_OPTIONS=inject_count=5:inject_interval_ms=3:inject_target=any:verbosity=1:print_stats=1:audit_at_exit=1 \
  ./ledger-mirrored 2>&1 | grep -v '^mirrorpass: protecting' | tee recovered.txt
if diff <(cat native.txt) <(grep -v '^mirror' recovered.txt) >/dev/null; then
  echo "== same output as the native build, after the losses above"
else
  echo "== OUTPUT DIFFERS after recovery" >&2
  exit 1
fi

echo "== the same losses without the SIGBUS handler (handle_sigbus=0): what a lost page does today"
set +e
# (the braces keep bash's own "Bus error" job message out of the demo's output)
{ MIRROR_OPTIONS=inject_count=1:inject_interval_ms=3:inject_target=heap:handle_sigbus=0 ./ledger-mirrored >/dev/null 2>&1; } 2>/dev/null
status=$?
set -e
echo "   exit status $status ($( [ $status -eq 135 ] && echo 'killed by SIGBUS' || echo 'unexpected'))"
