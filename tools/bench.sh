#!/bin/sh
# make bench: print the performance figures recorded in BENCHMARKS.md.
#
#   import rows/s     1M-row generic CSV into a fresh store
#   import vs floor   bars and Binance aggTrades imports beside a program
#                     that only splits the lines and strtods the numbers
#   replay bars/s     bare replay (no strategy), 1M and 10M bars, --speed max
#   peak RSS          of each replay process (must not grow with the bars)
#   features          ns per bar for the default feature set and the full one
#   models            training time (1M rows x 20 features) and ns per
#                     in-loop prediction (20 features), each beside a floor
#   risk on/off       sma_cross with brackets, every risk check on against
#                     none (runs interleaved, so drift hits both alike)
#   feed frames/s     bookTicker, aggTrade and depth frames of the recorded
#                     Binance sessions through the feed core (parser, book,
#                     dedupe, bar builder) beside a floor that only splits
#                     them and converts their numbers with strtod
#   feed latency      from a WebSocket message's receive callback to its
#                     quote or trade having passed the session (venue,
#                     features, risk, strategies), over loopback against
#                     exsim: p50, p99, p99.9 and a histogram
#   paper 100 symbols a 10-minute paper session of 100 symbols against
#                     exsim: peak RSS and RssAnon by half (PAPER_S=seconds)
#   100 symbols       a year of 1m bars for each of 100 symbols (52.56M
#                     bars), bare and with sma_cross trading all of them:
#                     bars/s and peak anonymous memory (RssAnon, sampled
#                     from /proc every 50 ms; the store's mapped pages are
#                     page cache and do not count), in each half of the run
#
# Each figure is the median of RUNS runs (default 3), pinned to one core.
# Work files go to BENCH_DIR (default /tmp/traderd-bench, ~2 GB for 10M).
# The 100-symbol store (2.4 GB, about a minute to make) is kept between
# runs in BENCH_CACHE (default /var/tmp/traderd-bench-cache).
# Usage: tools/bench.sh BUILD_DIR
set -eu
bin=$(cd "$1" && pwd)
work=${BENCH_DIR:-/tmp/traderd-bench}
runs=${RUNS:-3}
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"

rm -rf "$work"
mkdir -p "$work"

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

conf() { # conf NAME DATA_DIR [strategy|bracket|risk]
	cat > "$work/$1.yaml" <<YAML
data_dir: $2
report_dir: $work/report
plugin_dir: $bin/plugins
log_level: warn
instruments:
  - { symbol: SYN, tick_size: 0.01, lot_size: 0.001 }
replay: { speed: max, timeframe: 1m }
account: { cash: 100000 }
venue: { kind: sim, fee_bps: 10, slippage_bps: 0 }
YAML
	[ "${3:-}" = strategy ] && cat >> "$work/$1.yaml" <<YAML
strategies:
  - name: demo
    plugin: sma_cross
    symbols: [SYN]
    params: { fast: 10, slow: 30, sizing: all_in }
YAML
	# Every check on, with limits the run never reaches (a check that
	# refuses would change the run, not just its cost).
	[ "${3:-}" = risk ] && cat >> "$work/$1.yaml" <<YAML
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
YAML
	case "${3:-}" in bracket|risk) cat >> "$work/$1.yaml" <<YAML
strategies:
  - name: demo
    plugin: sma_cross
    symbols: [SYN]
    params: { fast: 10, slow: 30, sizing: all_in, take_profit_bps: 200,
              stop_loss_bps: 100 }
YAML
	esac
	return 0
}

# risk_pair N: sma_cross with brackets, risk off then on, interleaved.
risk_pair() {
	off=""; on=""
	for i in $(seq "$runs"); do
		off="$off $($pin "$bin/traderd" -c "$work/b$1.yaml" --replay \
			--speed max | sed -n 's/.* \([0-9]*\) bars\/s.*/\1/p')"
		on="$on $($pin "$bin/traderd" -c "$work/k$1.yaml" --replay \
			--speed max | sed -n 's/.* \([0-9]*\) bars\/s.*/\1/p')"
	done
	off=$(echo $off | tr ' ' '\n' | median)
	on=$(echo $on | tr ' ' '\n' | median)
	printf "replay   %-8s %-14s %12.0f bars/s\n" "$1" "risk off" "$off"
	printf "replay   %-8s %-14s %12.0f bars/s   %.1f%% of off (target >= 80%%)\n" \
		"$1" "risk on" "$on" "$(awk "BEGIN { print 100 * $on / $off }")"
}

# run_replay LABEL CONF TARGET: median bars/s, RSS and process time.
run_replay() {
	rates=""; rss=""; procs=""
	for i in $(seq "$runs"); do
		t0=$(date +%s.%N)
		out=$($pin "$bin/traderd" -c "$2" --replay --speed max)
		t1=$(date +%s.%N)
		rates="$rates $(echo "$out" | sed -n 's/.* \([0-9]*\) bars\/s.*/\1/p')"
		rss="$rss $(echo "$out" | sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p')"
		procs="$procs $(awk "BEGIN { print $t1 - $t0 }")"
	done
	bars=$(echo "$out" | sed -n 's/^replay: \([0-9]*\) bars.*/\1/p')
	printf "replay   %-8s %-14s %12.0f bars/s   (target >= %s)\n" \
		"$bars" "$1" "$(echo $rates | tr ' ' '\n' | median)" "$3"
	printf "replay   %-8s %-14s %12s MiB peak RSS\n" "$bars" "$1" \
		"$(echo $rss | tr ' ' '\n' | median)"
	printf "replay   %-8s %-14s %12.3f s whole process\n" "$bars" "$1" \
		"$(echo $procs | tr ' ' '\n' | median)"
}

echo "traderd benchmark: $(uname -m), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "generating synthetic bars (gen_bars --seed 42) ..."
"$bin/gen_bars" --seed 42 --rows 1000000 > "$work/1m.csv"
"$bin/gen_bars" --seed 42 --rows 10000000 > "$work/10m.csv"

# Import: fresh store each run.
rates=""
for i in $(seq "$runs"); do
	rm -rf "$work/imp"
	r=$($pin "$bin/traderctl" --data-dir "$work/imp" import --symbol SYN \
		--timeframe 1m "$work/1m.csv" | sed -n 's/.*(\([0-9]*\) rows\/s).*/\1/p')
	rates="$rates $r"
done
imp=$(echo $rates | tr ' ' '\n' | median)
printf "import   1M rows generic CSV   %12.0f rows/s   (target >= 3000000)\n" "$imp"

# Each importer beside the floor on the same file in the same run: split
# the lines, strtod the numbers (tools/bench_import_floor.c).  aggTrades:
# the 20000 real USD-M trades the repo ships, repeated 50 times with ids
# and times moved on, 1M rows.
agg_src=$(dirname "$0")/../tests/data/shared/binance_futures_trades/BTCUSD_PERP-aggTrades-2026-05-08.csv
awk -F, 'NR == 1 { print; next } { id[NR] = $1; r[NR] = $0; n = NR }
	END {
		span = id[n] - id[2] + 1
		split(r[2], a, ","); split(r[n], b, ",")
		tspan = b[6] - a[6] + 1
		for (k = 0; k < 50; k++)
			for (i = 2; i <= n; i++) {
				split(r[i], f, ",")
				printf "%d,%s,%s,%d,%d,%d,%s\n", f[1] + k * span, f[2], f[3],
				       f[4] + k * span * 10, f[5] + k * span * 10,
				       f[6] + k * tspan, f[7]
			}
	}' "$agg_src" > "$work/agg.csv"
imp_ratio() { # imp_ratio LABEL FILE IMPORT-ARGS...
	label=$1 file=$2
	shift 2
	fl="" ir=""
	for i in $(seq "$runs"); do
		fl="$fl $($pin "$bin/bench_import_floor" "$file" 1 | cut -d' ' -f1)"
		rm -rf "$work/impr"
		ir="$ir $($pin "$bin/traderctl" --data-dir "$work/impr" import "$@" "$file" |
			sed -n 's/.*(\([0-9]*\) rows\/s).*/\1/p')"
	done
	fl=$(echo $fl | tr ' ' '\n' | median)
	ir=$(echo $ir | tr ' ' '\n' | median)
	printf "import   %-20s %12.0f rows/s   floor %10.0f rows/s   ratio %.2f   (target >= 0.33)\n" \
		"$label" "$ir" "$fl" "$(echo "$ir $fl" | awk '{ print $1 / $2 }')"
}
imp_ratio "1M bars (csv)" "$work/1m.csv" --symbol SYN --timeframe 1m
imp_ratio "1M aggTrades" "$work/agg.csv" --kind trades --symbol AGG
rm -rf "$work/impr" "$work/agg.csv"

# Feature engine: per-bar cost of the default set (21 outputs) and of every
# bar indicator (32 outputs), bars in memory.
$pin "$bin/bench_features" "$work/1m.csv" "$runs" |
	sed 's/$/   (target <= 200 ns per bar for >= 20 outputs)/'

# Models: liblinear training on 1M rows x 20 features beside one data
# pass, and the in-loop prediction beside a plain dot product.
$pin "$bin/bench_ml" 1000000 "$runs" |
	sed '/^predict/s/$/   (target < 100 ns)/'

for n in 1m 10m; do
	"$bin/traderctl" --data-dir "$work/db$n" import --symbol SYN \
		--timeframe 1m "$work/$n.csv" > /dev/null 2>&1
	conf "r$n" "$work/db$n"
	conf "s$n" "$work/db$n" strategy
	run_replay bare "$work/r$n.yaml" 30000000
	run_replay sma_cross "$work/s$n.yaml" 20000000
	conf "b$n" "$work/db$n" bracket
	conf "k$n" "$work/db$n" risk
	risk_pair "$n"
done

# run_mem LABEL CONF: bars/s and RssAnon (KiB samples in $work/rss) of one
# replay, the peak over the run and in each half.
run_mem() {
	$pin "$bin/traderd" -c "$2" --replay --speed max > "$work/mem.out" 2>&1 &
	pid=$!
	: > "$work/rss"
	while kill -0 "$pid" 2>/dev/null; do
		awk '/^RssAnon/ { print $2 }' "/proc/$pid/status" 2>/dev/null \
			>> "$work/rss"
		sleep 0.05
	done
	wait "$pid" || { cat "$work/mem.out"; exit 1; }
	rate=$(sed -n 's/.* \([0-9]*\) bars\/s.*/\1/p' "$work/mem.out")
	printf "100x1y   52560000 %-14s %12.0f bars/s%s\n" "$1" "$rate" \
		"$([ "$1" = sma_cross ] && echo '   (target >= 10000000)')"
	awk -v l="$1" '{ v[NR] = $1 } END {
		for (i = 1; i <= NR; i++) { if (v[i] > m) m = v[i];
			if (i <= NR / 2) { if (v[i] > a) a = v[i] }
			else if (v[i] > b) b = v[i] }
		printf "100x1y   52560000 %-14s %12.1f MiB peak RssAnon (first " \
		       "half %.1f, second %.1f; target < 64, flat)\n",
		       l, m / 1024, a / 1024, b / 1024 }' "$work/rss"
}

cache=${BENCH_CACHE:-/var/tmp/traderd-bench-cache}/sym100-1y
if ! "$bin/traderctl" --data-dir "$cache/db" db stat > "$work/stat" 2>&1 ||
   [ "$(grep -c '^S[0-9]' "$work/stat")" -ne 100 ]; then
	echo "generating 100 symbols x 525600 1m bars into $cache (once) ..."
	rm -rf "$cache"
	mkdir -p "$cache"
	for i in $(seq -w 1 100); do
		"$bin/gen_bars" --seed "$i" --rows 525600 --start 1577836800 \
			> "$work/s.csv"
		"$bin/traderctl" --data-dir "$cache/db" import --symbol "S$i" \
			--timeframe 1m "$work/s.csv" > /dev/null 2>&1
	done
	rm -f "$work/s.csv"
fi
syms=$(seq -w 1 100 | sed 's/^/S/' | paste -sd, -)
for m in bare sma_cross; do
	{
		echo "data_dir: $cache/db"
		echo "report_dir: $work/report"
		echo "plugin_dir: $bin/plugins"
		echo "log_level: warn"
		echo "instruments:"
		for i in $(seq -w 1 100); do
			echo "  - { symbol: S$i, tick_size: 0.01, lot_size: 0.001 }"
		done
		echo "replay: { speed: max, timeframe: 1m }"
		echo "account: { cash: 100000 }"
		echo "venue: { kind: sim, fee_bps: 10 }"
		[ "$m" = sma_cross ] && echo "strategies:
  - { name: x, plugin: sma_cross, symbols: [$syms],
      params: { fast: 10, slow: 30, sizing: fraction, fraction: 0.01 } }"
	} > "$work/m-$m.yaml"
	run_mem "$m" "$work/m-$m.yaml"
done
echo
echo "== feed frames/s (best of 50 passes, one core; target >= 0.25 of the floor)"
rec=tests/data/shared/binance_ws_recorded
for sess in binance_usdm_futures binance_spot; do
	echo "-- $sess"
	$pin "$bin/bench_feed" "$rec/$sess.ws_frames.jsonl" \
		"$rec/$sess.rest_depth_snapshots.jsonl" 50
done
echo
echo "== feed latency, receive callback to after the strategies (target p50 <= 2 us, p99 <= 10 us)"
{
	echo "mode: paper"
	echo "log_level: warn"
	echo "plugin_dir: $bin/plugins"
	echo "instruments:"
	for i in $(seq 0 19); do
		echo "  - { symbol: SYM${i}USDT, price_dp: 2, qty_dp: 3, tick_size: 0.01, lot_size: 0.001 }"
	done
	echo 'feed: { kind: binance_spot, ws_url: "ws://127.0.0.1:PORT", rest_url: "http://127.0.0.1:PORT", streams: [aggTrade, bookTicker], bar_timeframe: 1s }'
	echo "strategies:"
	echo "  - { name: t, plugin: sma_cross, symbols: [SYM0USDT, SYM1USDT, SYM2USDT, SYM3USDT, SYM4USDT],"
	echo "      params: { fast: 5, slow: 20, sizing: fraction, fraction: 0.01 } }"
} > "$work/lat.yaml"
$pin "$bin/bench_latency" "$bin/exsim" "$work/lat.yaml" 20 2>/dev/null
echo

# A paper session of 100 symbols (aggTrade, bookTicker, depth; 1 s bars
# from trades; sma_cross on all of them; everything recorded) against
# exsim for PAPER_S seconds (default 600): peak RSS (VmHWM, which counts
# the store's mapped pages the session touched) and RssAnon sampled every
# second, and how much RssAnon moved in the second half.
paper_s=${PAPER_S:-600}
echo "== paper session, 100 symbols, ${paper_s} s (target peak RSS <= 64 MiB, no growth in the second half)"
rm -f "$work/px.port"
"$bin/exsim" --symbols 100 --rate 5 --seed 3 --port-file "$work/px.port" \
	> /dev/null 2>&1 &
xpid=$!
for i in $(seq 100); do [ -s "$work/px.port" ] && break; sleep 0.1; done
port=$(cat "$work/px.port")
{
	echo "mode: paper"
	echo "data_dir: $work/paper-db"
	echo "report_dir: $work/paper-report"
	echo "log_level: warn"
	echo "plugin_dir: $bin/plugins"
	echo "instruments:"
	syms=""
	for i in $(seq 0 99); do
		echo "  - { symbol: SYM${i}USDT, price_dp: 2, qty_dp: 3, tick_size: 0.01, lot_size: 0.001 }"
		syms="$syms${syms:+, }SYM${i}USDT"
	done
	echo "feed: { kind: binance_spot, ws_url: \"ws://127.0.0.1:$port\", rest_url: \"http://127.0.0.1:$port\", streams: [aggTrade, bookTicker, depth], bar_timeframe: 1s }"
	echo "account: { cash: 1000000 }"
	echo "strategies:"
	echo "  - { name: x, plugin: sma_cross, symbols: [$syms],"
	echo "      params: { fast: 10, slow: 30, sizing: fraction, fraction: 0.001 } }"
} > "$work/paper.yaml"
"$bin/traderd" -c "$work/paper.yaml" > "$work/paper.log" 2>&1 &
dpid=$!
: > "$work/paper.rss"
for i in $(seq "$paper_s"); do
	sleep 1
	awk '/^RssAnon/ { a = $2 } /^VmHWM/ { h = $2 } END { print a, h }' \
		"/proc/$dpid/status" >> "$work/paper.rss" 2>/dev/null || break
done
kill -TERM "$dpid" 2>/dev/null; wait "$dpid" || true
kill -TERM "$xpid" 2>/dev/null; wait "$xpid" || true
awk -v n="$paper_s" '
	{ a[NR] = $1; h = $2 }
	END {
		m = int(NR / 2); lo = hi = a[m + 1]
		for (i = m + 1; i <= NR; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
		f = 0; for (i = 1; i <= m; i++) if (a[i] > f) f = a[i]
		printf "paper    100 symbols %4d s   peak RSS %6.1f MiB   RssAnon max first half %6.1f MiB, second half %6.1f..%6.1f MiB (start %6.1f, end %6.1f)\n",
		       NR, h / 1024, f / 1024, lo / 1024, hi / 1024, a[m + 1] / 1024, a[NR] / 1024
	}' "$work/paper.rss"
rm -rf "$work"
