"""`make bench-core`: host instructions (callgrind) the core spends on one
sample of a realistic mixed table (tests/bench/bench_core.c makes it), at
64, 256, 1024 and 4096 sessions, for both ending granularities (session;
connection, as Samba), in report and enforce mode, with nothing changed,
with 10 % of the sessions replaced by new ones, and with 10 % going stale.
Prints a table and, last, the line `per-session instructions: unchanged=N
changed=M` (the worst over every size, granularity and mode, and for M
over both kinds of change), after the largest single poll at the largest
size. With BENCH_ROUNDS=K, a `new` sample's figures are the mean of K in a
row (one by default; a `stale` one is always one: a settled table has
sessions for only two or three such samples). Figures only; no
thresholds.

The figures are the core's: what the calls into the HAL cost (the fake SMB
server handing out its table, the fake flash's byte loops) is left out,
as a board's HAL is a different program (bench-samba and bench-fw measure
the boards'), and shown apart in the `HAL` column (per session)."""
import glob
import os
import re
import subprocess
import sys
import tempfile

BENCH = sys.argv[1]  # build/bench: bench_core_N for each N
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "64 256 1024 4096").split()]
# BENCH_ROUNDS=K: K changed samples in a row, their mean per sample (the
# leak table filling, evictions as the rate allows them again)
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "1")))


def hal_cost(path, names):
    """Inclusive instructions of the calls into hal_* functions in one
    callgrind dump (names: its compressed names, kept across dumps)."""
    fn = cfn = ""
    total, call = 0, False
    with open(path) as fh:
        for line in fh:
            if call:
                call = False
                if cfn.startswith("hal_") and not fn.startswith("hal_"):
                    total += int(line.split()[1])
            elif line.startswith(("fn=", "cfn=")):
                key, _, ref = line.rstrip("\n").partition("=")
                m = re.match(r"\((\d+)\)(?: (.*))?$", ref)
                if m and m.group(2):
                    names[m.group(1)] = m.group(2)
                name = names.get(m.group(1), "") if m else ref
                if key == "fn":
                    fn = name
                else:
                    cfn = name
            elif line.startswith("calls="):
                call = True
    return total


def rounds(changed, kind):
    return ROUNDS if changed and kind == "new" else 1


def run(n, gran, mode, changed, kind):
    with tempfile.TemporaryDirectory(prefix="smbw-bench-") as d:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no",
                            "--callgrind-out-file=%s/cg" % d,
                            os.path.join(BENCH, "bench_core_%d" % n), str(n), gran, mode, str(changed), kind],
                           capture_output=True, text=True,
                           env=dict(os.environ, BENCH_ROUNDS=str(rounds(changed, kind))))
        if r.returncode != 0:
            raise SystemExit("bench_core %d %s %s %s: %s" % (n, gran, mode, kind, r.stderr[-600:]))
        polls, hal, names = [], 0, {}
        dumps = [f for f in glob.glob(d + "/cg.*")]  # the final dump, cg, holds what ran after
        for f in sorted(dumps, key=lambda f: int(f.rsplit(".", 1)[1])):
            with open(f) as fh:
                m = re.search(r"^(?:totals|summary): (\d+)", fh.read(), re.M)
            h = hal_cost(f, names)
            polls.append(int(m.group(1)) - h)
            hal += h
        info = r.stdout.strip()
    return sum(polls), max(polls), len(polls), hal, info


print("%6s %-7s %-7s %-9s %12s %10s %12s %6s %5s" % ("N", "ending", "mode", "sample", "instructions",
                                                     "/session", "largest poll", "polls", "HAL"))
worst = {0: 0, 10: 0}
largest = (0, "")
for n in SIZES:
    for gran in ("session", "conn"):
        for mode in ("report", "enforce"):
            for changed, kind in ((0, "new"), (10, "new"), (10, "stale")):
                total, big, polls, hal, info = run(n, gran, mode, changed, kind)
                k = rounds(changed, kind)
                total, polls, hal = total // k, -(-polls // k), hal // k
                per = total // n
                worst[changed] = max(worst[changed], per)
                what = "unchanged" if not changed else "10% " + kind
                if n == max(SIZES) and big > largest[0]:
                    largest = (big, "%s ending, %s mode, %s" % (gran, mode, what))
                print("%6d %-7s %-7s %-9s %12d %10d %12d %6d %5d" % (n, gran, mode, what, total, per, big, polls,
                                                                  hal // n), flush=True)
print("largest single agent_poll at %d sessions: %d instructions (%s)" % (max(SIZES), largest[0], largest[1]))
print("per-session instructions: unchanged=%d changed=%d" % (worst[0], worst[10]))
