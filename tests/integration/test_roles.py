"""Roles come from the client certificate's one OU, matched exactly as the
README documents it (`OU=operator`, `OU=reader`): odd cases, spacing and
several OUs get no role at all (403 everywhere). A certificate outside its
validity dates gets nothing: its handshake fails (the host's clock)."""
import shutil
import tempfile

from harness import PROMPT, Agent, Tap, mint_client_cert

t = Tap()
A = None
DIR = tempfile.mkdtemp(prefix="smbw-roles-")

# subject -> (status of a GET, status of an operator's PATCH)
CASES = [
    ("/O=smbwarden dev/OU=operator/CN=op", 200, 200),
    ("/O=smbwarden dev/OU=reader/CN=rd", 200, 403),
    ("/O=smbwarden dev/OU=OpErAtOr/CN=mixed", 403, 403),
    ("/O=smbwarden dev/OU=Reader/CN=capital", 403, 403),
    ("/O=smbwarden dev/OU=operator /CN=space", 403, 403),
    ("/O=smbwarden dev/OU=operators/CN=plural", 403, 403),
    ("/O=smbwarden dev/OU=oper/CN=prefix", 403, 403),
    ("/O=smbwarden dev/OU=operator/OU=reader/CN=two", 403, 403),
    ("/O=smbwarden dev/CN=none", 403, 403),
]


def status(crt, key, method="GET", path="/v1/status", data=None):
    code, _ = A.curl(path, role=None, method=method, data=data, extra=("--cert", crt, "--key", key))
    return code


def make_case(i, subject, want_get, want_patch):
    def case():
        crt, key = mint_client_cert(DIR, "c%d" % i, subject)
        assert status(crt, key) == want_get, subject
        assert status(crt, key, "PATCH", "/v1/config", "{}") == want_patch, subject
    case.__name__ = "test_role_of %s" % subject.split("/", 2)[2]
    return case


# notBefore, notAfter -> whether the handshake succeeds
DATES = [
    ("expired in 2025", "20240101000000Z", "20250601000000Z", False),
    ("not valid before 2099", "20990101000000Z", "21000101000000Z", False),
    ("valid now", "20250101000000Z", "20990101000000Z", True),
]


def make_dated_case(what, start, end, ok):
    def case():
        crt, key = mint_client_cert(DIR, what.replace(" ", "_"), "/O=smbwarden dev/OU=operator/CN=dated",
                                    dates=(start, end))
        code = status(crt, key)
        assert code == (200 if ok else 0), (what, code)
    case.__name__ = "test_an_operator_certificate_%s" % what.replace(" ", "_")
    return case


try:
    A = Agent(mgmt=True)
    A.read_until(PROMPT)
    for i, c in enumerate(CASES):
        t.run(make_case(i, *c))
    for c in DATES:
        t.run(make_dated_case(*c))
finally:
    if A:
        A.stop()
    shutil.rmtree(DIR, ignore_errors=True)
t.done()
