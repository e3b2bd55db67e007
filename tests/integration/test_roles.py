"""Roles come from the client certificate's one OU, matched exactly as the
README documents it (`OU=operator`, `OU=reader`): odd cases, spacing and
several OUs get no role at all (403 everywhere)."""
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


try:
    A = Agent(mgmt=True)
    A.read_until(PROMPT)
    for i, c in enumerate(CASES):
        t.run(make_case(i, *c))
finally:
    if A:
        A.stop()
    shutil.rmtree(DIR, ignore_errors=True)
t.done()
