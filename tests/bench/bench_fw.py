"""`make bench-fw`: guest instructions for the firmware's work, under QEMU
with -icount shift=0 (one instruction per virtual nanosecond). The profiling
image (FW_PROFILE) times its own polls with SysTick (50 MHz virtual, so one
CPU cycle = 1e9/50e6 instructions) and keeps the last figures in fw_profile,
read here through QEMU's monitor. Prints figures; no thresholds."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402

ELF = harness.FW_ELF
INSN_PER_CYCLE = 1e9 / 50e6  # -icount shift=0: 1 ns an instruction; SysTick at CPU_HZ


def symbol(name):
    out = subprocess.run(["arm-none-eabi-nm", ELF], capture_output=True, text=True).stdout
    for line in out.splitlines():
        p = line.split()
        if p[-1] == name:
            return int(p[0], 16)
    raise SystemExit("no symbol " + name)


def read_profile(mon, addr):
    s = socket.create_connection(("127.0.0.1", mon), timeout=10)
    s.sendall(b"xp /8wx 0x%x\n" % addr)
    buf = b""
    deadline = time.monotonic() + 10
    while b"\n" + (b"%016x" % addr)[-8:] not in buf and time.monotonic() < deadline:
        s.settimeout(1)
        try:
            buf += s.recv(4096)
        except socket.timeout:
            pass
        if len(re.findall(rb"[0-9a-f]+: (?:0x[0-9a-f]{8} ?){4}", buf)) >= 2:
            break
    s.close()
    words = []
    for m in re.finditer(rb"[0-9a-f]+: ((?:0x[0-9a-f]{8} ?){4})", buf):
        words += [int(v, 16) for v in m.group(1).split()]
    return words[:8]


def main():
    mon = harness.free_port()
    addr = symbol("fw_profile")
    fw = harness.Firmware(elf=ELF, extra=["-icount", "shift=0,sleep=off",
                                          "-monitor", "tcp:127.0.0.1:%d,server=on,wait=off" % mon])
    try:
        fw.read_until("network:", timeout=120)
        deadline = time.monotonic() + 300
        n = 0
        while time.monotonic() < deadline:
            code, body = fw.curl("/v1/status")
            if code == 200:
                n = int(re.search(r'"server_sessions":(\d+)', body).group(1))
                if n >= 64:
                    break
            time.sleep(0.5)
        time.sleep(1)  # one more sample with all 64
        sample, handshake, _, request, pass_sample, pass_hs, _, pass_req = read_profile(mon, addr)
        sess = tempfile.mktemp()
        base = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % fw.port, "-tls1_2",
                "-CAfile", os.path.join(harness.CERTS, "ca.crt"), "-ign_eof",
                "-cert", os.path.join(harness.CERTS, "operator.crt"),
                "-key", os.path.join(harness.CERTS, "operator.key")]
        req = b"GET /v1/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        subprocess.run(base + ["-sess_out", sess], input=req, capture_output=True, timeout=120)
        out = subprocess.run(base + ["-sess_in", sess], input=req, capture_output=True, timeout=120).stdout
        resumed_ok = b"Reused" in out
        cipher = re.search(rb"Cipher is (\S+)", out)
        _, _, resumed, request2, _, _, pass_res, pass_req2 = read_profile(mon, addr)
        # a Prometheus scrape: GET /metrics on a resumed connection
        scrape = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        out = subprocess.run(base + ["-sess_in", sess], input=scrape, capture_output=True, timeout=120).stdout
        resumed_ok = resumed_ok and b"Reused" in out and b"smbwarden_" in out
        _, _, resumed3, metrics, _, _, _, _ = read_profile(mon, addr)
        os.unlink(sess)
    finally:
        fw.stop()
    rows = [("one sample of %d sessions (agent_poll)" % n, sample),
            ("full mutual-TLS handshake (ECDHE-ECDSA P-256)", handshake),
            ("resumed handshake (session ticket)%s" % ("" if resumed_ok else " NOT REUSED"), resumed),
            ("one GET /v1/sessions (%d sessions), after the handshake" % n, request2 or request),
            ("a resumed poll: resumed handshake + GET /v1/sessions", resumed + request2),
            ("a Prometheus scrape: resumed handshake + GET /metrics", resumed3 + metrics)]
    print("records: %s" % (cipher.group(1).decode() if cipher else "?"))
    print("%-56s %14s %12s" % ("work", "instructions", "ms @50 MIPS"))
    for name, cycles in rows:
        insn = cycles * INSN_PER_CYCLE
        print("%-56s %14.0f %12.1f" % (name, insn, insn / 50e3))
    print()
    print("longest single pass of the main loop (the watchdog allows 4000 ms):")
    passes = [("during a sample", pass_sample), ("during a full handshake", pass_hs),
              ("during a resumed handshake", pass_res), ("during a GET", pass_req2 or pass_req)]
    for name, cycles in passes:
        insn = cycles * INSN_PER_CYCLE
        print("%-56s %14.0f %12.1f" % (name, insn, insn / 50e3))
    worst = max(c for _, c in passes) * INSN_PER_CYCLE
    print("longest-pass=%d instructions, %.0f ms at 50 MHz, watchdog margin %.1fx" %
          (worst, worst / 50e3, 4000 / (worst / 50e3)))
    print("resumed-poll=%d" % ((resumed + request2) * INSN_PER_CYCLE))


main()
