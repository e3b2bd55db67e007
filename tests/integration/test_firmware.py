"""The firmware image booted under QEMU (lm3s6965evb), end to end: its
serial console, settings kept across a restart of QEMU (NV over
semihosting), credentials provisioned on the console, and the management
channel polled with curl and openssl over the forwarded port."""
import json
import os
import socket
import ssl
import subprocess
import tempfile
import time

import harness
from harness import CERTS, PROMPT, Firmware, Tap

t = Tap()
FW = None


def boot(workdir=None):
    fw = Firmware(workdir)
    fw.read_until("'help' lists the commands", timeout=60)
    fw.read_until(PROMPT, timeout=30)
    return fw


def test_boots_to_the_console():
    global FW
    FW = boot()
    out = FW.cmd("show sessions")
    assert "\\\\FS-BACKUP01" in out and "stale  idle" in out and "stale  orphan" in out, out
    assert "10 live (6 stale)" in out, out
    # where they come from: the backup service first, each source with a hint
    out = FW.cmd("show leaks")
    rows = [l for l in out.splitlines() if l.startswith("\\\\")]
    assert rows and rows[0].startswith("\\\\FS-BACKUP01") and "CORP\\svc_backup" in rows[0], out
    assert out.count("  hint: ") == len(rows) and "hint: a dead client" in out, out
    assert "%d source(s)" % len(rows) in out, out


def test_settings_survive_a_qemu_restart():
    global FW
    assert "policy.mode = enforce" in FW.cmd("set policy.mode enforce")
    assert "= 20m" in FW.cmd("set policy.idle_timeout 20m")
    assert "settings saved" in FW.cmd("save")
    workdir = FW.state
    FW.stop()
    FW = boot(workdir)
    out = FW.cmd("show config")
    assert "policy.mode            enforce" in out and "policy.idle_timeout    20m" in out, out


def paste(what, path):
    FW.send("cert set %s\n" % what)
    FW.read_until("-----END line", timeout=20)
    with open(path) as f:
        FW.send(f.read())
    return FW.read_until(PROMPT, timeout=60)


def test_provisioning_on_the_console():
    out = FW.cmd("show status")
    assert "NOT READY" in out, out
    assert "entropy seed stored" in FW.cmd("cert seed " + os.urandom(32).hex())
    assert "client CA stored" in paste("ca", os.path.join(CERTS, "ca.crt"))
    out = paste("device", os.path.join(CERTS, "device.crt"))
    assert "device certificate staged" in out, out
    out = paste("key", os.path.join(CERTS, "device.key"))
    assert "device certificate and key stored, in force together" in out and "NOT READY" not in out, out
    assert "tls        ready" in FW.cmd("show status")
    # the whole fingerprint, as openssl computes it (the console once cut it)
    fp = subprocess.run(["openssl", "x509", "-in", os.path.join(CERTS, "device.crt"), "-noout",
                         "-fingerprint", "-sha256"], capture_output=True, text=True,
                        check=True).stdout.strip().split("=", 1)[1]
    out = FW.cmd("cert show")
    assert "SHA-256 " + fp in out, (fp, out)


def test_exit_says_to_reboot():
    out = FW.cmd("exit")
    assert "'reboot' restarts it" in out, out
    assert "samples " in FW.cmd("show status")  # still running


def until_answered(path, deadline_s=120):
    """Polls path until the board answers (DHCP and the first handshake)."""
    deadline = time.monotonic() + deadline_s
    while True:
        code, body = FW.curl(path)
        if code == 200 or time.monotonic() > deadline:
            return code, body
        time.sleep(0.5)


def test_poll_sessions_and_metrics_over_mutual_tls():
    code, body = until_answered("/v1/sessions")
    assert code == 200, (code, body)
    sessions = json.loads(body)["sessions"]
    # enforce mode (saved above) ends the leaks; the orphan holding a file stays
    assert any(x["reason"] == "orphan" and x["state"] == "stale" for x in sessions), sessions
    code, body = FW.curl("/metrics", role="reader")
    assert code == 200 and "smbwarden_up 1" in body, body
    assert FW.curl("/v1/sessions/1", role="reader", method="DELETE")[0] == 403


def test_delete_shows_on_the_console():
    code, body = FW.curl("/v1/sessions/9", method="DELETE")  # WS-DAVE, no open files
    assert code == 200, body
    deadline = time.monotonic() + 30
    out = ""
    while "ended  evicted" not in out and time.monotonic() < deadline:
        out = FW.cmd("show sessions")
    assert "ended  evicted" in out and "\\WS-DAVE" in out, out


def rationed(fn, deadline_s=30):
    """fn() with a full handshake, tried again while the board's ration of
    full handshakes (MGMT_FULL_HS_*: 4, then one every 3 s) says no."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return fn()
        except (AssertionError, OSError, ssl.SSLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_resumed_session():
    sess = tempfile.mktemp(prefix="smbw-fw-sess-")
    cert = ["-cert", os.path.join(CERTS, "operator.crt"), "-key", os.path.join(CERTS, "operator.key")]
    base = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % FW.port, "-tls1_2",
            "-CAfile", os.path.join(CERTS, "ca.crt"), "-ign_eof", *cert]
    req = b"GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    def full():
        out = subprocess.run(base + ["-sess_out", sess], input=req, capture_output=True, timeout=120).stdout
        assert b"HTTP/1.1 200" in out, out
    rationed(full)
    out = subprocess.run(base + ["-sess_in", sess], input=req, capture_output=True, timeout=120).stdout
    os.unlink(sess)
    assert b"Reused, TLSv1.2" in out and b"HTTP/1.1 200" in out, out
    # the board prefers ChaCha20-Poly1305 (cheaper per byte on the M3) to
    # AES-128-GCM, which openssl offers first
    assert b"Cipher is ECDHE-ECDSA-CHACHA20-POLY1305" in out, out


def test_oversized_record_and_stalled_client_do_not_stop_the_board():
    FW.cmd("set mgmt.request_timeout 3s")
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.maximum_version = ssl.TLSVersion.TLSv1_2
    c.load_verify_locations(os.path.join(CERTS, "ca.crt"))
    c.load_cert_chain(os.path.join(CERTS, "operator.crt"), os.path.join(CERTS, "operator.key"))
    s = rationed(lambda: c.wrap_socket(socket.create_connection(("127.0.0.1", FW.port), timeout=60),
                                       server_hostname="localhost"))
    s.sendall(b"PATCH /v1/config HTTP/1.1\r\nContent-Length: 9000\r\n\r\n" + b"x" * 9000)
    s.settimeout(30)
    try:
        assert s.recv(100) == b""
    except (ConnectionError, ssl.SSLError):
        pass
    s.close()
    assert "mode" in FW.cmd("show status")
    stalled = socket.create_connection(("127.0.0.1", FW.port), timeout=30)
    stalled.sendall(bytes([22, 3, 3, 0, 40]) + b"\x01\x00")  # half a ClientHello, then silence
    assert "mode" in FW.cmd("show status")  # the console answers meanwhile
    code, _ = until_answered("/v1/status", 60)  # the next poll gets through
    assert code == 200
    stalled.close()


NETWORK_TESTS = (test_poll_sessions_and_metrics_over_mutual_tls, test_delete_shows_on_the_console,
                 test_resumed_session, test_oversized_record_and_stalled_client_do_not_stop_the_board)

def test_credentials_built_into_the_image():
    elf = os.path.join(os.path.dirname(harness.FW_ELF) + "-prov", "smbwarden.elf")
    fw = harness.Firmware(elf=elf)
    try:
        out = fw.read_until(PROMPT, timeout=60)
        out += fw.read_until("network:", timeout=60)
        assert "provisioned from the image: entropy seed" in out, out
        deadline = time.monotonic() + 120
        while fw.curl("/v1/status")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert fw.curl("/v1/status")[0] == 200
    finally:
        fw.stop()


NETWORK_TESTS += (test_credentials_built_into_the_image,)

try:
    for fn in (test_boots_to_the_console, test_settings_survive_a_qemu_restart,
               test_provisioning_on_the_console, test_exit_says_to_reboot) + NETWORK_TESTS:
        t.run(fn)
finally:
    if FW:
        FW.stop()
t.done()
