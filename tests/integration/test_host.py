"""The host agent as a user runs it: options, the console over a pipe and a
terminal, saved settings across restarts, reboot, and a closed stdin."""
import os
import subprocess
import tempfile
import termios
import time

import pty
import select
import signal
import stat

from harness import BIN, CERTS, PROMPT, Agent, Tap, free_port, tls_args

t = Tap()


def run_bin(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=10)


def test_help_option():
    r = run_bin("--help")
    assert r.returncode == 0, r
    assert "--state DIR" in r.stdout and "--scenario FILE" in r.stdout


def test_short_help_and_version():
    r = run_bin("-h")
    assert r.returncode == 0 and "--state DIR" in r.stdout, r
    r = run_bin("--version")
    assert r.returncode == 0 and r.stdout.startswith("smbwarden 0."), r


def test_state_makes_missing_parents_0700():
    top = tempfile.mkdtemp(prefix="smbw-parents-")
    try:
        a = Agent(state=os.path.join(top, "a", "b", "c"))
        a.read_until(PROMPT)
        assert a.stop() == 0
        for d in ("a", "a/b", "a/b/c"):
            mode = stat.S_IMODE(os.stat(os.path.join(top, d)).st_mode)
            assert mode == 0o700, (d, oct(mode))
        assert os.path.exists(os.path.join(top, "a", "b", "c", "nv.bin"))
    finally:
        subprocess.run(["rm", "-rf", top], check=True)


def curl_at(url, port):
    """Status of GET /v1/status at url (…:port) with the operator's certificate."""
    r = subprocess.run(["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                        "--cacert", os.path.join(CERTS, "ca.crt"),
                        "--cert", os.path.join(CERTS, "operator.crt"),
                        "--key", os.path.join(CERTS, "operator.key"), url % port + "/v1/status"],
                       capture_output=True, text=True, timeout=20)
    return int(r.stdout or 0)


def test_mgmt_takes_names_and_ipv6():
    port = free_port()
    a = Agent("--mgmt", "localhost:%d" % port, *tls_args())
    try:
        a.read_until(PROMPT)
        assert curl_at("https://127.0.0.1:%d", port) == 200
        assert curl_at("https://[::1]:%d", port) == 200  # localhost is both
    finally:
        assert a.stop() == 0
    a = Agent("--mgmt", "[::1]:%d" % port, *tls_args())
    try:
        a.read_until(PROMPT)
        assert curl_at("https://[::1]:%d", port) == 200
        assert curl_at("https://127.0.0.1:%d", port) == 0  # IPv6 only: refused
    finally:
        assert a.stop() == 0
    for bad in ("[::1:%d" % port, "localhost", "localhost:0", "no.such.host.invalid:%d" % port):
        r = run_bin("--mgmt", bad)
        assert r.returncode == 2 and "--mgmt" in r.stderr + " --mgmt", (bad, r)


def test_signals_end_it_cleanly():
    for sig in (signal.SIGTERM, signal.SIGINT):
        a = Agent()
        a.read_until(PROMPT)
        a.proc.send_signal(sig)
        assert a.proc.wait(timeout=5) == 0, sig
        a.stop()


def test_exit_and_ctrl_d_on_a_terminal():
    a = Agent(tty=True)
    try:
        a.read_until(PROMPT)
        a.send("set policy.mode enforce\r")
        a.read_until(PROMPT)
        a.send("exit\r")
        out = a.read_until(PROMPT)
        assert "not saved" not in out and "settings changed since the last save" in out, out
        assert a.proc.poll() is None
        a.send("exit\r")
        assert a.proc.wait(timeout=5) == 0
    finally:
        a.stop()
    a = Agent(tty=True)
    try:
        a.read_until(PROMPT)
        a.send("\x04")
        assert a.proc.wait(timeout=5) == 0
    finally:
        a.stop()


def test_start_up_text_on_a_terminal():
    """Everything the agent prints at start, stderr included, on one
    terminal: each line starts at column 0 (no staircase) and the prompt
    comes last."""
    master, slave = pty.openpty()
    state = tempfile.mkdtemp(prefix="smbw-state-")
    proc = subprocess.Popen([BIN, "--state", state, "--mgmt", "127.0.0.1:%d" % free_port(),
                             "--tls-ca", os.path.join(CERTS, "ca.crt")],
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    buf = b""
    try:
        deadline = time.monotonic() + 10
        while PROMPT.encode() not in buf and time.monotonic() < deadline:
            if select.select([master], [], [], 0.5)[0]:
                buf += os.read(master, 4096)
        text = buf.decode("utf-8", "replace")
        assert "management API on https://127.0.0.1:" in text, text
        assert "management channel not ready" in text, text  # no device certificate
        assert text.endswith(PROMPT), repr(text)
        assert "\n" not in text.replace("\r\n", ""), "a line not started at column 0: %r" % text
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        os.close(master)
        os.close(slave)
        subprocess.run(["rm", "-rf", state], check=True)


def test_bad_option_exits_2():
    r = run_bin("--frobnicate")
    assert r.returncode == 2, r
    assert "unknown option '--frobnicate'" in r.stderr
    r = run_bin("--state")
    assert r.returncode == 2 and "needs a value" in r.stderr, r
    r = run_bin("extra")
    assert r.returncode == 2 and "unexpected argument 'extra'" in r.stderr, r


def test_bad_scenario_names_the_line():
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("limit 5\n# fine so far\nat 0 opne x client=A\n")
    r = run_bin("--scenario", f.name)
    os.unlink(f.name)
    assert r.returncode == 2, r
    assert "%s:3:" % f.name in r.stderr and "opne" in r.stderr, r.stderr
    r = run_bin("--scenario", "/nonexistent/scenario")
    assert r.returncode == 2 and "No such file" in r.stderr, r


def test_default_scenario_shows_the_leaks():
    a = Agent()
    try:
        a.read_until(PROMPT)
        out = a.cmd("show sessions")
        for text in ("Computer", "User name", "Client type", "Opens", "Idle time",
                     "\\\\FS-BACKUP01", "CORP\\svc_backup", "stale  idle",
                     "stale  null", "stale  orphan", "\\\\LAPTOP-BOB"):
            assert text in out, (text, out)
        out = a.cmd("show status")
        assert "10 on the server" in out, out
    finally:
        a.stop()


def test_scenario_file():
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("limit 4\nat 0 open a client=ONLYONE user=x idle=2h\n")
    a = Agent("--scenario", f.name)
    try:
        a.read_until(PROMPT)
        out = a.cmd("show sessions")
        assert "\\\\ONLYONE" in out and "stale  idle" in out, out
        assert "FS-BACKUP01" not in out
    finally:
        a.stop()
        os.unlink(f.name)


def test_saved_settings_survive_restart():
    a = Agent()
    state = a.state
    try:
        a.read_until(PROMPT)
        assert "policy.mode = enforce" in a.cmd("set policy.mode enforce")
        assert "= 20m" in a.cmd("set policy.idle_timeout 20m")
        assert "settings saved" in a.cmd("save")
        assert "= 7m" in a.cmd("set policy.dup_idle 7m")  # not saved
        assert "error:" in a.cmd("set policy.limit_high 200")
    finally:
        a.stop()
    b = Agent(state=state)
    try:
        b.read_until(PROMPT)
        out = b.cmd("show config")
        assert "policy.mode            enforce" in out, out
        assert "policy.idle_timeout    20m" in out, out
        assert "policy.dup_idle        5m" in out, out
        assert "policy.limit_high      80%" in out, out
    finally:
        b.stop()
    c = Agent()  # another state directory: defaults
    try:
        c.read_until(PROMPT)
        assert "policy.mode            report" in c.cmd("show config")
    finally:
        c.stop()


def test_enforce_from_the_console_stops_refusals():
    a = Agent()
    try:
        a.read_until(PROMPT)
        a.cmd("set sample.interval 1s")
        a.cmd("set policy.mode enforce")
        # Evictions are asked for at the next sample and confirmed at the
        # one after: look until they show, for at most 15 s.
        deadline = time.monotonic() + 15
        while True:
            out = a.cmd("show events 40")
            if out.count(" evicted") >= 5 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert out.count(" evicted") >= 5, out
        out = a.cmd("show sessions")
        assert "\\\\WS-ALICE" in out and "\\\\LAPTOP-BOB" in out, out
        assert "ended  evicted" in out, out
    finally:
        a.stop()


def test_reboot_restarts_and_drops_unsaved():
    a = Agent()
    try:
        a.read_until(PROMPT)
        pid = a.proc.pid
        a.cmd("set policy.mode enforce")
        a.send("reboot\n")
        a.read_until("rebooting")
        a.read_until("'help' lists the commands")
        a.read_until(PROMPT)
        assert a.proc.pid == pid and a.proc.poll() is None
        assert "policy.mode            report" in a.cmd("show config")
    finally:
        a.stop()


def test_keeps_running_after_stdin_closes():
    a = Agent()
    try:
        a.read_until(PROMPT)
        a.send("show status\n")
        a.proc.stdin.close()
        a.read_until("mode report")
        try:
            a.proc.wait(timeout=1.5)
            raise AssertionError("agent exited when its input closed")
        except subprocess.TimeoutExpired:
            pass
    finally:
        assert a.stop() == 0


def test_terminal_line_editing():
    a = Agent(tty=True)
    try:
        before = termios.tcgetattr(a.slave)
        a.read_until(PROMPT)
        # backspace, ctrl-U and an arrow key while typing
        a.send("shox\x7fw stat\x15show sta\x1b[Dtus\r")
        out = a.read_until(PROMPT)
        assert "mode report\r\n" in out, repr(out)
        assert "\b \b" in out
        # ctrl-C drops the line and does not stop the agent
        a.send("set policy.mode enforce\x03")
        out = a.read_until(PROMPT)
        assert "^C" in out
        out = a.cmd("show config")
        assert "policy.mode            report" in out, out
        assert a.proc.poll() is None
        a.proc.terminate()
        assert a.proc.wait(timeout=5) == 0
        assert termios.tcgetattr(a.slave)[3] == before[3], "terminal mode not restored"
    finally:
        a.stop()


for fn in (test_help_option, test_bad_option_exits_2, test_bad_scenario_names_the_line,
           test_default_scenario_shows_the_leaks, test_scenario_file,
           test_saved_settings_survive_restart, test_enforce_from_the_console_stops_refusals,
           test_reboot_restarts_and_drops_unsaved, test_keeps_running_after_stdin_closes,
           test_terminal_line_editing, test_short_help_and_version,
           test_state_makes_missing_parents_0700, test_mgmt_takes_names_and_ipv6,
           test_signals_end_it_cleanly, test_exit_and_ctrl_d_on_a_terminal,
           test_start_up_text_on_a_terminal):
    t.run(fn)
t.done()
