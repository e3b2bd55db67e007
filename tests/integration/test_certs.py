"""Credentials provisioned the way an operator does it on a device: pasted
on the console, shown without key material, replaced, and a pre-shared key
for deployments without PKI (openssl s_client -psk)."""
import os
import re
import subprocess

import harness
from harness import CERTS, PROMPT, Agent, Tap, free_port

t = Tap()
PORT = free_port()
A = Agent("--mgmt", "127.0.0.1:%d" % PORT)  # no --tls-* options: nothing provisioned
A.port = PORT
A.read_until(PROMPT)
PSK_HEX = "00112233445566778899aabbccddeeff"


def paste(what, path):
    A.send("cert set %s\n" % what)
    A.read_until("-----END line")
    with open(path) as f:
        A.send(f.read())
    return A.read_until(PROMPT)


def test_not_ready_without_credentials():
    assert "tls        NOT READY" in A.cmd("show status")
    code, _ = A.curl("/v1/status")
    assert code == 0  # the handshake fails


def test_bad_paste_changes_nothing():
    A.send("cert set ca\n")
    A.read_until("-----END line")
    A.send("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    out = A.read_until(PROMPT)
    assert "error:" in out and "nothing stored" in out, out
    assert re.search(r"client CA +none", A.cmd("cert show"))
    A.send("cert set key\n")
    A.read_until("-----END line")
    A.send("-----BEGIN EC PRIVATE KEY-----\n\x03")  # ctrl-C cancels the paste
    assert "cancelled" in A.read_until(PROMPT)
    assert "error: 'foo' is not device" in A.cmd("cert set foo")


def test_paste_certificates_on_the_console():
    assert "error: not a CA certificate" in paste("ca", os.path.join(CERTS, "operator.crt"))
    assert "client CA stored" in paste("ca", os.path.join(CERTS, "ca.crt"))
    out = paste("device", os.path.join(CERTS, "device.crt"))
    assert "device certificate staged, not in force: there is none in force to pair with" in out, out
    out = A.cmd("cert show")
    assert re.search(r"staged device certificate +subject .*CN=smbwarden\n", out), out
    assert re.search(r"activation +the staged device certificate waits for a device key", out), out
    out = paste("key", os.path.join(CERTS, "device.key"))
    assert "device certificate and key stored, in force together" in out and "NOT READY" not in out, out
    assert "staged " not in A.cmd("cert show")
    code, _ = A.curl("/v1/status")
    assert code == 200
    assert "tls        ready" in A.cmd("show status")


def test_cert_show_prints_no_key_material():
    out = A.cmd("cert show")
    assert "CN=smbwarden" in out and "SHA-256 " in out, out
    assert re.search(r"device key +present \(not shown\)", out), out
    with open(os.path.join(CERTS, "device.key")) as f:
        body = "".join(l for l in f if not l.startswith("-----")).replace("\n", "")
    assert body[:20] not in out
    # the whole fingerprint, as openssl computes it: 32 bytes, never cut
    fp = subprocess.run(["openssl", "x509", "-in", os.path.join(CERTS, "device.crt"), "-noout",
                         "-fingerprint", "-sha256"], capture_output=True, text=True,
                        check=True).stdout.strip().split("=", 1)[1]
    assert len(fp) == 95 and "SHA-256 " + fp in out, (fp, out)


def served_fingerprint():
    r = subprocess.run("openssl s_client -connect 127.0.0.1:%d -tls1_2 -cert %s -key %s </dev/null "
                       "2>/dev/null | openssl x509 -noout -fingerprint -sha256" %
                       (PORT, os.path.join(CERTS, "operator.crt"), os.path.join(CERTS, "operator.key")),
                       shell=True, capture_output=True, text=True, timeout=20)
    return r.stdout.strip()


def test_a_lone_certificate_or_key_is_staged():
    """A certificate or key that does not match the one in force is held
    back, and a certificate no client would accept is refused: the pair in
    force keeps serving (a wrong paste once cut off management)."""
    out = paste("key", os.path.join(CERTS, "operator.key"))
    assert "device key staged, not in force: it does not match the one in force" in out, out
    assert "error: not a server certificate" in paste("device", os.path.join(CERTS, "operator.crt"))
    crt, _ = harness.mint_client_cert(A.state, "device3", "/O=smbwarden/CN=smbwarden-3", profile="device")
    out = paste("device", crt)
    assert "device certificate staged, not in force: it does not match the one in force" in out, out
    assert A.curl("/v1/status")[0] == 200
    assert "tls        ready" in A.cmd("show status")
    out = A.cmd("cert show")
    assert re.search(r"staged device key +present \(not shown\)", out), out
    assert re.search(r"staged device certificate +subject O=smbwarden, CN=smbwarden-3\n", out), out
    assert re.search(r"activation +the staged device certificate does not match the staged device key", out), out
    assert "error:" in A.cmd("cert activate")
    assert A.curl("/v1/status")[0] == 200
    assert "staged credentials removed" in A.cmd("cert clear staged")
    assert "staged " not in A.cmd("cert show")


def test_rotation_on_the_console():
    """A new certificate and key, pasted in either order, go into force
    together; a restart with the old --tls-* files does not undo it."""
    before = served_fingerprint()
    crt, key = harness.mint_client_cert(A.state, "device2", "/O=smbwarden/CN=smbwarden-2",
                                        profile="device")
    out = paste("key", key)
    assert "device key staged" in out, out
    assert A.curl("/v1/status")[0] == 200 and served_fingerprint() == before
    out = paste("device", crt)
    assert "device certificate and key stored, in force together" in out, out
    after = served_fingerprint()
    assert after and after != before, (before, after)
    assert A.curl("/v1/status")[0] == 200


def test_pre_shared_key():
    assert "error:" in A.cmd("cert psk admin poller1 " + PSK_HEX)
    assert "error:" in A.cmd("cert psk operator poller1 12zz")
    assert "PSK stored" in A.cmd("cert psk operator poller1 " + PSK_HEX)
    out = A.cmd("cert show")
    assert "role operator, identity poller1 (key not shown)" in out and PSK_HEX not in out, out
    assert "PSK stored" in A.cmd("cert psk  Operator  poller1 " + PSK_HEX + " ")
    out = A.cmd("cert show")  # a trailing space once showed the key
    assert "role operator, identity poller1 (key not shown)" in out and PSK_HEX not in out, out
    # a refused PSK leaves the one in force working (it once wiped it)
    assert "error:" in A.cmd("cert psk operator poller1 " + PSK_HEX + " extra")
    assert "error:" in A.cmd("cert psk operator poller2 0011")
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % PORT, "-tls1_2",
                        "-psk_identity", "poller1", "-psk", PSK_HEX,
                        "-cipher", "PSK-AES128-GCM-SHA256", "-ign_eof"],
                       input=b"GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                       capture_output=True, timeout=20)
    out = r.stdout.decode("utf-8", "replace")
    assert "HTTP/1.1 200" in out and '"version"' in out, out
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % PORT, "-tls1_2",
                        "-psk_identity", "intruder", "-psk", PSK_HEX,
                        "-cipher", "PSK-AES128-GCM-SHA256", "-ign_eof"],
                       input=b"GET /v1/status HTTP/1.1\r\n\r\n", capture_output=True, timeout=20)
    assert "HTTP/1.1 200" not in r.stdout.decode("utf-8", "replace")


def test_secrets_are_not_echoed_on_a_terminal():
    """A key pasted, a PSK or a seed typed on a terminal never comes back
    on it (serial consoles are logged)."""
    a = Agent(tty=True)
    try:
        a.read_until(PROMPT)
        a.send("cert psk operator poller9 %s\r" % PSK_HEX)
        out = a.read_until(PROMPT)
        assert PSK_HEX[:8] not in out and "poller9 " + "*" * len(PSK_HEX) in out, out
        a.send("cert seed %s\r" % ("ab" * 32))
        out = a.read_until(PROMPT)
        assert "abab" not in out and "*" * 64 in out and "entropy seed stored" in out, out
        a.send("cert set key\r")
        a.read_until("-----END line")
        with open(os.path.join(CERTS, "device.key")) as f:
            pem = f.read()
        a.send(pem.replace("\n", "\r"))
        out = a.read_until(PROMPT)
        body = [l for l in pem.splitlines() if not l.startswith("-----")]
        assert all(l[:16] not in out for l in body), out
        assert "BEGIN EC PRIVATE KEY" not in out and "(line 1)" in out, out
        assert "device key staged" in out, out
    finally:
        a.stop()


def test_a_restart_keeps_console_changes():
    """--tls-* files are imported when new, not at every start: a CA
    replaced on the console (revoking the old CA's clients) stays
    replaced across restarts with the same options."""
    a = Agent(mgmt=True)
    try:
        a.read_until(PROMPT)
        assert a.curl("/v1/status")[0] == 200
        ca2, _ = harness.mint_ca(a.state, "ca2", "/O=smbwarden/CN=other CA")
        a.send("cert set ca\n")
        a.read_until("-----END line")
        with open(ca2) as f:
            a.send(f.read())
        assert "client CA stored" in a.read_until(PROMPT)
        assert a.curl("/v1/status")[0] == 0  # the old CA's clients are out
        a.stop()
        a = Agent(mgmt=True, state=a.state)  # same --tls-* files
        a.read_until(PROMPT)
        assert "CN=other CA" in a.cmd("cert show")
        assert a.curl("/v1/status")[0] == 0
    finally:
        a.stop()


def test_credentials_survive_restart_and_clear():
    global A
    A.stop()
    A = Agent("--mgmt", "127.0.0.1:%d" % PORT, state=A.state)
    A.port = PORT
    A.read_until(PROMPT)
    assert A.curl("/v1/status")[0] == 200
    assert "CN=smbwarden-2" in A.cmd("cert show")
    assert "PSK removed" in A.cmd("cert clear psk")
    assert re.search(r"PSK +none", A.cmd("cert show"))
    assert A.curl("/v1/status")[0] == 200


try:
    for fn in (test_not_ready_without_credentials, test_bad_paste_changes_nothing,
               test_paste_certificates_on_the_console, test_cert_show_prints_no_key_material,
               test_a_lone_certificate_or_key_is_staged, test_rotation_on_the_console,
               test_pre_shared_key,
               test_secrets_are_not_echoed_on_a_terminal, test_a_restart_keeps_console_changes,
               test_credentials_survive_restart_and_clear):
        t.run(fn)
finally:
    A.stop()
t.done()
