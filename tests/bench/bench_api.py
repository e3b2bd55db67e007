"""Instructions (callgrind) GET /v1/sessions costs per session before
encryption, at 64 and 4,096 sessions (tests/bench/bench_api.c). Figures
only; no thresholds."""
import os
import re
import subprocess
import sys
import tempfile

BENCH = sys.argv[1]
for n in (64, 4096):
    with tempfile.TemporaryDirectory(prefix="smbw-bench-") as d:
        out = os.path.join(d, "cg")
        r = subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no",
                            "--callgrind-out-file=" + out, os.path.join(BENCH, "bench_api_%d" % n), str(n)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(r.stderr[-600:])
        with open(out) as f:
            total = int(re.search(r"^(?:totals|summary): (\d+)", f.read(), re.M).group(1))
    body = int(re.search(r"body (\d+) bytes", r.stdout).group(1))
    print("GET /v1/sessions at %d sessions: %d instructions before encryption, %d per session, "
          "%d bytes of JSON" % (n, total, total // n, body), flush=True)
