"""The firmware image booted under QEMU (lm3s6965evb), end to end: its
serial console, settings kept across a restart of QEMU (NV over
semihosting), credentials provisioned on the console, and the management
channel polled with curl and openssl over the forwarded port."""
import os

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
    assert "device certificate stored" in paste("device", os.path.join(CERTS, "device.crt"))
    out = paste("key", os.path.join(CERTS, "device.key"))
    assert "device key stored" in out and "NOT READY" not in out, out
    assert "tls        ready" in FW.cmd("show status")


try:
    for fn in (test_boots_to_the_console, test_settings_survive_a_qemu_restart,
               test_provisioning_on_the_console):
        t.run(fn)
finally:
    if FW:
        FW.stop()
t.done()
