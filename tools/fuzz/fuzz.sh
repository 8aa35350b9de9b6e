#!/usr/bin/env bash
# `make fuzz`: a long soak of /dev/iuc in one VM (default: the debug kernel):
# iuc_fuzz for DURATION seconds (or CALLS calls), then trinity for a fifth
# of that time, then the VM runner's rmmod, kmemleak scan and kernel-log scan.
#
# Env (make variables): KERNEL (debug | 6.12 | 6.1, default debug),
#   DURATION seconds of iuc_fuzz (default 600; 0 with CALLS = no time bound),
#   CALLS (iuc_fuzz call budget, default none), SEED (default: random, printed),
#   TRINITY_SECONDS (default DURATION/5, at least 30), WORKERS/THREADS/KILL_MS
#   (iuc_fuzz -w/-j/-k), LIMIT (VM time limit, default derived), IUC_OUT.
#
# stdout: the seed, iuc_fuzz's totals (calls issued, calls/s, per-call
# table) and end checks, trinity's totals, the VM verdict line
# "kernel NAME: N passed, N failed" (N counts end checks, trinity and the
# runner's own checks).  Exit 0 only if everything passed.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/../vm/lib.sh"
# shellcheck source=tools/fuzz/lib.sh
. "$(dirname "$0")/lib.sh"

kernel=${KERNEL:-debug}
calls=${CALLS:-0}
duration=${DURATION:-}
if [[ -z $duration ]]; then
	if ((calls > 0)); then duration=0; else duration=600; fi
fi
seed=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
tsecs=${TRINITY_SECONDS:-$((duration / 5 > 30 ? duration / 5 : 30))}
export IUC_OUT=${IUC_OUT:-$IUC_TOP/build}
for v in calls duration seed tsecs; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number, got '${!v}'"
done
((calls > 0 || duration > 0)) || die "give DURATION or CALLS"

if [[ $kernel == debug ]]; then
	"$IUC_VM_DIR/build-debug-kernel.sh" >/dev/null || die "debug kernel build failed"
fi
ko=$("$IUC_VM_DIR/build-module.sh" "$kernel") || die "module build failed"
bin=$(iuc_fuzz_build) || die "fuzzer build failed"
iuc_fuzz_vm_args "$bin" "$seed" "$calls" "$duration" 0 "$tsecs" \
	"${WORKERS:+-w $WORKERS}${THREADS:+ -j $THREADS}${KILL_MS:+ -k $KILL_MS}" || die "trinity missing"

# guest time: the fuzz budget (calls: assume the slowest rate seen, 150/s on
# the debug kernel), trinity, boot, rmmod and kmemleak scans
fuzz_secs=$duration
((calls > 0 && (duration == 0 || calls / 150 < duration))) && fuzz_secs=$((calls / 150 + 60))
tto=$((fuzz_secs + 300))
limit=${LIMIT:-$((fuzz_secs + tsecs + 600))}
log="$IUC_OUT/vm/fuzz-$kernel.log"
echo "fuzz: kernel $kernel, seed $seed, iuc_fuzz ${calls/#0/no} call budget," \
	"${duration/#0/no} time budget (s), trinity ${tsecs}s, VM limit ${limit}s"
echo "fuzz: reproduce with: make fuzz KERNEL=$kernel SEED=$seed${CALLS:+ CALLS=$calls} DURATION=$duration" \
	"${WORKERS:+WORKERS=$WORKERS }${THREADS:+THREADS=$THREADS }${KILL_MS:+KILL_MS=$KILL_MS}"

set +e
verdict=$("$IUC_VM_DIR/run-vm.sh" -q -k "$kernel" -m "$ko" -l "$log" -L "$limit" -T "$tto" \
	"${FUZZ_VM_ARGS[@]}")
rc=$?
set -e
res=${log%.log}.results
if [[ -f $res ]]; then
	# iuc_fuzz's summary and TAP, trinity's totals and TAP
	awk '/^IUC-VM: TEST-BEGIN/ {t = $3; next} /^IUC-VM: TEST-END/ {t = ""; next}
		t != "" && (/^# (iuc_fuzz|calls issued|chaos workers|  |end checks)/ ||
		/^(not )?ok / || /Ran [0-9]+ syscalls/) {print t ": " $0}' "$res"
fi
echo "$verdict"
echo "fuzz: console log $log (kernel reports, if any, are listed above the verdict)"
exit "$rc"
