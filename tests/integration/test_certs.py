"""Credentials provisioned the way an operator does it on a device: pasted
on the console, shown without key material, replaced, and a pre-shared key
for deployments without PKI (openssl s_client -psk)."""
import os
import subprocess

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
    assert "client CA           none" in A.cmd("cert show")
    A.send("cert set key\n")
    A.read_until("-----END line")
    A.send("-----BEGIN EC PRIVATE KEY-----\n\x03")  # ctrl-C cancels the paste
    assert "cancelled" in A.read_until(PROMPT)
    assert "error: 'foo' is not device" in A.cmd("cert set foo")


def test_paste_certificates_on_the_console():
    assert "client CA stored" in paste("ca", os.path.join(CERTS, "ca.crt"))
    assert "device certificate stored" in paste("device", os.path.join(CERTS, "device.crt"))
    out = paste("key", os.path.join(CERTS, "device.key"))
    assert "device key stored" in out and "NOT READY" not in out, out
    code, _ = A.curl("/v1/status")
    assert code == 200
    assert "tls        ready" in A.cmd("show status")


def test_cert_show_prints_no_key_material():
    out = A.cmd("cert show")
    assert "CN=smbwarden" in out and "SHA-256 " in out, out
    assert "device key          present (not shown)" in out, out
    with open(os.path.join(CERTS, "device.key")) as f:
        body = "".join(l for l in f if not l.startswith("-----")).replace("\n", "")
    assert body[:20] not in out
    # the whole fingerprint, as openssl computes it: 32 bytes, never cut
    fp = subprocess.run(["openssl", "x509", "-in", os.path.join(CERTS, "device.crt"), "-noout",
                         "-fingerprint", "-sha256"], capture_output=True, text=True,
                        check=True).stdout.strip().split("=", 1)[1]
    assert len(fp) == 95 and "SHA-256 " + fp in out, (fp, out)


def test_key_must_match_the_certificate():
    out = paste("key", os.path.join(CERTS, "operator.key"))
    assert "does not match" in out, out
    assert A.curl("/v1/status")[0] == 200  # the good key is still in force


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
        assert "device key stored" in out, out
    finally:
        a.stop()


def test_credentials_survive_restart_and_clear():
    global A
    A.stop()
    A = Agent("--mgmt", "127.0.0.1:%d" % PORT, state=A.state)
    A.port = PORT
    A.read_until(PROMPT)
    assert A.curl("/v1/status")[0] == 200
    assert "PSK removed" in A.cmd("cert clear psk")
    assert "PSK                 none" in A.cmd("cert show")
    assert A.curl("/v1/status")[0] == 200


try:
    for fn in (test_not_ready_without_credentials, test_bad_paste_changes_nothing,
               test_paste_certificates_on_the_console, test_cert_show_prints_no_key_material,
               test_key_must_match_the_certificate, test_pre_shared_key,
               test_secrets_are_not_echoed_on_a_terminal, test_credentials_survive_restart_and_clear):
        t.run(fn)
finally:
    A.stop()
t.done()
