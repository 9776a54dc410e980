#!/usr/bin/env bash
# What each mechanism costs: `feedsim bench` on the quickstart scenario as shipped, then
# with one mechanism off at a time (the ranking stage, search, sharing, the follow feed),
# then with all four off, printed as a Markdown table from each run's bench.json.
#
#   bash benches/mechanisms.sh                          # 1 M users, 5 ticks, 2 threads
#   USERS=100000 TICKS=2 THREADS=1 bash benches/mechanisms.sh
#   OUT=results/mechanisms bash benches/mechanisms.sh
#
# Each switch changes the run (fewer searches, other notes read), so the figures are the
# cost per impression of what is left, not the cost of the mechanism alone. Instruction
# counts, steadier than time on a shared machine, come from cachegrind instead
# (benches/README.md, *What each mechanism costs*). Run it on an otherwise idle machine.
# Needs python3 to read the JSON.
set -euo pipefail

USERS=${USERS:-1000000}
TICKS=${TICKS:-5}
THREADS=${THREADS:-2}
OUT=${OUT:-results/mechanisms}
BIN=${BIN:-target/release/feedsim}
SCENARIO=${SCENARIO:-scenarios/quickstart.toml}

if [[ ! -x $BIN ]]; then
    echo "mechanisms.sh: $BIN not found; build it first with: cargo build --release" >&2
    exit 2
fi
if ! grep -q '^candidates *=' "$SCENARIO"; then
    echo "mechanisms.sh: $SCENARIO has no \`candidates = …\` line in [feed]: it has no ranking stage to switch off" >&2
    exit 2
fi
mkdir -p "$OUT"
# The ranking stage is switched off by removing the key (absent: each slot is one weighted
# draw); `--set` can change a key but not remove one. Written beside the original so that
# any path it names resolves as before.
unranked="$(dirname "$SCENARIO")/.mechanisms-unranked-$$.toml"
trap 'rm -f "$unranked"' EXIT
sed '/^candidates *=/d' "$SCENARIO" >"$unranked"

side_off=(--set search.enabled=false --set sharing.enabled=false --set follow_feed.share=0)
configs=(
    "as shipped|$SCENARIO|"
    "no ranking stage|$unranked|"
    "no search|$SCENARIO|--set search.enabled=false"
    "no sharing|$SCENARIO|--set sharing.enabled=false"
    "no follow feed|$SCENARIO|--set follow_feed.share=0"
    "the feed alone|$unranked|${side_off[*]}"
)

echo "| configuration | impressions | impressions/s | CPU ns per impression | peak RSS MiB | user-phase ns per impression, by variant |"
echo "|---|---|---|---|---|---|"
i=0
for c in "${configs[@]}"; do
    IFS='|' read -r name scenario sets <<<"$c"
    i=$((i + 1))
    dir="$OUT/$i"
    # shellcheck disable=SC2086 # `sets` is a list of --set flags without spaces inside
    "$BIN" bench --scenario "$scenario" --users "$USERS" --ticks "$TICKS" --threads "$THREADS" --quiet \
        --out "$dir" $sets >"$dir.log" 2>&1 || {
        echo "mechanisms.sh: the run \"$name\" failed; see $dir.log" >&2
        exit 1
    }
    python3 - "$dir/bench.json" "$name" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
ns = 1e9 / b["impressions_per_cpu_second"]
variants = ", ".join("%s %.0f" % (v["name"], v["user_phase_ns_per_impression"]) for v in b["by_variant"])
print(f"| {sys.argv[2]} | {b['impressions']:,} | {b['impressions_per_second'] / 1e6:.2f} M | {ns:.0f} "
      f"| {b['peak_rss_bytes'] / 2**20:.0f} | {variants} |")
PY
done
