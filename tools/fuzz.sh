#!/bin/sh
# The fuzz harnesses of tests/fuzz (one per parser of outside input).
#
#   tools/fuzz.sh replay DIR      run DIR/fuzz_NAME (linked with the plain
#                                 driver) over its seeds: what make test does
#   tools/fuzz.sh run DIR SECS    run DIR/fuzz_NAME (linked with libFuzzer)
#                                 for SECS seconds each, from a working
#                                 corpus in DIR/corpus/NAME grown from the
#                                 seeds; a crash is saved as DIR/NAME-crash-*
#                                 (copy it into tests/fuzz/corpus/NAME once
#                                 fixed, so make test replays it)
#
# Seeds of NAME: tests/fuzz/corpus/NAME, plus the shipped configs for
# config and the sample bar files for import.
set -eu
mode=$1
dir=$2

seeds() {
	echo "tests/fuzz/corpus/$1"
	case $1 in
	config) ls conf/*.yaml ;;
	import) ls tests/data/*.csv ;;
	esac
}

status=0
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || { echo "tools/fuzz.sh: no harness in $dir" >&2; exit 1; }
	name=${bin##*/fuzz_}
	case $mode in
	replay)
		# shellcheck disable=SC2046
		"$bin" $(seeds "$name") || { echo "fuzz_$name: FAILED"; status=1; }
		;;
	run)
		work="$dir/corpus/$name"
		mkdir -p "$work"
		for s in $(seeds "$name"); do
			if [ -d "$s" ]; then cp "$s"/* "$work"/ 2>/dev/null || :;
			else cp "$s" "$work"/; fi
		done
		# The import harness writes a store per process: keep it in
		# memory when /dev/shm is there.
		t=${TMPDIR:-/tmp}
		[ -d /dev/shm ] && [ -w /dev/shm ] && t=/dev/shm
		echo "== fuzz_$name: $3 s from $(ls "$work" | wc -l) inputs"
		if ! TMPDIR=$t LSAN_OPTIONS=suppressions=tools/lsan-fuzz.supp "$bin" -max_total_time="$3" -print_final_stats=1 \
		    -artifact_prefix="$dir/$name-" "$work" > "$dir/$name.log" 2>&1; then
			status=1
			tail -40 "$dir/$name.log"
			echo "fuzz_$name: FAILED (crash saved as $(ls "$dir/$name"-* 2>/dev/null | head -1))"
		else
			sed -n 's/^stat::number_of_executed_units: */  executions: /p; s/^stat::new_units_added: */  new inputs: /p' "$dir/$name.log"
		fi
		;;
	*)
		echo "usage: tools/fuzz.sh replay DIR | run DIR SECS" >&2
		exit 2
		;;
	esac
done
exit $status
