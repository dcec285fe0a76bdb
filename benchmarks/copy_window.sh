#!/bin/bash
# How often a page lost in the middle of a struct copy leaves native and mirror apart (the small-copy
# window fixed in mirrorpass/instrument/mirror_pass.py, _guarded_size): tests/e2e/programs/structs.c
# built by mirror-cc, run RUNS times in each of 3 parallel loops (the load matters: the window is a few
# instructions) with 10 heap pages lost per run, seeds 1-40; prints the runs whose mid-run check found
# divergent bytes, then their count.
#   benchmarks/copy_window.sh [RUNS]      (default 150: 450 runs in all)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
runs=${1:-150}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/.venv/bin/mirror-cc" -O2 -std=gnu11 -g0 -pthread -DMIRRORED -I"$here/runtime/include" -Dmain=e2e_program_main \
    "$here/tests/e2e/programs/structs.c" "$here/tests/e2e/rounds_main.c" -o "$work/structs"
loop() {
    for i in $(seq 1 "$runs"); do
        seed=$(( (i % 40) + 1 ))
        out=$(MIRROR_E2E_ROUNDS=6000 MIRROR_E2E_TOUCH_LOST=1 \
              MIRROR_OPTIONS=inject_count=10:inject_interval_ms=2:inject_target=heap:inject_seed=$seed \
              "$work/structs" 2>/dev/null | grep "divergent bytes" || true)
        case "$out" in *"mirror: 0 divergent"*) ;; *) echo "seed $seed: ${out:-no check line}";; esac
    done
}
for n in 1 2 3; do loop > "$work/loop$n" & done
wait
cat "$work"/loop?
echo "runs with divergent bytes: $(cat "$work"/loop? | wc -l) of $((3 * runs))"
