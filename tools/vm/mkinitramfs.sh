#!/usr/bin/env bash
# Build a gzip'd newc cpio initramfs for one IUC VM run.
#
# usage: mkinitramfs.sh -o OUT.cpio.gz [-m iuc.ko] [-t TESTDIR] [-a SRC[:DEST]]...
#                       [-D BIN[:DEST]]... [-x NAME=CMD]... [-c CMD] [-n KERNELNAME]
#                       [-d] [-T TEST_TIMEOUT] [-p MODARGS]
#   -m  module installed as /lib/modules/iuc.ko (insmod'ed by /init)
#   -t  directory whose iuc_*_test executables go to /tests/
#   -a  extra file (e.g. build/userlib/iuc-demo:/bin/iuc-demo); DEST defaults
#       to /bin/<basename>
#   -D  dynamically linked program, installed like -a together with the
#       shared libraries ldd(1) lists for it (at their host paths)
#   -x  extra test: /init runs CMD (sh -c) after the iuc_*_test binaries as a
#       test named NAME (same markers, timeout and TAP judgement)
#   -c  shell command run after the tests (output shown between markers)
#   -d  debug kernel: kmemleak baseline/scan/report
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/lib.sh"

out='' mod='' tests='' cmd='' name=unknown debug=0 tto=300 modargs=''
extras=() dyns=() xtests=()
while getopts "o:m:t:a:D:x:c:n:dT:p:" opt; do
	case $opt in
	o) out=$OPTARG ;;
	m) mod=$OPTARG ;;
	t) tests=$OPTARG ;;
	a) extras+=("$OPTARG") ;;
	D) dyns+=("$OPTARG") ;;
	x) [[ $OPTARG =~ ^[A-Za-z0-9_.-]+= ]] || die "-x wants NAME=CMD, got '$OPTARG'"
	   xtests+=("$OPTARG") ;;
	c) cmd=$OPTARG ;;
	n) name=$OPTARG ;;
	d) debug=1 ;;
	T) tto=$OPTARG ;;
	p) modargs=$OPTARG ;;
	*) die "bad option" ;;
	esac
done
[[ -n $out ]] || die "-o OUT required"
bb=$(command -v busybox || true)
[[ -x /bin/busybox ]] && bb=/bin/busybox
[[ -n $bb ]] || die "busybox-static not installed"
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || [[ ! -x /usr/bin/file ]] ||
	die "$bb is not static (install busybox-static)"

root=$(mktemp -d "${TMPDIR:-/tmp}/iuc-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,lib/modules,tests}
# mktemp -d gives 0700: the guest's / must be searchable by unprivileged users
chmod 0755 "$root" "$root"/{bin,sbin,usr,usr/bin,usr/sbin,etc,proc,sys,dev,run,lib,lib/modules,tests}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
cp "$bb" "$root/bin/busybox"
# applet symlinks (busybox --list-full gives e.g. "usr/bin/timeout")
while IFS= read -r app; do
	[[ -n $app && $app != bin/busybox ]] || continue
	mkdir -p "$root/$(dirname "$app")"
	ln -sf /bin/busybox "$root/$app"
done < <("$bb" --list-full)
ln -sf /bin/busybox "$root/bin/sh"

install -m 0755 "$IUC_VM_DIR/init.sh" "$root/init"
{
	printf 'IUC_KERNEL=%q\n' "$name"
	printf 'IUC_DEBUG=%q\n' "$debug"
	printf 'IUC_TEST_TIMEOUT=%q\n' "$tto"
	printf 'IUC_CMD=%q\n' "$cmd"
	printf 'IUC_MODULE_ARGS=%q\n' "$modargs"
} >"$root/etc/iuc-vm.conf"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"

if [[ -n $mod ]]; then
	[[ -f $mod ]] || die "module $mod not found"
	install -m 0644 "$mod" "$root/lib/modules/iuc.ko"
fi
if [[ -n $tests ]]; then
	[[ -d $tests ]] || die "test directory $tests not found"
	shopt -s nullglob
	for t in "$tests"/iuc_*_test; do
		[[ -f $t && -x $t ]] || continue
		if command -v file >/dev/null && ! file -L "$t" | grep -qE 'statically linked|static-pie'; then
			die "$t is not a static executable"
		fi
		install -m 0755 "$t" "$root/tests/"
	done
	# the image a test peer execs (selftests/lib/iuc_peer.c), beside the tests
	[[ -x $tests/iuc_peer ]] && install -m 0755 "$tests/iuc_peer" "$root/tests/"
	shopt -u nullglob
fi
for e in "${extras[@]}" "${dyns[@]}"; do
	src=${e%%:*} dest=/bin/$(basename "${e%%:*}")
	[[ $e == *:* ]] && dest=${e#*:}
	[[ -f $src ]] || die "extra file $src not found"
	mkdir -p "$root/$(dirname "$dest")"
	install -m 0755 "$src" "$root$dest"
done
# shared libraries of -D programs: the paths ldd resolves ("=> /lib/x.so (0x…)"
# or "/lib64/ld-linux-x86-64.so.2 (0x…)"), the loader included
for e in "${dyns[@]}"; do
	libs=$(ldd "${e%%:*}" 2>/dev/null) || die "ldd ${e%%:*} failed (not dynamically linked?)"
	while read -r lib; do
		[[ -n $lib ]] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$libs" | sort -u)
done
# extra tests: one "NAME<TAB>CMD" line each, run by /init after the tests
for x in "${xtests[@]}"; do
	printf '%s\t%s\n' "${x%%=*}" "${x#*=}"
done >"$root/etc/iuc-vm.extra-tests"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
