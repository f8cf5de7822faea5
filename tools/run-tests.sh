#!/bin/sh
# Run each Criterion suite given as an argument, then print one closing line
# "tests: N passed, N failed" summing their syntheses.  Each suite's wall
# time is printed after it ("== SUITE: X s").  Exits non-zero if any suite
# failed or crashed.
set -u
passed=0 failed=0 status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	echo "== $t"
	t0=$(date +%s.%N)
	"$t" --jobs 2 --short-filename 2>&1 | tee "$log"
	echo "== $t: $(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }') s"
	# The pipe hides the suite's exit status; read its synthesis.
	line=$(grep 'Synthesis:' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "$t: no synthesis line (crashed before reporting)" >&2
		failed=$((failed + 1))
		status=1
		continue
	fi
	p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
	c=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
	passed=$((passed + p))
	failed=$((failed + f + c))
	if [ "$f" -ne 0 ] || [ "$c" -ne 0 ]; then status=1; fi
done
echo "tests: $passed passed, $failed failed"
exit $status
