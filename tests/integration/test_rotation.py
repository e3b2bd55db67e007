"""Credentials rotated over the API, as a fleet's operator would do it with
curl: a new device certificate, key and client CA are staged with PUT,
looked at with GET and put in force together with POST; an activation that
would not work changes nothing; readers get 403; a connection open across
the change keeps working; afterwards a client of the new CA gets in and one
of the old CA does not, not even by resuming a session of before, and a
restart with the old --tls-* files changes nothing."""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile

from harness import CERTS, PROMPT, Agent, Tap, mint_ca, mint_client_cert

t = Tap()
DIR = tempfile.mkdtemp(prefix="smbw-rot-")
A = Agent(mgmt=True)
A.read_until(PROMPT)

NEW_CA = mint_ca(DIR, "newca", "/O=smbwarden new/CN=smbwarden new CA")
NEW_DEV = mint_client_cert(DIR, "newdev", "/O=smbwarden new/CN=smbwarden", profile="device", ca=NEW_CA)
NEW_OP = mint_client_cert(DIR, "newop", "/O=smbwarden new/OU=operator/CN=operator-2", ca=NEW_CA)
OLD_CA = os.path.join(CERTS, "ca.crt")
OLD_OP = (os.path.join(CERTS, "operator.crt"), os.path.join(CERTS, "operator.key"))
READER = (os.path.join(CERTS, "reader.crt"), os.path.join(CERTS, "reader.key"))
BOTH_CAS = os.path.join(DIR, "both.crt")
with open(BOTH_CAS, "w") as out:
    for name in (OLD_CA, NEW_CA[0]):
        with open(name) as f:
            out.write(f.read())


def curl(path, trust, client, method="GET", upload=None):
    """(curl's exit code, HTTP status, body); upload: a file sent as the body."""
    cmd = ["curl", "-sS", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}", "--cacert", trust,
           "--cert", client[0], "--key", client[1], "-X", method]
    if upload:
        cmd += ["-H", "Content-Type: application/x-pem-file", "--data-binary", "@" + upload]
    r = subprocess.run(cmd + [A.url(path)], capture_output=True, text=True, timeout=30)
    body, _, code = r.stdout.rpartition("\n")
    return r.returncode, int(code or 0), body


def fingerprint(crt):
    out = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1]


def credentials():
    rc, code, body = curl("/v1/credentials", OLD_CA, OLD_OP)
    assert (rc, code) == (0, 200), (rc, code, body)
    return json.loads(body)


class Kept:
    """A keep-alive TLS connection made with the old credentials."""

    ctx = None

    def __init__(self, session=None):
        if not Kept.ctx:  # one context: a session resumes only in its own
            Kept.ctx = ssl.create_default_context(cafile=BOTH_CAS)
            Kept.ctx.load_cert_chain(*OLD_OP)
            Kept.ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        raw = socket.create_connection(("127.0.0.1", A.port), timeout=10)
        self.s = Kept.ctx.wrap_socket(raw, server_hostname="localhost", session=session)

    def get(self, path):
        conn = http.client.HTTPConnection("localhost", A.port, timeout=10)
        conn.sock = self.s  # kept alive across requests
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        return r.status

    def close(self):
        self.s.close()


def test_readers_may_not_touch_credentials():
    assert curl("/v1/credentials", OLD_CA, READER)[1] == 403
    assert curl("/v1/credentials/ca", OLD_CA, READER, "PUT", NEW_CA[0])[1] == 403
    assert curl("/v1/credentials/activate", OLD_CA, READER, "POST")[1] == 403
    assert credentials()["staged"] == {"device": None, "key": None, "ca": None}


def test_bad_uploads_are_refused():
    rc, code, body = curl("/v1/credentials/ca", OLD_CA, OLD_OP, "PUT", NEW_DEV[0])
    assert code == 400 and "not a CA certificate" in body, body
    rc, code, body = curl("/v1/credentials/device", OLD_CA, OLD_OP, "PUT", NEW_CA[0])
    assert code == 400 and "not a server certificate" in body, body
    rc, code, body = curl("/v1/credentials/key", OLD_CA, OLD_OP, "PUT", NEW_CA[0])
    assert code == 400, body
    rc, code, body = curl("/v1/credentials/activate", OLD_CA, OLD_OP, "POST")
    assert code == 409 and "nothing is staged" in body, body


def test_an_activation_that_would_not_work_changes_nothing():
    """A new certificate whose key is not staged would serve with the old
    key: refused, and the old set serves on."""
    assert curl("/v1/credentials/device", OLD_CA, OLD_OP, "PUT", NEW_DEV[0])[1] == 200
    c = credentials()
    assert c["staged"]["device"]["sha256"] == fingerprint(NEW_DEV[0]), c
    assert c["ready"] is False and "does not match" in c["activation"], c
    rc, code, body = curl("/v1/credentials/activate", OLD_CA, OLD_OP, "POST")
    assert code == 409 and "does not match" in body, body
    assert curl("/v1/status", OLD_CA, OLD_OP)[:2] == (0, 200)
    assert credentials()["device"]["sha256"] == fingerprint(os.path.join(CERTS, "device.crt"))


def test_rotate_device_pair_and_ca():
    assert curl("/v1/credentials/key", OLD_CA, OLD_OP, "PUT", NEW_DEV[1])[1] == 200
    assert curl("/v1/credentials/ca", OLD_CA, OLD_OP, "PUT", NEW_CA[0])[1] == 200
    c = credentials()
    assert c["staged"]["key"] == {"state": "present (not shown)"}, c
    assert c["staged"]["ca"]["sha256"] == fingerprint(NEW_CA[0]), c
    assert c["ready"] is True, c
    with open(NEW_DEV[1]) as f:
        secret = "".join(l.strip() for l in f if not l.startswith("-----"))
    assert secret[:24] not in json.dumps(c)
    kept = Kept()
    assert kept.get("/v1/status") == 200
    old_session = kept.s.session
    rc, code, body = curl("/v1/credentials/activate", OLD_CA, OLD_OP, "POST")
    assert (rc, code) == (0, 200) and "in force" in body, (rc, code, body)
    # the connection open across the change keeps working
    assert kept.get("/v1/status") == 200
    kept.close()
    # the new set serves; the old CA's clients are out
    assert curl("/v1/status", NEW_CA[0], NEW_OP)[:2] == (0, 200)
    rc, code, _ = curl("/v1/status", OLD_CA, OLD_OP)
    assert rc != 0 and code == 0, (rc, code)
    rc, code, _ = curl("/v1/status", NEW_CA[0], OLD_OP)
    assert rc != 0 and code == 0, (rc, code)
    # ... even with a session of before: it does not resume
    try:
        late = Kept(session=old_session)
        status = late.get("/v1/status")
        raise AssertionError("an old-CA client got in again (resumed: %s, status %s)"
                             % (late.s.session_reused, status))
    except (ssl.SSLError, ConnectionError, AssertionError) as e:
        if "got in again" in str(e):
            raise
    rc, code, body = curl("/v1/credentials", NEW_CA[0], NEW_OP)
    c = json.loads(body)
    assert c["device"]["sha256"] == fingerprint(NEW_DEV[0]), c
    assert c["ca"]["sha256"] == fingerprint(NEW_CA[0]), c
    assert c["staged"] == {"device": None, "key": None, "ca": None}, c


def test_the_audit_trail_says_who_rotated_what():
    rc, code, body = curl("/v1/events", NEW_CA[0], NEW_OP)
    ev = [e for e in json.loads(body)["events"] if e["type"] == "credentials"]
    activated = [e for e in ev if "activated" in e["message"]]
    assert any(fingerprint(NEW_CA[0]) in e.get("detail", "") and e["cn"] == "operator-1"
               for e in activated), activated
    assert any(fingerprint(NEW_DEV[0]) in e.get("detail", "") for e in activated), activated


def test_a_restart_keeps_the_rotation():
    global A
    A.stop()
    A = Agent(mgmt=True, state=A.state)  # the old --tls-* files again
    A.read_until(PROMPT)
    assert curl("/v1/status", NEW_CA[0], NEW_OP)[:2] == (0, 200)
    assert curl("/v1/status", OLD_CA, OLD_OP)[0] != 0


try:
    for fn in (test_readers_may_not_touch_credentials, test_bad_uploads_are_refused,
               test_an_activation_that_would_not_work_changes_nothing, test_rotate_device_pair_and_ca,
               test_the_audit_trail_says_who_rotated_what, test_a_restart_keeps_the_rotation):
        t.run(fn)
finally:
    A.stop()
    shutil.rmtree(DIR, True)
t.done()
