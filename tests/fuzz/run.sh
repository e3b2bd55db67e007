#!/usr/bin/env bash
# tests/fuzz/run.sh TARGET... - `make fuzz`: each target for FUZZ_SECONDS
# on its corpus (FUZZ_DIR/corpus/TARGET, kept between runs) and its seeds;
# a crash input goes to tests/fuzz/crashes/TARGET/. Prints executions and
# coverage per target; exits 1 if any target found a fault.
set -uo pipefail
status=0
for t in "$@"; do
	corpus="$FUZZ_DIR/corpus/$t" crashes="tests/fuzz/crashes/$t"
	mkdir -p "$corpus" "$crashes"
	log="$FUZZ_DIR/fuzz_$t.log"
	"$FUZZ_DIR/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
		-artifact_prefix="$crashes/" -rss_limit_mb=2048 "$corpus" "$FUZZ_DIR/seeds/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	printf '%-10s %12s executions  %-10s %s\n' "$t" "${execs:-?}" "${cov:-cov: ?}" \
		"$([ $rc -eq 0 ] && echo ok || echo "FAULT (see $log)")"
	[ $rc -eq 0 ] || status=1
done
exit $status
