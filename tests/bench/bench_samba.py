"""Benchmark of the Samba board (`make bench-samba`): prints figures only.

In a network namespace of its own (see tests/integration/samba_lab.py), a
real smbd carries real sessions (libsmbclient, five client addresses, each
session on a connection of its own): 100, then 2,000 (BENCH_SAMBA_SESSIONS
to choose others). At each count, side by side:

  smbstatus    one `smbstatus --json` call: wall time and CPU time;
  sample       the agent (SMBWARDEN_SAMBA_BIN, -O2) sampling every second:
               its own CPU time per sample, and with its smbstatus child;
  GET          latency of GET /v1/sessions on one kept-alive TLS connection
               (the reply lists every session);
and the ratios of the agent's figures to one smbstatus call.
No thresholds: this is not a test.
"""
import json
import re
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.path.insert(0, HERE)
from samba_lab import ADDRS, SAMBA_BIN, Samba, in_netns, wait  # noqa: E402

in_netns(os.path.abspath(__file__))

from bench_mgmt import Conn, context, cpu_s  # noqa: E402
from harness import PROMPT, Agent  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_SAMBA_SESSIONS", "100 2000").split()]
RUNS = 20          # smbstatus calls, and samples of the agent
GETS = 200         # GET /v1/sessions requests (fewer for big tables)


def proc_times(pid):
    """(own, children) CPU seconds of pid, from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        x = f.read().rsplit(")", 1)[1].split()
    hz = os.sysconf("SC_CLK_TCK")
    return (int(x[11]) + int(x[12])) / hz, (int(x[13]) + int(x[14])) / hz


def bench_smbstatus(lab):
    walls = []
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(["smbstatus", "-s", lab.conf, "--json"], check=True,
                       stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / RUNS
    return statistics.median(walls), cpu


def bench_sample(a):
    """CPU per sample over RUNS samples (sample.interval 1 s), asking for
    the count on one kept-alive connection (no handshakes in the window)."""
    c = Conn(a.port, context())

    def samples():
        code, _, body = c.request("/v1/status")
        assert code == 200
        return json.loads(body)["samples"]["good"]
    try:
        n0 = samples()
        own0, kids0 = proc_times(a.proc.pid)
        wait(lambda: samples() >= n0 + RUNS, RUNS * 10, "%d samples" % RUNS, step=1.0)
        own1, kids1 = proc_times(a.proc.pid)
        n = samples() - n0
    finally:
        c.close()
    return (own1 - own0) / n, (kids1 - kids0) / n, n


def bench_get(a, gets):
    c = Conn(a.port, context())
    try:
        code, _, body = c.request("/v1/sessions")
        assert code == 200
        size = len(body)
        lat = []
        for _ in range(gets):
            t0 = time.perf_counter()
            code, _, _ = c.request("/v1/sessions")
            lat.append(time.perf_counter() - t0)
            assert code == 200
    finally:
        c.close()
    return statistics.median(lat), size


def measure(lab, a, target):
    wait(lambda: a.get_json("/v1/status")["ring"]["live"] >= target, 120,
         "the agent to track %d sessions" % target)
    st_wall, st_cpu = bench_smbstatus(lab)
    own, kids, n = bench_sample(a)
    get, size = bench_get(a, max(20, GETS * 100 // target))
    print("Samba board, %d real sessions (%s)" % (len(lab.sessions()), SAMBA_BIN))
    print("  smbstatus --json      %7.2f ms wall, %6.2f ms CPU per call (median/mean of %d)"
          % (st_wall * 1e3, st_cpu * 1e3, RUNS))
    print("  agent sample          %7.2f ms CPU of its own, %6.2f ms with its smbstatus"
          " child (mean of %d)" % (own * 1e3, (own + kids) * 1e3, n))
    print("  GET /v1/sessions      %7.2f ms (median, kept-alive TLS, %d bytes)" % (get * 1e3, size))
    with open("/proc/%d/status" % a.proc.pid) as st:
        rss = re.search(r"VmRSS:\s+(\d+) kB", st.read()).group(1)
    print("  agent memory          %s KiB resident (ring of 4,096)" % rss)
    print("  ratios to one smbstatus call: sample own CPU %.3f, sample with child %.2f,"
          " GET latency %.2f (to its wall time)"
          % (own / st_cpu, (own + kids) / st_cpu, get / st_wall), flush=True)


def main():
    lab = Samba()
    a = None
    have = 0
    try:
        for target in SIZES:
            per = (target - have + 4) // 5
            for addr in ADDRS[1:6]:
                lab.smbc(addr, "mail", count=per)
            have += 5 * per
            wait(lambda: len(lab.sessions()) >= target, 60 + target // 10, "%d sessions" % target)
            if a is None:
                a = Agent("--smb-conf", lab.conf, mgmt=True, bin=SAMBA_BIN)
                a.read_until(PROMPT)
                code, body = a.curl("/v1/config", method="PATCH",
                                    data='{"sample.interval":"1s","policy.session_limit":0}')
                assert code == 200, body
            measure(lab, a, target)
    finally:
        if a:
            a.stop()
        lab.close()


if __name__ == "__main__":
    main()
