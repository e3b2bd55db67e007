"""The management channel with real clients on 127.0.0.1: curl for every
endpoint, role and error code; openssl s_client for refused certificates and
session resumption; Python's ssl for abusive clients (oversized records,
stalled requests and handshakes, too many connections). The console must keep
answering throughout."""
import json
import os
import socket
import ssl
import subprocess
import tempfile
import time

from harness import CERTS, PROMPT, Agent, Tap

t = Tap()
A = Agent(mgmt=True)
A.read_until(PROMPT)


def ctx(role="operator"):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.maximum_version = ssl.TLSVersion.TLSv1_2
    c.load_verify_locations(os.path.join(CERTS, "ca.crt"))
    if role:
        c.load_cert_chain(os.path.join(CERTS, role + ".crt"), os.path.join(CERTS, role + ".key"))
    return c


def tls_conn(role="operator"):
    s = socket.create_connection(("127.0.0.1", A.port), timeout=10)
    return ctx(role).wrap_socket(s, server_hostname="localhost")


def read_response(s):
    """Reads one chunked (or close-delimited) response; returns (status, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise AssertionError("closed before the headers: %r" % buf)
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    body = b""
    while True:
        while b"\r\n" not in rest:
            rest += s.recv(4096)
        size, _, rest = rest.partition(b"\r\n")
        n = int(size, 16)
        while len(rest) < n + 2:
            rest += s.recv(4096)
        body += rest[:n]
        rest = rest[n + 2:]
        if n == 0:
            return status, body


def closed_within(s, seconds):
    """True if the peer closes s within seconds (reading any bytes first)."""
    s.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not s.recv(4096):
                return True
    except (ConnectionError, ssl.SSLError):
        return True
    except socket.timeout:
        return False
    return False


def console_answers():
    assert "mode" in A.cmd("show status")


def status():
    return A.get_json("/v1/status")


# ---- endpoints and roles ---------------------------------------------------

def test_status():
    s = status()
    assert s["version"] and s["mode"] == "report", s
    assert s["ring"]["capacity"] == 64 and s["server_sessions"] == 10, s
    assert s["tls"]["ready"] and s["tls"]["pool_high_water"] > 0, s
    assert s["connections"]["max"] >= 1, s


def test_sessions_and_filters():
    all_ = A.get_json("/v1/sessions")["sessions"]
    assert len(all_) == 10, all_
    one = all_[0]
    for k in ("id", "session_id", "conn_id", "client", "user", "null", "guest", "client_type",
              "opens", "connected_s", "idle_s", "idle_source", "state", "reason"):
        assert k in one, (k, one)
    stale = A.get_json("/v1/sessions?state=stale")["sessions"]
    assert len(stale) == 6 and {x["reason"] for x in stale} == {"idle", "null", "orphan"}, stale
    assert len(A.get_json("/v1/sessions?state=active")["sessions"]) == 4
    assert A.get_json("/v1/sessions?state=ended")["sessions"] == []
    code, body = A.curl("/v1/sessions?state=bogus")
    assert code == 400 and "state must be" in json.loads(body)["error"], body
    s1 = A.get_json("/v1/sessions/1")
    assert s1["id"] == 1 and s1["client"] == "FS-BACKUP01", s1
    assert A.curl("/v1/sessions/999")[0] == 404
    assert A.curl("/v1/sessions/abc")[0] == 404


def test_events_cursor():
    e = A.get_json("/v1/events?since=0")
    assert e["lost"] == 0 and e["events"][0]["type"] == "boot", e
    assert any(x["type"] == "stale" for x in e["events"])
    nxt = e["next"]
    again = A.get_json("/v1/events?since=%d" % nxt)
    assert again["events"] == [] and again["next"] == nxt, again
    assert A.curl("/v1/events?since=x")[0] == 400


def test_config_and_metrics():
    c = A.get_json("/v1/config")
    assert c["policy.mode"] == "report" and c["policy.idle_timeout"] == "15m", c
    code, body = A.curl("/metrics")
    assert code == 200 and "smbwarden_up 1" in body, body
    assert 'smbwarden_stale_sessions{reason="idle"} 3' in body, body
    assert "session_id" not in body  # never a label per session


def test_reader_reads_but_may_not_act():
    assert A.curl("/v1/status", role="reader")[0] == 200
    assert A.curl("/metrics", role="reader")[0] == 200
    assert A.curl("/v1/sessions/1", role="reader", method="DELETE")[0] == 403
    assert A.curl("/v1/clients/WS-ALICE", role="reader", method="DELETE")[0] == 403
    code, body = A.curl("/v1/config", role="reader", method="PATCH", data='{"policy.mode":"enforce"}')
    assert code == 403, body
    assert A.get_json("/v1/config")["policy.mode"] == "report"


def test_http_errors():
    code, body = A.curl("/v1/status", method="POST", data="{}")
    assert code == 405, body
    code, _ = A.curl("/nope")
    assert code == 404
    code, _ = A.curl("/v1/config", method="PATCH", data="{" + '"a":"' + "x" * 1500 + '"}')
    assert code == 413
    code, _ = A.curl("/v1/" + "x" * 300)
    assert code == 414
    code, _ = A.curl("/v1/status", extra=["-H", "X-Big: " + "y" * 600])
    assert code == 431
    s = tls_conn()
    s.sendall(b"GARBAGE\r\n\r\n")
    st, body = read_response(s)
    assert st == 400 and b"error" in body, (st, body)
    assert closed_within(s, 5)
    s.close()


def test_keep_alive_many_requests():
    s = tls_conn()
    for _ in range(20):
        s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
        st, body = read_response(s)
        assert st == 200 and json.loads(body)["version"]
    s.sendall(b"GET /v1/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    st, body = read_response(s)
    assert st == 200 and len(json.loads(body)["sessions"]) == 10
    assert closed_within(s, 5)
    s.close()


# ---- acting ----------------------------------------------------------------

def test_patch_config_all_or_nothing():
    code, body = A.curl("/v1/config", method="PATCH",
                        data='{"policy.dup_idle":"7m","policy.idle_timeout":"5x"}')
    assert code == 400 and "policy.idle_timeout" in json.loads(body)["error"], body
    assert A.get_json("/v1/config")["policy.dup_idle"] == "5m"
    code, body = A.curl("/v1/config", method="PATCH", data='{"policy.nope":1}')
    assert code == 400 and "unknown key" in body, body
    code, body = A.curl("/v1/config", method="PATCH", data='{"policy.limit_low":90}')
    assert code == 400 and "limit_low" in body, body
    code, body = A.curl("/v1/config", method="PATCH", data="[1,2]")
    assert code == 400, body
    code, body = A.curl("/v1/config", method="PATCH",
                        data='{"policy.dup_idle":"7m","policy.evict_orphans":false,"mgmt.request_timeout":2}')
    assert code == 200 and json.loads(body)["policy.dup_idle"] == "7m", body
    assert "policy.dup_idle        7m" in A.cmd("show config")


def test_delete_rules():
    code, body = A.curl("/v1/sessions/8", method="DELETE")  # WS-ALICE: open files
    assert code == 409 and "open file" in json.loads(body)["error"], body
    code, body = A.curl("/v1/sessions/1", method="DELETE")
    assert code == 200 and "end requested" in json.loads(body)["result"], body
    deadline = time.monotonic() + 10
    while A.get_json("/v1/sessions/1")["state"] != "ended" and time.monotonic() < deadline:
        time.sleep(0.1)
    s1 = A.get_json("/v1/sessions/1")
    assert s1["state"] == "ended" and s1["reason"] == "evicted", s1
    code, body = A.curl("/v1/clients/APP-SCAN02", method="DELETE")
    assert code == 200, body
    assert A.curl("/v1/clients/NOBODY", method="DELETE")[0] == 404
    code, body = A.curl("/v1/sessions/8?force=1", method="DELETE")
    assert code == 200, body
    assert "evicted" in A.cmd("show events 10")


# ---- TLS with openssl s_client ----------------------------------------------

def s_client(*args, stdin=b"GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"):
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % A.port, "-tls1_2",
           "-CAfile", os.path.join(CERTS, "ca.crt"), "-ign_eof", *args]
    r = subprocess.run(cmd, input=stdin, capture_output=True, timeout=20)
    return r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")


def test_no_client_certificate_is_refused():
    before = status()["tls"]["failures"]
    out = s_client()
    assert "HTTP/1.1 200" not in out, out
    assert status()["tls"]["failures"] > before
    # the client is told why (an alert), not left with a connection reset
    r = subprocess.run(["curl", "-sS", "--cacert", os.path.join(CERTS, "ca.crt"), A.url("/v1/status")],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and "alert handshake failure" in r.stderr, r.stderr


def test_certificate_from_another_ca_is_refused():
    out = s_client("-cert", os.path.join(CERTS, "stranger.crt"),
                   "-key", os.path.join(CERTS, "stranger.key"))
    assert "HTTP/1.1 200" not in out, out
    code, _ = A.curl("/v1/status", role="stranger")
    assert code == 0


def test_session_resumption():
    sess = tempfile.mktemp(prefix="smbw-sess-")
    cert = ["-cert", os.path.join(CERTS, "operator.crt"), "-key", os.path.join(CERTS, "operator.key")]
    out = s_client(*cert, "-sess_out", sess)
    assert "HTTP/1.1 200" in out and "New, TLSv1.2" in out, out
    before = status()["tls"]["resumed"]
    out = s_client(*cert, "-sess_in", sess)
    os.unlink(sess)
    assert "Reused, TLSv1.2" in out and "HTTP/1.1 200" in out, out
    assert status()["tls"]["resumed"] == before + 1
    # curl resumes by session id (it offers no ticket): the cache serves it
    before = status()["tls"]["resumed"]
    r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-o", "/dev/null", "-H", "Connection: close",
                        "--cacert", os.path.join(CERTS, "ca.crt"),
                        "--cert", os.path.join(CERTS, "operator.crt"),
                        "--key", os.path.join(CERTS, "operator.key"),
                        A.url("/v1/status"), A.url("/v1/status")], capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert status()["tls"]["resumed"] == before + 1


GET_STATUS = b"GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def resume_and_ask(c, first, again, cipher=None):
    """Sends `first` over a full handshake with context c (answered 200; the
    suite cipher, if given), then `again` over a resumption of that session;
    returns the second answer's status once the agent has counted the
    resumption."""
    with c.wrap_socket(socket.create_connection(("127.0.0.1", A.port), timeout=10),
                       server_hostname="localhost") as s:
        assert cipher is None or s.cipher()[0] == cipher, s.cipher()
        s.sendall(first)
        assert read_response(s)[0] == 200
        sess = s.session
    before = status()["tls"]["resumed"]
    with c.wrap_socket(socket.create_connection(("127.0.0.1", A.port), timeout=10),
                       server_hostname="localhost", session=sess) as s:
        assert s.session_reused
        s.sendall(again)
        code = read_response(s)[0]
    assert status()["tls"]["resumed"] == before + 1
    return code


def test_resumed_sessions_keep_their_role():
    """A resumed session brings no certificate: its role comes from the
    ticket, or from the cache entry of its session id (curl). After
    resuming, an operator may still change settings and a reader still may
    not."""
    auth = ["--cacert", os.path.join(CERTS, "ca.crt")]
    for role, want in (("operator", 200), ("reader", 403)):
        patch = (b"PATCH /v1/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
        assert resume_and_ask(ctx(role), GET_STATUS, patch) == want, role
        mine = auth + ["--cert", os.path.join(CERTS, role + ".crt"), "--key", os.path.join(CERTS, role + ".key"),
                       "-sS", "-o", "/dev/null", "-w", "%{http_code} ", "-H", "Connection: close"]
        before = status()["tls"]["resumed"]
        r = subprocess.run(["curl", *mine, A.url("/v1/status"), "--next", *mine, "-X", "PATCH",
                            "-H", "Content-Type: application/json", "--data-binary", "{}", A.url("/v1/config")],
                           capture_output=True, text=True, timeout=20)
        assert r.stdout.split() == ["200", str(want)], (role, r.stdout, r.stderr)
        assert status()["tls"]["resumed"] == before + 1, role


def test_record_ciphers():
    """AES-128-GCM by preference on this board (AES-NI), ChaCha20-Poly1305
    for a client that asks for it; a ticket from a ChaCha session resumes."""
    with tls_conn() as s:
        assert s.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256", s.cipher()
    c = ctx()
    c.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305")
    sessions = b"GET /v1/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert resume_and_ask(c, sessions, GET_STATUS, cipher="ECDHE-ECDSA-CHACHA20-POLY1305") == 200


# ---- abusive clients ------------------------------------------------------------

def test_record_larger_than_the_input_buffer():
    s = tls_conn()
    s.sendall(b"PATCH /v1/config HTTP/1.1\r\nHost: x\r\nContent-Length: 12000\r\n\r\n" + b"x" * 12000)
    assert closed_within(s, 5), "an oversized record did not close the connection"
    s.close()
    raw = socket.create_connection(("127.0.0.1", A.port), timeout=5)
    raw.sendall(bytes([22, 3, 3, 0x48, 0x00]) + b"\x01" * 100)  # claims 18 KiB
    assert closed_within(raw, 5)
    raw.close()
    assert status()["version"]
    console_answers()


def test_half_a_request_then_silence():
    s = tls_conn()
    s.sendall(b"GET /v1/status HTTP/1.1\r\nHo")
    assert status()["connections"]["open"] >= 2  # others are served meanwhile
    console_answers()
    assert closed_within(s, 8), "a stalled request was not closed"  # mgmt.request_timeout 2s
    s.close()
    raw = socket.create_connection(("127.0.0.1", A.port), timeout=5)  # says nothing
    assert closed_within(raw, 8)
    raw.close()
    st = status()["connections"]
    assert st["timeouts"] >= 1 and st["dropped"] >= 1, st


def test_more_connections_than_the_limit():
    """Every slot held by an idle kept-alive client: a silent newcomer waits
    in the lobby and is dropped; a real client still gets served, taking
    the slot of the longest-idle connection."""
    limit = status()["connections"]["max"]
    held = [tls_conn() for _ in range(limit)]
    for s in held:  # each completes a request, so each holds a slot
        s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s)[0] == 200
    extra = socket.create_connection(("127.0.0.1", A.port), timeout=5)
    assert closed_within(extra, 5), "a silent connection beyond the limit was not closed"
    extra.close()
    console_answers()
    time.sleep(1.1)  # the held connections are idle past the grace
    st = status()  # a new client is served: an idle one gave way
    assert st["connections"]["dropped"] >= 1 and st["connections"]["evicted"] >= 1, st
    for s in held:
        s.close()
    code, body = A.curl("/metrics")
    assert "smbwarden_connections_dropped_total" in body
    assert "smbwarden_connections_evicted_total" in body


def test_saved_settings_survive_restart():
    code, body = A.curl("/v1/config?save=1", method="PATCH", data='{"policy.mode":"enforce"}')
    assert code == 200, body
    A.stop()
    b = Agent(mgmt=True, state=A.state)
    try:
        b.read_until(PROMPT)
        assert b.get_json("/v1/config")["policy.mode"] == "enforce"
    finally:
        b.stop()


try:
    for fn in (test_status, test_sessions_and_filters, test_events_cursor, test_config_and_metrics,
               test_reader_reads_but_may_not_act, test_http_errors, test_keep_alive_many_requests,
               test_patch_config_all_or_nothing, test_delete_rules,
               test_no_client_certificate_is_refused, test_certificate_from_another_ca_is_refused,
               test_session_resumption, test_resumed_sessions_keep_their_role, test_record_ciphers,
               test_record_larger_than_the_input_buffer,
               test_half_a_request_then_silence, test_more_connections_than_the_limit,
               test_saved_settings_survive_restart):
        t.run(fn)
finally:
    A.stop()
t.done()
