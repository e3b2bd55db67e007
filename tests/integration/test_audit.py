"""The audit trail on the host agent with real clients: every change says
who made it (the console, or the API with the client certificate's CN and
role) and what exactly (a setting's old and new value, a forced delete and
the files it closes, a credential's fingerprint), stamped with wall time;
the log survives a restart with its numbers, and numbering goes on, so a
poller's cursor stays valid."""
import calendar
import json
import os
import re
import subprocess
import time

from harness import CERTS, PROMPT, Agent, Tap

t = Tap()
A = Agent(mgmt=True)
A.read_until(PROMPT)


def events(since=0):
    return A.get_json("/v1/events?since=%d" % since)["events"]


def last(kind, evs=None):
    found = [e for e in (evs or events()) if e["type"] == kind]
    assert found, (kind, evs)
    return found[-1]


def wall_ok(e):
    assert e["clock"] == "wall", e
    stamp = calendar.timegm(time.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ"))
    assert stamp == e["time_s"] and abs(stamp - time.time()) < 300, e


def test_api_change_names_the_operator_and_both_values():
    code, body = A.curl("/v1/config", method="PATCH", data='{"policy.idle_timeout":"2h"}')
    assert code == 200, body
    e = last("config-changed")
    assert e["subject"] == "policy.idle_timeout", e
    assert e["by"] == "api" and e["cn"] == "operator-1" and e["role"] == "operator", e
    assert e["detail"] == "15m -> 2h", e
    assert e["message"] == "policy.idle_timeout changed: 15m -> 2h [by api operator-1]", e
    wall_ok(e)


def test_console_change_names_the_console():
    A.cmd("set policy.idle_timeout 30m")
    e = last("config-changed")
    assert e["by"] == "console" and "cn" not in e and e["detail"] == "2h -> 30m", e
    wall_ok(e)
    shown = A.cmd("show events 1")
    assert re.search(r"#%d +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  config-changed  "
                     r"policy.idle_timeout changed: 2h -> 30m \[by console\]" % e["seq"], shown), shown


def test_forced_delete_is_an_operators_act():
    code, body = A.curl("/v1/sessions/8?force=1", method="DELETE")  # WS-ALICE, open files
    assert code == 200, body
    e = last("evict-asked")
    assert e["session"] == 8 and e["by"] == "api" and e["cn"] == "operator-1", e
    assert "(forced)" in e["message"] and re.match(r"\d+ open file\(s\)", e["detail"]), e
    assert int(e["detail"].split()[0]) > 0, e


def test_credential_change_has_its_fingerprint():
    with open(os.path.join(CERTS, "ca.crt")) as f:
        pem = f.read()
    A.send("cert set ca\n")
    A.read_until("ctrl-C cancels")
    A.send(pem)
    A.read_until(PROMPT)
    e = last("credentials")
    fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
                         os.path.join(CERTS, "ca.crt")], capture_output=True, text=True,
                        check=True).stdout.strip().split("=", 1)[1]
    assert e["subject"] == "client CA" and e["by"] == "console", e
    assert e["detail"] == "SHA-256 " + fp[:len(e["detail"]) - 8], (e, fp)
    assert len(e["detail"]) > 40 and "stored" in e["message"], e


def test_log_survives_restart_and_numbers_go_on():
    global A
    before = events()
    cursor = before[-1]["seq"]
    A.stop()
    A = Agent(mgmt=True, state=A.state)
    A.read_until(PROMPT)
    after = A.get_json("/v1/events?since=0")
    kept = {e["seq"]: e for e in after["events"]}
    routine = [e for e in before if e["type"] in ("seen", "closed")]
    assert routine and len(routine) < len(before), before
    for e in before:  # every event but a session seen or closed comes back with its number and text
        assert kept.get(e["seq"]) == (None if e in routine else e), (e, kept.get(e["seq"]))
    assert after["lost"] == len(routine), (after["lost"], routine)  # told of each
    resumed = A.get_json("/v1/events?since=%d" % cursor)
    assert resumed["lost"] == 0, resumed
    boot = resumed["events"][0]
    assert boot["type"] == "boot" and boot["seq"] == cursor + 1, resumed
    # the console shows the old events too
    assert "[by api operator-1]" in A.cmd("show events 100")


try:
    for fn in (test_api_change_names_the_operator_and_both_values,
               test_console_change_names_the_console,
               test_forced_delete_is_an_operators_act,
               test_credential_change_has_its_fingerprint,
               test_log_survives_restart_and_numbers_go_on):
        t.run(fn)
finally:
    A.stop()
t.done()
