"""Writes the seed corpus of every fuzz target into DIR/<target>/: small
inputs of each shape the target takes, from which libFuzzer mutates (make
fuzz) and which make test replays. Run: python3 tests/fuzz/seeds.py DIR"""
import json
import os
import struct
import sys

OUT = sys.argv[1]


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


REQUESTS = [
    "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /v1/sessions?state=stale&client=WS01 HTTP/1.1\r\n\r\n",
    "GET /v1/events?since=3 HTTP/1.1\r\nConnection: close\r\n\r\n",
    "GET /metrics HTTP/1.1\r\n\r\n",
    "GET /v1/leaks?top=3 HTTP/1.1\r\n\r\n",
    "GET /v1/credentials HTTP/1.1\r\n\r\n",
    "DELETE /v1/sessions/1?force=1 HTTP/1.1\r\n\r\n",
    "DELETE /v1/clients/WS%2001?user=CORP%5Cbob HTTP/1.1\r\n\r\n",
    "PATCH /v1/config?save=0 HTTP/1.1\r\nContent-Length: 45\r\n\r\n"
    '{"policy.mode":"enforce","log.server":"off"}\n',
    "PUT /v1/credentials/ca HTTP/1.1\r\nContent-Length: 27\r\n\r\n-----BEGIN CERTIFICATE-----",
    "POST /v1/credentials/activate HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    "GET /v1/sessions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
    "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n",
]
for i, r in enumerate(REQUESTS):
    put("http", "req%02d" % i, bytes([i * 37 % 256]) + r.encode())
    for role in range(3):
        put("api", "req%02d-%d" % (i, role), bytes([role]) + r.encode())

SRV = '{"pid": "%s", "task_id": "0", "vnn": "4294967295", "unique_id": "5070458171354721723"}'
NONE = {"cipher": "-", "degree": "none"}
doc = {
    "timestamp": "2026-11-22T04:30:12.079879+0000", "version": "4.17.12-Debian", "smb_conf": "smb.conf",
    "sessions": {
        "7": {"session_id": "7", "server_id": json.loads(SRV % "4242"), "uid": 1000, "gid": 1000,
              "username": "alice", "groupname": "alice", "remote_machine": "127.0.0.1",
              "hostname": "ipv4:127.0.0.1:45036", "session_dialect": "SMB3_11",
              "encryption": NONE, "signing": {"cipher": "AES-128-GMAC", "degree": "partial"}},
        "9": {"session_id": "9", "server_id": json.loads(SRV % "4243"), "uid": 65534, "gid": 65534,
              "username": "nobody", "groupname": "nogroup", "remote_machine": "\u00e9" * 20,
              "hostname": "ipv6:::1:45037", "session_dialect": "SMB3_11",
              "encryption": NONE, "signing": NONE}},
    "tcons": {
        "1": {"service": "share", "server_id": json.loads(SRV % "4242"), "tcon_id": "1", "session_id": "7",
              "machine": "127.0.0.1", "connected_at": "2026-11-22T04:30:10.000000+00:00",
              "encryption": NONE, "signing": NONE}},
    "open_files": {
        "/tmp/sp/share/f.txt": {"service_path": "/tmp/sp/share", "filename": "f.txt",
                                "opens": {"4242/1": {"server_id": json.loads(SRV % "4242"), "uid": 1000,
                                                     "share_file_id": "1",
                                                     "opened_at": "2026-11-22T04:30:10.108612+00:00"}}}},
}
put("smbjson", "two-sessions", json.dumps(doc, ensure_ascii=False))
put("smbjson", "empty", '{"timestamp": "2026-11-22T04:30:12+0000", "sessions": {}, "tcons": {}, "open_files": {}}')

# netlink: struct nlmsghdr {u32 len; u16 type; u16 flags; u32 seq; u32 pid}
NLMSG_ERROR, NLMSG_DONE, SOCK_DIAG_BY_FAMILY = 2, 3, 20


def nlmsg(mtype, payload):
    n = 16 + len(payload)
    pad = (-n) % 4
    return struct.pack("=IHHII", n, mtype, 2, 1, 0) + payload + b"\0" * pad


diag = bytearray(72)  # inet_diag_msg: family, state, timer, retrans, id (48), expires, rqueue, wqueue, uid, inode
diag[0], diag[1] = 2, 1
diag[4:6] = struct.pack(">H", 445)
diag[6:8] = struct.pack(">H", 45036)
diag[8:12] = bytes([127, 0, 0, 1])
diag[24:28] = bytes([127, 0, 0, 1])
info = bytearray(232)
struct.pack_into("=Q", info, 120, 4242)   # around tcpi_bytes_received
struct.pack_into("=I", info, 144, 17)
rta = struct.pack("=HH", 4 + len(info), 2) + bytes(info)
put("netlink", "flow-then-done", nlmsg(SOCK_DIAG_BY_FAMILY, bytes(diag) + rta) + nlmsg(NLMSG_DONE, b"\0" * 4))
put("netlink", "error-eperm", nlmsg(NLMSG_ERROR, struct.pack("=i", -1) + b"\0" * 16))
put("netlink", "error-short", nlmsg(NLMSG_ERROR, b""))

put("procstat", "smbd", "4242 (smbd: client (x)) S 17 4242 4242 0 -1 4194560 1 0 0 0 3 1 0 0 20 0 1 0 98765 1000 10\n")
put("procstat", "cut", "4242 (smbd)")

put("scenario", "leaks", "limit 10\nidle-source server\n"
    "at 0 open bk1 client=FS-BACKUP01 user=CORP\\svc_backup idle=5h conn=backup\n"
    "every 20m from 5m open bkleak client=FS-BACKUP01 user=CORP\\svc_backup conn=backup\n"
    "at 0 open null1 client=10.1.4.22 idle=12m\n"
    "at 0 open alice client=WS-ALICE user=CORP\\alice opens=3 age=2h\nevery 1m touch alice\n"
    "every 45s from 10s open carol client=WS-CAROL user=CORP\\carol hold=2m\n")
put("scenario", "comment", "# nothing\nlimit 0\n")

CONSOLE = [
    "show status\nshow sessions\nshow events 5\nshow leaks\nshow leaks 2\nshow leaks 0\n",
    "set policy.mode enforce\nset policy.idle_timeout 2h\nsave\nshow config\n",
    "session delete 1\nsession delete \\\\SVC force\nsession delete bob\n",
    "shox\x7fw st\x08\x08 status\r\nhelp se\n\x03garbage\x15help\n",
    "set log.server 10.0.0.1\nset log.proto tls\nunset log.server\nset net.ntp off\n",
    "cert show\ncert psk operator id 00112233445566778899aabbccddeeff\ncert activate\n",
    "cert set ca\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\ncert clear staged\n",
    "reboot\nexit\n",
]
for i, c in enumerate(CONSOLE):
    put("console", "lines%02d" % i, bytes([i & 1]) + c.encode())
# real pastes: the dev PKI's device pair and CA, staged, then activated
dev = os.environ.get("CERTS", "build/certs")
pem = {n: open(os.path.join(dev, n)).read() for n in ("device.crt", "device.key", "ca.crt")
       if os.path.exists(os.path.join(dev, n))}
if len(pem) == 3:
    put("console", "paste-set", b"\0cert set ca\n" + pem["ca.crt"].encode() + b"cert show\n")
    put("console", "paste-stage", ("\1cert set device\n%scert set key\n%scert set ca\n%s"
                                   "cert show\ncert activate\nshow status\n"
                                   % (pem["device.crt"], pem["device.key"], pem["ca.crt"])).encode())
    put("console", "paste-cut", b"\0cert set key\n" + pem["device.key"].encode()[:200] + b"\x03cert show\n")

# NV: erased flash, and a settings record laid where the store keeps it is
# better found by the fuzzer from the target's own saves; an erased store
# and a page of noise start it.
put("nv", "erased", b"\xff" * 4096)
put("nv", "noise", bytes((i * 131 + 7) % 256 for i in range(4096)))


PAGE = 1024  # the fake flash's pages (tests/unit/fake_hal.h), as the Linux boards'


def nvrec(seq, payload, page=PAGE):
    """A page holding one record as agent/nvrec.c writes it: the header
    (magic, format, seq, len, CRC-32 of those and the payload), then the
    payload, the rest erased."""
    import struct
    import zlib
    head = struct.pack("<4I", 0x57424d53, 1, seq, len(payload))
    crc = zlib.crc32(payload, zlib.crc32(head))
    return (head + struct.pack("<I", crc) + payload).ljust(page, b"\xff")


def leak_row(client, user, n):
    """A leak_t (agent/leaks.h) on x86-64: the texts, its key (recomputed
    at load), first/last/slot stamps, counts by reason, evicted, ended, the
    window's slots."""
    import struct
    return (client.ljust(40, b"\0") + user.ljust(40, b"\0") +
            struct.pack("<4I", 0, 1796400000, 1796403600, 1796400000 // 14400) +
            struct.pack("<5H", n, 0, 0, 0, 0) + struct.pack("<2H", 1, 0) +
            struct.pack("<6H", n, 0, 0, 0, 0, 0)).ljust(124, b"\0")


# the leak table's first pair of pages (22 and 23, eight rows to a pair):
# two real sources, one of them twice, laid over erased flash
import struct  # noqa: E402
leak_rows = [(b"FS-BACKUP01", b"CORP\\svc_backup", 37), (b"10.1.4.22", b"", 3),
             (b"fs-backup01", b"corp\\SVC_BACKUP", 2)]
img = bytearray(b"\xff" * (32 * PAGE))
payload = struct.pack("<3I", 0x314b4c53, 1, len(leak_rows)) + b"".join(leak_row(c, u, n) for c, u, n in leak_rows)
img[22 * PAGE:23 * PAGE] = nvrec(1, payload)
put("nv", "leaks", bytes(img))


def leak_row_saved(client, user, n):
    """A row as leaks_save writes it ("SLK2"): client and user up to their
    ends, then the counts (leak_t from first_s on, 40 bytes); a free row
    is one zero byte."""
    if not client:
        return b"\0"
    return client + b"\0" + user + b"\0" + leak_row(client, user, n)[84:]


# a first-form row with bytes after its texts' ends: rewritten in the
# saved form, it must read back as it was kept
img = bytearray(b"\xff" * (32 * PAGE))
row = leak_row(b"FS-BACKUP01", b"CORP\\svc_backup", 37)
row = b"FS-BACKUP01\0".ljust(40, b"J") + b"CORP\\svc_backup\0".ljust(40, b"J") + row[80:]
img[22 * PAGE:23 * PAGE] = nvrec(1, struct.pack("<3I", 0x314b4c53, 1, 1) + row)
put("nv", "leaks-tails", bytes(img))

# the same sources in the saved form, with a free row between them
img = bytearray(b"\xff" * (32 * PAGE))
saved = leak_rows[:1] + [(b"", b"", 0)] + leak_rows[1:]
payload = struct.pack("<3I", 0x324b4c53, 1, len(saved)) + b"".join(leak_row_saved(c, u, n) for c, u, n in saved)
img[22 * PAGE:23 * PAGE] = nvrec(1, payload)
put("nv", "leaks-saved", bytes(img))


def leak_delta(seq, i, row, dropped):
    """A row changed since its pair's record, as leaks_save writes it after
    the record in the same page: tag 0xd1, the row's place, its length;
    dropped; the row in the saved form, zeros to a word; CRC-32 continued
    from the record's sequence number."""
    import zlib
    body = struct.pack("<2I", 0xd1 | i << 8 | len(row) << 16, dropped) + row
    body = body.ljust((len(body) + 3) & ~3, b"\0")
    return body + struct.pack("<I", zlib.crc32(body, seq))


# the same pair with two changes after it: the first source counted on,
# then the free row taken by a copy of the second source
rec = nvrec(1, payload)
tail = 20 + ((len(payload) + 3) & ~3)
deltas = (leak_delta(1, 0, leak_row_saved(b"FS-BACKUP01", b"CORP\\svc_backup", 38), 2) +
          leak_delta(1, 1, leak_row_saved(b"10.1.4.22", b"", 4), 2))
img[22 * PAGE:23 * PAGE] = rec[:tail] + deltas + rec[tail + len(deltas):]
put("nv", "leaks-changed", bytes(img))

# a pair whose record holds one row (a build with fewer leak rows wrote
# it): sources taken into the places after it must survive a restart
img = bytearray(b"\xff" * (32 * PAGE))
short = struct.pack("<3I", 0x324b4c53, 1, 1) + leak_row_saved(b"FS-BACKUP01", b"CORP\\svc_backup", 37)
img[22 * PAGE:23 * PAGE] = nvrec(1, short)
put("nv", "leaks-short-pair", bytes(img))

# the event log's pages (32 and up, four 208-byte slots to a page with the
# Linux boards' texts) after the leak table: events as agent/evstore.c
# writes them (the bytes each uses, summed; the rest erased) and one of the
# first format (the whole event summed, texts' tails zeroed)
def event_slot(seq, etype, subject, more, first_format=False):
    import zlib
    fixed = struct.pack("<4I4B", seq, 1796400000 + seq, seq, 7, etype, 1, 1, 1)
    if first_format:
        body = fixed + subject.ljust(24, b"\0") + more.ljust(160, b"\0")
        return struct.pack("<I", zlib.crc32(body)) + body
    crc = zlib.crc32(more, zlib.crc32(subject, zlib.crc32(fixed)))
    words = lambda b: b.ljust((len(b) + 3) // 4 * 4, b"\0")
    slot = bytearray(struct.pack("<I", crc) + fixed + words(subject)).ljust(48, b"\xff")
    slot += words(more)
    return bytes(slot).ljust(208, b"\xff")


log = [event_slot(1, 0, b"0.1.0\0", b"\0\0"), event_slot(2, 1, b"WS-0001\0", b"\0\0"),
       event_slot(3, 11, b"policy.mode\0", b"alice\0report -> enforce\0"),
       event_slot(4, 2, b"WS-0001\0", b"\0\0", first_format=True)]
put("nv", "events", bytes(img) + b"".join(log).ljust(PAGE, b"\xff"))

# credentials: the kind byte (0 device certificate, 1 key, 2 CA, 3 PSK,
# 4 seed), then the text; the dev PKI's files when make certs has run
certs = os.environ.get("CERTS", "build/certs")
for kind, name in ((0, "device.crt"), (1, "device.key"), (2, "ca.crt"), (0, "operator.crt"), (1, "operator.key")):
    path = os.path.join(certs, name)
    if os.path.exists(path):
        put("creds", name, bytes([kind]) + open(path, "rb").read())
put("creds", "psk", bytes([3]) + b"operator poller1 00112233445566778899aabbccddeeff")
put("creds", "psk-odd", bytes([3]) + b"reader \x1b[2J 0011 trailing")
put("creds", "seed", bytes([4]) + bytes(range(1, 49)))
put("creds", "pem-junk", bytes([2]) + b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")

# raw bytes into the management channel: a piece-size byte, then a real
# TLS 1.2 ClientHello (Python's, as a poller sends it), and some noise
import ssl  # noqa: E402

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
client = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
try:
    client.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = outgoing.read()
for step in (0, 3, 63):
    put("mgmt", "hello-%d" % step, bytes([step]) + hello)
put("mgmt", "http-plain", bytes([7]) + b"GET /v1/status HTTP/1.1\r\n\r\n")
put("mgmt", "big-record", bytes([63]) + b"\x16\x03\x03\x40\x00" + bytes(64))

# tickets: one a client makes up; extra bytes to seal (none, a role and a
# name, the most); states as the cache keeps them
put("ticket", "offered", bytes([0]) + bytes(range(4)) + bytes(12) + b"\x00\x10" + bytes(16) + bytes(16))
put("ticket", "offered-short", bytes([0]) + bytes(33))
put("ticket", "seal-none", bytes([1]))
put("ticket", "seal-peer", bytes([1, 2]) + b"operator-cn")
put("ticket", "seal-most", bytes([1]) + bytes(range(255)))
put("ticket", "state-empty", bytes([2]))
put("ticket", "state-extra", bytes([2, 3, 2]) + b"op" + bytes(40))
