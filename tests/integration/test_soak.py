"""Long runs: the three boards under pollers and session churn at once.

- The firmware (the provisioned image) in QEMU at -icount shift=5 (31 MHz,
  below the chip's 50 MHz), sleep=off so idle guest time passes quickly: a
  poller follows the event cursor over TLS, full and resumed handshakes
  mixed, with a second request per connection (status, sessions, metrics),
  while the built-in scenario churns (sessions new, leaked, closed,
  refused at the limit) and console commands come now and then. At the
  end, lwIP's pools and heap (read through QEMU's gdb stub) and the TLS
  pool are back at their baseline, the board never restarted, the poller
  lost no event, uptime and sequence numbers only went up.
- The host agent on a fast churn scenario, and the Samba agent against a
  real smbd with clients coming and going (inside this test's own network
  namespace): resident memory, open descriptors and the TLS pool flat,
  printed as a table over time.

SMBW_SOAK=long (make soak): 10,000 polls and 24 h of guest time, 30 min of
host and Samba; otherwise (make test) 300 polls and 30 min, 2 min. (The
firmware's part runs until both are reached; as sleep=off skips the time
the guest idles, the busier the poller keeps it, the more polls half an
hour of guest time takes: about 1,300 on the development machine.)
SMBW_SOAK_PARTS picks some of "fw host samba" (all by default).
"""
import collections
import http.client
import json
import os
import random
import re
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from samba_lab import ADDRS, USERS, Samba, in_netns

in_netns(os.path.abspath(__file__))

import harness  # noqa: E402 - after the re-run in the namespace
from harness import CERTS, PROMPT, ROOT, Agent, Firmware, Tap, free_port  # noqa: E402

LONG = os.environ.get("SMBW_SOAK") == "long"
FW_POLLS = 10000 if LONG else 300
FW_GUEST_S = 24 * 3600 if LONG else 1800
RUN_S = 30 * 60 if LONG else 120          # host and Samba
ROW_S = 60 if LONG else 10                # a table row this often
FULL_EVERY = 4                            # every 4th connection a full handshake
FW_ELF = os.path.join(os.path.dirname(harness.FW_ELF) + "-prov", "smbwarden.elf")
HOST_BIN = os.path.join(ROOT, "build", "host", "smbwarden")    # plain builds: the
SAMBA_BIN = os.path.join(ROOT, "build", "samba", "smbwarden")  # sanitizers' RSS is not
BANNER = "'help' lists the commands"

t = Tap()
results = {}


class Poller:
    """A management client following the event cursor: each poll is one TLS
    connection (every FULL_EVERY-th a full handshake, else resumed) carrying
    GET /v1/events?since=CURSOR and one more request. Checks that no event
    is lost or repeated and that uptime and event times only go up."""

    def __init__(self, port):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=os.path.join(CERTS, "ca.crt"))
        self.ctx.load_cert_chain(os.path.join(CERTS, "operator.crt"), os.path.join(CERTS, "operator.key"))
        self.session = None
        self.cursor = None
        self.polls = self.full = self.resumed = self.events = 0
        self.uptime = self.event_time = -1
        self.types = collections.Counter()
        self.dropped = 0  # connections dropped before the handshake, retried
        self.others = ["/v1/status", "/v1/sessions", "/metrics"]

    def get(self, conn, path):
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200, (path, r.status, body[:200])
        return body

    def poll(self):
        full = self.polls % FULL_EVERY == 0 or self.session is None
        try:
            self.exchange(full)
        except Exception as e:  # noqa: BLE001 - said with where it happened
            raise AssertionError("poll %d (%s handshake; uptime %d s, %d events): %r" %
                                 (self.polls, "full" if full else "resumed", self.uptime, self.events, e))

    def connect(self, full):
        """The TLS connection. Under QEMU with sleep=off, guest time leaps
        ahead while the guest idles, so a ClientHello that the host is slow
        to deliver can find the board's 2 s lobby wait over: the board drops
        the connection before reading it (its `mgmt` line counts it as
        dropped). Such a drop is retried, and counted."""
        for attempt in range(3):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=120)
            try:
                return self.ctx.wrap_socket(sock, server_hostname="localhost",
                                            session=None if full else self.session)
            except (ssl.SSLEOFError, ConnectionResetError):
                sock.close()
                if attempt == 2:
                    raise
                self.dropped += 1

    def exchange(self, full):
        ss = self.connect(full)
        try:
            assert ss.session_reused != full, "poll %d: resumed=%s, asked full=%s" % (self.polls, ss.session_reused, full)
            self.full += full
            self.resumed += not full
            conn = http.client.HTTPConnection("localhost", self.port, timeout=120)
            conn.sock = ss
            ev = json.loads(self.get(conn, "/v1/events?since=%d" % (self.cursor or 0)))
            seqs = [e["seq"] for e in ev["events"]]
            if self.cursor is not None:  # the first poll starts wherever the log does
                assert ev["lost"] == 0, "poll %d: %d events lost" % (self.polls, ev["lost"])
                assert seqs == list(range(self.cursor + 1, self.cursor + 1 + len(seqs))), (self.cursor, seqs)
            for e in ev["events"]:
                self.types[e["type"]] += 1
                assert e["time_s"] >= self.event_time, ("event time went back", e)
                self.event_time = e["time_s"]
            self.events += len(seqs)
            self.cursor = ev["next"]
            other = self.others[self.polls % len(self.others)]
            body = self.get(conn, other)
            if other == "/v1/status":
                self.status = json.loads(body)
                up = self.status["uptime_s"]
                assert up >= self.uptime, ("uptime went back", self.uptime, up)
                self.uptime = up
            self.session = ss.session
            self.polls += 1
        finally:
            ss.close()


class Console:
    """The firmware's console, counting start-up banners in all it says."""

    def __init__(self, fw):
        self.fw = fw
        self.restarts = 0

    def cmd(self, line):
        out = self.fw.cmd(line)
        self.restarts += out.count(BANNER)
        return out


def console_uptime(a):
    h, m, s = re.search(r"up (\d+):(\d\d):(\d\d)", a.cmd("show status")).groups()
    return int(h) * 3600 + int(m) * 60 + int(s)


def console_pool(a):
    """TLS pool bytes in use, from `show status` (no connection needed)."""
    return int(re.search(r"pool (\d+) of \d+ bytes", a.cmd("show status")).group(1))


LWIP_GDB = r"""
set pagination off
python
import gdb
out = []
pools = gdb.parse_and_eval("memp_pools")
for i in range(int(gdb.parse_and_eval("MEMP_MAX"))):
    d = pools[i]
    free, p = 0, d['tab'].dereference()
    while int(p) != 0:
        free, p = free + 1, p['next']
    out.append("%s=%d" % (str(gdb.parse_and_eval("(memp_t)%d" % i))[5:], int(d['num']) - free))
base, end = int(gdb.parse_and_eval("ram")), int(gdb.parse_and_eval("ram_end"))
mem = gdb.lookup_type("struct mem").pointer()
used = off = 0
while True:
    m = gdb.Value(base + off).cast(mem)
    nxt = int(m['next'])
    if int(m['used']):
        used += nxt - off
    if base + nxt >= end or nxt <= off:
        break
    off = nxt
out.append("HEAP=%d" % used)
print("LWIP " + " ".join(out))
end
"""


def lwip_use(gdb_port):
    """lwIP's pools (elements in use) and heap (bytes in use), read from the
    halted guest through QEMU's gdb stub; the guest runs on after."""
    script = os.path.join(tempfile.gettempdir(), "smbw-lwip-%d.gdb" % os.getpid())
    with open(script, "w") as f:
        f.write(LWIP_GDB)
    r = subprocess.run(["gdb-multiarch", "-q", "-batch", "-nx", "-ex", "target remote 127.0.0.1:%d" % gdb_port,
                        "-x", script, "-ex", "detach", FW_ELF], capture_output=True, text=True, timeout=120)
    os.unlink(script)
    line = [l for l in r.stdout.splitlines() if l.startswith("LWIP ")]
    assert line, (r.stdout[-800:], r.stderr[-800:])
    return dict(kv.split("=") for kv in line[0].split()[1:])


def fw_soak():
    gdb_port = free_port()
    fw = Firmware(elf=FW_ELF, limit_s=8 * 3600 if LONG else 1200,
                  extra=["-icount", "shift=5,sleep=off", "-gdb", "tcp:127.0.0.1:%d" % gdb_port])
    res = results["fw"] = {"rows": []}
    con = None
    try:
        fw.read_until(PROMPT, timeout=120)
        fw.read_until("network:", timeout=120)
        con = Console(fw)
        con.cmd("set policy.mode enforce")  # evictions free places: sessions come and go
        p = Poller(fw.port)
        for _ in range(2 * FULL_EVERY * 4):  # fills the session cache: its entries stay
            p.poll()
        base_pool, base_lwip = console_pool(con), lwip_use(gdb_port)
        res["baseline"] = (base_pool, base_lwip)
        up = start_up = console_uptime(con)
        started = time.monotonic()
        commands = ["show sessions", "show status", "show events", "show config"]
        while p.polls < FW_POLLS or up - start_up < FW_GUEST_S:
            p.poll()
            if p.polls % 25 == 0:
                out = con.cmd(commands[p.polls // 25 % len(commands)])
                assert "error:" not in out, out
            if p.polls % 100 == 0:
                now = console_uptime(con)
                assert now >= up, ("uptime went back", up, now)
                up = now
                res["rows"].append((round(time.monotonic() - started), up - start_up, p.polls, p.full,
                                    p.resumed, p.events, console_pool(con)))
        end_up = console_uptime(con)
        while console_uptime(con) < end_up + 150:  # past TIME_WAIT (2 x TCP_MSL = 120 s)
            time.sleep(0.5)
        res["end"] = (console_pool(con), lwip_use(gdb_port))
        res["poller"] = p
        res["guest_s"] = console_uptime(con) - start_up
        res["restarts"] = con.restarts + fw.buf.count(BANNER)
        res["board_dropped"] = int(re.search(r"(\d+) dropped", con.cmd("show status")).group(1))
    except Exception as e:  # noqa: BLE001 - what the board says goes with it
        said = ""
        try:
            said = con.cmd("show status") if con else ""
        except Exception:  # noqa: BLE001
            said = "(no answer on the console)"
        raise AssertionError("%s\nrestarts seen: %d\nconsole: %s\n%s" %
                             (e, con.restarts if con else -1, fw.buf[-400:], said)) from e
    finally:
        fw.stop()


SCENARIO = """limit 30
idle-source server
every 3s open churn client=WS-CHURN user=CORP\\user hold=7s
every 11s from 2s open leak client=FS-LEAK user=CORP\\svc_leak idle=2h conn=leak
every 5s from 1s open nul client=10.9.8.7 hold=4s
every 13s from 4s open dup client=WS-DUP user=CORP\\dup hold=20s
every 17s from 6s open busy client=WS-BUSY user=CORP\\busy opens=2 hold=30s
every 2s touch busy
"""


def rss_fds(pid):
    with open("/proc/%d/status" % pid) as f:
        rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    return rss, len(os.listdir("/proc/%d/fd" % pid))


def linux_soak(name, agent, churn):
    """Polls agent for RUN_S while churn() makes sessions come and go; a row
    of RSS, descriptors and TLS pool every ROW_S."""
    res = results[name] = {"rows": []}
    p = Poller(agent.port)
    for _ in range(2 * FULL_EVERY * 4):
        p.poll()
    started = next_row = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_row:
            rss, fds = rss_fds(agent.proc.pid)
            res["rows"].append((round(now - started), rss, fds, console_pool(agent), p.polls, p.events))
            next_row += ROW_S
            if now - started >= RUN_S:
                break
        churn()
        p.poll()
        if p.polls % 40 == 0:
            out = agent.cmd(["show sessions", "show status", "show events"][p.polls // 40 % 3])
            assert "error:" not in out, out
        time.sleep(0.1)  # about ten polls a second: the firmware's QEMU has a core to itself
    res["poller"] = p


def host_soak():
    d = tempfile.mkdtemp(prefix="smbw-soak-")
    scen = os.path.join(d, "churn.scn")
    with open(scen, "w") as f:
        f.write(SCENARIO)
    a = Agent("--scenario", scen, mgmt=True, bin=HOST_BIN)
    try:
        a.read_until(PROMPT)
        a.cmd("set policy.mode enforce")
        linux_soak("host", a, lambda: None)
    finally:
        a.stop()


def samba_soak():
    lab = Samba(port=4460)
    a = Agent("--smb-conf", lab.conf, mgmt=True, bin=SAMBA_BIN)
    rng = random.Random(7)
    live = []  # (client process, when it goes)

    def churn():
        now = time.monotonic()
        for c in [c for c in live if c[1] <= now]:
            c[0].terminate()
            c[0].wait()
            live.remove(c)
        if len(live) < 6 and rng.random() < 0.5:
            addr, user = rng.choice(ADDRS[1:]), rng.choice([None, *USERS])
            live.append((lab.smbclient(addr, user), now + rng.uniform(1, 15)))

    try:
        a.read_until(PROMPT)
        a.cmd("set sample.interval 2s")
        a.cmd("set policy.mode enforce")
        linux_soak("samba", a, churn)
        res = results["samba"]
        res["clients"] = len(lab.clients)
    finally:
        for c, _ in live:
            c.terminate()
            c.wait()
        a.stop()
        lab.close()


def flat(rows, col, slack):
    """The last value against the one after warm-up (the second row)."""
    return rows[-1][col] - rows[1][col] <= slack


errors = {}


def run(w, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - reported by its test below
        errors[w] = e


threads = [threading.Thread(target=run, args=(n, f), daemon=True)
           for n, f in (("fw", fw_soak), ("host", host_soak), ("samba", samba_soak))
           if n in os.environ.get("SMBW_SOAK_PARTS", "fw host samba").split()]
for th in threads:
    th.start()
for th in threads:
    th.join()


def test_firmware_long_run():
    if "fw" in errors:
        raise errors["fw"]
    r = results["fw"]
    p = r["poller"]
    print("# firmware: %d polls (%d full, %d resumed), %d events followed, %d s of guest time" %
          (p.polls, p.full, p.resumed, p.events, r["guest_s"]))
    print("# events by type: %s; refusals %d" % (dict(p.types), p.status["refusals"]))
    print("# connections dropped in the lobby before their ClientHello was read, and retried: "
          "%d (the board counted %d)" % (p.dropped, r["board_dropped"]))
    print("# %6s %8s %6s %5s %7s %7s %8s" % ("host s", "guest s", "polls", "full", "resumed", "events", "TLS pool"))
    for row in r["rows"][:: max(1, len(r["rows"]) // 20)] + r["rows"][-1:]:
        print("# %6d %8d %6d %5d %7d %7d %8d" % row)
    print("# baseline: TLS pool %d, lwIP %s" % r["baseline"])
    print("# end:      TLS pool %d, lwIP %s" % r["end"])
    assert p.polls >= FW_POLLS and r["guest_s"] >= FW_GUEST_S
    assert p.full >= FW_POLLS // FULL_EVERY and p.resumed >= FW_POLLS // 2
    assert r["restarts"] == 0, "the board restarted (watchdog?)"
    assert r["end"] == r["baseline"], "not back at the baseline"
    # every retried poll is one the board says it dropped from its lobby,
    # and they stay rare (guest time leaping while the host is slow)
    assert p.dropped <= r["board_dropped"] and p.dropped <= p.polls // 100, (p.dropped, r["board_dropped"])
    for kind in ("seen", "stale", "evicted", "closed"):  # the churn: new, leaked, gone
        assert p.types[kind] > 0, (kind, p.types)
    assert p.status["refusals"] > 0


def linux_table(name):
    if name in errors:
        raise errors[name]
    r = results[name]
    p = r["poller"]
    print("# %s: %d polls (%d full, %d resumed), %d events followed" % (name, p.polls, p.full, p.resumed, p.events))
    print("# events by type: %s" % dict(p.types))
    print("# %6s %9s %4s %8s %6s %7s" % ("s", "RSS KiB", "fds", "TLS pool", "polls", "events"))
    for row in r["rows"]:
        print("# %6d %9d %4d %8d %6d %7d" % row)
    rows = r["rows"]
    assert len(rows) >= 3 and p.dropped == 0  # no leaping clock here: nothing is dropped
    for kind in ("seen", "closed"):
        assert p.types[kind] > 0, (kind, p.types)
    assert flat(rows, 1, 256), "RSS grew"  # KiB
    assert rows[-1][2] == rows[1][2], "descriptors"
    assert rows[-1][3] == rows[1][3], "TLS pool"


def test_host_agent_long_run():
    linux_table("host")


def test_samba_agent_long_run():
    linux_table("samba")
    assert results["samba"]["clients"] >= 10


for name, test in (("fw", test_firmware_long_run), ("host", test_host_agent_long_run),
                   ("samba", test_samba_agent_long_run)):
    if name in os.environ.get("SMBW_SOAK_PARTS", "fw host samba").split():
        t.run(test)
t.done()
