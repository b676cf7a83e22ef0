#!/usr/bin/env bash
# Replay against the floor on every input shape of issue 21's table.
#
#   benches/shapes.sh [small|full] [PAIRS]
#
# For each shape (rows, days, accounts) this generates the input once
# (examples/generate.rs, seed 1, kept in $DATA between runs), replays it
# once into a reference folder, then runs PAIRS alternated pairs of
#   - the writing floor (examples/floor.rs: the read pass, then the
#     reference reports' bytes written again from memory and synced), and
#   - `creditsim replay` into a fresh folder,
# and prints per shape the medians, replay / floor, and each side's peak
# RSS (/usr/bin/time %M). Every replay's reports are compared with `cmp`
# to the reference, and, when $BASE names another creditsim binary (for
# example main's), the reference is made by that binary, so the run also
# checks that the reports are byte-identical to it.
#
# Presets: `small` (default) is 1M rows at 31, 186 and 365 days with 100k
# accounts, and 1M rows at 186 days with 1M accounts; `full` is the table
# of the issue (1M rows at 31/186/365 days, 12M at 365 days, 10M at 186
# days with 100k and with 1M accounts; about 4 GB of input). Build first:
#
#   cargo build --release --bin creditsim --example generate --example floor
set -euo pipefail

preset=${1:-small}
pairs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/target/release/creditsim}
base=${BASE:-$bin}
generate=$root/target/release/examples/generate
floor=$root/target/release/examples/floor
data=${DATA:-/tmp/creditsim-shapes}
time=/usr/bin/time

case $preset in
small) shapes="1000000:31:100000 1000000:186:100000 1000000:365:100000 1000000:186:1000000" ;;
full) shapes="1000000:31:100000 1000000:186:100000 1000000:365:100000 12000000:365:100000 10000000:186:100000 10000000:186:1000000" ;;
*)
	echo "usage: $0 [small|full] [PAIRS]" >&2
	exit 2
	;;
esac
for program in "$bin" "$base" "$generate" "$floor" "$time"; do
	[ -x "$program" ] || {
		echo "$0: $program is missing (see the build command at the top)" >&2
		exit 2
	}
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
reports="balances.csv ledger.csv statements.csv rejections.csv summary.json"

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $pairs alternated pairs per shape"
echo "| rows | days | accounts | floor (read + write) | replay | replay / floor | floor RSS | replay RSS | report bytes |"
echo "|---|---|---|---|---|---|---|---|---|"
for shape in $shapes; do
	IFS=: read -r rows days accounts <<<"$shape"
	dir=$data/r${rows}_d${days}_a${accounts}
	if [ ! -s "$dir/events.csv" ]; then
		"$generate" --rows "$rows" --days "$days" --accounts "$accounts" --seed 1 --out "$dir" 2>/dev/null
	fi
	rm -rf "$dir/ref"
	"$base" replay --plans "$dir/plans.csv" --out "$dir/ref" "$dir/events.csv" >/dev/null
	floor_s=() replay_s=() floor_kb=() replay_kb=()
	for _ in $(seq "$pairs"); do
		rm -rf "$dir/floor_out"
		line=$("$time" -f "rss_kb=%M" -o "$dir/floor.time" "$floor" "$dir/events.csv" --reports "$dir/ref" --out "$dir/floor_out")
		floor_s+=("$(sed 's/.*floor_s=\([0-9.]*\).*/\1/' <<<"$line")")
		floor_kb+=("$(sed 's/rss_kb=//' "$dir/floor.time")")
		bytes=$(sed 's/.*written_bytes=\([0-9]*\).*/\1/' <<<"$line")
		rm -rf "$dir/out"
		"$time" -f "%e %M" -o "$dir/replay.time" "$bin" replay --plans "$dir/plans.csv" --out "$dir/out" "$dir/events.csv" >/dev/null
		read -r seconds kb <"$dir/replay.time"
		replay_s+=("$seconds")
		replay_kb+=("$kb")
		for f in $reports; do
			cmp "$dir/ref/$f" "$dir/out/$f"
		done
	done
	f=$(printf '%s\n' "${floor_s[@]}" | median)
	r=$(printf '%s\n' "${replay_s[@]}" | median)
	fk=$(printf '%s\n' "${floor_kb[@]}" | median)
	rk=$(printf '%s\n' "${replay_kb[@]}" | median)
	awk -v rows="$rows" -v days="$days" -v accounts="$accounts" -v f="$f" -v r="$r" -v fk="$fk" -v rk="$rk" -v bytes="$bytes" \
		'BEGIN { printf "| %s | %s | %s | %.2f s | %.2f s | %.2fx | %.0f MB | %.0f MB | %.0f MB |\n", rows, days, accounts, f, r, r / f, fk / 1024, rk / 1024, bytes / 1e6 }'
	echo "  runs: floor ${floor_s[*]}; replay ${replay_s[*]}; replay RSS KB ${replay_kb[*]}" >&2
	rm -rf "$dir/out" "$dir/floor_out"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
