#!/usr/bin/env bash
# The scaling table: `feedsim bench` at several world sizes and thread counts, one after
# another, printed as a Markdown table (the figures come from each run's bench.json).
#
#   bash benches/scaling.sh                       # 100 k and 1 M users, 1 and 2 threads, 5 ticks
#   USERS="100000 1000000 10000000" TICKS=2 bash benches/scaling.sh
#   THREADS="1 2 4" OUT=results/scaling bash benches/scaling.sh
#   NUMPY=1 bash benches/scaling.sh               # also numpy's kernel after each run (--numpy)
#
# Run it on an otherwise idle machine: wall-clock figures mean nothing when other jobs
# share the cores (the CPU-second column is steadier). Needs python3 to read the JSON.
set -euo pipefail

USERS=${USERS:-"100000 1000000"}
THREADS=${THREADS:-"1 2"}
TICKS=${TICKS:-5}
OUT=${OUT:-results/scaling}
BIN=${BIN:-target/release/feedsim}
NUMPY=${NUMPY:-0}
numpy_flag=()
numpy_head=""
if [[ $NUMPY == 1 ]]; then
    numpy_flag=(--numpy)
    numpy_head=" ratio to numpy |"
fi

if [[ ! -x $BIN ]]; then
    echo "scaling.sh: $BIN not found; build it first with: cargo build --release" >&2
    exit 2
fi
mkdir -p "$OUT"

echo "| users | threads | ticks | impressions | wall s | impressions/s | CPU ns per impression | peak RSS MiB | bytes/user | ratio to reference |$numpy_head user-phase ns per impression, by variant |"
echo "|---|---|---|---|---|---|---|---|---|---|${numpy_head:+---|}---|"
for u in $USERS; do
    for t in $THREADS; do
        dir="$OUT/$u-users-$t-threads"
        "$BIN" bench --users "$u" --threads "$t" --ticks "$TICKS" --out "$dir" "${numpy_flag[@]}" >"$dir.log" 2>&1 || {
            echo "scaling.sh: the run at $u users, $t threads failed; see $dir.log" >&2
            exit 1
        }
        python3 - "$dir/bench.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
ns = 1e9 / b["impressions_per_cpu_second"]
variants = ", ".join("%s %.0f" % (v["name"], v["user_phase_ns_per_impression"]) for v in b["by_variant"])
print(f"| {b['users']:,} | {b['threads']} | {b['ticks']} | {b['impressions']:,} | {b['wall_seconds']:.1f} "
      f"| {b['impressions_per_second'] / 1e6:.2f} M | {ns:.0f} | {b['peak_rss_bytes'] / 2**20:.0f} "
      f"| {b['bytes_per_user']:.0f} | {b['ratio_to_reference']:.3f} "
      + (f"| {b['ratio_to_numpy']:.3f} " if b.get("ratio_to_numpy") is not None else "")
      + f"| {variants} |")
PY
    done
done
