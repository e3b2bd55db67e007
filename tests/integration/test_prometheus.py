"""A real Prometheus server scrapes the agent's /metrics over mutual TLS.

Prometheus (Debian package `prometheus`, /usr/bin/prometheus) is started
here with its own configuration and storage in a temp dir, listening on
127.0.0.1 only.  Three jobs scrape the same agent every second:

  smbwarden           the reader certificate: must be up, with the
                      built-in scenario's 6 leaked (stale) sessions;
  smbwarden-nocert    no client certificate: the agent refuses, up == 0;
  smbwarden-stranger  a certificate from another CA: refused, up == 0.

It also loads the example alert rules (config/smbwarden-alerts.yml), which
`promtool check rules` must pass, and runs their unit tests (promtool test
rules tests/alerts/smbwarden-alerts-test.yml: the predict_linear rule on
made-up series).
Everything is checked through Prometheus' HTTP API, polling under
deadlines.  Prometheus and the agent are stopped by pid at the end, even
on failure, and the temp dirs removed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CERTS, PROMPT, ROOT, Agent, Tap, free_port, stop_process  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
RULE_TESTS = os.path.join(ROOT, "tests", "alerts", "smbwarden-alerts-test.yml")
RULES = os.path.join(ROOT, "config", "smbwarden-alerts.yml")
STALE = 6            # the built-in scenario: 3 idle, 2 null, 1 orphan
WAIT = 15.0          # seconds any one answer may take to appear
# Prometheus is on 127.0.0.1: never through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def prometheus_config(port):
    """prometheus.yml text: three jobs scraping the agent on port."""
    ca = os.path.join(CERTS, "ca.crt")

    def job(name, role):
        lines = ["  - job_name: %s" % name,
                 "    scheme: https",
                 "    metrics_path: /metrics",
                 "    tls_config:",
                 "      ca_file: %s" % ca]
        if role:
            lines += ["      cert_file: %s" % os.path.join(CERTS, role + ".crt"),
                      "      key_file: %s" % os.path.join(CERTS, role + ".key")]
        # 127.0.0.1 is an IP subjectAltName of the dev device certificate.
        lines += ["    static_configs:",
                  "      - targets: ['127.0.0.1:%d']" % port]
        return "\n".join(lines)

    return "\n".join([
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 800ms",
        "  evaluation_interval: 1s",
        "rule_files:",
        "  - %s" % RULES,
        "scrape_configs:",
        job("smbwarden", "reader"),
        job("smbwarden-nocert", None),
        job("smbwarden-stranger", "stranger"),
        ""])


class Prometheus:
    """/usr/bin/prometheus on 127.0.0.1 with config and storage in a temp dir."""

    def __init__(self, config_text):
        self.dir = tempfile.mkdtemp(prefix="smbw-prom-")
        self.port = free_port()
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + self.config,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            cwd=self.dir)

    def get(self, path, params=None):
        """(status, body text) of GET path on Prometheus' HTTP API."""
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with OPENER.open(url, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def api(self, path, params=None):
        code, body = self.get(path, params)
        doc = json.loads(body)
        assert code == 200 and doc.get("status") == "success", (path, params, code, body[:400])
        return doc["data"]

    def query(self, expr):
        """The instant vector of expr: [(labels, float value)]."""
        data = self.api("/api/v1/query", {"query": expr})
        assert data["resultType"] == "vector", data
        return [(s["metric"], float(s["value"][1])) for s in data["result"]]

    def wait_ready(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("prometheus exited with %s:\n%s"
                                     % (self.proc.returncode, self.log_tail()))
            try:
                code, _ = self.get("/-/ready")
                if code == 200:
                    return
                last = code
            except OSError as e:
                last = e
            time.sleep(0.1)
        raise AssertionError("prometheus not ready after %.0fs (%s):\n%s"
                             % (timeout, last, self.log_tail()))

    def log_tail(self, n=2000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-n:]
        except OSError:
            return ""

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


def poll(what, fn, timeout=WAIT):
    """Calls fn until it returns a true value; fails with the last answer."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            got = fn()
            if got:
                return got
            last = got
        except (AssertionError, OSError, ValueError, KeyError) as e:
            last = "%s: %s" % (type(e).__name__, e)
        if time.monotonic() >= deadline:
            raise AssertionError("%s: no answer after %.0fs; last: %r" % (what, timeout, last))
        time.sleep(0.2)


def scalar(prom, expr):
    """The single value of expr, or None while there is none."""
    r = prom.query(expr)
    assert len(r) <= 1, (expr, r)
    return r[0][1] if r else None


def wait_value(prom, expr, want):
    got = {}

    def check():
        got["v"] = scalar(prom, expr)
        return got["v"] == want
    try:
        poll("%s == %s" % (expr, want), check)
    except AssertionError:
        raise AssertionError("%s: want %s, got %s" % (expr, want, got.get("v")))


def target(prom, job):
    """The active target of job in /api/v1/targets, once it was scraped."""
    for t in prom.api("/api/v1/targets", {"state": "active"})["activeTargets"]:
        if t["labels"].get("job") == job and t["health"] != "unknown":
            return t
    return None


def alert_names(path):
    """The alert names of a rules file, read without a YAML parser."""
    with open(path) as f:
        return sorted(re.findall(r"^\s*-\s*alert:\s*(\S+)\s*$", f.read(), re.M))


def main():
    t = Tap()
    if not os.access(PROMETHEUS, os.X_OK):
        def prometheus_installed():
            raise AssertionError("%s is missing: `make deps` installs it (Debian package "
                                 "prometheus, in the Makefile's PACKAGES)" % PROMETHEUS)
        t.run(prometheus_installed)
        t.done()

    agent = prom = rc = None
    exposition = {}
    try:
        agent = Agent(mgmt=True)

        def agent_serves_metrics():
            agent.read_until(PROMPT)
            code, body = agent.curl("/metrics", "reader")
            assert code == 200, (code, body[:300])
            exposition["samples"] = [ln for ln in body.splitlines()
                                     if ln and not ln.startswith("#")]
            assert exposition["samples"], body

        def prometheus_starts():
            nonlocal prom
            prom = Prometheus(prometheus_config(agent.port))
            prom.wait_ready()

        def good_job_up():
            wait_value(prom, 'up{job="smbwarden"}', 1.0)

        def good_job_scrape_clean():
            def healthy():
                tg = target(prom, "smbwarden")
                return tg if tg and tg["health"] == "up" else None
            tg = poll("target smbwarden healthy", healthy)
            assert tg["lastError"] == "", tg
            assert tg["scrapeUrl"] == "https://127.0.0.1:%d/metrics" % agent.port, tg
            assert tg["lastScrapeDuration"] < 0.8, tg

        def every_sample_accepted():
            # Prometheus took every sample of the exposition: none dropped
            # as unparsable, duplicate or out of order.
            wait_value(prom, 'scrape_samples_scraped{job="smbwarden"}',
                       float(len(exposition["samples"])))
            wait_value(prom, 'smbwarden_up{job="smbwarden"}', 1.0)

        def leaked_sessions():
            wait_value(prom, 'sum(smbwarden_stale_sessions{job="smbwarden"})', float(STALE))

        def stale_by_reason():
            for reason, n in (("idle", 3), ("null", 2), ("orphan", 1), ("duplicate", 0)):
                wait_value(prom, 'smbwarden_stale_sessions{job="smbwarden",reason="%s"}'
                           % reason, float(n))

        def leak_sources():
            # the top sources' series, bounded; the limit and the time to it
            wait_value(prom, 'count(smbwarden_leak_source_stale_total{job="smbwarden"})', 5.0)
            got = prom.query('smbwarden_leak_source_stale_total{job="smbwarden",'
                             'client="FS-BACKUP01",user="CORP\\\\svc_backup"}')
            assert len(got) == 1 and got[0][1] >= 2, got
            wait_value(prom, 'smbwarden_session_limit{job="smbwarden"}', 10.0)
            wait_value(prom, 'smbwarden_time_to_limit_seconds{job="smbwarden"}', 0.0)

        def promtool_checks_and_tests_the_rules():
            for argv in ([PROMTOOL, "check", "rules", RULES], [PROMTOOL, "test", "rules", RULE_TESTS]):
                r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
                assert r.returncode == 0 and "SUCCESS" in r.stdout, (argv, r.stdout, r.stderr)

        def sessions_stale_state():
            wait_value(prom, 'smbwarden_sessions{job="smbwarden",state="stale"}', float(STALE))

        def counter_types():
            # The TYPE lines reached Prometheus: its metadata shows counters.
            def meta():
                d = prom.api("/api/v1/metadata", {"metric": "smbwarden_samples_total"})
                return d.get("smbwarden_samples_total")
            m = poll("metadata of smbwarden_samples_total", meta)
            assert m[0]["type"] == "counter", m

        def refused_without_client_cert():
            wait_value(prom, 'up{job="smbwarden-nocert"}', 0.0)
            tg = poll("target smbwarden-nocert scraped", lambda: target(prom, "smbwarden-nocert"))
            assert tg["health"] == "down" and tg["lastError"], tg
            print("# no client certificate: %s" % tg["lastError"], flush=True)

        def refused_with_stranger_cert():
            wait_value(prom, 'up{job="smbwarden-stranger"}', 0.0)
            tg = poll("target smbwarden-stranger scraped",
                      lambda: target(prom, "smbwarden-stranger"))
            assert tg["health"] == "down" and tg["lastError"], tg
            print("# certificate from another CA: %s" % tg["lastError"], flush=True)
            # No series of the agent under the refused jobs.
            assert prom.query('smbwarden_up{job=~"smbwarden-(nocert|stranger)"}') == []

        def alert_rules_loaded():
            want = alert_names(RULES)
            assert want, RULES

            def evaluated():
                groups = prom.api("/api/v1/rules", {"type": "alert"})["groups"]
                rules = [r for g in groups if g["file"] == RULES for r in g["rules"]]
                if sorted(r["name"] for r in rules) != want:
                    return None
                bad = [r for r in rules if r["health"] != "ok"]
                return None if bad else rules
            try:
                rules = poll("rules of %s evaluated" % RULES, evaluated)
            except AssertionError:
                raise AssertionError("want every rule of %s healthy: %s; got %s"
                                     % (RULES, want, prom.get("/api/v1/rules")[1][:1500]))
            leaked = [r for r in rules if r["name"] == "SmbwardenLeakedSessions"][0]
            assert leaked["duration"] == 15 * 60, leaked

        def leaked_alert_pending():
            # sum by (instance) (stale) > 0 holds now; `for: 15m` keeps it pending.
            def pending():
                for a in prom.api("/api/v1/alerts")["alerts"]:
                    if a["labels"].get("alertname") == "SmbwardenLeakedSessions":
                        return a
                return None
            a = poll("alert SmbwardenLeakedSessions", pending)
            assert a["state"] == "pending", a
            assert a["labels"].get("instance") == "127.0.0.1:%d" % agent.port, a
            assert float(a["value"]) == STALE, a
            assert str(STALE) in a["annotations"].get("summary", ""), a

        for fn in (agent_serves_metrics, prometheus_starts, good_job_up, good_job_scrape_clean,
                   every_sample_accepted, leaked_sessions, stale_by_reason, leak_sources,
                   promtool_checks_and_tests_the_rules,
                   sessions_stale_state, counter_types, refused_without_client_cert,
                   refused_with_stranger_cert, alert_rules_loaded, leaked_alert_pending):
            t.run(fn)

        def agent_still_serves():
            # After a burst of refused handshakes the agent still answers.
            assert agent.cmd("show status").find("smbwarden") >= 0
            code, _ = agent.curl("/v1/status", "reader")
            assert code == 200, code
        t.run(agent_still_serves)
    finally:
        if prom is not None:
            if t.failed:
                for line in prom.log_tail().splitlines():
                    print("# prometheus: " + line, flush=True)
            prom.stop()
        if agent is not None:
            rc = agent.stop()
            shutil.rmtree(agent.state, ignore_errors=True)

    def agent_exits_cleanly():
        assert rc == 0, "agent exit status %s; stderr: %s" % (
            rc, agent.proc.stderr.read().decode("utf-8", "replace")[-1500:])
    t.run(agent_exits_cleanly)
    t.done()


if __name__ == "__main__":
    main()
