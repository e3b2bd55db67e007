"""A real SMB client for the Samba tests, on libsmbclient (python3-smbc).

Run with Debian's /usr/bin/python3 (python3-smbc exists only for it):
    smbc_client.py URL USER PASSWORD [--open FILE] [--busy SECONDS] [--count N]
It lists the share (setting up its session), optionally opens FILE and keeps
it open, prints "ready", then holds the session until its stdin closes or it
gets SIGTERM. With --busy it lists the share again every SECONDS, so its
session stays active. With --count it holds N sessions, each on a
connection of its own (a libsmbclient context each). Errors after "ready" (the server ending the session)
are printed and the client carries on, as a service would.
"""
import select
import sys

import smbc


def main():
    args = sys.argv[1:]
    url, user, password = args[:3]
    opts = dict(zip(args[3::2], args[4::2]))
    ctxs = [smbc.Context(auth_fn=lambda srv, share, wg, u, p: ("", user, password))
            for _ in range(int(opts.get("--count", 1)))]
    for ctx in ctxs:
        ctx.opendir(url).getdents()
    ctx = ctxs[0]
    held = ctx.open(url + "/" + opts["--open"]) if "--open" in opts else None
    print("ready", flush=True)
    busy = float(opts.get("--busy", 0)) or None
    while True:
        r, _, _ = select.select([sys.stdin], [], [], busy)
        if r and not sys.stdin.readline():
            break
        if not r:
            try:
                ctx.opendir(url).getdents()
            except Exception as e:  # noqa: BLE001 - the server may be away
                print("error: %s" % e, flush=True)
    del held


if __name__ == "__main__":
    main()
