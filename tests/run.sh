#!/usr/bin/env bash
# Runs every test suite, each with its time, and ends with the summary line
# "N passed, N failed".
# Arguments: the unit test binaries. Integration tests are found here.
# Every suite speaks TAP ("ok N - name" / "not ok N - name").
set -u
cd "$(dirname "$0")/.."
total_pass=0
total_fail=0

# run_suite NAME CMD...: runs one suite, counts its TAP lines.
run_suite() {
    local name=$1
    shift
    local out rc p f start=$SECONDS
    out=$("$@" 2>&1)
    rc=$?
    p=$(grep -c '^ok ' <<<"$out")
    f=$(grep -c '^not ok ' <<<"$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed or failed outside a test
    fi
    if [ "$f" -ne 0 ]; then
        printf '%s\n' "$out" | grep -v '^ok ' | sed "s/^/  $name: /"
    fi
    printf '%-28s %3d passed, %d failed  %4d s\n' "$name" "$p" "$f" $((SECONDS - start))
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}

export CMOCKA_MESSAGE_OUTPUT=TAP
for bin in "$@"; do
    run_suite "$(basename "$bin")" "$bin"
done
for t in tests/integration/test_*.py; do
    run_suite "$(basename "$t" .py)" python3 "$t"
done
for t in tests/integration/test_*.sh; do
    [ -e "$t" ] || continue
    run_suite "$(basename "$t" .sh)" bash "$t"
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
