#!/usr/bin/env bash
# Boot one kernel of the IUC matrix in qemu (TCG) with a busybox initramfs,
# load iuc.ko, run the iuc_*_test binaries, unload, (debug: kmemleak), and
# judge the result from the serial logs.
#
# usage: run-vm.sh -k NAME [-m iuc.ko] [-t TESTDIR] [-a SRC[:DEST]]... [-c CMD]
#                  [-D BIN[:DEST]]... [-x NAME=CMD]...
#                  [-l LOG] [-L LIMIT_SECONDS] [-T TEST_TIMEOUT] [-p MODARGS] [-q]
#   NAME      6.1 | 6.12 | debug
#   -D, -x    dynamic program with its libraries, extra test command: see
#             mkinitramfs.sh
#   LOG       console log, default $IUC_OUT/vm/NAME.log; the clean results
#             channel (ttyS1) is written beside it as NAME.results
#   LIMIT     hard limit for the whole VM run (timeout(1) around qemu);
#             default 600 s (stock) / 1200 s (debug)
#   -q        don't stream the console to stderr
#
# stdout: optional "kernel NAME: FAIL ..." reason lines, then exactly one line
#   kernel NAME: N passed, N failed
# exit: 0 if the kernel passed, 1 if it failed, 2 on usage/setup error.
# Env: IUC_OUT (default <repo>/build), VM_MEM (MiB), QEMU_EXTRA, VERBOSE=1.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/lib.sh"

name='' mod='' tests='' cmd='' log='' limit='' tto='' modargs='' quiet=0
extras=() dyns=() xtests=()
while getopts "k:m:t:a:D:x:c:l:L:T:p:q" opt; do
	case $opt in
	k) name=$OPTARG ;;
	m) mod=$OPTARG ;;
	t) tests=$OPTARG ;;
	a) extras+=("$OPTARG") ;;
	D) dyns+=("$OPTARG") ;;
	x) xtests+=("$OPTARG") ;;
	c) cmd=$OPTARG ;;
	l) log=$OPTARG ;;
	L) limit=$OPTARG ;;
	T) tto=$OPTARG ;;
	p) modargs=$OPTARG ;;
	q) quiet=1 ;;
	*) exit 2 ;;
	esac
done
[[ -n $name ]] || { echo "usage: $0 -k 6.1|6.12|debug ..." >&2; exit 2; }
IUC_OUT=${IUC_OUT:-$IUC_TOP/build}
read -r vmlinuz _kdir < <(iuc_kernel_paths "$name") || { echo "kernel $name: not installed" >&2; exit 2; }
[[ -f $vmlinuz ]] || { echo "kernel $name: $vmlinuz missing" >&2; exit 2; }

debug=0
if [[ $name == debug ]]; then
	debug=1
	limit=${limit:-1200} tto=${tto:-600} mem=${VM_MEM:-2048}
else
	limit=${limit:-600} tto=${tto:-300} mem=${VM_MEM:-1024}
fi
log=${log:-$IUC_OUT/vm/$name.log}
res=${log%.log}.results
mkdir -p "$(dirname "$log")"
initrd=${log%.log}.initramfs.cpio.gz

margs=(-o "$initrd" -n "$name" -T "$tto")
[[ -n $mod ]] && margs+=(-m "$mod")
[[ -n $tests ]] && margs+=(-t "$tests")
[[ -n $cmd ]] && margs+=(-c "$cmd")
[[ -n $modargs ]] && margs+=(-p "$modargs")
[[ $debug == 1 ]] && margs+=(-d)
for e in "${extras[@]}"; do margs+=(-a "$e"); done
for e in "${dyns[@]}"; do margs+=(-D "$e"); done
for e in "${xtests[@]}"; do margs+=(-x "$e"); done
"$IUC_VM_DIR/mkinitramfs.sh" "${margs[@]}" || exit 2

append="console=ttyS0,115200 panic=-1 oops=panic loglevel=7 printk.time=1 nokaslr"
append+=" 8250.nr_uarts=2 hung_task_panic=0"
# shellcheck disable=SC2206
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$mem"
	-nographic -no-reboot -monitor none
	-serial stdio -serial "file:$res"
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append"
	${QEMU_EXTRA:-})

rm -f "$log" "$res"
log "booting $name: $vmlinuz (limit ${limit}s, log $log)"
start=$(date +%s.%N)
set +e
if [[ $quiet == 1 ]]; then
	timeout -k 10 "$limit" "${qemu[@]}" </dev/null >"$log" 2>&1
	qrc=$?
else
	timeout -k 10 "$limit" "${qemu[@]}" </dev/null 2>&1 | tee "$log" >&2
	qrc=${PIPESTATUS[0]}
fi
set -e
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
[[ -f $res ]] && tr -d '\r' <"$res" >"$res.tmp" && mv "$res.tmp" "$res"
echo "$secs" >"${log%.log}.seconds"
log "$name: qemu exited rc=$qrc after ${secs}s"

exec "$IUC_VM_DIR/parse-results.sh" -k "$name" -l "$log" -r "$res" -q "$qrc" -L "$limit" \
	${cmd:+-c}
