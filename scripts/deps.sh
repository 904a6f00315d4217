#!/usr/bin/env bash
# Install the Debian packages that Bulkhead needs to build, test and run.
# Idempotent: it only calls apt-get when a package is missing.
set -euo pipefail

PKGS=(
	gcc make binutils libc6-dev       # host and guest toolchain
	libxen-dev                        # Xen public headers: the guest ABI
	libcmocka-dev                     # unit tests
	libsepol-dev checkpolicy m4       # Flask: the security server and the policy build
	policycoreutils-python-utils      # audit2allow, for the policy round-trip test
	libseccomp-dev                    # the host processes' system-call allow-lists
	libtss2-dev libssl-dev            # measured boot: tpm2-tss ESYS, OpenSSL
	swtpm swtpm-tools tpm2-tools      # a software TPM and its tools, for the tests
	clang libclang-rt-14-dev          # libFuzzer targets (make fuzz): clang and its fuzzer runtime
	qemu-system-x86 busybox-static    # the nested SVM lane (tests/svm/): L1 under TCG, its init
	dpkg-dev                          # dpkg-source: lwIP's Debian source package (scripts/fetch-lwip.sh)
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

[ "${1:-install}" = check ] && { [ ${#missing[@]} -eq 0 ]; exit; }
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
