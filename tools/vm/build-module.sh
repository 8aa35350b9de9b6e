#!/usr/bin/env bash
# Build iuc.ko for one kernel of the matrix without touching the checkout:
# the source tree (Kbuild, module/, uapi/, ... minus build output, see
# iuc_copy_src in lib.sh) is copied to $IUC_OUT/kernels/NAME/src and built
# there with `make -C KDIR M=...`, so kernels never clobber each other.
#
# usage: build-module.sh NAME      (NAME = 6.1 | 6.12 | debug)
# stdout: path of the built iuc.ko.   Env: IUC_OUT (default <repo>/build)
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/lib.sh"

name=${1:?usage: build-module.sh 6.1|6.12|debug}
IUC_OUT=${IUC_OUT:-$IUC_TOP/build}
read -r _vmlinuz kdir < <(iuc_kernel_paths "$name") || die "kernel $name not installed"
[[ -f $kdir/Makefile ]] || die "no kernel build tree at $kdir"
[[ -f $IUC_TOP/Kbuild ]] || die "$IUC_TOP/Kbuild missing (module not there yet?)"

dst=$IUC_OUT/kernels/$name/src
rm -rf "$dst"
iuc_copy_src "$dst"
log "building iuc.ko for $name against $kdir"
if ! make -C "$kdir" M="$dst" modules >"$IUC_OUT/kernels/$name/build.log" 2>&1; then
	cat "$IUC_OUT/kernels/$name/build.log" >&2
	die "module build for $name failed"
fi
# show warnings, if any
grep -E 'warning:|error:' "$IUC_OUT/kernels/$name/build.log" >&2 || true
ko=$dst/module/iuc.ko
[[ -f $ko ]] || die "module build for $name produced no module/iuc.ko"
echo "$ko"
