#!/usr/bin/env bash
# config/certs.sh - make the development PKI for the management channel's
# mutual TLS (called by `make certs` with build/certs).
#
#   config/certs.sh OUTDIR
#
# Makes, in OUTDIR:
#   ca.crt ca.key               the dev CA the agent trusts
#   device.crt device.key       the agent's server certificate: CN=smbwarden,
#                               DNS:localhost, IP:127.0.0.1, IP:::1, serverAuth
#   operator.crt operator.key   client certificate, OU=operator, CN=operator-1
#   reader.crt reader.key       client certificate, OU=reader, CN=reader-1
#   other-ca.crt                a foreign CA (its key is thrown away)
#   stranger.crt stranger.key   client certificate (OU=operator) from the
#                               foreign CA, for the negative tests
#   other-device.crt .key       a server certificate from the foreign CA: with
#                               other-ca.crt, a second set to rotate to
# EC P-256 keys, SHA-256 signatures, PEM, valid for ten years; profiles in
# config/certs/.  Keys are SEC1 ("EC PRIVATE KEY", named curve, public key
# included), which mbedTLS 2.28 parses (so is unencrypted PKCS#8).
#
# A silent no-op when every file exists.  Otherwise the whole set is made
# again, so the files in OUTDIR always belong to one PKI.
set -euo pipefail

DAYS=3650
ORG="smbwarden dev"
PROFILES=$(cd "$(dirname "${BASH_SOURCE[0]}")/certs" && pwd)
FILES=(ca.crt ca.key device.crt device.key operator.crt operator.key
	reader.crt reader.key other-ca.crt stranger.crt stranger.key
	other-device.crt other-device.key)

die() { printf 'certs: %s\n' "$*" >&2; exit 1; }

# --- steps, all in the work directory $work -----------------------------

# newkey NAME: NAME.key, a P-256 key in SEC1 form.
newkey() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$work/$1.key"
}

# newca NAME SUBJECT: NAME.key and the self-signed NAME.crt.
newca() {
	newkey "$1"
	openssl req -new -x509 -config "$PROFILES/ca.cnf" -key "$work/$1.key" \
		-subj "$2" -days "$DAYS" -sha256 -out "$work/$1.crt"
}

# newcert NAME SUBJECT PROFILE CA: NAME.key and NAME.crt, issued by CA
# with the extensions of config/certs/PROFILE.cnf.
newcert() {
	newkey "$1"
	# openssl x509 chats on stderr even when it works: show it on failure.
	if ! openssl req -new -config "$PROFILES/ca.cnf" -key "$work/$1.key" \
		-subj "$2" |
		openssl x509 -req -CA "$work/$4.crt" -CAkey "$work/$4.key" \
			-set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" \
			-sha256 -extfile "$PROFILES/$3.cnf" -extensions ext \
			-out "$work/$1.crt" 2>"$work/x509.log"; then
		cat "$work/x509.log" >&2
		die "cannot issue $1.crt"
	fi
}

# --- main ---------------------------------------------------------------------
(($# == 1)) || die "usage: $0 OUTDIR"
out=$1
command -v openssl >/dev/null 2>&1 ||
	die "'openssl' not found; it is provided by the Debian package 'openssl'"

missing=0
for f in "${FILES[@]}"; do
	[[ -e $out/$f ]] || missing=1
done
((missing)) || exit 0

mkdir -p "$out"
work=$(mktemp -d "$out/.certs.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 077 # keys are created private

newca ca "/O=$ORG/CN=$ORG CA"
newcert device "/O=$ORG/CN=smbwarden" device ca
newcert operator "/O=$ORG/OU=operator/CN=operator-1" client ca
newcert reader "/O=$ORG/OU=reader/CN=reader-1" client ca
newca other-ca "/O=elsewhere/CN=elsewhere CA"
newcert stranger "/O=elsewhere/OU=operator/CN=stranger-1" client other-ca
newcert other-device "/O=elsewhere/CN=smbwarden" device other-ca

# Refuse to leave a PKI behind that does not verify.
openssl verify -x509_strict -purpose sslserver -CAfile "$work/ca.crt" \
	"$work/device.crt" >/dev/null || die "device.crt does not verify"
openssl verify -x509_strict -purpose sslclient -CAfile "$work/ca.crt" \
	"$work/operator.crt" "$work/reader.crt" >/dev/null ||
	die "client certificates do not verify"

chmod 644 "$work"/*.crt
for f in "${FILES[@]}"; do
	mv -f "$work/$f" "$out/$f"
done
echo "certs: made ${FILES[*]} in $out"
