#!/usr/bin/env bash
# Fetch lwIP's sources from Debian's source package `lwip` and unpack them
# into build/lwip/src (lwIP is never committed; docs/lwip.md). Idempotent:
# once build/lwip/src holds the wanted version it does nothing.
#
# apt runs with its own sources list (deb-src lines for the machine's Debian
# mirrors), lists and cache under build/lwip/apt, so the machine's apt
# configuration and state are left alone. Needs apt-get and dpkg-source
# (dpkg-dev, which scripts/deps.sh installs).
set -euo pipefail

WANT=2.1.3 # lwIP's upstream version; Debian's is 2.1.3+dfsg1-N
TOP=$(cd "$(dirname "$0")/.." && pwd)
L=$TOP/build/lwip
A=$L/apt
say() { echo "fetch-lwip: $*" >&2; }

if [ -f "$L/src/.version" ] && grep -q "^$WANT" "$L/src/.version" && [ -f "$L/src/src/core/tcp.c" ]; then
	exit 0
fi

APT_OPTS=(-o Dir::Etc::SourceList="$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache" -o Debug::NoLocking=1
	-o APT::Sandbox::User=root)
mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$L/dl"

# deb-src lines for the Debian suites this machine uses; bookworm's main
# archive when apt knows none (a root with no sources yet).
{
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | sort -u |
		while read -r uri suite; do
			case $uri in */debian/ | */debian) echo "deb-src ${uri%/}/ $suite main" ;; esac
		done
} | sort -u >"$A/sources.list"
[ -s "$A/sources.list" ] || echo "deb-src http://deb.debian.org/debian/ bookworm main" >"$A/sources.list"

say "apt-get update (private lists in build/lwip/apt)"
apt-get "${APT_OPTS[@]}" update -qq >"$A/update.log" 2>&1 ||
	{ say "apt-get update failed: $(tail -n 3 "$A/update.log")"; exit 1; }

ver=$(apt-cache "${APT_OPTS[@]}" showsrc lwip 2>/dev/null | awk '$1 == "Version:" { print $2 }' |
	grep "^$WANT" | sort -V | tail -n 1 || true)
[ -n "$ver" ] || { say "no source package lwip $WANT in $(tr '\n' ' ' <"$A/sources.list")"; exit 1; }

say "apt-get source --download-only lwip=$ver"
(cd "$L/dl" && apt-get "${APT_OPTS[@]}" source --download-only -q "lwip=$ver" >"$L/dl/source.log" 2>&1) ||
	{ say "apt-get source failed: $(tail -n 3 "$L/dl/source.log")"; exit 1; }
dsc=$(ls "$L/dl"/lwip_"${ver#*:}".dsc)

# Unpack beside, then move into place: an interrupted run leaves no half tree.
# apt checked the files against the archive's signed Sources; dpkg-source
# checks the tarballs against the .dsc (it cannot check the uploader's
# signature without debian-keyring, and says so in extract.log).
rm -rf "$L/src" "$L/src.new"
dpkg-source -x "$dsc" "$L/src.new" >"$L/dl/extract.log" 2>&1 ||
	{ say "dpkg-source -x failed: $(tail -n 3 "$L/dl/extract.log")"; exit 1; }
echo "$ver" >"$L/src.new/.version"
mv "$L/src.new" "$L/src"
say "lwIP $ver in build/lwip/src"
