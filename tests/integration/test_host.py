"""The host agent as a user runs it: options, the console over a pipe and a
terminal, saved settings across restarts, reboot, and a closed stdin."""
import os
import subprocess
import tempfile
import termios
import time

from harness import BIN, PROMPT, Agent, Tap

t = Tap()


def run_bin(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=10)


def test_help_option():
    r = run_bin("--help")
    assert r.returncode == 0, r
    assert "--state DIR" in r.stdout and "--scenario FILE" in r.stdout


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
           test_terminal_line_editing):
    t.run(fn)
t.done()
