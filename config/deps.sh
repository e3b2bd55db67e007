#!/usr/bin/env bash
# config/deps.sh - build dependencies for smbwarden (called from the Makefile).
#
#   config/deps.sh packages PKG...   make sure Debian packages are installed
#   config/deps.sh sources DIR       fetch the pinned lwIP / mbedTLS sources
#
# `sources` uses a private apt state under DIR/apt: it needs network access
# to the Debian mirror the machine already uses, but neither root nor any
# change to /etc/apt.  It is a silent no-op once DIR matches the pins below.
set -euo pipefail

# --- Pins: Debian source package version, orig tarball, its sha256 ---------
LWIP_VERSION=2.1.3+dfsg1-2
LWIP_ORIG=lwip_2.1.3+dfsg1.orig.tar.xz
LWIP_SHA256=0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24
MBEDTLS_VERSION=2.28.3-1
MBEDTLS_ORIG=mbedtls_2.28.3.orig.tar.gz
MBEDTLS_SHA256=3b4953aa55a681e084d31892d9904cc5328d6b4958ea57b90ae4b4f94ae69a8d

# Where the machine's own Debian mirror configuration is read from.
DEBIAN_SOURCES=/etc/apt/sources.list.d/debian.sources
SOURCES_LIST=/etc/apt/sources.list

die() { printf 'deps: %s\n' "$*" >&2; exit 1; }

# need TOOL PACKAGE: fail with a hint if TOOL is not on PATH.
need() {
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' not found; it is provided by the Debian package '$2'" \
			"(sudo apt-get install --no-install-recommends $2)"
}

# Upstream version from a Debian one: 2.1.3+dfsg1-2 -> 2.1.3.
upstream() { local v=${1%-*}; printf '%s\n' "${v%%+*}"; }

# --- packages ---------------------------------------------------------------
cmd_packages() {
	local p missing=()
	need dpkg-query dpkg
	for p in "$@"; do
		[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) == \
			"install ok installed" ]] || missing+=("$p")
	done
	((${#missing[@]})) || return 0

	local -a sudo=()
	if ((EUID != 0)); then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			printf 'deps: missing packages: %s\n' "${missing[*]}" >&2
			printf 'deps: install them with: sudo apt-get install --no-install-recommends %s\n' \
				"${missing[*]}" >&2
			exit 1
		fi
	fi
	echo "deps: installing ${missing[*]}"
	"${sudo[@]}" apt-get -qq update
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -qq -y --no-install-recommends "${missing[@]}"
}

# --- sources ----------------------------------------------------------------

# Print a deb822 deb-src stanza for CODENAME/main, reusing the URIs and
# Signed-By of the machine's own Debian entry.  Prints nothing if none found.
deb_src_stanza() {
	local codename=$1
	if [[ -f $DEBIAN_SOURCES ]]; then
		# deb822: stanzas separated by blank lines, '#' comments, field names
		# case-insensitive, continuation lines start with whitespace (e.g. an
		# inline Signed-By key block, which is copied verbatim).
		awk -v cn="$codename" '
			function has(list, word,   n, i, a) {
				n = split(list, a, /[ \t\n]+/)
				for (i = 1; i <= n; i++) if (a[i] == word) return 1
				return 0
			}
			function flush() {
				if (!found && has(f["types"], "deb") && has(f["suites"], cn) &&
				    has(f["components"], "main") && tolower(f["enabled"]) != "no" &&
				    f["uris"] ~ /https?:\/\//) {
					found = 1
					print "Types: deb-src"
					print "URIs: " f["uris"]
					print "Suites: " cn
					print "Components: main"
					if ("signed-by" in f)
						print "Signed-By:" (f["signed-by"] ~ /^\n/ ? "" : " ") f["signed-by"]
				}
				split("", f); key = ""
			}
			/^#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { if (key != "") f[key] = f[key] "\n" $0; next }
			{
				i = index($0, ":"); if (!i) next
				key = tolower(substr($0, 1, i - 1)); v = substr($0, i + 1)
				sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); f[key] = v
			}
			END { flush() }
		' "$DEBIAN_SOURCES"
	elif [[ -f $SOURCES_LIST ]]; then
		# One-line format: deb [opt=val ...] URI SUITE COMPONENT...
		awk -v cn="$codename" '
			$1 != "deb" { next }
			{
				line = $0; opts = ""
				if (match(line, /\[[^]]*\]/)) {
					opts = substr(line, RSTART + 1, RLENGTH - 2)
					line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
				}
				n = split(line, w, /[ \t]+/)
				if (w[2] !~ /^https?:\/\// || w[3] != cn) next
				for (i = 4; i <= n; i++) if (w[i] == "main") break
				if (i > n) next
				print "Types: deb-src"
				print "URIs: " w[2]
				print "Suites: " cn
				print "Components: main"
				m = split(opts, o, /[ \t]+/)
				for (i = 1; i <= m; i++)
					if (o[i] ~ /^signed-by=/) print "Signed-By: " substr(o[i], 11)
				exit
			}
		' "$SOURCES_LIST"
	fi
}

# unpack TARBALL DEST: extract without the top-level directory, atomically.
unpack() {
	local tmp="$2.tmp"
	rm -rf "$tmp" "$2"
	mkdir -p "$tmp"
	tar -xf "$1" -C "$tmp" --strip-components=1 --no-same-owner
	mv "$tmp" "$2"
}

cmd_sources() {
	[[ $# -eq 1 && -n $1 ]] || die "usage: $0 sources DIR"
	mkdir -p "$1"
	local dir
	dir=$(cd "$1" && pwd)
	local lwip_dir mbedtls_dir
	lwip_dir=$dir/lwip-$(upstream "$LWIP_VERSION")
	mbedtls_dir=$dir/mbedtls-$(upstream "$MBEDTLS_VERSION")
	local stamp="$dir/.stamp-sources"
	local want
	want=$(printf '%s %s %s %s\n' \
		lwip "$LWIP_VERSION" "$LWIP_ORIG" "$LWIP_SHA256" \
		mbedtls "$MBEDTLS_VERSION" "$MBEDTLS_ORIG" "$MBEDTLS_SHA256")

	need flock util-linux
	# Serialise concurrent invocations (e.g. parallel make) on the same DIR.
	exec 9>"$dir/.lock"
	flock 9

	# Up to date: nothing to do, say nothing.
	if [[ -f $stamp && $(<"$stamp") == "$want" && -d $lwip_dir && -d $mbedtls_dir ]]; then
		return 0
	fi
	rm -f "$stamp"

	need apt-get apt
	need tar tar
	need sha256sum coreutils
	need xz xz-utils

	local codename
	codename=$(sed -n 's/^VERSION_CODENAME=["'\'']\{0,1\}\([^"'\'']*\).*/\1/p' /etc/os-release)
	[[ -n $codename ]] || die "cannot determine the Debian codename from /etc/os-release"

	# Private apt state: only our deb-src entry, our own lists and cache.
	local apt="$dir/apt"
	mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial" "$dir/dl"
	deb_src_stanza "$codename" >"$apt/sources.list.d/deps.sources"
	[[ -s $apt/sources.list.d/deps.sources ]] ||
		die "no Debian '$codename' mirror with component 'main' found in" \
			"$DEBIAN_SOURCES or $SOURCES_LIST; cannot derive a deb-src entry"
	local -a aptopts=(
		-o Dir::Etc::SourceList=/dev/null
		-o "Dir::Etc::SourceParts=$apt/sources.list.d"
		-o "Dir::State::Lists=$apt/lists"
		-o "Dir::Cache=$apt/cache"
	)
	# As root apt downloads as user _apt, which cannot write to DIR/dl (nor
	# to anything under e.g. /root); it then falls back to root anyway, with
	# a warning.  Skip the attempt.
	((EUID != 0)) || aptopts+=(-o APT::Sandbox::User=root)

	echo "deps: fetching lwip $LWIP_VERSION and mbedtls $MBEDTLS_VERSION source packages ($codename)"
	apt-get -qq "${aptopts[@]}" update
	# --download-only: no dpkg-source/dpkg-dev needed, nothing is unpacked.
	(cd "$dir/dl" && apt-get -qq "${aptopts[@]}" source --only-source --download-only \
		"lwip=$LWIP_VERSION" "mbedtls=$MBEDTLS_VERSION" >/dev/null)

	local name orig sum got
	for name in lwip mbedtls; do
		if [[ $name == lwip ]]; then orig=$LWIP_ORIG sum=$LWIP_SHA256
		else orig=$MBEDTLS_ORIG sum=$MBEDTLS_SHA256; fi
		[[ -f $dir/dl/$orig ]] ||
			die "$orig was not downloaded (is it still the orig tarball named in the .dsc?)"
		got=$(sha256sum "$dir/dl/$orig" | cut -d' ' -f1)
		if [[ $got != "$sum" ]]; then
			rm -f "$dir/dl/$orig"
			die "CHECKSUM MISMATCH for $orig: expected $sum, got $got (file deleted)"
		fi
		echo "deps: verified $orig"
	done

	unpack "$dir/dl/$LWIP_ORIG" "$lwip_dir"
	unpack "$dir/dl/$MBEDTLS_ORIG" "$mbedtls_dir"
	printf '%s\n' "$want" >"$stamp"
	echo "deps: unpacked ${lwip_dir#"$dir"/} and ${mbedtls_dir#"$dir"/} in $dir"
}

case ${1-} in
packages) shift; cmd_packages "$@" ;;
sources) shift; cmd_sources "$@" ;;
*)
	printf 'usage: %s packages PKG...\n       %s sources DIR\n' "$0" "$0" >&2
	exit 2
	;;
esac
