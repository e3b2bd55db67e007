#!/usr/bin/env bash
# Every fuzz target replays its seeds, the corpus a `make fuzz` left (if
# any) and every saved crash input (tests/fuzz/crashes/): faults once found
# stay fixed. Seconds, no fuzzing.
set -uo pipefail
n=0 failed=0
for t in $FUZZ_TARGETS; do
	n=$((n + 1))
	if out=$("$FUZZ_DIR/replay_$t" "$FUZZ_DIR/seeds/$t" "$FUZZ_DIR/corpus/$t" "tests/fuzz/crashes/$t" 2>&1); then
		echo "ok $n - replay $t: ${out##*: }"
	else
		failed=$((failed + 1))
		echo "not ok $n - replay $t"
		printf '%s\n' "$out" | tail -20 | sed 's/^/# /'
	fi
done
echo "1..$n"
[ $failed -eq 0 ]
