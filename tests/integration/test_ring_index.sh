#!/usr/bin/env bash
# The core with its ring indexes (every board but the firmware) against the
# core without them (each rule scanning the ring: the simple reference), on
# the same random samples (tests/equiv/policy_trace.c): every record and
# every event after every sample must be the same. Then the indexed core
# against the reference that also finishes every sample by the general
# sweep (trace_sweep: no walk for a sample that lists every session
# again). The traces must also reach the hard cases, or the comparison
# proves little.
set -u
cd "$(dirname "$0")/../.."
dir=${TRACE_DIR:-build/test}
seeds=${TRACE_SEEDS:-100}
samples=60
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail() { echo "not ok $n - $1"; }
pass() { echo "ok $n - $1"; }

# compare REF [NAME=VALUE...]: trace_index against trace_REF on every seed,
# in that environment. Sets differ to the seeds where the two differ (the
# first difference in $tmp/first-REF); trace_index's traces go to $tmp/all-REF.
compare() {
    local ref=$1 s
    shift
    differ=""
    for s in $(seq 1 "$seeds"); do
        env "$@" "$dir/trace_index" "$s" "$samples" >"$tmp/i" 2>&1 || { differ="$differ $s(index failed)"; continue; }
        env "$@" "$dir/trace_$ref" "$s" "$samples" >"$tmp/r" 2>&1 || { differ="$differ $s($ref failed)"; continue; }
        if ! cmp -s "$tmp/i" "$tmp/r"; then
            differ="$differ $s"
            [ -e "$tmp/first-$ref" ] || diff "$tmp/r" "$tmp/i" | head -20 >"$tmp/first-$ref"
        fi
        cat "$tmp/i" >>"$tmp/all-$ref"
    done
}

echo "1..5"
n=1
compare scan
if [ -z "$differ" ]; then
    pass "$seeds seeds x $samples samples: the same records and events with and without the indexes"
else
    fail "traces differ for seeds:$differ"
    sed 's/^/# /' "$tmp/first-scan"
fi

n=2
missing=""
for what in "event evict-blocked" "event evict-asked" "event evicted" "event evict-failed" \
    "event table-truncated" "event config-changed" "stale limit" "stale duplicate" "stale orphan" \
    "stale null" "shared connection" "rate limit" "open files" "protected" "event lost"; do
    c=$(grep -c -- "$what" "$tmp/all-scan")
    if [ "$what" = "event lost" ]; then
        [ "$c" -eq 0 ] || missing="$missing [$c events lost to the trace]"
    elif [ "$c" -eq 0 ]; then
        missing="$missing [$what]"
    fi
done
if [ -z "$missing" ]; then pass "the traces reach every rule, block and event"; else fail "never reached:$missing"; fi

n=3
# samples where newcomers found the ring full of leavers, replayed; ids twice
rew=$(grep -h '^sample' "$tmp/all-scan" | awk '{for (i = 1; i < NF; i++) if ($i == "rewinds") r += $(i + 1) > 0} END {print r + 0}')
rej=$(grep -h '^sample' "$tmp/all-scan" | awk '{for (i = 1; i < NF; i++) if ($i == "rejected" && $(i + 1) > 0) r++} END {print r + 0}')
if [ "$rew" -gt 0 ] && [ "$rej" -gt 0 ]; then
    pass "replays after leavers ($rew samples) and ids twice in a sample ($rej) compared too"
else
    fail "replays $rew, repeated ids $rej: the generator no longer reaches them"
fi

n=4
compare sweep TRACE_NO_MIDWAY=1
if [ -z "$differ" ]; then
    pass "$seeds seeds x $samples samples: a sample listing every session again finished as by the general sweep"
else
    fail "traces differ from the general sweep for seeds:$differ"
    sed 's/^/# /' "$tmp/first-sweep"
fi

n=5
# the clock moving on between the polls that finish a sample: each build on
# its own, every verdict at its classification's time (policy_trace's
# check_times; a record taken at a later poll's time fails it)
bad=""
for b in index scan sweep; do
    for s in $(seq 1 "$seeds"); do
        TRACE_TICK=1 "$dir/trace_$b" "$s" "$samples" >"$tmp/t" 2>&1 ||
            bad="$bad $b/$s:$(grep -m1 CHECK "$tmp/t" | cut -c1-80 | tr ' ' _)"
    done
done
if [ -z "$bad" ]; then
    pass "$seeds seeds x $samples samples with the clock moving while a sample is finished: no verdict ahead of its time"
else
    fail "verdicts off their time in $(echo "$bad" | wc -w) traces, the first:$(echo "$bad" | cut -c1-300)"
fi
