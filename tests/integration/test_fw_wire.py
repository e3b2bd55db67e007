"""Numbers on the wire an attacker on the LAN must not predict, read from a
packet dump of the firmware under QEMU: TCP initial sequence numbers (RFC
6528, not lwIP's counter 6510, 6511, ...) and the DHCP transaction id (not
lwIP's 0xABCD0001)."""
import os
import socket
import struct
import tempfile
import time

import harness
from harness import PROMPT, Tap

t = Tap()


def frames(path):
    """The Ethernet frames of a pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"), "not a pcap file"
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    i = 24
    while i + 16 <= len(data):
        n = struct.unpack(endian + "I", data[i + 8:i + 12])[0]
        yield data[i + 16:i + 16 + n]
        i += 16 + n


def ipv4(frame):
    """(protocol, payload) of an IPv4 frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 15) * 4
    return frame[23], frame[14 + ihl:]


def syn_acks(path):
    """Sequence numbers of the SYN-ACKs the board sent from port 8443."""
    out = []
    for f in frames(path):
        p = ipv4(f)
        if p and p[0] == 6 and len(p[1]) >= 20:
            sport, _, seq = struct.unpack(">HHI", p[1][:8])
            if sport == 8443 and p[1][13] & 0x12 == 0x12:
                out.append(seq)
    return out


def dhcp_xids(path):
    out = []
    for f in frames(path):
        p = ipv4(f)
        if p and p[0] == 17 and len(p[1]) >= 8 + 8 and struct.unpack(">H", p[1][2:4])[0] == 67:
            out.append(struct.unpack(">I", p[1][8 + 4:8 + 8])[0])
    return out


def test_initial_sequence_numbers_and_dhcp_xid_are_unpredictable():
    d = tempfile.mkdtemp(prefix="smbw-wire-")
    pcap = os.path.join(d, "guest.pcap")
    fw = harness.Firmware(workdir=d, pcap=pcap,
                          elf=os.path.join(os.path.dirname(harness.FW_ELF) + "-prov", "smbwarden.elf"))
    try:
        fw.read_until(PROMPT, timeout=60)
        fw.read_until("network:", timeout=60)
        for _ in range(6):  # SYNs only: each is answered with a SYN-ACK
            s = socket.create_connection(("127.0.0.1", fw.port), timeout=10)
            s.close()
            time.sleep(0.2)
        time.sleep(1)
    finally:
        fw.stop()
    isns = syn_acks(pcap)
    xids = dhcp_xids(pcap)
    print("# ISNs %s; DHCP xids %s" % (" ".join("%08x" % x for x in isns), " ".join("%08x" % x for x in xids)))
    assert len(isns) >= 5, isns
    steps = [(b - a) % 2**32 for a, b in zip(isns, isns[1:])]
    assert all(65536 < s < 2**32 - 65536 for s in steps), "sequential ISNs: %s" % steps
    assert xids and all(x & 0xFFFF0000 != 0xABCD0000 for x in xids), ["%08x" % x for x in xids]


t.run(test_initial_sequence_numbers_and_dhcp_xid_are_unpredictable)
t.done()
