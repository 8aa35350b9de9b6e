#!/usr/bin/env bash
# Build (once per machine) the IUC debug kernel from the Debian
# linux-source-6.12 package with the fragment tools/vm/debug.config.
#
# Cache: /var/cache/iuc/debug-kernel/<srcver>-<sha256(fragment):12>/
#          build/             O= tree (bzImage, Module.symvers, usable as
#                             KDIR: make -C <dir>/build M=... modules)
#          build.log          full build log
#          .complete          marker written last; present => nothing to do
# Idempotent, safe to re-run and to run concurrently (flock).
# Prints the cache directory on stdout.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/lib.sh"

JOBS=${JOBS:-$(nproc)}
frag=$IUC_VM_DIR/debug.config
src=$(iuc_linux_source)
out=$(iuc_debug_kernel_dir)
mkdir -p "$out"

exec 8>"$out/.lock"
flock 8

if [[ -f $out/.complete && -f $out/build/arch/x86/boot/bzImage ]]; then
	log "debug kernel cached: $out"
	echo "$out"
	exit 0
fi

start=$(date +%s)
log "building debug kernel in $out (log: $out/build.log); this takes a while"
rm -f "$out/.complete"
mkdir -p "$out/build"
cp "$frag" "$out/debug.config"
b=$out/build
mk() { nice -n 10 make -C "$src" O="$b" ARCH=x86_64 "$@"; }

{
	# Base: tinyconfig (fast to build), fragment merged on top.
	if [[ ! -f $b/.config.iuc-frag ]] || ! cmp -s "$frag" "$b/.config.iuc-frag"; then
		mk tinyconfig
		KCONFIG_CONFIG=$b/.config "$src/scripts/kconfig/merge_config.sh" \
			-m -O "$b" "$b/.config" "$frag"
		mk olddefconfig
		cp "$frag" "$b/.config.iuc-frag"
	fi
} >>"$out/build.log" 2>&1 || { tail -n 40 "$out/build.log" >&2; die "kernel configuration failed"; }

# Verify every option of the fragment took effect.
bad=0
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		if ! grep -qxF -- "$line" "$b/.config"; then
			got=$(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$b/.config" || echo "(absent)")
			log "config mismatch: want '$line', got '$got'"
			bad=1
		fi
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		if grep -qE "^${BASH_REMATCH[1]}=" "$b/.config"; then
			log "config mismatch: want '$line', got '$(grep -E "^${BASH_REMATCH[1]}=" "$b/.config")'"
			bad=1
		fi
	fi
done <"$frag"
[[ $bad == 0 ]] || die "debug.config options did not take effect (see above); fix tools/vm/debug.config"
log "config verified: all $(grep -cE '^(CONFIG_|# CONFIG_)' "$frag") fragment options in effect"

# Build kernel image + modules_prepare (so external modules build against it).
if ! mk -j"$JOBS" bzImage modules_prepare >>"$out/build.log" 2>&1; then
	grep -nE 'error|Error' "$out/build.log" | tail -n 20 >&2 || true
	tail -n 30 "$out/build.log" >&2
	die "debug kernel build failed (log: $out/build.log)"
fi
# tinyconfig has no in-tree modules, but Module.symvers must exist for M= builds.
if ! mk -j"$JOBS" modules >>"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	die "debug kernel modules step failed (log: $out/build.log)"
fi
[[ -f $b/Module.symvers ]] || die "no Module.symvers in $b"
kr=$(cat "$b/include/config/kernel.release")
echo "$kr" >"$out/kernel.release"
end=$(date +%s)
echo "$((end - start))" >"$out/build-seconds"
date -u +%FT%TZ >"$out/.complete"
log "debug kernel $kr built in $((end - start))s: $b/arch/x86/boot/bzImage"
echo "$out"
