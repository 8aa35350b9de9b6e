#!/usr/bin/env bash
# Install (with apt-get, as root) everything the IUC build/test matrix needs.
# Only missing packages are installed; `apt-get update` runs first when
# something is missing (or always with --update).  Idempotent.
#
# The 6.12 kernel of the matrix is the newest linux-image-6.12.*-amd64-unsigned
# known to apt (version-sorted package names), plus its matching headers.
# If one such image+headers pair is already installed and apt knows of no newer
# one, nothing changes.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/lib.sh"

force_update=0
[[ ${1:-} == --update ]] && force_update=1
export DEBIAN_FRONTEND=noninteractive
SUDO=
[[ $(id -u) == 0 ]] || SUDO=sudo

base=(qemu-system-x86 busybox-static linux-image-amd64 linux-headers-amd64
	linux-source-6.12 dkms sparse build-essential bc flex bison libelf-dev
	libssl-dev cpio kmod liburing-dev libgtest-dev pkg-config file xz-utils
	trinity)

installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

updated=0
apt_update() {
	[[ $updated == 1 ]] && return 0
	log "apt-get update"
	$SUDO apt-get update -q -o Acquire::Retries=3 >&2 || log "warning: apt-get update reported errors"
	updated=1
}

newest_612() {
	apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -n 1
}

[[ $force_update == 1 ]] && apt_update
missing=()
for p in "${base[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then apt_update; fi

img=$(newest_612)
if [[ -z $img ]]; then
	apt_update
	img=$(newest_612)
fi
[[ -n $img ]] || die "apt knows no linux-image-6.12.*+deb12-amd64-unsigned (bookworm sources missing?)"
hdr=${img/linux-image-/linux-headers-}
hdr=${hdr%-unsigned}
for p in "$img" "$hdr"; do installed "$p" || missing+=("$p"); done

if ((${#missing[@]})); then
	apt_update
	log "installing: ${missing[*]}"
	$SUDO apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}" >&2
else
	log "all packages present (6.12 kernel: $img)"
fi
