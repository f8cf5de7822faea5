#!/bin/sh
# make bench-ab BASE=REV: the current build against an older revision, on
# the same synthetic stores (gen_bars --seed 42), for the two promises a
# core change must keep:
#
#   same results  sma_cross (plain, and with brackets and every risk check
#                 on) on 100k and 1M bars: report.json's metrics and the
#                 sets of orders, fills and trades must be equal (rows are
#                 compared sorted: their order may change, their content
#                 may not; keys only one side has are listed, not compared)
#   throughput    sma_cross on 1M and 10M bars, PAIRS (default 7) runs of
#                 old and new alternating, pinned to one core, so the
#                 machine's drift hits both alike: the medians and new/old;
#                 and, with valgrind installed, the instructions of the
#                 whole 1M-bar process (deterministic, so they show a
#                 change the noisy wall clock hides)
#
# Usage: tools/bench-ab.sh OLD_BUILD_DIR NEW_BUILD_DIR
set -eu
old=$(cd "$1" && pwd)
new=$(cd "$2" && pwd)
work=${BENCH_DIR:-/tmp/traderd-bench-ab}
pairs=${PAIRS:-11}
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"

rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT INT TERM

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

conf() { # conf OUT BUILD DATA_DIR REPORT_DIR [bracket]
	cat > "$1" <<YAML
data_dir: $3
report_dir: $4
plugin_dir: $2/plugins
log_level: warn
instruments:
  - { symbol: SYN, tick_size: 0.01, lot_size: 0.001 }
replay: { speed: max, timeframe: 1m }
account: { cash: 100000 }
venue: { kind: sim, fee_bps: 10, slippage_bps: 5 }
YAML
	if [ "${5:-}" = bracket ]; then
		cat >> "$1" <<YAML
risk:
  max_order_notional: 1000000000
  max_position_notional: 1000000000
  max_gross_exposure: 1000000000
  max_open_orders: 1000
  max_open_trades: 1000
  orders_per_second: 1000
  orders_per_second_global: 1000
  price_collar_pct: 50
  max_drawdown_pct: 100
  daily_loss_pct: 100
  stale_data_s: 86400
  max_order_age_s: 31536000
strategies:
  - name: demo
    plugin: sma_cross
    symbols: [SYN]
    params: { fast: 10, slow: 30, sizing: fraction, fraction: 0.5,
              take_profit_bps: 200, stop_loss_bps: 100 }
YAML
	else
		cat >> "$1" <<YAML
strategies:
  - name: demo
    plugin: sma_cross
    symbols: [SYN]
    params: { fast: 10, slow: 30, sizing: all_in }
YAML
	fi
}

# metrics FILE: report.json's "key": value lines that are results, not
# timings or where the run came from.
metrics() {
	grep -E '^  "[a-z_]+": [-0-9."tfn]' "$1" |
		grep -vE '"(wall|elapsed|started|finished|generated|bars_per_s|run_id|config|version|git)[a-z_]*"' |
		sed 's/,$//' | sort
}

# same_run NAME: compare the old and new report of one run.
same_run() {
	do_="$work/rep-old-$1"; dn_="$work/rep-new-$1"; bad=0
	metrics "$do_/report.json" > "$work/m.old"
	metrics "$dn_/report.json" > "$work/m.new"
	# Before orders_partially_filled, orders_filled counted every order
	# that traded at all: compare it with the new filled + partially filled.
	if ! grep -q orders_partially_filled "$work/m.old"; then
		awk -F': ' '$1 ~ /"orders_(partially_)?filled"/ { f += $2; next }
			{ print } END { printf "  \"orders_filled\": %d\n", f }' \
			"$work/m.new" | sort > "$work/m.tmp"
		mv "$work/m.tmp" "$work/m.new"
	fi
	only=$(join -v1 -v2 -t: -j1 "$work/m.old" "$work/m.new" | cut -d: -f1 |
		tr -d ' "' | paste -sd, -)
	if ! join -t: -j1 -o 1.1,1.2 "$work/m.old" "$work/m.new" > "$work/j.old" ||
	   ! join -t: -j1 -o 2.1,2.2 "$work/m.old" "$work/m.new" > "$work/j.new" ||
	   ! cmp -s "$work/j.old" "$work/j.new"; then
		echo "DIFFER  $1 report.json metrics:"
		diff "$work/j.old" "$work/j.new" | head -20
		bad=1
	fi
	for f in orders fills trades; do
		# orders.csv gained a client id column: compare the columns both have.
		hdr_o=$(head -1 "$do_/$f.csv"); hdr_n=$(head -1 "$dn_/$f.csv")
		cols=$(awk -v a="$hdr_o" -v b="$hdr_n" 'BEGIN {
			na = split(a, x, ","); nb = split(b, y, ",");
			for (i = 1; i <= nb; i++) for (j = 1; j <= na; j++)
				if (y[i] == x[j] && y[i] != "client_id") {
					s = s (s ? " " : "") j ":" i; break }
			print s }')
		pick() { # pick FILE SIDE(1=old,2=new)
			tail -n +2 "$1" | awk -F, -v c="$cols" -v side="$2" '{
				n = split(c, p, " "); s = "";
				for (i = 1; i <= n; i++) { split(p[i], q, ":");
					s = s (i > 1 ? "," : "") $(q[side]) }
				print s }' | sort
		}
		pick "$do_/$f.csv" 1 > "$work/c.old"
		pick "$dn_/$f.csv" 2 > "$work/c.new"
		if ! cmp -s "$work/c.old" "$work/c.new"; then
			echo "DIFFER  $1 $f.csv ($(wc -l < "$work/c.old") rows old," \
				"$(wc -l < "$work/c.new") new):"
			diff "$work/c.old" "$work/c.new" | head -10
			bad=1
		fi
	done
	rows=$(($(wc -l < "$dn_/orders.csv") - 1))
	if [ $bad = 0 ]; then
		printf "same     %-22s %s metrics, %s orders, %s fills, %s trades%s\n" \
			"$1" "$(wc -l < "$work/j.new")" "$rows" \
			"$(($(wc -l < "$dn_/fills.csv") - 1))" \
			"$(($(wc -l < "$dn_/trades.csv") - 1))" \
			"${only:+ (only one side has: $only)}"
	fi
	return $bad
}

echo "traderd A/B: old $old, new $new; $(nproc) cores, $(date -u +%Y-%m-%d)"
status=0
for n in 100k 1m 10m; do
	case $n in 100k) rows=100000 ;; 1m) rows=1000000 ;; 10m) rows=10000000 ;; esac
	"$new/gen_bars" --seed 42 --rows $rows > "$work/$n.csv"
	"$new/traderctl" --data-dir "$work/db$n" import --symbol SYN \
		--timeframe 1m "$work/$n.csv" > /dev/null
	rm -f "$work/$n.csv"
	for side in old new; do
		eval b=\$$side
		conf "$work/$side-$n.yaml" "$b" "$work/db$n" "$work/rep-$side-$n"
		conf "$work/$side-b$n.yaml" "$b" "$work/db$n" \
			"$work/rep-$side-b$n" bracket
	done
	if [ $n != 10m ]; then
		for side in old new; do
			eval b=\$$side
			"$b/traderd" -c "$work/$side-$n.yaml" --replay --speed max \
				> /dev/null
			"$b/traderd" -c "$work/$side-b$n.yaml" --replay --speed max \
				> /dev/null
		done
		same_run "$n" || status=1
		same_run "b$n" || status=1
	fi
	[ $n = 100k ] && continue
	if [ $n = 1m ] && command -v valgrind > /dev/null 2>&1; then
		io=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$old/traderd" -c "$work/old-$n.yaml" --replay --speed max \
			2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,)
		in=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$new/traderd" -c "$work/new-$n.yaml" --replay --speed max \
			2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,)
		printf "sma_cross %-4s instructions  old %10.0f  new %10.0f         new/old %.3f\n" \
			"$n" "$io" "$in" "$(awk "BEGIN { print $in / $io }")"
	fi
	ro=""; rn=""; wo=""; wn=""
	for i in $(seq "$pairs"); do
		for side in old new; do
			eval b=\$$side
			t0=$(date +%s.%N)
			r=$($pin "$b/traderd" -c "$work/$side-$n.yaml" --replay \
				--speed max | sed -n 's/.* \([0-9]*\) bars\/s.*/\1/p')
			t=$(awk "BEGIN { print $(date +%s.%N) - $t0 }")
			if [ $side = old ]; then ro="$ro $r"; wo="$wo $t"
			else rn="$rn $r"; wn="$wn $t"; fi
		done
	done
	mo=$(echo $ro | tr ' ' '\n' | median)
	mn=$(echo $rn | tr ' ' '\n' | median)
	printf "sma_cross %-4s %d pairs  old %10.0f  new %10.0f bars/s  new/old %.3f (target >= 0.95)\n" \
		"$n" "$pairs" "$mo" "$mn" "$(awk "BEGIN { print $mn / $mo }")"
	mo=$(echo $wo | tr ' ' '\n' | median)
	mn=$(echo $wn | tr ' ' '\n' | median)
	printf "sma_cross %-4s %d pairs  old %10.3f  new %10.3f s whole process (report written)  new/old %.3f\n" \
		"$n" "$pairs" "$mo" "$mn" "$(awk "BEGIN { print $mn / $mo }")"
done
exit $status
