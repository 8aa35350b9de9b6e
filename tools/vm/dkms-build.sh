#!/usr/bin/env bash
# `dkms add` + `dkms build` of iuc against one installed kernel, entirely
# inside $IUC_OUT/dkms (no /usr/src, /var/lib/dkms or /lib/modules changes),
# so it works from a fresh clone and doesn't pollute the system.
# Module signing is disabled for this check build (sign_file=/dev/null).
#
# usage: dkms-build.sh KVER     (e.g. 6.1.0-56-amd64)
# stdout: path of the built iuc.ko.   Env: IUC_OUT (default <repo>/build)
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/lib.sh"

kver=${1:?usage: dkms-build.sh KVER}
IUC_OUT=${IUC_OUT:-$IUC_TOP/build}
command -v dkms >/dev/null || die "dkms not installed"
[[ -f /lib/modules/$kver/build/Makefile ]] || die "no headers for $kver"
ver=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$IUC_TOP/dkms.conf")
[[ -n $ver ]] || die "no PACKAGE_VERSION in dkms.conf"

base=$IUC_OUT/dkms/$kver
rm -rf "$base"
src=$base/src/iuc-$ver
mkdir -p "$src" "$base/tree" "$base/install"
iuc_copy_src "$src"
opts=(--sourcetree "$base/src" --dkmstree "$base/tree" --installtree "$base/install")
export sign_file=/dev/null
if ! { dkms add -m iuc -v "$ver" "${opts[@]}" &&
	dkms build -m iuc -v "$ver" -k "$kver" "${opts[@]}"; } >"$base/dkms.log" 2>&1; then
	cat "$base/dkms.log" >&2
	find "$base/tree" -name make.log -exec tail -n 40 {} + >&2 2>/dev/null || true
	die "dkms build of iuc $ver for $kver failed"
fi
ko=$(find "$base/tree/iuc/$ver/$kver" -name "iuc.ko*" -print -quit 2>/dev/null || true)
[[ -n $ko ]] || { cat "$base/dkms.log" >&2; die "dkms build produced no iuc.ko"; }
echo "$ko"
