#!/usr/bin/env bash
# The nested SVM lane: run a command on an SVM host, inside L1.
#
#   tests/svm/lane.sh KERNEL COMMAND...     KERNEL is 6.1 or 6.12
#
# L1 is QEMU under TCG with an EPYC CPU that has svm and npt, running Debian's
# kernel (6.1: bookworm's linux-image-amd64; 6.12: linux-image-6.12-amd64) with
# kvm_amd loaded: a VT-x/SVM host as far as bulkhead can tell. The kernel
# package is fetched with apt-get download and unpacked with dpkg-deb (never
# installed) into build/svm/, with an initramfs of busybox, the modules and
# tests/svm/init. L1 sees this machine's root read-only over virtio-9p, under
# a tmpfs overlay, so every tool the tests use is there; COMMAND runs in it as
# root, in the current directory, with REQUIRE_KVM, ASAN_OPTIONS and
# UBSAN_OPTIONS passed on, and TIMEOUT_SCALE (tests/integration/lib.sh's time
# limits; 5 unless set). Its output is printed as it comes; the lane exits
# with its exit status (124: L1 timed out, LANE_TIMEOUT seconds, default 3600;
# 125: L1 broke before the command ended). LANE_CPU replaces the -cpu model
# (LANE_CPU=EPYC,-svm gives an L1 without svm); LANE_KEEP=1 keeps the run's
# directory (L1's console.log) under build/svm/.
#
# Under TCG absolute times mean nothing; ratios do. qemu-system-x86 and
# busybox-static come from `make deps`.
set -u
[ $# -ge 2 ] || { echo "usage: $0 6.1|6.12 COMMAND..." >&2; exit 2; }
series=$1; shift
case $series in
6.1) meta=linux-image-amd64 ;;
6.12) meta=linux-image-6.12-amd64 ;;
*) echo "lane: no L1 kernel $series (6.1 or 6.12)" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
C=$TOP/build/svm
mkdir -p "$C/debs"
say() { echo "lane: $*" >&2; }

# apt, for the kernel packages only, with its own lists under build/svm/apt:
# this machine's Debian sources plus the security suite on the same mirror,
# as Debian's installer sets it up (bookworm's linux-image-6.12-amd64 is only
# there, and a debootstrapped root has no security suite). The machine's own
# apt configuration is left alone.
A=$C/apt
APT_OPTS=(-o Dir::Etc::SourceList="$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache" -o Debug::NoLocking=1)
apt_lists() {
	local codename
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | sort -u |
		while read -r uri suite; do
			uri=${uri%/}/
			echo "deb $uri $suite main"
			case $uri in */debian/) echo "deb ${uri%debian/}debian-security/ $codename-security main" ;; esac
		done | sort -u >"$A/sources.list.new"
	[ -s "$A/sources.list.new" ] || { rm -f "$A/sources.list.new"; return 1; }
	if ! cmp -s "$A/sources.list.new" "$A/sources.list" || [ -z "$(find "$A/lists" -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
		mv "$A/sources.list.new" "$A/sources.list"
		apt-get "${APT_OPTS[@]}" update -qq >"$A/update.log" 2>&1 || say "apt-get update failed: $(tail -n 2 "$A/update.log")"
	fi
	rm -f "$A/sources.list.new"
}

# The kernel package that the metapackage names today; the last one fetched
# when the archive cannot be asked.
kernel_package() {
	local p
	apt_lists
	p=$(apt-cache "${APT_OPTS[@]}" depends "$meta" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	[ -n "$p" ] || p=$(cat "$C/$series.package" 2>/dev/null)
	[ -n "$p" ] && echo "$p"
}

# build/svm/PKG/{vmlinuz,initramfs.cpio}: unpacked once, the initramfs built
# again whenever its inputs change.
prepare_kernel() {
	local pkg=$1 k=$C/$1 deb x
	mkdir -p "$k"
	if [ -s "$k/initramfs.cpio" ] && [ -s "$k/vmlinuz" ] &&
		[ "$k/initramfs.cpio" -nt "$HERE/init" ] && [ "$k/initramfs.cpio" -nt "$HERE/mkinitramfs.py" ] &&
		[ "$k/initramfs.cpio" -nt /bin/busybox ]; then
		return 0
	fi
	deb=$(ls "$C/debs/${pkg}_"*.deb 2>/dev/null | tail -n 1)
	if [ -z "$deb" ]; then
		say "fetching $pkg (apt-get download)"
		(cd "$C/debs" && apt-get "${APT_OPTS[@]}" download -q "$pkg" >"$C/debs/download.log" 2>&1) ||
			{ say "apt-get download $pkg failed: $(tail -n 3 "$C/debs/download.log")"; return 1; }
		deb=$(ls "$C/debs/${pkg}_"*.deb | tail -n 1)
	fi
	x=$(mktemp -d "$C/unpack.XXXXXX")
	say "unpacking $(basename "$deb") and building L1's initramfs"
	dpkg-deb -x "$deb" "$x" &&
		cp "$x"/boot/vmlinuz-* "$k/vmlinuz" &&
		python3 "$HERE/mkinitramfs.py" "$(ls -d "$x"/lib/modules/*)" /bin/busybox "$HERE/init" \
			"$k/initramfs.cpio" kvm_amd 9pnet_virtio 9p overlay virtio_pci >"$k/modules" ||
		{ rm -rf "$x"; say "could not build L1 from $deb"; return 1; }
	rm -rf "$x"
	echo "$pkg" >"$C/$series.package"
}

# EPYC with svm and npt, less the features that TCG says it cannot provide
# (it warns and drops them; asking for them anyway only adds noise).
cpu_model() {
	local f=$C/cpu.$(qemu-system-x86_64 --version | head -n 1 | tr -c 'A-Za-z0-9.' _)
	if [ ! -s "$f" ]; then
		local minus
		minus=$(echo quit | qemu-system-x86_64 -accel tcg -cpu EPYC,+svm,+npt -machine pc -S \
			-nodefaults -display none -monitor stdio 2>&1 >/dev/null |
			sed -n "s/.*TCG doesn't support requested feature: [^.]*\.[^.]*\.\([^ ]*\) .*/-\1/p" |
			sort -u | paste -sd, -)
		echo "EPYC,+svm,+npt${minus:+,$minus}" >"$f"
	fi
	cat "$f"
}

command -v qemu-system-x86_64 >/dev/null && [ -x /bin/busybox ] ||
	{ say "qemu-system-x86 and busybox-static are missing: run make deps"; exit 2; }
pkg=$(kernel_package) || { say "cannot find $meta's kernel package in Debian's archive"; exit 2; }
prepare_kernel "$pkg" || exit 2
cpu=${LANE_CPU:-$(cpu_model)}

run=$(mktemp -d "$C/run.XXXXXX") # not under /tmp: L1 mounts its own tmpfs there
qpid=
cleanup() {
	[ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null
	if [ "${LANE_KEEP:-0}" = 1 ]; then say "kept $run"; else rm -rf "$run"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
{
	printf 'cd %q || exit 125\n' "$PWD"
	printf 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANE_KERNEL=%q\n' "$series"
	for v in REQUIRE_KVM ASAN_OPTIONS UBSAN_OPTIONS; do
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'export TIMEOUT_SCALE=%q\n' "${TIMEOUT_SCALE:-5}"
	# L1 boots with one CPU online (maxcpus=1): its modules load and
	# kvm-pin.py flips KVM's static keys before the second CPU comes up.
	printf 'if [ -c /dev/kvm ]; then\n\tpython3 %q /run/kvm-pin.ready &\n' "$HERE/kvm-pin.py"
	printf '\tfor i in $(seq 300); do [ -e /run/kvm-pin.ready ] && break; sleep 0.1; done\n'
	printf '\t[ -e /run/kvm-pin.ready ] || echo "lane: kvm-pin.py did not start"\nfi\n'
	printf 'for c in /sys/devices/system/cpu/cpu[1-9]*/online; do echo 1 >"$c"; done\n'
	printf '%s\n' "$*"
	# The logs that failed integration tests keep (run.sh: /tmp/bh-*) go to
	# the host, since L1's /tmp goes with it.
	printf 'rc=$?\nfor d in /tmp/bh-*; do [ -d "$d" ] && cp -r "$d" /lane-out/ 2>/dev/null; done\nexit $rc\n'
} >"$run/cmd.sh"
mkdir -p "$run/out"
: >"$run/out.log"

say "L1: $pkg, -cpu $cpu, 2 vCPUs, 4 GiB, TCG"
start=$(date +%s)
timeout --signal=KILL "${LANE_TIMEOUT:-3600}" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu "$cpu" -smp 2 -m 4096 \
	-machine pc -nodefaults -no-reboot -display none -nic none \
	-kernel "$C/$pkg/vmlinuz" -initrd "$C/$pkg/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 maxcpus=1 lane_cmd=$run/cmd.sh" \
	-serial "file:$run/console.log" -serial "file:$run/out.log" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$run/out",mount_tag=laneout,security_model=none \
	</dev/null >"$run/qemu.log" 2>&1 &
qpid=$!
tail -n +1 -f --pid=$qpid "$run/out.log"
wait $qpid
qrc=$?
qpid=

rc=$(sed -n 's/^lane: exit status \([0-9]*\).*/\1/p' "$run/console.log" 2>/dev/null | tail -n 1)
if [ -z "$rc" ]; then
	[ $qrc -eq 137 ] && { rc=124; say "L1 timed out after ${LANE_TIMEOUT:-3600} s"; } || rc=125
	cp "$run/console.log" "$C/last-broken-console.log" 2>/dev/null
	say "L1 ended before the command did (qemu exit $qrc); its console (all of it in build/svm/last-broken-console.log):"
	tail -n 40 "$run/console.log" >&2 2>/dev/null
	cat "$run/qemu.log" >&2
fi
if [ -n "$(ls -A "$run/out" 2>/dev/null)" ]; then
	logs=$C/kept-logs/$series.$(date +%Y%m%d-%H%M%S)
	mkdir -p "$C/kept-logs" && mv "$run/out" "$logs" && say "the logs that failed tests kept in L1 are in $logs"
fi
say "exit status $rc after $(($(date +%s) - start)) s in L1 ($series)"
exit "$rc"
