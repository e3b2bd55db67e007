"""The nonce-reuse attack on the firmware, repeated: the board has no
entropy source but its NV seed, so an attacker who copies the NV image and
boots it twice gets the same generator twice. Each boot answers one raw
ClientHello; with RFC 6979 nonces the ServerKeyExchange signatures' r
differ (their nonces follow the signed data, never the generator), and the
arrival time mixed into the generator makes the server randoms and ECDHE
shares differ too. Also: a seed built into an image is used once."""
import os
import shutil
import tempfile
import time

import harness
from harness import PROMPT, Tap
from tls_probe import ec_private_key, first_flight, rfc6979_r, signed_digest

t = Tap()
PROV_ELF = os.path.join(os.path.dirname(harness.FW_ELF) + "-prov", "smbwarden.elf")


def boot(workdir):
    fw = harness.Firmware(workdir, elf=PROV_ELF)
    out = fw.read_until(PROMPT, timeout=60)
    out += fw.read_until("network:", timeout=60)
    return fw, out


def flight(fw, client_random):
    deadline = time.monotonic() + 120
    while True:
        try:
            return first_flight("127.0.0.1", fw.port, client_random, timeout=60)
        except (OSError, AssertionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_two_boots_from_one_nv_image_never_share_a_nonce():
    top = tempfile.mkdtemp(prefix="smbw-nonce-")
    try:
        first = os.path.join(top, "first")
        os.mkdir(first)
        fw, out = boot(first)  # provisions from the image, advances the seed
        fw.stop()
        assert "provisioned from the image: entropy seed" in out, out
        seen = []
        d = ec_private_key(os.path.join(harness.CERTS, "device.key"))
        for name in ("copy1", "copy2"):  # the same NV image, booted twice
            shutil.copytree(first, os.path.join(top, name))
            fw, _ = boot(os.path.join(top, name))
            try:
                hello = os.urandom(32)
                f = flight(fw, hello)
                # the nonce is RFC 6979's: a function of the key and the data
                assert f["r"] == rfc6979_r(d, signed_digest(hello, f)), "not an RFC 6979 nonce"
                seen.append(f)
            finally:
                fw.stop()
        a, b = seen
        assert a["r"] != b["r"], "two signatures share a nonce: the device key follows"
        assert a["server_random"] != b["server_random"]
        assert a["ecdhe"] != b["ecdhe"]
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_the_built_in_seed_is_used_once():
    top = tempfile.mkdtemp(prefix="smbw-seed-")
    try:
        fw, out = boot(top)
        try:
            assert "provisioned from the image: entropy seed" in out, out
            assert "entropy seed removed" in fw.cmd("cert clear seed")
            fw.send("reboot\n")
            out = fw.read_until(PROMPT, timeout=60)
            out += fw.read_until("network:", timeout=60)
            assert "provisioned from the image" not in out, out
            status = fw.cmd("show status")
            assert "NOT READY" in status, status  # a new seed is needed
            assert "entropy seed stored" in fw.cmd("cert seed " + os.urandom(32).hex())
            assert "tls        ready" in fw.cmd("show status")
        finally:
            fw.stop()
    finally:
        shutil.rmtree(top, ignore_errors=True)


t.run(test_two_boots_from_one_nv_image_never_share_a_nonce)
t.run(test_the_built_in_seed_is_used_once)
t.done()
