# shellcheck shell=bash
# Common helpers for tools/vm/*.sh (sourced, not executed).
# Everything heavy is cached OUTSIDE the checkout under $IUC_CACHE.

IUC_CACHE=${IUC_CACHE:-/var/cache/iuc}
IUC_SRC_PKG=${IUC_SRC_PKG:-linux-source-6.12}
IUC_SRC_TARBALL=${IUC_SRC_TARBALL:-/usr/src/${IUC_SRC_PKG}.tar.xz}
IUC_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IUC_TOP=$(cd "$IUC_VM_DIR/../.." && pwd)

log()  { printf '[iuc-vm] %s\n' "$*" >&2; }
die()  { printf '[iuc-vm] ERROR: %s\n' "$*" >&2; exit 1; }

# Version of the installed linux-source package (e.g. 6.12.117-1~deb12u1).
iuc_src_version() {
	dpkg-query -W -f='${Version}' "$IUC_SRC_PKG" 2>/dev/null ||
		die "$IUC_SRC_PKG is not installed (run: make deps)"
}

# Extract the Debian linux-source tarball once into
# $IUC_CACHE/src/linux-source-6.12 (stamp records the package version; a
# different version re-extracts).  Prints the source directory.
iuc_linux_source() {
	local ver dir stamp lock
	ver=$(iuc_src_version)
	dir=$IUC_CACHE/src/$IUC_SRC_PKG
	stamp=$IUC_CACHE/src/.$IUC_SRC_PKG.version
	mkdir -p "$IUC_CACHE/src"
	lock=$IUC_CACHE/src/.$IUC_SRC_PKG.lock
	(
		flock 9
		if [[ -f $dir/Makefile && -f $stamp && $(cat "$stamp") == "$ver" ]]; then
			exit 0
		fi
		# Pre-existing extraction without stamp: accept it when the
		# upstream version matches the package's upstream version.
		if [[ -f $dir/Makefile && ! -f $stamp ]]; then
			local mk up
			mk=$(make -s -C "$dir" kernelversion 2>/dev/null || true)
			up=${ver%%-*}
			if [[ -n $mk && $mk == "$up" ]]; then
				echo "$ver" >"$stamp"
				exit 0
			fi
		fi
		[[ -f $IUC_SRC_TARBALL ]] || die "$IUC_SRC_TARBALL missing"
		log "extracting $IUC_SRC_TARBALL ($ver) into $IUC_CACHE/src"
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		tar -xJf "$IUC_SRC_TARBALL" -C "$dir.tmp" --strip-components=1
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
		echo "$ver" >"$stamp"
	) 9>"$lock" || exit 1
	echo "$dir"
}

# Cache directory of the debug kernel: <srcver>-<sha256(fragment) short>.
iuc_debug_kernel_dir() {
	local ver hash
	ver=$(iuc_src_version)
	hash=$(sha256sum "$IUC_VM_DIR/debug.config" | cut -c1-12)
	echo "$IUC_CACHE/debug-kernel/${ver//[~:]/_}-$hash"
}

# Map a matrix name to "<vmlinuz> <kdir>" (KDIR = tree to build modules).
iuc_kernel_paths() {
	local name=$1 kver d
	case $name in
	6.1|6.12)
		kver=$(iuc_stock_kver "$name") || return 1
		echo "/boot/vmlinuz-$kver /lib/modules/$kver/build"
		;;
	debug)
		d=$(iuc_debug_kernel_dir)
		echo "$d/build/arch/x86/boot/bzImage $d/build"
		;;
	*) die "unknown kernel name '$name' (want 6.1, 6.12 or debug)" ;;
	esac
}

# Installed stock kernel release for a matrix name: the newest Debian
# generic-flavour kernel of that series (6.1.0-NN-amd64 resp.
# 6.12.NNN+deb12-amd64) whose headers are installed as well.
iuc_stock_kver() {
	local name=$1 re k f
	case $name in
	6.1)  re='^6\.1\.[0-9]+-[0-9]+-amd64$' ;;
	6.12) re='^6\.12\.[0-9]+\+deb12-amd64$' ;;
	*) return 1 ;;
	esac
	for k in $(for f in /boot/vmlinuz-*; do echo "${f#/boot/vmlinuz-}"; done | grep -E "$re" | sort -V -r); do
		if [[ -e /lib/modules/$k/build/Makefile ]]; then
			echo "$k"
			return 0
		fi
	done
	return 1
}

# Copy the module-relevant source tree (everything but build output, VCS
# data and CI files) of the checkout to $1.
iuc_copy_src() {
	local dst=$1
	mkdir -p "$dst"
	tar -C "$IUC_TOP" --exclude=./build --exclude=./.git --exclude=./.ci \
		--exclude='*.o' --exclude='*.ko' --exclude='*.ko.xz' --exclude='*.cmd' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='*.a' --exclude='.*.d' \
		--exclude=Module.symvers --exclude=modules.order --exclude=.tmp_versions \
		-cf - . | tar -C "$dst" -xf -
}
