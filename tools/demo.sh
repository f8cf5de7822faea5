#!/bin/sh
# make demo: import the two futures months shipped in tests/data/shared
# into the config's store, then replay them through two strategies.
# Usage: tools/demo.sh BUILD_DIR CONFIG
set -eu
bin=$1
conf=$2
d=tests/data/shared/binance_futures_klines/um

echo "== importing LINKUSDT (February 2023) and AVAXUSDT (February 2024), 1m"
"$bin/traderctl" -c "$conf" import --symbol LINKUSDT --timeframe 1m \
	"$d/LINKUSDT-1m-2023-02.csv"
"$bin/traderctl" -c "$conf" import --symbol AVAXUSDT --timeframe 1m \
	"$d/AVAXUSDT-1m-2024-02.csv"
echo
"$bin/traderctl" -c "$conf" db stat
echo
echo "== replay: $bin/traderd -c $conf --replay --speed max"
"$bin/traderd" -c "$conf" --replay --speed max
