#!/bin/sh
# /init of the IUC test initramfs (busybox sh).  Installed by
# tools/vm/mkinitramfs.sh; settings come from /etc/iuc-vm.conf.
#
# Every line starting with "IUC-VM: " is a marker parsed by
# tools/vm/run-vm.sh.  Markers and test output go to the console (ttyS0)
# and, clean of kernel messages, to the results channel (ttyS1).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root TERM=dumb
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /tmp /run /root
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
exec </dev/null >/dev/console 2>&1

IUC_KERNEL=unknown
IUC_DEBUG=0
IUC_TEST_TIMEOUT=300
IUC_CMD=
IUC_MODULE_ARGS=
# shellcheck disable=SC1091
. /etc/iuc-vm.conf

# Results channel: second serial port if present.
if [ -c /dev/ttyS1 ] && stty -F /dev/ttyS1 raw -echo 2>/dev/null; then
	exec 3>/dev/ttyS1
else
	exec 3>/dev/null
fi
out() { echo "$*"; echo "$*" >&3; }
# uptime in centiseconds, and seconds elapsed since such a value
uptime_cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }
elapsed() { e=$(($(uptime_cs) - $1)); printf '%d.%02d' $((e / 100)) $((e % 100)); }
finish() {
	out "IUC-VM: DONE"
	echo >&3
	sync
	sleep 1	# let the UARTs drain
	poweroff -f
	sleep 2
	reboot -f
	sleep 30
	exit 1
}

out "IUC-VM: BEGIN name=$IUC_KERNEL release=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
echo 0 >/proc/sys/kernel/printk_ratelimit 2>/dev/null

if [ "$IUC_DEBUG" = 1 ] && [ -w /sys/kernel/debug/kmemleak ]; then
	# Forget leaks that predate the module (boot-time false positives).
	echo scan >/sys/kernel/debug/kmemleak
	echo clear >/sys/kernel/debug/kmemleak
	out "IUC-VM: KMEMLEAK-BASELINE cleared"
fi

if [ -f /lib/modules/iuc.ko ]; then
	# shellcheck disable=SC2086
	insmod /lib/modules/iuc.ko $IUC_MODULE_ARGS
	rc=$?
	if [ $rc -ne 0 ]; then
		out "IUC-VM: INSMOD fail rc=$rc"
		finish
	fi
	out "IUC-VM: INSMOD ok"
	# give udev-less devtmpfs a moment to create nodes
	i=0
	while [ ! -e /dev/iuc ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
else
	out "IUC-VM: INSMOD none"
fi

# shellcheck disable=SC3040  # busybox ash has pipefail
set -o pipefail 2>/dev/null
# One test, judged by its exit status and TAP output: run_test NAME CMD...
run_test() {
	name=$1
	shift
	out "IUC-VM: TEST-BEGIN $name"
	t0=$(uptime_cs)
	cd /tmp || true
	timeout -s KILL "$IUC_TEST_TIMEOUT" "$@" 2>&1 </dev/null | tee "/tmp/$name.out"
	rc=$?
	cd / || true
	cat "/tmp/$name.out" >&3
	rm -f "/tmp/$name.out"
	# 137 = SIGKILL from timeout(1)
	out "IUC-VM: TEST-END $name rc=$rc secs=$(elapsed "$t0")"
}

# A test named iuc_*_final_test checks what all the others left behind
# (e.g. that every page pin was released): it runs after them.
for t in /tests/iuc_*_test; do
	case $t in
	*_final_test) ;;
	*) [ -x "$t" ] && run_test "${t##*/}" "$t" ;;
	esac
done
for t in /tests/iuc_*_final_test; do
	[ -x "$t" ] && run_test "${t##*/}" "$t"
done

# Extra tests (mkinitramfs.sh -x NAME=CMD): commands judged like test binaries.
tab=$(printf '\t')
while IFS="$tab" read -r name xcmd; do
	[ -n "$name" ] && run_test "$name" sh -c "$xcmd"
done </etc/iuc-vm.extra-tests

if [ -n "$IUC_CMD" ]; then
	out "IUC-VM: CMD-BEGIN $IUC_CMD"
	cd /tmp || true
	sh -c "$IUC_CMD" 2>&1 </dev/null | tee /tmp/cmd.out
	rc=$?
	cd / || true
	cat /tmp/cmd.out >&3
	out "IUC-VM: CMD-END rc=$rc"
fi

if [ -f /lib/modules/iuc.ko ]; then
	rmmod iuc
	rc=$?
	if [ $rc -eq 0 ]; then out "IUC-VM: RMMOD ok"; else out "IUC-VM: RMMOD fail rc=$rc"; fi
fi

if [ "$IUC_DEBUG" = 1 ] && [ -w /sys/kernel/debug/kmemleak ]; then
	# Objects must be older than ~5 s (jiffies) to be reported: scan twice.
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	out "IUC-VM: KMEMLEAK-BEGIN"
	cat /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >&3
	out "IUC-VM: KMEMLEAK-END"
fi

finish
