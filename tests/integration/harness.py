"""Drives build/host/smbwarden as a user would: over a pipe or a terminal.

Every process started here is stopped by its pid. Output is read until an
expected text appears (a ready signal), under a deadline, never by sleeping.
"""
import os
import pty
import select
import atexit
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# make test passes the sanitizer build; by hand the plain one is used.
BIN = os.path.abspath(os.environ.get("SMBWARDEN_BIN", os.path.join(ROOT, "build", "host", "smbwarden")))
PROMPT = "smbwarden> "
CERTS = os.path.abspath(os.environ.get("CERTS", os.path.join(ROOT, "build", "certs")))


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc, grace=10):
    """Ends a process this test started, by its pid: SIGTERM, then SIGKILL
    after grace seconds. Returns its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def tls_args():
    """Options provisioning the dev PKI of `make certs`."""
    return ["--tls-cert", os.path.join(CERTS, "device.crt"),
            "--tls-key", os.path.join(CERTS, "device.key"),
            "--tls-ca", os.path.join(CERTS, "ca.crt")]


# Runs the agent as the shipped systemd unit confines it (see README): root
# without any capability in its bounding, effective, inheritable or ambient
# sets, no new privileges, and the root file system read-only but for /tmp
# (where the tests keep the agent's state and the Samba lab). Each program
# execs the next, so the agent keeps the pid the test started.
CONFINE = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
           "mount --bind /tmp /tmp && mount -o remount,bind,ro / && "
           "exec setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all "
           "--no-new-privs -- \"$@\"", "confine"]


def mint_ca(outdir, name, subject):
    """outdir/name.crt and .key: a new self-signed CA (config/certs/ca.cnf)."""
    key, crt = os.path.join(outdir, name + ".key"), os.path.join(outdir, name + ".crt")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-new", "-x509", "-config", os.path.join(ROOT, "config", "certs", "ca.cnf"),
                    "-key", key, "-subj", subject, "-days", "30", "-sha256", "-out", crt],
                   check=True, capture_output=True)
    return crt, key


def mint_client_cert(outdir, name, subject, *x509_args, profile="client", ca=None, dates=None):
    """outdir/name.crt and .key: a client certificate with subject, issued by
    the dev CA of `make certs` (or ca: (crt, key)) with the extensions of
    config/certs/PROFILE.cnf (x509_args: e.g. -days); dates: (notBefore,
    notAfter) as YYYYMMDDHHMMSSZ, set by `openssl ca`. Returns (crt, key)."""
    ca_crt, ca_key = ca or (os.path.join(CERTS, "ca.crt"), os.path.join(CERTS, "ca.key"))
    key, crt = os.path.join(outdir, name + ".key"), os.path.join(outdir, name + ".crt")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
                   check=True, capture_output=True)
    csr = subprocess.run(["openssl", "req", "-new", "-config", os.path.join(ROOT, "config", "certs", "ca.cnf"),
                          "-key", key, "-subj", subject], check=True, capture_output=True).stdout
    if dates:  # openssl x509 cannot date a certificate in the past; openssl ca can
        db = os.path.join(outdir, name + ".ca")
        os.makedirs(db, exist_ok=True)
        open(os.path.join(db, "index.txt"), "w").close()
        with open(os.path.join(db, "serial"), "w") as f:
            f.write(os.urandom(8).hex() + "\n")
        with open(os.path.join(db, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\nnew_certs_dir = %s\n"
                    "serial = %s/serial\ndefault_md = sha256\npolicy = p\n"
                    "[p]\ncommonName = supplied\norganizationName = optional\n"
                    "organizationalUnitName = optional\n" % (db, db, db))
        with open(os.path.join(db, "req.csr"), "wb") as f:
            f.write(csr)
        subprocess.run(["openssl", "ca", "-batch", "-notext", "-config", os.path.join(db, "ca.cnf"),
                        "-cert", ca_crt, "-keyfile", ca_key, "-in", os.path.join(db, "req.csr"),
                        "-out", crt, "-startdate", dates[0], "-enddate", dates[1], "-extfile",
                        os.path.join(ROOT, "config", "certs", profile + ".cnf"), "-extensions", "ext"],
                       check=True, capture_output=True)
        return crt, key
    subprocess.run(["openssl", "x509", "-req", "-CA", ca_crt,
                    "-CAkey", ca_key, "-set_serial", "0x%s" % os.urandom(8).hex(),
                    "-sha256", "-extfile", os.path.join(ROOT, "config", "certs", profile + ".cnf"),
                    "-extensions", "ext", "-out", crt, *(x509_args or ("-days", "30"))],
                   input=csr, check=True, capture_output=True)
    return crt, key


class Agent:
    """The host agent with its console on a pipe (tty=False) or a pty."""

    def __init__(self, *args, tty=False, state=None, mgmt=False, bin=BIN, wrap=()):
        if state is None:  # made here: removed when the test process ends
            state = tempfile.mkdtemp(prefix="smbw-state-")
            atexit.register(shutil.rmtree, state, True)
        self.state = state
        self.port = free_port() if mgmt else None
        extra = ["--mgmt", "127.0.0.1:%d" % self.port, *tls_args()] if mgmt else []
        # wrap: programs that exec the agent in the end (same pid), e.g. CONFINE
        argv = [*wrap, bin, "--state", self.state, *extra, *args]
        self.buf = ""
        if tty:
            self.master, slave = pty.openpty()
            self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave,
                                         stderr=subprocess.PIPE, close_fds=True)
            self.slave = slave
            self.rfd = self.wfd = self.master
        else:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.rfd = self.proc.stdout.fileno()
            self.wfd = self.proc.stdin.fileno()
            self.slave = None

    def read_until(self, text, timeout=10.0):
        """Returns output up to and including text; fails after timeout."""
        deadline = time.monotonic() + timeout
        while text not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for %r; got %r" % (text, self.buf[-800:]))
            r, _, _ = select.select([self.rfd], [], [], left)
            if r:
                try:
                    data = os.read(self.rfd, 65536)
                except OSError:
                    data = b""
                if not data:
                    raise AssertionError("output ended waiting for %r; got %r" % (text, self.buf[-800:]))
                self.buf += data.decode("utf-8", "replace")
        i = self.buf.index(text) + len(text)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def send(self, raw):
        os.write(self.wfd, raw.encode())

    def cmd(self, line):
        """Runs one console command; returns its output up to the prompt."""
        self.send(line + "\n")
        return self.read_until(PROMPT)

    def url(self, path):
        return "https://localhost:%d%s" % (self.port, path)

    def curl(self, path, role="operator", method="GET", data=None, extra=()):
        """(status, body) of one request with the role's client certificate."""
        cmd = ["curl", "-sS", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}",
               "--cacert", os.path.join(CERTS, "ca.crt"), "-X", method]
        if role:
            cmd += ["--cert", os.path.join(CERTS, role + ".crt"),
                    "--key", os.path.join(CERTS, role + ".key")]
        if data is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", data]
        r = subprocess.run(cmd + list(extra) + [self.url(path)], capture_output=True,
                           text=True, timeout=30)
        body, _, code = r.stdout.rpartition("\n")
        return int(code or 0), body

    def get_json(self, path, role="operator"):
        code, body = self.curl(path, role)
        assert code == 200, (path, code, body)
        return json.loads(body)

    def stop(self):
        stop_process(self.proc, 5)
        for fd in (self.slave, getattr(self, "master", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.slave = None
        self.master = None
        return self.proc.returncode




RSYSLOG_CONF = """
global(workDirectory="{d}/work"
       defaultNetstreamDriver="gtls"
       defaultNetstreamDriverCAFile="{ca}"
       defaultNetstreamDriverCertFile="{crt}"
       defaultNetstreamDriverKeyFile="{key}")
module(load="imudp")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1"
       streamDriver.authMode="x509/certvalid")
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="{tls}" ruleset="tls")
template(name="line" type="string" string="%msgid% %structured-data% %msg%\\n")
ruleset(name="udp") {{ action(type="omfile" file="{d}/udp.log" template="line") }}
ruleset(name="tls") {{ action(type="omfile" file="{d}/tls.log" template="line") }}
"""


def port_bound(table, port):
    """Whether something on this host has port open (listening for TCP),
    read from /proc/net/udp or /proc/net/tcp."""
    want = ":%04X" % port
    with open(table) as f:
        for line in f.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if local.endswith(want) and (table.endswith("udp") or state == "0A"):
                return True
    return False


class Rsyslog:
    """A real rsyslogd with a configuration of its own, on 127.0.0.1: UDP on
    udp, TLS (gtls, the collector's cert and key, clients checked against
    the dev CA) on tls; each input's messages as "MSGID SD MSG" lines in
    DIR/udp.log and DIR/tls.log. Stopped by its pid."""

    def __init__(self, d, udp, tls, cert):
        os.makedirs(os.path.join(d, "work"), exist_ok=True)
        conf = os.path.join(d, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(RSYSLOG_CONF.format(d=d, ca=os.path.join(CERTS, "ca.crt"), crt=cert[0], key=cert[1],
                                        udp=udp, tls=tls))
        self.proc = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i", os.path.join(d, "pid")],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not (port_bound("/proc/net/udp", udp) and port_bound("/proc/net/tcp", tls)):
            assert self.proc.poll() is None, self.proc.stdout.read()
            assert time.monotonic() < deadline, "rsyslogd did not open its ports"
            time.sleep(0.05)

    def stop(self):
        stop_process(self.proc)


class Tap:
    """Minimal TAP producer: each test is a function; failures are reported."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def run(self, fn):
        self.n += 1
        try:
            fn()
            print("ok %d - %s" % (self.n, fn.__name__), flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure
            self.failed += 1
            print("not ok %d - %s" % (self.n, fn.__name__), flush=True)
            for line in ("%s: %s" % (type(e).__name__, e)).splitlines():
                print("# " + line, flush=True)

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


FW_ELF = os.path.abspath(os.environ.get("SMBWARDEN_FW", os.path.join(ROOT, "build", "lm3s6965evb",
                                                                     "smbwarden.elf")))


class Firmware(Agent):
    """The firmware image booted in QEMU (lm3s6965evb): its serial console on
    a TCP socket QEMU waits on (nothing is lost before we connect), the
    management port forwarded to 127.0.0.1, the NV store a file in workdir
    (semihosting), so a second boot in the same workdir keeps the settings.
    QEMU always runs under a timeout and is stopped by its pid."""

    def __init__(self, workdir=None, extra=(), limit_s=600, elf=FW_ELF, pcap=None):
        self.state = workdir or tempfile.mkdtemp(prefix="smbw-qemu-")
        if workdir is None:
            atexit.register(shutil.rmtree, self.state, True)
        self.port = free_port()
        serial = free_port()
        self.buf = ""
        self.slave = None
        argv = ["timeout", str(limit_s), "qemu-system-arm", "-M", "lm3s6965evb",
                "-display", "none", "-monitor", "none",
                "-semihosting-config", "enable=on,target=native",
                "-serial", "tcp:127.0.0.1:%d,server=on,wait=on" % serial,
                *self.nic(pcap), *extra, "-kernel", elf]
        self.proc = subprocess.Popen(argv, cwd=self.state, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", serial), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError("QEMU did not open its serial port: %r" %
                                         (self.proc.stdout.read() if self.proc.poll() is not None else ""))
                time.sleep(0.05)
        self.rfd = self.wfd = self.sock.fileno()

    def nic(self, pcap):
        """The board's NIC on QEMU's user network, the management port
        forwarded; with pcap, every frame of the guest dumped there."""
        fwd = "hostfwd=tcp:127.0.0.1:%d-:8443" % self.port
        if not pcap:
            return ["-nic", "user," + fwd]
        return ["-netdev", "user,id=n0," + fwd, "-net", "nic,netdev=n0",
                "-object", "filter-dump,id=f0,netdev=n0,file=" + pcap]

    def send(self, raw):
        """Types raw at the serial line's real rate (115200 baud, about
        11.5 KB/s): QEMU's UART otherwise takes a paste far faster than a
        wire can carry it, and the board rightly refuses a paste whose
        bytes overran its input ring."""
        data = raw.replace("\n", "\r").encode()
        for i in range(0, len(data), 32):
            self.sock.sendall(data[i:i + 32])
            if i + 32 < len(data):
                time.sleep(32 / 11520)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            self.sock.close()
        except OSError:
            pass
        return self.proc.returncode
