"""The Samba board against a real smbd and real clients (smbclient and
libsmbclient), inside a network namespace of its own (samba_lab.py).

One server carries the leak cases the whole time, so the 60 s wait for the
shortest idle timeout is paid once: the tests run in order and build on each
other. The limit and failure cases use servers of their own.
"""
import json
import os
import stat
import subprocess
import tempfile

from samba_lab import SAMBA_BIN, Samba, in_netns, wait

in_netns(os.path.abspath(__file__))

from harness import CONFINE, PROMPT, Agent, Tap, mint_client_cert  # noqa: E402 - after the re-run in the namespace

t = Tap()
LAB = None
A = None
C = {}  # the clients of the leak cases, by role


def agent(samba, *extra, confined=True):
    """The Samba board on samba's server, confined as the systemd unit runs it."""
    a = Agent("--smb-conf", samba.conf, *extra, mgmt=True, bin=SAMBA_BIN,
              wrap=CONFINE if confined else ())
    a.read_until(PROMPT)
    if confined:  # the confinement did take hold
        with open("/proc/%d/status" % a.proc.pid) as f:
            caps = {l.split(":")[0]: int(l.split()[1], 16) for l in f if l.startswith("Cap")}
        assert caps["CapEff"] == caps["CapBnd"] == 0, caps
    return a


def patch(a, **kv):
    code, body = a.curl("/v1/config", method="PATCH",
                        data=json.dumps({k.replace("__", "."): v for k, v in kv.items()}))
    assert code == 200, (code, body)


def listing(a):
    """The agent's live sessions by server session id."""
    return {s["session_id"]: s for s in a.get_json("/v1/sessions")["sessions"]
            if s["state"] != "ended"}


def events(a, since=0):
    return a.get_json("/v1/events?since=%d" % since)["events"]


def of_type(a, kind):
    return [e for e in events(a) if e["type"] == kind]


def test_sessions_match_smbstatus():
    """The management channel on this board: one poll shows what smbstatus
    shows, with each session's serving smbd as its connection."""
    global LAB, A
    LAB = Samba()
    A = agent(LAB)
    patch(A, policy__idle_timeout="60s", policy__dup_idle="30s", policy__null_max_age="10s",
          sample__interval="1s", policy__session_limit=0)
    # An idle leaked session: smbclient at its prompt, echoing every 5 s.
    C["idle"] = LAB.smbclient("127.0.0.2", "backup")
    # A file held open by a client that does nothing else.
    C["holder"] = LAB.smbc("127.0.0.5", "backup", open_file="f.txt")
    # A null session on IPC$, at smbclient's prompt.
    C["null"] = LAB.smbclient("127.0.0.4", share="IPC$")
    for addr in ("127.0.0.2", "127.0.0.4", "127.0.0.5"):
        LAB.wait_client(addr)
    real = {s["id"]: s for s in LAB.sessions()}
    seen = wait(lambda: (lambda l: set(real) <= set(l) and l)(listing(A)), 15,
                "the agent to list smbstatus's sessions")
    for sid, s in real.items():
        mine = seen[sid]
        assert mine["conn_id"] == s["pid"] and mine["client"] == s["client"], (mine, s)
    assert seen[LAB.from_client("127.0.0.4")[0]["id"]]["null"] is True
    held = seen[LAB.from_client("127.0.0.5")[0]["id"]]
    assert held["opens"] == 1 and held["user"] == "backup", held


def test_report_mode_names_the_leaks():
    """Idle (an smbclient that only echoes), duplicate (the older of two
    sessions from one client) and null are reported; nothing is evicted."""
    # Two sessions from 127.0.0.3: a leaked one, and a newer busy one.
    C["dup1"] = LAB.smbc("127.0.0.3", "mail")
    C["dup2"] = LAB.smbc("127.0.0.3", "mail", busy=3)
    LAB.wait_client("127.0.0.3", 2)
    ids = {k: LAB.from_client(a)[0]["id"] for k, a in
           (("idle", "127.0.0.2"), ("null", "127.0.0.4"), ("holder", "127.0.0.5"))}
    ids["dup_a"], ids["dup_b"] = (s["id"] for s in LAB.from_client("127.0.0.3"))

    def reasons(ready):
        l = listing(A)
        r = {k: (l[i]["state"], l[i]["reason"]) for k, i in ids.items() if i in l}
        return r if len(r) == len(ids) and ready(r) else None
    # The busy client's session stays active; the other, leaked, becomes a
    # duplicate at policy.dup_idle (30 s), before anything else changes.
    r = wait(lambda: reasons(lambda r: "stale" in (r["dup_a"][0], r["dup_b"][0])), 60,
             "one of the two sessions from 127.0.0.3 to go stale")
    stale_dups = [k for k in ("dup_a", "dup_b") if r[k][0] == "stale"]
    assert len(stale_dups) == 1 and r[stale_dups[0]][1] == "duplicate", r
    assert r["null"] == ("stale", "null"), r
    assert r["holder"] == ("active", ""), r
    assert r["idle"] == ("active", ""), r
    C["dup_leaked"] = ids[stale_dups[0]]
    # The smbclient at its prompt keeps echoing, and is idle at 60 s.
    r = wait(lambda: reasons(lambda r: r["idle"][0] == "stale"), 60,
             "the echoing smbclient session to go stale")
    assert r["idle"] == ("stale", "idle"), r
    assert r["holder"] == ("active", ""), r
    C["ids"] = ids
    assert not of_type(A, "evict-asked") and not of_type(A, "evicted")
    now = {s["id"] for s in LAB.sessions()}
    assert set(ids.values()) <= now, (ids, now)


def test_enforce_mode_evicts_them():
    """Enforce: the leaked sessions go and smbstatus confirms it; the busy
    duplicate and the session holding a file stay, and so does its smbd."""
    ids = C["ids"]
    holder_pid = LAB.from_client("127.0.0.5")[0]["pid"]
    patch(A, policy__mode="enforce")
    gone = {ids["idle"], ids["null"], C["dup_leaked"]}
    wait(lambda: not gone & {s["id"] for s in LAB.sessions()}, 30,
         "smbstatus to lose the leaked sessions")
    evicted = wait(lambda: gone <= {s["session_id"] for s in A.get_json(
        "/v1/sessions?state=ended")["sessions"] if s["reason"] == "evicted"} and True, 15,
        "the agent to record the evictions")
    assert evicted
    left = {s["id"] for s in LAB.sessions()}
    assert ids["holder"] in left, left
    kept = [k for k in ("dup_a", "dup_b") if ids[k] != C["dup_leaked"]][0]
    assert ids[kept] in left, left
    assert os.path.exists("/proc/%d" % holder_pid)
    assert not of_type(A, "evict-failed"), of_type(A, "evict-failed")


def test_a_leaking_client_tops_show_leaks():
    """A client that leaves session after session behind tops `show leaks`
    (and GET /v1/leaks), with the reasons they went stale with and the
    agent's evictions; a client that logs off after its work, however
    often it comes, never appears."""
    from samba_lab import USERS
    well = ["smbclient", "-s", LAB.conf, "-p", str(LAB.port), "//127.0.0.8/share",
            "-U", "mail%" + USERS["mail"], "-c", "ls"]
    leakers, left = [], set()

    def gone():  # the well-behaved client comes back while the leaks age
        r = subprocess.run(well, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return not left & {s["id"] for s in LAB.sessions()}
    try:
        for _ in range(2):  # two services' worth, one after the other
            leakers.append(LAB.smbc("127.0.0.7", "backup", count=2))
            left |= {s["id"] for s in LAB.wait_client("127.0.0.7", len(left) + 2)}
            r = subprocess.run(well, capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, r.stderr
        wait(gone, 120, "the leaked sessions from 127.0.0.7 to be evicted", step=2)
    finally:  # the later tests find no client of this one's
        for p in leakers:
            p.terminate()
            p.wait(timeout=10)

    def top():
        body = A.get_json("/v1/leaks", role="reader")
        first = body["leaks"][0] if body["leaks"] else {}
        return body if first.get("evicted") == 4 else None
    body = wait(top, 15, "the leak table to count the four evictions")
    first = body["leaks"][0]
    assert (first["client"], first["user"]) == ("127.0.0.7", "backup"), body
    assert first["stale"] == 4 and first["by_reason"]["duplicate"] >= 1, first
    assert first["by_reason"]["duplicate"] + first["by_reason"]["idle"] == 4, first
    assert all(s["client"] != "127.0.0.8" for s in body["leaks"]), body
    out = A.cmd("show leaks")
    rows = [l for l in out.splitlines() if l.startswith("\\\\")]
    assert rows[0].startswith("\\\\127.0.0.7 ") and " backup " in rows[0], out
    assert "127.0.0.8" not in out, out


def test_open_file_never_evicted():
    """Its session is never stale enough to go, and an operator's delete
    without force is refused; the file and its smbd stay."""
    sid = C["ids"]["holder"]
    rec = listing(A)[sid]
    code, body = A.curl("/v1/sessions/%d" % rec["id"], method="DELETE")
    assert code == 409 and "open file" in body, (code, body)
    assert sid in {s["id"] for s in LAB.sessions()}
    files = LAB.status()["open_files"]
    assert any(f["filename"] == "f.txt" for f in files.values()), files


def test_smbd_restart_resyncs():
    """smbd restarted under the running agent: the old sessions are closed,
    not evicted; the clients' new sessions appear; nothing is evicted."""
    before = len(of_type(A, "evict-asked"))
    old = {s["id"] for s in LAB.sessions()}
    LAB.stop_server()
    wait(lambda: not old & set(listing(A)), 20, "the agent to see the server empty")
    LAB.start()
    # The busy libsmbclient client sets up a new session by itself.
    wait(lambda: LAB.from_client("127.0.0.3"), 30, "the busy client to come back")
    new = {s["id"] for s in LAB.sessions()}
    wait(lambda: new <= set(listing(A)), 15, "the agent to list the new sessions")
    ended = {s["session_id"]: s["reason"] for s in A.get_json(
        "/v1/sessions?state=ended")["sessions"]}
    for sid in old:
        assert ended.get(sid) == "closed", (sid, ended.get(sid))
    assert len(of_type(A, "evict-asked")) == before
    A.stop()
    LAB.close()


def test_limit_refuses_then_enforce_lets_in():
    """max smbd processes = 6 admits 4 clients; the fifth is refused. With
    the agent enforcing limit pressure, leaked sessions go and it gets in."""
    lab = Samba(port=4451, extra="  max smbd processes = 6\n")
    a = None
    try:
        for addr in ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"):
            lab.smbc(addr, "mail")
        fifth = ["/usr/bin/python3", "-c",
                 "import smbc,sys; c=smbc.Context(auth_fn=lambda *a: ('','mail','Mail-pw1'));"
                 "c.opendir('smb://127.0.0.6:4451/share').getdents()"]
        r = subprocess.run(fifth, capture_output=True, text=True, timeout=60)
        assert r.returncode != 0, "a fifth client got in past max smbd processes"
        a = agent(lab)
        patch(a, sample__interval="1s", policy__session_limit=4, policy__limit_high=75,
              policy__limit_low=50, policy__limit_min_idle="2s", policy__mode="enforce")
        wait(lambda: len(lab.sessions()) <= 2, 30, "limit pressure to evict sessions")
        r = subprocess.run(fifth, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert of_type(a, "limit-pressure")
    finally:
        if a:
            a.stop()
        lab.close()


WRAPPER = """#!/bin/sh
# smbstatus as told by the file MODE: fine, fail, hang, garbage, notroot or nosmbd.
mode=$(cat "%(mode)s")
case "$mode" in
fail) echo "smbstatus: simulated failure" >&2; exit 3 ;;
hang) exec sleep 600 ;;
garbage) echo '{"timestamp": "2026-01-01T00:00:00+0000", "sessions": {'; exit 0 ;;
notroot) exec setpriv --reuid=65534 --regid=65534 --clear-groups smbstatus "$@" ;;
nosmbd) exec smbstatus -s "%(nosmbd)s" --json ;;  # a server that never ran
esac
exec smbstatus "$@"
"""


def test_smbstatus_failures_are_reported_and_evict_nothing():
    """smbstatus missing, failing, hanging, printing garbage, or run without
    root: each is reported in show status, /v1/status, /metrics and an
    event, and a stale session is not evicted meanwhile."""
    lab = Samba(port=4452)
    d = tempfile.mkdtemp(prefix="smbw-wrap-")
    mode = os.path.join(d, "mode")
    wrapper = os.path.join(d, "smbstatus")
    with open(mode, "w") as f:
        f.write("fine")
    nosmbd = os.path.join(d, "nosmbd.conf")  # state dirs where no smbd ever ran
    with open(nosmbd, "w") as f:
        f.write("[global]\n")
        for key in ("lock directory", "state directory", "cache directory", "private dir",
                    "pid directory", "ncalrpc dir"):
            os.mkdir(os.path.join(d, key.split()[0]))
            f.write("%s = %s\n" % (key, os.path.join(d, key.split()[0])))
    with open(wrapper, "w") as f:
        f.write(WRAPPER % {"mode": mode, "nosmbd": nosmbd})
    os.chmod(wrapper, stat.S_IRWXU)
    # Unconfined: the "notroot" wrapper needs CAP_SETUID to become nobody.
    a = agent(lab, "--smbstatus", wrapper, confined=False)
    try:
        patch(a, sample__interval="1s", policy__null_max_age="10s", policy__session_limit=0)
        lab.smbclient("127.0.0.4", share="IPC$")
        sid = lab.wait_client("127.0.0.4")[0]["id"]
        wait(lambda: listing(a).get(sid, {}).get("reason") == "null", 30, "a stale null session")
        cases = [("fail", "exit status 3: smbstatus: simulated failure"),
                 ("garbage", "bad output"), ("notroot", "only works as root"),
                 ("nosmbd", "smbstatus: %s/lock/locking.tdb not initialised" % d),
                 ("hang", "no answer in 10 s")]
        patch(a, policy__mode="enforce")
        for i, (m, text) in enumerate(cases):
            with open(mode, "w") as f:
                f.write(m)
            st = wait(lambda: (lambda s: text in s["samples"]["last_error"] and s)(
                a.get_json("/v1/status")), 30, "the failure %r" % m)
            assert st["samples"]["last_ok"] is False
            assert "LAST SAMPLE FAILED: " in a.cmd("show status")
            code, metrics = a.curl("/metrics")
            assert "smbwarden_sample_ok 0" in metrics, metrics
            assert sid in {s["id"] for s in lab.sessions()}, "evicted on a failed sample"
        failed = of_type(a, "sample-failed")
        # Each event names its cause: smbstatus's own words first.
        assert failed and "sample failed: smbstatus: exit status 3: smbstatus: simulated" in \
            failed[0]["message"], failed
        assert any("locking.tdb not initialised" in e["message"] for e in failed), failed
        assert not of_type(a, "evict-asked")
        a.stop()
        # Missing: the same, from the start.
        a = agent(lab, "--smbstatus", os.path.join(d, "nonexistent"), confined=False)
        wait(lambda: "program not found" in a.get_json("/v1/status")["samples"]["last_error"],
             15, "the missing smbstatus to be reported")
        a.stop()
        # Fine again: the null session goes (the tests above could fail).
        with open(mode, "w") as f:
            f.write("fine")
        a = agent(lab, "--smbstatus", wrapper, confined=False)
        patch(a, sample__interval="1s", policy__null_max_age="10s", policy__session_limit=0,
              policy__mode="enforce")
        wait(lambda: sid not in {s["id"] for s in lab.sessions()}, 30,
             "the null session to be evicted once samples work")
    finally:
        a.stop()
        lab.close()


def test_client_certificate_dates_are_checked():
    """The Samba board checks a client certificate's dates against the
    host's clock, as the host board does: expired or not yet valid, no
    handshake; valid, in."""
    d = tempfile.mkdtemp(prefix="smbw-dates-")
    for name, dates, want in (("expired", ("20200101000000Z", "20210101000000Z"), 0),
                              ("future", ("20990101000000Z", "20991231000000Z"), 0),
                              ("current", ("20240101000000Z", "20990101000000Z"), 200)):
        crt, key = mint_client_cert(d, name, "/O=smbwarden dev/OU=operator/CN=" + name, dates=dates)
        code, _ = A.curl("/v1/status", role=None, extra=("--cert", crt, "--key", key))
        assert code == want, (name, code)


for fn in (test_sessions_match_smbstatus, test_client_certificate_dates_are_checked,
           test_report_mode_names_the_leaks,
           test_enforce_mode_evicts_them, test_a_leaking_client_tops_show_leaks,
           test_open_file_never_evicted,
           test_smbd_restart_resyncs, test_limit_refuses_then_enforce_lets_in,
           test_smbstatus_failures_are_reported_and_evict_nothing):
    t.run(fn)
if A:
    A.stop()
if LAB:
    LAB.close()
t.done()
