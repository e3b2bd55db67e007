"""Attackers on the appliance's LAN against the management port, and the
poller that measures what a legitimate client still gets. Every attacker is
bounded in time and connection count, talks only to 127.0.0.1, and stops by
itself (stop()). Used by test_lockout.py on the host agent and the firmware."""
import os
import socket
import ssl
import subprocess
import threading
import time

from harness import CERTS
from tls_probe import client_hello


class Attack:
    """Runs workers(i) in `threads` threads until stop(); each worker loops
    while self.running, re-opening what the agent closes."""

    def __init__(self, port, threads, sources=None):
        self.port = port
        self.sources = sources or [None]  # the attacker's addresses, one per connection in turn
        self.running = True
        self.opened = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._guard, args=(i,), daemon=True)
                        for i in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.running = False
        for t in self.threads:
            t.join(timeout=15)

    def connect(self):
        with self.lock:
            self.opened += 1
            source = self.sources[self.opened % len(self.sources)]
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5,
                                     source_address=(source, 0) if source else None)
        s.settimeout(0.2)
        return s

    def _guard(self, i):
        while self.running:
            try:
                self.worker(i)
            except OSError:
                time.sleep(0.05)

    def hold(self, s, seconds, trickle=None):
        """Keeps s open for up to seconds (or until the agent closes it),
        sending trickle() bytes every 3 s if given."""
        end = time.monotonic() + seconds
        last = time.monotonic()
        try:
            while self.running and time.monotonic() < end:
                if trickle and time.monotonic() - last >= 3:
                    s.sendall(trickle())
                    last = time.monotonic()
                try:
                    if s.recv(4096) == b"":
                        return  # closed by the agent: re-open
                except socket.timeout:
                    pass
        finally:
            s.close()


class Silent(Attack):
    """(a) sockets that never send a byte, re-opened when closed."""

    def worker(self, i):
        self.hold(self.connect(), 60)


class Slowloris(Attack):
    """(b) connections that send a ClientHello one byte at once, then one
    every 3 s."""

    def worker(self, i):
        hello = iter(client_hello())
        s = self.connect()
        s.sendall(bytes([next(hello)]))
        self.hold(s, 120, trickle=lambda: bytes([next(hello, 0)]))


class HalfOpen(Attack):
    """(c) a whole ClientHello, the server's flight read, then silence."""

    def worker(self, i):
        s = self.connect()
        s.sendall(client_hello())
        self.hold(s, 60)


class IdleClients(Attack):
    """(d) authenticated clients: one request, then idle keep-alive; a
    client whose connection is closed makes a new one a second later, as a
    poller holding a kept-alive connection does (hammering the port with
    full handshakes is the flood, (e))."""

    def worker(self, i):
        if self.opened >= len(self.threads):
            time.sleep(1)
        ctx = tls_context()
        raw = self.connect()
        raw.settimeout(30)
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(4096)
        s.settimeout(0.2)
        self.hold(s, 120)


class HelloFlood(Attack):
    """(e) new connections sending ClientHellos as fast as they are taken."""

    def worker(self, i):
        s = self.connect()
        try:
            s.sendall(client_hello())
            s.settimeout(2)
            s.recv(4096)  # ServerHello (or a close when rationed)
        except OSError:
            pass
        finally:
            s.close()


def tls_context():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.maximum_version = ssl.TLSVersion.TLSv1_2
    c.load_verify_locations(os.path.join(CERTS, "ca.crt"))
    c.load_cert_chain(os.path.join(CERTS, "operator.crt"), os.path.join(CERTS, "operator.key"))
    return c


def curl_status(port, timeout=5, addr=None, body=False):
    """GET /v1/status as curl makes it: a new connection and a full
    handshake (to addr when given, else to whichever address localhost
    gives first). The finished curl: its stdout the status code, or with
    body the body."""
    to = ["--resolve", "localhost:%d:%s" % (port, addr)] if addr else []
    out = [] if body else ["-o", "/dev/null", "-w", "%{http_code}"]
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout)] + out + to +
                          ["--cacert", os.path.join(CERTS, "ca.crt"),
                           "--cert", os.path.join(CERTS, "operator.crt"),
                           "--key", os.path.join(CERTS, "operator.key"),
                           "https://localhost:%d/v1/status" % port],
                          capture_output=True, text=True, timeout=timeout + 10)


def curl_poll(port, timeout=5, why=None, addr=None):
    """One poll as curl makes it (curl_status): true if answered. A
    failure's reason (curl's message) is appended to the list why."""
    r = curl_status(port, timeout, addr)
    if r.stdout != "200" and why is not None:
        why.append(r.stderr.strip() or "HTTP status " + r.stdout)
    return r.stdout == "200"


class ResumingPoller:
    """A poller that keeps its TLS session (a ticket) between connections,
    as Python ssl does when handed the last session."""

    def __init__(self, port):
        self.port = port
        self.ctx = tls_context()
        self.session = None

    def __call__(self, timeout=5):
        try:
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
            s = self.ctx.wrap_socket(raw, server_hostname="localhost", session=self.session)
            s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.session = s.session or self.session
            s.close()
            return data.startswith(b"HTTP/1.1 200")
        except (OSError, ssl.SSLError):
            return False


def share_answered(poll, seconds=30, period=1.0):
    """Polls once per period for seconds; returns (answered, total)."""
    answered = total = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        total += 1
        answered += bool(poll())
        time.sleep(max(0.0, period - (time.monotonic() - start)))
    return answered, total
