#!/bin/sh
# make demo: import the sample BTCUSDT 1-minute data shipped in tests/data
# into the config's store, then replay it at full speed.
# Usage: tools/demo.sh BUILD_DIR CONFIG
set -eu
bin=$1
conf=$2

echo "== importing the sample data (tests/data/BTCUSDT-1m-2020-01-0[1-3].csv)"
"$bin/traderctl" -c "$conf" import --symbol BTCUSDT --timeframe 1m \
	tests/data/BTCUSDT-1m-2020-01-01.csv \
	tests/data/BTCUSDT-1m-2020-01-02.csv \
	tests/data/BTCUSDT-1m-2020-01-03.csv
echo
"$bin/traderctl" -c "$conf" db stat
echo
echo "== replay: $bin/traderd -c $conf --replay --speed max"
"$bin/traderd" -c "$conf" --replay --speed max
