#!/bin/sh
# Run Debian's trinity against /dev/iuc inside the IUC test VM and report
# the run as TAP (one result): ok when trinity ran syscalls and exited
# without a crash of its own.  Kernel reports are judged by the VM runner.
#
# usage: iuc-trinity [-N SYSCALLS] [-s SEED] [-C CHILDREN] [-t SECONDS]
#   -t  stop after SECONDS (SIGINT; trinity then prints its totals)
#
# trinity refuses to run as root without --dropprivs (it becomes "nobody",
# so /etc/passwd must have that user) and writes its logs to the cwd, so
# this runs in a fresh directory under /tmp.  Only syscalls that reach the
# driver through its fd are enabled; /dev/iuc is trinity's only file
# (--victims), every other fd provider is disabled.
set -eu

calls=20000 seed=1 children=2 secs=0
while getopts "N:s:C:t:" opt; do
	case $opt in
	N) calls=$OPTARG ;;
	s) seed=$OPTARG ;;
	C) children=$OPTARG ;;
	t) secs=$OPTARG ;;
	*) echo "usage: $0 [-N SYSCALLS] [-s SEED] [-C CHILDREN] [-t SECONDS]" >&2; exit 2 ;;
	esac
done

echo "1..1"
if ! command -v trinity >/dev/null 2>&1; then
	echo "not ok 1 - trinity: not installed in the guest"
	exit 1
fi
if [ ! -c /dev/iuc ]; then
	echo "not ok 1 - trinity: /dev/iuc missing (module not loaded?)"
	exit 1
fi

dir=$(mktemp -d /tmp/trinity.XXXXXX)
chmod 0777 "$dir"
cd "$dir"

set -- --dropprivs --stats -q -l off -V /dev/iuc -C "$children" -s "$seed" \
	--disable-fds=sockets,pipes,perf,epoll,eventfd,pseudo,timerfd,testfile,memfd,drm
[ "$calls" -gt 0 ] && set -- "$@" -N "$calls"
for c in ioctl mmap mremap read readv poll ppoll openat close dup fcntl; do
	set -- "$@" -c "$c"
done
echo "# trinity $* (cwd $dir)"

rc=0
if [ "$secs" -gt 0 ]; then
	trinity "$@" >trinity.out 2>&1 &
	pid=$!
	( sleep "$secs"; kill -INT "$pid" 2>/dev/null ) &
	timer=$!
	wait "$pid" || rc=$?
	kill "$timer" 2>/dev/null || true
else
	trinity "$@" >trinity.out 2>&1 || rc=$?
fi

# the totals, and (--stats) the errno distribution of ioctl: EBADFD and
# ENOTTY come from the driver (fd of another process, unknown call)
grep -E 'Ran [0-9]+ syscalls|Bailing|taint|crash|segfault' trinity.out | sed 's/^/# /' || true
grep -v 'Marking syscall' trinity.out | grep -iE -A3 '^ *ioctl' | head -n 20 |
	sed 's/^/# stats: /' || true
ran=$(sed -n 's/.*Ran \([0-9][0-9]*\) syscalls.*/\1/p' trinity.out | tail -n 1)
ran=${ran:-0}
cd /
if [ "$ran" -gt 0 ] && [ "$rc" -lt 128 ]; then
	echo "ok 1 - trinity: $ran syscalls on /dev/iuc (seed $seed, exit $rc)"
	rm -rf "$dir"
	exit 0
fi
echo "not ok 1 - trinity: ran ${ran} syscalls, exit status $rc"
rm -rf "$dir"
exit 1
