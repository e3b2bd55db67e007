"""The README's first command on a throwaway clone of this repository,
without .deps/ or build/: `make run` fetches the pinned sources, builds,
reaches the prompt and answers `show sessions`; `exit` ends it with 0."""
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

from harness import PROMPT, ROOT, Tap

t = Tap()


def read_until(proc, buf, text, timeout):
    deadline = time.monotonic() + timeout
    while text not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None and not select.select([proc.stdout], [], [], 0)[0]:
            raise AssertionError("waiting for %r; got %r" % (text, buf[-1500:]))
        if select.select([proc.stdout], [], [], min(left, 1.0))[0]:
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                raise AssertionError("output ended waiting for %r; got %r" % (text, buf[-1500:]))
            buf += data.decode("utf-8", "replace")
    return buf


def test_make_run_in_a_fresh_clone():
    top = tempfile.mkdtemp(prefix="smbw-clone-")
    clone = os.path.join(top, "smbwarden")
    proc = None
    try:
        subprocess.run(["git", "clone", "--quiet", ROOT, clone], check=True, timeout=120)
        assert not os.path.exists(os.path.join(clone, ".deps"))
        env = dict(os.environ)
        for var in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "SMBWARDEN_BIN", "CERTS"):
            env.pop(var, None)
        proc = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        start = time.monotonic()
        buf = read_until(proc, "", PROMPT, 900)
        print("# prompt after %.0f s" % (time.monotonic() - start))
        assert "deps: verified mbedtls_2.28.3.orig.tar.gz" in buf, buf[-1500:]
        assert "State: build/run-state" in buf
        proc.stdin.write(b"show sessions\n")
        proc.stdin.flush()
        buf = read_until(proc, buf, "10 live (6 stale)", 30)
        assert "\\\\FS-BACKUP01" in buf and "stale  orphan" in buf, buf[-1500:]
        proc.stdin.write(b"exit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # make and the agent, by group
            proc.wait(timeout=10)
        shutil.rmtree(top, ignore_errors=True)


t.run(test_make_run_in_a_fresh_clone)
t.done()
