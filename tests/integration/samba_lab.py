"""A real Samba server and real SMB clients for the Samba board's tests.

Everything runs inside a network namespace the test makes itself, so the
server, its clients and the agent see only its own loopback. There the
addresses 127.0.0.2..6 are each a loopback address of their own: a client
that connects to 127.0.0.3 comes from 127.0.0.3, so one machine plays several
clients. smbd listens on all of them, on a high port, with every directory
under a temp dir. Every process is stopped by its pid.
"""
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from harness import ROOT

NETNS_ENV = "SMBWARDEN_TEST_NETNS"
SAMBA_BIN = os.path.abspath(os.environ.get("SMBWARDEN_SAMBA_BIN",
                                           os.path.join(ROOT, "build", "samba", "smbwarden")))
SMBC_CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "smbc_client.py")
ADDRS = ["127.0.0.%d" % i for i in range(1, 9)]
# Existing Debian system accounts, so the test adds no Unix users.
USERS = {"backup": "Backup-pw1", "mail": "Mail-pw1"}


def in_netns(script):
    """Runs script again inside a new network namespace, then deletes it.
    Returns in the inner run; exits with the inner run's status otherwise."""
    if os.environ.get(NETNS_ENV):
        return
    ns = "smbw-%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True)
    if r.returncode != 0:
        print("not ok 1 - make a network namespace for the Samba tests")
        print("# ip netns add: %s (the tests need root and iproute2)" % r.stderr.strip())
        sys.exit(1)
    # A SIGTERM or SIGINT still removes the namespace (through finally).
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(1))
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        for a in ADDRS[1:]:
            subprocess.run(["ip", "-n", ns, "addr", "add", a + "/32", "dev", "lo"], check=True)
        env = dict(os.environ, **{NETNS_ENV: ns})
        rc = subprocess.call(["ip", "netns", "exec", ns, sys.executable, script], env=env)
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    sys.exit(rc)


def wait(pred, timeout, what, step=0.1):
    """Polls pred until it returns something true; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(step)


def descendants(root):
    """root and every process below it, from /proc."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
                parent[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError):
                pass
    tree, todo = [], [root]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += [c for c, pp in parent.items() if pp == p]
    return tree


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def stop_tree(root):
    """SIGTERM to root and all below it; SIGKILL what is left after 5 s."""
    pids = [p for p in descendants(root) if alive(p)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = [p for p in pids if alive(p)]
        if not pids:
            return


class Samba:
    """smbd on ADDRS:port with a share "share" holding f.txt."""

    def __init__(self, port=4450, extra=""):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="smbw-samba-")
        os.chmod(self.dir, 0o755)
        for d in ("share", "private", "lock", "state", "cache", "pid", "log", "ncalrpc"):
            os.mkdir(os.path.join(self.dir, d))
        os.chmod(os.path.join(self.dir, "share"), 0o777)
        with open(os.path.join(self.dir, "share", "f.txt"), "w") as f:
            f.write("hello\n")
        self.conf = os.path.join(self.dir, "smb.conf")
        d = self.dir
        with open(self.conf, "w") as f:
            f.write("""[global]
  interfaces = %(addrs)s
  bind interfaces only = yes
  smb ports = %(port)d
  disable netbios = yes
  server role = standalone server
  private dir = %(d)s/private
  lock directory = %(d)s/lock
  state directory = %(d)s/state
  cache directory = %(d)s/cache
  pid directory = %(d)s/pid
  ncalrpc dir = %(d)s/ncalrpc
  log file = %(d)s/log/log.%%m
  passdb backend = tdbsam:%(d)s/private/passdb.tdb
  map to guest = bad user
  restrict anonymous = 0
%(extra)s
[share]
  path = %(d)s/share
  read only = no
  guest ok = yes
""" % {"addrs": " ".join(ADDRS), "port": port, "d": d, "extra": extra})
        for user, pw in USERS.items():
            subprocess.run(["smbpasswd", "-c", self.conf, "-s", "-a", user],
                           input="%s\n%s\n" % (pw, pw), capture_output=True, text=True,
                           check=True)
        self.clients = []
        self.proc = None
        self.start()

    def start(self):
        log = open(os.path.join(self.dir, "log", "smbd.out"), "ab")
        # A session of its own: smbd signals its whole process group when
        # it stops, which must not include this test.
        self.proc = subprocess.Popen(["smbd", "-F", "--no-process-group", "-s", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     start_new_session=True)
        log.close()

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError("smbd exited: %s" % self.log_tail())
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait(listening, 20, "smbd to listen on port %d" % self.port, step=0.05)

    def log_tail(self):
        with open(os.path.join(self.dir, "log", "smbd.out"), errors="replace") as f:
            return f.read()[-600:]

    def stop_server(self):
        """smbd and everything it started, and samba-dcerpcd (not smbd's
        child, and able to outlive it) by its pid file."""
        roots = []
        if self.proc and self.proc.poll() is None:
            roots.append(self.proc.pid)
        try:
            with open(os.path.join(self.dir, "pid", "samba-dcerpcd.pid")) as f:
                roots.append(int(f.read().split()[0]))
        except (OSError, ValueError, IndexError):
            pass
        for r in roots:
            stop_tree(r)
        if self.proc:
            self.proc.wait()

    def status(self):
        r = subprocess.run(["smbstatus", "-s", self.conf, "--json"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def sessions(self):
        """[{id, pid, client, user}] as smbstatus has them now."""
        return [{"id": int(s["session_id"]), "pid": int(s["server_id"]["pid"]),
                 "client": s["remote_machine"], "user": s["username"]}
                for s in self.status()["sessions"].values()]

    def from_client(self, addr):
        return [s for s in self.sessions() if s["client"] == addr]

    def wait_client(self, addr, count=1, timeout=20):
        return wait(lambda: len(self.from_client(addr)) >= count and self.from_client(addr),
                    timeout, "%d session(s) from %s" % (count, addr))

    def smbclient(self, addr, user=None, share="share"):
        """smbclient sitting at its prompt (it echoes every 5 s)."""
        auth = ["-U", "%s%%%s" % (user, USERS[user])] if user else ["-N"]
        p = subprocess.Popen(["smbclient", "-s", self.conf, "-p", str(self.port),
                              "//%s/%s" % (addr, share), *auth],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.clients.append(p)
        return p

    def smbc(self, addr, user, open_file=None, busy=None, share="share", count=1):
        """A libsmbclient client holding its session (see smbc_client.py)."""
        argv = ["/usr/bin/python3", SMBC_CLIENT, "smb://%s:%d/%s" % (addr, self.port, share),
                user, USERS[user]]
        if open_file:
            argv += ["--open", open_file]
        if busy:
            argv += ["--busy", str(busy)]
        if count > 1:
            argv += ["--count", str(count)]
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        self.clients.append(p)
        r, _, _ = select.select([p.stdout], [], [], 30)
        line = p.stdout.readline() if r else "(nothing in 30 s)"
        assert line.strip() == "ready", "smbc client: %r %r" % (line, p.stdout.read())
        return p

    def stop_clients(self):
        for p in self.clients:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.clients = []

    def close(self):
        self.stop_clients()
        self.stop_server()
        shutil.rmtree(self.dir, True)
