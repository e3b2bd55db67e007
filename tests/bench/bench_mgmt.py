"""Benchmark of the management API (`make bench-mgmt`): prints figures only.

Starts the agent (SMBWARDEN_BIN, a plain -O2 build) on 127.0.0.1 with the
dev PKI (CERTS) and measures, each for a bounded count and time:

  keep-alive   GET /v1/sessions requests per second on one TLS connection
               (sequential HTTP/1.1 requests, each chunked reply read fully);
  full         new connections per second, each a full handshake (a fresh
               SSLContext and no session) and one GET /v1/status;
  resumed      the same, resuming the first connection's session (session
               ticket); every connection is checked to have been resumed;
  pool         the mbedTLS static pool: its size, use with 1..N connections
               open, and the high-water mark per connection.

The client is Python's ssl module with the operator certificate, limited to
TLS 1.2 and ECDHE-ECDSA-AES128-GCM-SHA256, as the agent offers.  When curl
is installed the keep-alive, full and resumed figures are repeated with it.
No thresholds: this is not a test.
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
from harness import BIN, CERTS, PROMPT, Agent  # noqa: E402

CIPHER = "ECDHE-ECDSA-AES128-GCM-SHA256"
HOST = "localhost"            # a DNS name of the dev device certificate
ADDR = "127.0.0.1"
KEEPALIVE_N, KEEPALIVE_S = 2000, 5.0   # at most N requests or S seconds
CONNECT_N, CONNECT_S = 300, 5.0        # the same for new connections
IO_TIMEOUT = 10.0


def cpu_s(pid):
    """User + system CPU seconds the process used so far (Linux /proc)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def timed(pid, fn, *args):
    """fn(*args) with the agent's CPU seconds spent meanwhile added as "cpu"."""
    c0 = cpu_s(pid)
    r = fn(*args)
    r["cpu"] = cpu_s(pid) - c0
    return r


def context():
    """A client context: TLS 1.2 only, the agent's suite, operator cert."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(CIPHER)
    ctx.load_verify_locations(os.path.join(CERTS, "ca.crt"))
    ctx.load_cert_chain(os.path.join(CERTS, "operator.crt"), os.path.join(CERTS, "operator.key"))
    return ctx


class Conn:
    """One TLS connection speaking sequential HTTP/1.1."""

    def __init__(self, port, ctx, session=None):
        raw = socket.create_connection((ADDR, port), timeout=IO_TIMEOUT)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.sock = ctx.wrap_socket(raw, server_hostname=HOST, session=session)
        except BaseException:
            raw.close()
            raise
        self.buf = b""
        c = self.sock.cipher()
        assert self.sock.version() == "TLSv1.2" and c and c[0] == CIPHER, (self.sock.version(), c)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by the agent mid-response")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request(self, path, close=False):
        """(status, headers, body) of GET path; the body read fully."""
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n"
                           % (path, HOST, "Connection: close\r\n" if close else "")).encode())
        status = self._line().split(b" ", 2)
        assert status[0] == b"HTTP/1.1", status
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():  # trailers, then the blank line
                        pass
                    break
                body += self._take(size)
                assert self._take(2) == b"\r\n", "chunk without CRLF"
        elif "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        else:  # body ends with the connection
            try:
                while True:
                    self._fill()
            except ConnectionError:
                body, self.buf = self.buf, b""
        return int(status[1]), headers, body

    def close(self):
        self.sock.close()


def status(port, ctx):
    """The agent's /v1/status as a dict, over a new connection."""
    c = Conn(port, ctx)
    try:
        code, _, body = c.request("/v1/status", close=True)
        assert code == 200, (code, body[:200])
        return json.loads(body)
    finally:
        c.close()


def bench_keepalive(port, ctx):
    """Requests per second of GET /v1/sessions on one kept-alive connection."""
    c = Conn(port, ctx)
    try:
        code, _, body = c.request("/v1/sessions")          # warm-up, and a check
        assert code == 200 and json.loads(body)["sessions"], (code, body[:200])
        size = len(body)
        n, t0 = 0, time.perf_counter()
        deadline = t0 + KEEPALIVE_S
        while n < KEEPALIVE_N and time.perf_counter() < deadline:
            code, headers, body = c.request("/v1/sessions")
            assert code == 200 and headers.get("connection", "").lower() != "close", \
                (n, code, headers)
            n += 1
        dt = time.perf_counter() - t0
    finally:
        c.close()
    return {"n": n, "s": dt, "rate": n / dt, "bytes": size}


def bench_connections(port, resume):
    """New connections per second: handshake, GET /v1/status, close."""
    ctx = context()
    sess = None
    if resume:
        first = Conn(port, ctx)
        first.request("/v1/status", close=True)
        sess = first.sock.session
        first.close()
        assert sess is not None and sess.has_ticket, "the agent gave no session ticket"
    n, reused, t0 = 0, 0, time.perf_counter()
    ctx_s = 0.0
    deadline = t0 + CONNECT_S
    while n < CONNECT_N and time.perf_counter() < deadline:
        if not resume:
            t1 = time.perf_counter()
            ctx = context()                 # nothing to resume from
            ctx_s += time.perf_counter() - t1
        c = Conn(port, ctx, session=sess)
        try:
            code, _, _ = c.request("/v1/status", close=True)
            assert code == 200, code
            reused += c.sock.session_reused
        finally:
            c.close()
        n += 1
    dt = time.perf_counter() - t0
    if resume:
        assert reused == n, "only %d of %d connections resumed" % (reused, n)
    else:
        assert reused == 0, "%d full-handshake connections were resumed" % reused
    return {"n": n, "s": dt, "rate": n / dt, "reused": reused, "ctx_s": ctx_s}


def bench_pool(port, ctx, max_conns):
    """Pool use with 1..max_conns connections open at once.

    Connection 1 is the observer: it asks /v1/status (keep-alive) after
    each further connection finished its handshake and one request.
    """
    rows = []
    conns = [Conn(port, ctx)]
    try:
        while True:
            code, _, body = conns[0].request("/v1/status")
            assert code == 200, code
            tls = json.loads(body)["tls"]
            rows.append((len(conns), tls["pool_used"], tls["pool_high_water"]))
            if len(conns) >= max_conns:
                break
            c = Conn(port, ctx)
            conns.append(c)
            code, _, _ = c.request("/v1/status")  # the handshake is done, the slot busy
            assert code == 200, code
    finally:
        for c in conns:
            c.close()
    return rows


def curl_figures(port, ctx):
    """The same three rates measured with curl, or None without curl."""
    curl = shutil.which("curl")
    if not curl:
        return None
    base = [curl, "-sS", "--tls-max", "1.2", "--tlsv1.2",
            "--ciphers", CIPHER, "--cacert", os.path.join(CERTS, "ca.crt"),
            "--cert", os.path.join(CERTS, "operator.crt"),
            "--key", os.path.join(CERTS, "operator.key"),
            "-w", "%{http_code} %{num_connects}\\n"]
    url = "https://%s:%d" % (HOST, port)
    out = {}

    def run(name, extra, path, n):
        # One curl process, n URLs: connections are reused (keep-alive) or,
        # with Connection: close, made anew, resuming TLS sessions unless
        # --no-sessionid.  The config file keeps the argument list short.
        with tempfile.NamedTemporaryFile("w", suffix=".curlrc", delete=False) as f:
            for _ in range(n):
                f.write('url = "%s%s"\noutput = "/dev/null"\n' % (url, path))
            cfg = f.name
        try:
            t0 = time.perf_counter()
            r = subprocess.run(base + extra + ["-K", cfg], capture_output=True, text=True,
                               timeout=60)
            dt = time.perf_counter() - t0
        finally:
            os.unlink(cfg)
        lines = r.stdout.split()
        codes, connects = lines[0::2], lines[1::2]
        ok = r.returncode == 0 and len(codes) == n and set(codes) == {"200"}
        out[name] = {"n": n, "s": dt, "rate": n / dt, "ok": ok,
                     "connects": sum(int(x) for x in connects),
                     "err": r.stderr.strip()[-200:]}

    run("keep-alive", [], "/v1/sessions", 1000)
    run("full", ["-H", "Connection: close", "--no-sessionid"], "/v1/status", 200)
    # curl (7.88, OpenSSL) offers no session ticket extension: it can only
    # resume by session id, which the agent does not cache (tickets only).
    r0 = status(port, ctx)["tls"]["resumed"]
    run("resumed", ["-H", "Connection: close"], "/v1/status", 200)
    out["agent_resumed"] = status(port, ctx)["tls"]["resumed"] - r0
    return out


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit("bench-mgmt: %s is missing (run make)" % BIN)
    agent = Agent(mgmt=True)
    try:
        agent.read_until(PROMPT)
        port = agent.port
        ctx = context()

        before = status(port, ctx)
        max_conns = before["connections"]["max"]
        pool = bench_pool(port, ctx, max_conns)
        mid = status(port, ctx)
        pid = agent.proc.pid
        keep = timed(pid, bench_keepalive, port, ctx)
        full = timed(pid, bench_connections, port, False)
        resumed = timed(pid, bench_connections, port, True)
        after = status(port, ctx)
        curl = curl_figures(port, ctx)
        final = status(port, ctx)
    finally:
        rc = agent.stop()
        shutil.rmtree(agent.state, ignore_errors=True)

    t = before["tls"]
    print("smbwarden management API benchmark: %s, 127.0.0.1, TLS 1.2 %s, P-256"
          % (os.path.relpath(BIN), CIPHER))
    print("client: Python %s ssl (%s), operator certificate"
          % (sys.version.split()[0], ssl.OPENSSL_VERSION))
    print()
    row = "%-52s %8.0f %7d %7.2f %9s"
    print("%-52s %8s %7s %7s %9s" % ("measure", "rate/s", "count", "time s", "agent CPU"))
    print("-" * 87)
    for label, r in (("GET /v1/sessions, one kept-alive connection (%d B)" % keep["bytes"], keep),
                     ("new connections, full handshake + 1 GET", full),
                     ("new connections, resumed (ticket) + 1 GET", resumed)):
        print(row % (label, r["rate"], r["n"], r["s"], "%.2f ms" % (1000.0 * r["cpu"] / r["n"])))
    print("  (agent CPU: per request or connection.  full: %.0f ms of the %.2f s built the "
          "client's fresh SSLContexts, %.0f conn/s without them; resumed: %d of %d reused)"
          % (full["ctx_s"] * 1000, full["s"], full["n"] / (full["s"] - full["ctx_s"]),
             resumed["reused"], resumed["n"]))
    if curl:
        for name, label in (("keep-alive", "curl: GET /v1/sessions, kept alive"),
                            ("full", "curl: new connections, full handshake"),
                            ("resumed", "curl: new connections, session cache on")):
            r = curl[name]
            print("%-52s %8.0f %7d %7.2f%s" % (label, r["rate"], r["n"], r["s"],
                                                "" if r["ok"] else "  FAILED: " + r["err"]))
        print("  (one curl process each; connections made: keep-alive %d, full %d, "
              "session cache on %d, of which the agent resumed %d)"
              % (curl["keep-alive"]["connects"], curl["full"]["connects"],
                 curl["resumed"]["connects"], curl["agent_resumed"]))
    print()
    print("TLS pool (static, MBEDTLS_MEMORY_BUFFER_ALLOC_C): %d bytes" % t["pool_size"])
    print("%-28s %12s %12s" % ("connections open", "pool_used", "high_water"))
    print("%-28s %12d %12d" % ("before (1: the observer)", t["pool_used"], t["pool_high_water"]))
    for n, used, hw in pool:
        print("%-28d %12d %12d" % (n, used, hw))
    steady = [(pool[i][1] - pool[i - 1][1]) for i in range(1, len(pool))]
    per_conn = sum(steady) / len(steady) if steady else float("nan")
    idle = pool[0][1] - per_conn
    peak_one = before["tls"]["pool_high_water"] - idle
    hw_step = [(pool[i][2] - pool[i - 1][2]) for i in range(1, len(pool))]
    print("per connection: %.0f bytes held once established; high-water %d bytes with one "
          "connection (%.0f above the idle pool), high-water steps per extra connection %s"
          % (per_conn, before["tls"]["pool_high_water"], peak_one, hw_step))
    for name, s in (("after the pool test", mid), ("after the Python runs", after),
                    ("after curl", final)):
        print("%-22s pool_used %d, high_water %d, handshakes %d, resumed %d, failures %d; "
              "connections accepted %d, refused %d, timeouts %d"
              % (name, s["tls"]["pool_used"], s["tls"]["pool_high_water"],
                 s["tls"]["handshakes"], s["tls"]["resumed"], s["tls"]["failures"],
                 s["connections"]["accepted"], s["connections"]["refused"],
                 s["connections"]["timeouts"]))
    print("agent exit status %s" % rc)
    print()
    hw = final["tls"]["pool_high_water"]
    print("summary: %.0f req/s kept-alive, %.0f conn/s full handshake, %.0f conn/s resumed "
          "(x%.1f); TLS pool high-water %d of %d bytes (%.0f%%) with %d connections, "
          "~%.0f bytes per connection"
          % (keep["rate"], full["rate"], resumed["rate"], resumed["rate"] / full["rate"],
             hw, t["pool_size"], 100.0 * hw / t["pool_size"], max_conns, per_conn))


if __name__ == "__main__":
    main()
