"""`make size BOARD=lm3s6965evb`: the firmware's flash and RAM by component,
from the image's symbols, and the RAM actually used at run time, measured in QEMU
after a full mutual-TLS poll and two settings saves: the TLS pool's high-water mark (from
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
FLASH_SECTIONS = (".text", ".data")  # .data's initial values live in flash too
RAM_SECTIONS = (".data", ".bss")


def component(path):
    """The component an object file or source path belongs to."""
    if "mbedtls" in path:
        return "mbedTLS"
    if "lwip" in path:
        return "lwIP"
    if "/agent/mgmt/" in path:
        return "agent (mgmt)"
    if "/agent/" in path:
        return "agent (core)"
    if "/boards/sim/" in path:
        return "simulator"
    if "/boards/" in path or "/firmware/" in path or "provision_data" in path:
        return "board"
    return "libc"


def sections():
    """{section: (address, size)} of the image."""
    out = subprocess.run(["arm-none-eabi-size", "-A", ELF], capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[0].startswith(".") and p[1].isdigit():
            found[p[0]] = (int(p[2]), int(p[1]))
    return found


def owners():
    """{symbol: [(component, size)]} from the image's object files.

    They are built for link-time optimization with their ordinary code kept
    beside it (-ffat-lto-objects); the ordinary symbol tables name every
    function and variable, static ones included, with the file it is in."""
    fw_dir = os.path.dirname(ELF)
    files = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(fw_dir, "obj"))
             for f in fs if f.endswith(".o")]
    files.append(os.path.join(os.path.dirname(fw_dir), "arm", "libmbedtls.a"))
    out = subprocess.run(["arm-none-eabi-readelf", "-sW"] + files, capture_output=True,
                         text=True, check=True).stdout
    found, where = {}, ""
    for line in out.splitlines():
        if line.startswith("File: "):
            where = line[6:]
            continue
        p = line.split()
        if len(p) == 8 and p[3] in ("FUNC", "OBJECT") and p[6] != "UND":
            found.setdefault(p[7], []).append((component(where), int(p[2])))
    return found


def parse_image():
    """{component: [flash, ram]} and {symbol: (address, size)}.

    The linker's map cannot say which object a link-time optimized section
    came from, so each symbol of the image is put to the object file that
    defines it (its name less the optimizer's suffixes, such as
    .lto_priv.0 or .constprop.0; where two files define the name, the one
    whose size is closest). What no symbol covers (merged string literals,
    switch tables, padding) is a row of its own, so the rows add up to the
    sections' sizes exactly."""
    secs = sections()
    own = owners()
    nm = subprocess.run(["arm-none-eabi-nm", "-S", "-l", "--defined-only", ELF],
                        capture_output=True, text=True, check=True).stdout
    sizes, syms = {}, {}
    for line in nm.splitlines():
        p = line.split()
        if len(p) == 3:
            syms[p[2]] = (int(p[0], 16), 0)
            continue
        if len(p) < 4:
            continue
        addr, size, name = int(p[0], 16), int(p[1], 16), p[3]
        syms[name] = (addr, size)
        base = name.split(".")[0]
        if base in own:
            comp = min(own[base], key=lambda o: abs(o[1] - size))[0]
        elif len(p) > 4:
            comp = component(p[4])  # the C library's, from its line information
        else:
            comp = "unattributed"
        for sec in set(FLASH_SECTIONS + RAM_SECTIONS):
            start, n = secs.get(sec, (0, 0))
            if start <= addr < start + n:
                c = sizes.setdefault(comp, [0, 0])
                if sec in FLASH_SECTIONS:
                    c[0] += size
                if sec in RAM_SECTIONS:
                    c[1] += size
                break
    c = sizes.setdefault("unattributed", [0, 0])
    c[0] += sum(secs.get(sec, (0, 0))[1] for sec in FLASH_SECTIONS) - sum(v[0] for v in sizes.values())
    c[1] += sum(secs.get(sec, (0, 0))[1] for sec in RAM_SECTIONS) - sum(v[1] for v in sizes.values())
    return sizes, syms


def measure(syms):
    """Pool and stack high-water after a mutual-TLS poll and two saves of
    the settings (console, API) in QEMU."""
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
        # the settings saved, from the console and over the API, and shown
        # beside those saved: paths of their own through the stack
        assert "saved" in fw.cmd("save"), "the console's save failed"
        assert "policy.mode" in fw.cmd("show config")  # each line reads the saved settings back
        code, body = fw.curl("/v1/config?save=1", method="PATCH", data="{}")
        assert code == 200, "PATCH /v1/config?save=1: %d %s" % (code, body)
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
    sizes, syms = parse_image()
    pool = syms.get("pool", (0, 0))[1]
    stack_region = syms["_stack_top"][0] - syms["_stack_bottom"][0]
    sizes["agent (mgmt)"][1] -= pool
    print("%-16s %10s %12s" % ("component", "flash", "static RAM"))
    order = ["agent (core)", "agent (mgmt)", "simulator", "lwIP", "mbedTLS", "board", "libc",
             "unattributed"]
    for name in order + sorted(set(sizes) - set(order)):
        if name in sizes:
            print("%-16s %10d %12d" % (name, sizes[name][0], sizes[name][1]))
    flash = sum(v[0] for v in sizes.values())
    static = sum(v[1] for v in sizes.values())
    print("%-16s %10d %12d" % ("sum", flash, static))
    print("TLS pool: %d bytes reserved; stack region: %d bytes (neither counted above)" % (pool, stack_region))
    pool_hw, stack_hw, _ = measure(syms)
    print("measured in QEMU after a mutual-TLS GET /v1/sessions and two settings saves: pool high-water %d, "
          "stack high-water %d"
          % (pool_hw, stack_hw))
    print("total flash=%d ram=%d" % (flash, static + pool_hw + stack_hw))


main()
