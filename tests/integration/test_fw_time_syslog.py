"""The firmware learns the date by SNTP from a real NTP server (chrony,
started here on 127.0.0.1:123 in a network namespace of this test's own,
reached from QEMU's user network as 10.0.2.2) and only then checks client
certificates' dates. Before, as the README says, it stamps events with
uptime and accepts an expired certificate on its chain and role alone;
after, an expired or not yet valid one fails its handshake, a valid one
gets in, and events carry the date. Then its events reach a real rsyslog
over UDP (10.0.2.2 from the guest), each once, in order, with the date.
QEMU runs at -icount shift=5 (31 MHz, below the chip's 50 MHz)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

if os.environ.get("SMBW_NETNS") != "1":  # port 123 of a loopback of our own
    os.execvp("unshare", ["unshare", "--net", "--", "sh", "-c",
                          "ip link set lo up && SMBW_NETNS=1 exec \"$0\" \"$1\"",
                          sys.executable, os.path.abspath(__file__)])

import harness  # noqa: E402
from harness import (CERTS, PROMPT, Firmware, Rsyslog, Tap, free_port, mint_client_cert,  # noqa: E402
                     stop_process)

t = Tap()
DIR = tempfile.mkdtemp(prefix="smbw-fwtime-")
OK = (os.path.join(CERTS, "operator.crt"), os.path.join(CERTS, "operator.key"))
EXPIRED = mint_client_cert(DIR, "expired", "/O=smbwarden dev/OU=operator/CN=expired",
                           dates=("20200101000000Z", "20210101000000Z"))
FUTURE = mint_client_cert(DIR, "future", "/O=smbwarden dev/OU=operator/CN=future",
                          dates=("20990101000000Z", "20991231000000Z"))


def udp_bound(port):
    with open("/proc/net/udp") as f:
        return any(l.split()[1].endswith(":%04X" % port) for l in f.readlines()[1:])


class Chrony:
    def __init__(self):
        conf = os.path.join(DIR, "chrony.conf")
        with open(conf, "w") as f:
            f.write("bindaddress 127.0.0.1\nport 123\nallow\nlocal stratum 8\ncmdport 0\n"
                    "pidfile %s/chronyd.pid\ndriftfile %s/drift\n" % (DIR, DIR))
        # -x: serve time, never set this machine's clock; -u root: keep
        # the files above writable
        self.proc = subprocess.Popen(["chronyd", "-d", "-x", "-u", "root", "-f", conf],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not udp_bound(123):
            assert self.proc.poll() is None, self.proc.stdout.read()
            assert time.monotonic() < deadline, "chronyd did not open port 123"
            time.sleep(0.05)

    def stop(self):
        stop_process(self.proc)


def curl(cert, path="/v1/status"):
    r = subprocess.run(["curl", "-sS", "--max-time", "60", "-o", "/dev/null", "-w", "%{http_code}",
                        "--cacert", os.path.join(CERTS, "ca.crt"), "--cert", cert[0], "--key", cert[1],
                        FW.url(path)], capture_output=True, text=True, timeout=90)
    return r.returncode, r.stdout


FW = None
NTP = None


def test_before_the_date_is_known():
    global FW
    FW = Firmware(elf=os.path.join(os.path.dirname(harness.FW_ELF) + "-prov", "smbwarden.elf"),
                  extra=["-icount", "shift=5"])
    FW.read_until(PROMPT, timeout=120)
    out = FW.cmd("show status")
    assert "clock      NOT SET: events stamped with uptime, certificate dates not checked" in out, out
    assert curl(OK) == (0, "200")
    assert curl(EXPIRED) == (0, "200")  # the README's promise, until SNTP answers
    assert '"wall_s":null' in subprocess.run(
        ["curl", "-sS", "--cacert", os.path.join(CERTS, "ca.crt"), "--cert", OK[0], "--key", OK[1],
         FW.url("/v1/status")], capture_output=True, text=True, timeout=90).stdout


def test_sntp_sets_the_clock():
    global NTP
    NTP = Chrony()
    assert "net.ntp = 10.0.2.2" in FW.cmd("set net.ntp 10.0.2.2")
    deadline = time.monotonic() + 60
    while True:
        out = FW.cmd("show status")
        if "clock      20" in out:
            break
        assert time.monotonic() < deadline, out
        time.sleep(1)
    shown = out.split("clock      ", 1)[1][:20]
    when = time.mktime(time.strptime(shown, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert abs(when - time.time()) < 120, (shown, time.time())


def test_dates_are_checked_once_known():
    assert curl(OK) == (0, "200")
    rc, code = curl(EXPIRED)
    assert rc != 0 and code == "000", (rc, code)
    rc, code = curl(FUTURE)
    assert rc != 0 and code == "000", (rc, code)
    FW.cmd("set policy.idle_timeout 20m")
    out = FW.cmd("show events 1")
    assert re.search(r"#\d+ +20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ +config-changed", out), out


def test_events_reach_a_collector_over_udp():
    global LOG
    udp = free_port()
    LOG = Rsyslog(DIR, udp, free_port(), mint_client_cert(DIR, "collector", "/CN=collector", profile="device"))
    FW.cmd("set log.port %d" % udp)
    FW.cmd("set log.server 10.0.2.2")
    for v in ("21m", "22m", "23m"):
        FW.cmd("set policy.idle_timeout " + v)
    path = os.path.join(DIR, "udp.log")
    deadline = time.monotonic() + 60
    while not (os.path.exists(path) and "22m -> 23m" in open(path, encoding="utf-8").read()):
        assert time.monotonic() < deadline, "no syslog from the firmware"
        time.sleep(0.5)
    lines = open(path, encoding="utf-8").read().splitlines()
    seqs = [int(re.search(r' seq="(\d+)"', l).group(1)) for l in lines]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    assert all('clock="wall"' in l for l in lines), lines
    assert 'subject="log.server" by="console" detail="off -> 10.0.2.2"' in lines[0], lines
    assert "syslog     up;" in FW.cmd("show status")


LOG = None
try:
    for fn in (test_before_the_date_is_known, test_sntp_sets_the_clock, test_dates_are_checked_once_known,
               test_events_reach_a_collector_over_udp):
        t.run(fn)
finally:
    if FW:
        FW.stop()
    if NTP:
        NTP.stop()
    if LOG:
        LOG.stop()
    shutil.rmtree(DIR, True)
t.done()
