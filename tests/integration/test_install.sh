#!/usr/bin/env bash
# make install / make uninstall of the Samba board, and the shipped unit as
# systemd judges it: `systemd-analyze verify` and an exposure of at most 4.0.
set -u
cd "$(dirname "$0")/../.."
n=0
fail=0
ok() { # ok DESCRIPTION CONDITION-EXIT-STATUS
    n=$((n + 1))
    if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi
}
tmp=$(mktemp -d /tmp/smbw-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
files="sbin/smbwarden lib/systemd/system/smbwarden-samba.service share/doc/smbwarden/README.md
       share/doc/smbwarden/examples/prometheus.yml share/doc/smbwarden/examples/smbwarden-alerts.yml"

make --no-print-directory install PREFIX="$prefix" >"$tmp/log" 2>&1
ok "make install PREFIX=DIR succeeds" $?
missing=0
for f in $files; do [ -f "$prefix/$f" ] || { echo "# missing $f"; missing=1; }; done
ok "it installs the agent, the unit, the README and the example configs" $missing
"$prefix/sbin/smbwarden" --version | grep -q '^smbwarden [0-9]'
ok "the installed agent runs (--version)" $?
unit=$prefix/lib/systemd/system/smbwarden-samba.service
grep -q "^ExecStart=$prefix/sbin/smbwarden " "$unit"
ok "the unit starts the agent where PREFIX put it" $?
(cd "$tmp" && systemd-analyze verify "$unit") >"$tmp/verify" 2>&1
rc=$?
[ -s "$tmp/verify" ] && sed 's/^/# /' "$tmp/verify"
ok "systemd-analyze verify accepts the installed unit" $rc
exposure=$(cd "$tmp" && systemd-analyze security --offline=true "$unit" 2>&1 |
           sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "# exposure $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e != "" && e + 0 <= 4.0) }'
ok "systemd-analyze security rates the unit at most 4.0 (OK)" $?

make --no-print-directory uninstall PREFIX="$prefix" >>"$tmp/log" 2>&1
ok "make uninstall succeeds" $?
left=$(cd "$prefix" && find . -type f | head -3)
[ -z "$left" ]
ok "make uninstall removes every file it installed${left:+ (left: $left)}" $?
left=$(cd "$prefix" && find . -type d \( -name systemd -o -name smbwarden \) | head -3)
[ -z "$left" ]
ok "make uninstall removes the directories of its own, emptied${left:+ (left: $left)}" $?

make --no-print-directory install DESTDIR="$tmp/dest" >>"$tmp/log" 2>&1 &&
    [ -x "$tmp/dest/usr/local/sbin/smbwarden" ] &&
    grep -q '^ExecStart=/usr/local/sbin/smbwarden ' "$tmp/dest/usr/local/lib/systemd/system/smbwarden-samba.service"
ok "DESTDIR is honoured, with the unit naming the final path" $?
[ "$fail" -eq 0 ] || sed 's/^/# /' "$tmp/log" | tail -20
exit $fail
