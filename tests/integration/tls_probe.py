"""A raw TLS 1.2 ClientHello and the server's first flight taken apart: what
an attacker sees before any certificate is asked of him (the server random,
the ECDHE share and the ServerKeyExchange signature's r and s)."""
import os
import socket
import struct
import time

ECDHE_ECDSA_AES128_GCM = 0xC02B


def client_hello(client_random=None):
    """A minimal ClientHello the agent accepts: TLS 1.2, its ECDHE-ECDSA
    suite, P-256, ecdsa_secp256r1_sha256."""
    rnd = client_random or os.urandom(32)
    ext = b""
    ext += struct.pack(">HHH", 0x000A, 4, 2) + struct.pack(">H", 0x0017)  # supported_groups
    ext += struct.pack(">HHBB", 0x000B, 2, 1, 0)  # ec_point_formats: uncompressed
    ext += struct.pack(">HHH", 0x000D, 4, 2) + struct.pack(">H", 0x0403)  # signature_algorithms
    body = b"\x03\x03" + rnd + b"\x00" + struct.pack(">HH", 2, ECDHE_ECDSA_AES128_GCM) + b"\x01\x00"
    body += struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def der_ints(sig):
    """(r, s) of a DER ECDSA signature."""
    assert sig[0] == 0x30
    i = 2 if sig[1] < 0x80 else 2 + (sig[1] & 0x7F)
    out = []
    for _ in range(2):
        assert sig[i] == 0x02
        n = sig[i + 1]
        out.append(int.from_bytes(sig[i + 2:i + 2 + n], "big"))
        i += 2 + n
    return tuple(out)


def first_flight(host, port, client_random=None, timeout=60):
    """Sends a ClientHello; returns {server_random, ecdhe, r, s} from the
    server's answer up to ServerHelloDone. Raises on anything else."""
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(client_hello(client_random))
        data, hs, found = b"", b"", {}
        while "done" not in found:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError("connection closed after %r" % sorted(found))
            data += chunk
            while len(data) >= 5 and len(data) >= 5 + struct.unpack(">H", data[3:5])[0]:
                n = struct.unpack(">H", data[3:5])[0]
                kind, payload, data = data[0], data[5:5 + n], data[5 + n:]
                if kind != 22:
                    raise AssertionError("record type %d (alert?) %r" % (kind, payload))
                hs += payload
            while len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
                n = int.from_bytes(hs[1:4], "big")
                t, body, hs = hs[0], hs[4:4 + n], hs[4 + n:]
                if t == 2:  # ServerHello
                    found["server_random"] = body[2:34]
                elif t == 12:  # ServerKeyExchange: named curve, point, sig alg, signature
                    plen = body[3]
                    found["ecdhe"] = body[4:4 + plen]
                    found["params"] = body[:4 + plen]
                    i = 4 + plen + 2
                    slen = struct.unpack(">H", body[i:i + 2])[0]
                    found["r"], found["s"] = der_ints(body[i + 2:i + 2 + slen])
                elif t == 14:  # ServerHelloDone
                    found["done"] = True
        return found


# ---- RFC 6979 on P-256, to tell a deterministic signature from a random one ----

P = 2**256 - 2**224 + 2**192 + 2**96 - 1
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
     0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        m = (3 * a[0] * a[0] - 3) * pow(2 * a[1], -1, P) % P
    else:
        m = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (m * m - a[0] - b[0]) % P
    return x, (m * (a[0] - x) - a[1]) % P


def _mul(k, point=G):
    out = None
    for bit in bin(k)[2:]:
        out = _add(out, out)
        if bit == "1":
            out = _add(out, point)
    return out


def rfc6979_r(d, digest):
    """r of the ECDSA signature of digest (SHA-256) by key d with the nonce
    RFC 6979 section 3.2 derives from d and digest."""
    import hashlib
    import hmac
    x = d.to_bytes(32, "big")
    h = (int.from_bytes(digest, "big") % N).to_bytes(32, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        nonce = int.from_bytes(v, "big")
        if 1 <= nonce < N:
            return _mul(nonce)[0] % N
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def ec_private_key(pem_path):
    """The private scalar of a PEM EC key, through openssl."""
    import subprocess
    out = subprocess.run(["openssl", "ec", "-in", pem_path, "-noout", "-text"], capture_output=True,
                         text=True, check=True).stdout
    hexdigits = out.split("priv:", 1)[1].split("pub:", 1)[0]
    return int("".join(c for c in hexdigits if c in "0123456789abcdef"), 16)


def signed_digest(client_random, found):
    """What a TLS 1.2 ServerKeyExchange signs: both randoms and the params."""
    import hashlib
    return hashlib.sha256(client_random + found["server_random"] + found["params"]).digest()
