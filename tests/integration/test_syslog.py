"""Events leave the box: the host agent sends its event log to a real
rsyslog started here on 127.0.0.1 with its own configuration, over UDP
(RFC 5426) and TLS (RFC 5425, the collector's certificate checked against
the agent's CA and its address). Every event arrives once, in order, with
its structured data, also when the collector was down for a while."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from harness import CERTS, PROMPT, Agent, Rsyslog, Tap, free_port, mint_ca, mint_client_cert

t = Tap()
DIR = tempfile.mkdtemp(prefix="smbw-syslog-")
UDP, TLS = free_port(), free_port()
COLLECTOR = mint_client_cert(DIR, "collector", "/O=smbwarden dev/CN=collector", profile="device")
FOREIGN_CA = mint_ca(DIR, "foreign", "/O=elsewhere/CN=elsewhere CA")
IMPOSTOR = mint_client_cert(DIR, "impostor", "/O=elsewhere/CN=collector", profile="device", ca=FOREIGN_CA)
with open(os.path.join(DIR, "elsewhere.cnf"), "w") as f:  # our CA's, but for another address
    f.write("[ext]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n"
            "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:collector.example, IP:127.0.0.2\n")
MISNAMED = mint_client_cert(DIR, "misnamed", "/O=smbwarden dev/CN=collector.example",
                            profile=os.path.join(DIR, "elsewhere"))

def received(name):
    """(seq, msgid, sd, msg) of each line rsyslog wrote for one input."""
    path = os.path.join(DIR, name + ".log")
    if not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r'(\S+) (\[smbwarden@32473 [^\n]*?(?<!\\)\]) (.*)$', line.rstrip("\n"))
            assert m, line
            seq = int(re.search(r' seq="(\d+)"', m.group(2)).group(1))
            out.append((seq, m.group(1), m.group(2), m.group(3).lstrip("\ufeff")))
    return out


def wait_for(cond, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def newest_seq():
    return A.get_json("/v1/events?since=0")["next"]


R = Rsyslog(DIR, UDP, TLS, COLLECTOR)
A = Agent(mgmt=True)
A.read_until(PROMPT)


def test_udp_every_event_once_in_order():
    A.cmd("set log.port %d" % UDP)
    A.cmd("set log.server 127.0.0.1")
    A.cmd("set policy.idle_timeout 20m")
    A.cmd("set policy.mode enforce")  # the built-in scenario's leaks are ended
    wait_for(lambda: A.get_json("/v1/status")["evictions"]["requested"] > 0, "nothing was evicted")
    last = newest_seq()
    wait_for(lambda: any(s == last for s, *_ in received("udp")), "UDP events did not arrive")
    got = received("udp")
    seqs = [s for s, *_ in got]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    change = [g for g in got if g[1] == "config-changed" and 'subject="policy.idle_timeout"' in g[2]]
    assert change and 'by="console"' in change[0][2] and 'detail="15m -> 20m"' in change[0][2], got
    assert "policy.idle_timeout" in change[0][3], change
    asked = [g for g in got if g[1] == "evict-asked"]
    assert asked and re.search(r' session="\d+" subject="[^"]+" by="policy"', asked[0][2]), got


def test_udp_collector_down_for_a_while():
    """Linux tells of a refused datagram (ICMP port unreachable) at the next
    send: the agent sends that one again once the collector is back."""
    global R
    R.stop()
    for v in ("16m", "17m", "18m"):
        A.cmd("set policy.idle_timeout " + v)
    wait_for(lambda: not A.get_json("/v1/status")["syslog"]["up"], "the agent did not notice")
    R = Rsyslog(DIR, UDP, TLS, COLLECTOR)
    last = newest_seq()
    wait_for(lambda: any(s == last for s, *_ in received("udp")), "held-back UDP events did not arrive", 30)
    seqs = [s for s, *_ in received("udp")]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    assert any('detail="17m -> 18m"' in g[2] for g in received("udp"))


def test_tls_to_a_verified_collector():
    code, body = A.curl("/v1/config", method="PATCH",
                        data=json.dumps({"log.proto": "tls", "log.port": TLS}))
    assert code == 200, body
    last = newest_seq()
    wait_for(lambda: any(s == last for s, *_ in received("tls")), "TLS events did not arrive")
    tls = received("tls")
    assert any(g[1] == "config-changed" and 'by="api"' in g[2] and 'cn="operator-1"' in g[2]
               for g in tls), tls
    # over both inputs, each event once and in order since log.server was set
    both = [s for s, *_ in received("udp")] + [s for s, *_ in tls]
    assert both == list(range(both[0], both[0] + len(both))), both
    status = A.get_json("/v1/status")["syslog"]
    assert status["up"] and status["lost"] == 0, status


def test_nothing_lost_while_the_collector_is_down():
    global R
    R.stop()
    for v in ("21m", "22m", "23m"):
        A.cmd("set policy.idle_timeout " + v)
    wait_for(lambda: not A.get_json("/v1/status")["syslog"]["up"], "the agent did not notice")
    status = A.get_json("/v1/status")["syslog"]
    R = Rsyslog(DIR, UDP, TLS, COLLECTOR)
    last = newest_seq()
    wait_for(lambda: any(s == last for s, *_ in received("tls")), "events held back did not arrive", 30)
    both = [s for s, *_ in received("udp")] + [s for s, *_ in received("tls")]
    assert both == list(range(both[0], both[0] + len(both))), both
    assert any('detail="22m -> 23m"' in g[2] for g in received("tls"))
    after = A.get_json("/v1/status")["syslog"]
    assert after["failures"] > 0 and after["lost"] == 0 and after["up"], (status, after)


def test_an_impostor_collector_gets_nothing():
    """A collector whose certificate the agent's CA did not issue, or one
    issued for another address, is never sent a message; the agent retries
    and says it is not up."""
    global R
    for cert in (IMPOSTOR, MISNAMED):
        R.stop()
        before = len(received("tls"))
        R = Rsyslog(DIR, UDP, TLS, cert)
        A.cmd("set policy.idle_timeout 24m")
        failures = A.get_json("/v1/status")["syslog"]["failures"]
        wait_for(lambda: A.get_json("/v1/status")["syslog"]["failures"] >= failures + 2,
                 "the agent did not try")
        assert len(received("tls")) == before, cert
        assert not A.get_json("/v1/status")["syslog"]["up"]
        assert "syslog     NOT UP" in A.cmd("show status")
        A.cmd("set policy.idle_timeout 25m")


try:
    for fn in (test_udp_every_event_once_in_order, test_udp_collector_down_for_a_while,
               test_tls_to_a_verified_collector,
               test_nothing_lost_while_the_collector_is_down, test_an_impostor_collector_gets_nothing):
        t.run(fn)
finally:
    A.stop()
    R.stop()
    if os.environ.get("KEEP"):
        print("# kept " + DIR)
    else:
        shutil.rmtree(DIR, True)
t.done()
