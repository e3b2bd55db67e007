"""`make size BOARD=lm3s6965evb`: the firmware's flash and RAM by component,
from the linker map, and the RAM actually used at run time, measured in QEMU
after a full mutual-TLS poll: the TLS pool's high-water mark (from
/v1/status) and the stack's (the untouched paint left in the stack region,
read through QEMU's monitor). Ends with `total flash=BYTES ram=BYTES`, where
ram = static RAM without the pool and the stack region
      + pool high-water + stack high-water."""
import os
import re
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402

ELF = harness.FW_ELF
MAP = os.path.splitext(ELF)[0] + ".map"
FLASH_SECTIONS = (".text", ".ARM.exidx")
RAM_SECTIONS = (".data", ".bss")


def component(path):
    if "/agent/mgmt/" in path:
        return "agent (mgmt)"
    if "/agent/" in path:
        return "agent (core)"
    if "libmbedtls" in path:
        return "mbedTLS"
    if "lwip" in path:
        return "lwIP"
    if "/boards/sim/" in path:
        return "simulator"
    if "/boards/" in path or "/firmware/" in path:
        return "board"
    return "libc"


def parse_map():
    """{component: [flash, ram]} and the size of the TLS pool symbol."""
    sizes = {}
    out = None
    pending = None
    with open(MAP) as f:
        lines = f.read().split("Linker script and memory map", 1)[1].splitlines()
    for line in lines:
        m = re.match(r"^(\.\S+)\s", line)
        if m:
            out = m.group(1)
            continue
        m = re.match(r"^ (\.\S+|COMMON)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^\s+(?:(\.\S+|COMMON)\s+)?0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)", line)
        if not m or out is None:
            continue
        size, path = int(m.group(3), 16), m.group(4)
        pending = None
        c = sizes.setdefault(component(path), [0, 0])
        if out in FLASH_SECTIONS:
            c[0] += size
        elif out == ".data":
            c[0] += size  # its initial values live in flash too
            c[1] += size
        elif out == ".bss":
            c[1] += size
    nm = subprocess.run(["arm-none-eabi-nm", "-S", ELF], capture_output=True, text=True).stdout
    syms = {}
    for l in nm.splitlines():
        p = l.split()
        if len(p) == 4:
            syms[p[3]] = (int(p[0], 16), int(p[1], 16))
        elif len(p) == 3:
            syms[p[2]] = (int(p[0], 16), 0)
    return sizes, syms


def measure(syms):
    """Pool and stack high-water after a mutual-TLS poll in QEMU."""
    mon = harness.free_port()
    fw = harness.Firmware(extra=["-monitor", "tcp:127.0.0.1:%d,server=on,wait=off" % mon])
    try:
        fw.read_until(harness.PROMPT, timeout=60)
        log = fw.cmd("cert seed " + os.urandom(32).hex())
        for what, name in (("ca", "ca.crt"), ("device", "device.crt"), ("key", "device.key")):
            fw.send("cert set %s\n" % what)
            fw.read_until("-----END line", timeout=20)
            with open(os.path.join(harness.CERTS, name)) as f:
                fw.send(f.read())
            log += fw.read_until(harness.PROMPT, timeout=60)
        deadline = time.monotonic() + 120
        while True:
            code, body = fw.curl("/v1/sessions")
            if code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert code == 200, "no answer from the firmware's management port:\n%s%s" % (log, fw.cmd("show status"))
        status = fw.get_json("/v1/status")
        pool_hw = status["tls"]["pool_high_water"]
        bottom, top = syms["_stack_bottom"][0], syms["_stack_top"][0]
        words = (top - bottom) // 4
        s = socket.create_connection(("127.0.0.1", mon), timeout=10)
        s.sendall(b"xp /%dxw 0x%x\n" % (words, bottom))
        buf = b""
        deadline = time.monotonic() + 20
        while buf.count(b"\n") < words // 4 + 2 and time.monotonic() < deadline:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                buf += s.recv(65536)
            except socket.timeout:
                break
        s.close()
        # lines "ADDR: v v v v"; only the values after the colon count
        values = []
        for line in buf.split(b"\n"):
            if re.match(rb"^[0-9a-f]+:", line):
                values += re.findall(rb"0x([0-9a-f]{8})", line.split(b":", 1)[1])
        untouched = 0
        for v in values:
            if v != b"a5a5a5a5":
                break
            untouched += 4
        return pool_hw, (top - bottom) - untouched, top - bottom
    finally:
        fw.stop()


def main():
    sizes, syms = parse_map()
    pool = syms.get("pool", (0, 0))[1]
    stack_region = syms["_stack_top"][0] - syms["_stack_bottom"][0]
    sizes["agent (mgmt)"][1] -= pool
    print("%-16s %10s %12s" % ("component", "flash", "static RAM"))
    order = ["agent (core)", "agent (mgmt)", "simulator", "lwIP", "mbedTLS", "board", "libc"]
    for name in order + sorted(set(sizes) - set(order)):
        if name in sizes:
            print("%-16s %10d %12d" % (name, sizes[name][0], sizes[name][1]))
    flash = sum(v[0] for v in sizes.values())
    static = sum(v[1] for v in sizes.values())
    print("%-16s %10d %12d" % ("sum", flash, static))
    print("TLS pool: %d bytes reserved; stack region: %d bytes (neither counted above)" % (pool, stack_region))
    pool_hw, stack_hw, _ = measure(syms)
    print("measured in QEMU after a mutual-TLS GET /v1/sessions: pool high-water %d, stack high-water %d"
          % (pool_hw, stack_hw))
    print("total flash=%d ram=%d" % (flash, static + pool_hw + stack_hw))


main()
