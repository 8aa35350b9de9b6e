#!/usr/bin/env bash
# Judge one VM run from its logs (see run-vm.sh).
# usage: parse-results.sh -k NAME -l CONSOLE_LOG [-r RESULTS] [-q QEMU_RC] [-L LIMIT] [-c]
#   -c  a command was run: print its output (between CMD markers) on stdout;
#       it counts as one test (passed if it exited 0)
# stdout: "kernel NAME: FAIL <reason>" lines, per-test detail on stderr,
#         then "kernel NAME: N passed, N failed".  exit 0 = pass, 1 = fail.
set -euo pipefail

name='' log='' res='' qrc=0 limit='?' showcmd=0
while getopts "k:l:r:q:L:c" opt; do
	case $opt in
	k) name=$OPTARG ;; l) log=$OPTARG ;; r) res=$OPTARG ;;
	q) qrc=$OPTARG ;; L) limit=$OPTARG ;; c) showcmd=1 ;;
	*) exit 2 ;;
	esac
done
[[ -f $log ]] || { echo "kernel $name: FAIL no console log"; echo "kernel $name: 0 passed, 1 failed"; exit 1; }

# The clean channel (ttyS1) is preferred; fall back to the console log.
src=$log
if [[ -n $res && -s $res ]] && grep -q '^IUC-VM: BEGIN' "$res"; then
	src=$res
fi

reasons=()
fail_reason() { reasons+=("$*"); }

# ---- tests (TAP) ----
# awk prints: "T <name> <passed> <failed> <rc> <detail>" per binary, then
# "M <marker line>" for the other markers.
parsed=$(awk '
function flush_test(   f, d) {
	if (cur == "") return
	f = nfail; d = ""
	if (!ended) { f++; d = d " no TEST-END (guest crashed or hung)" }
	if (ended && rc == 137) d = d " killed by the per-test timeout;"
	if (plan >= 0 && npass + nfail < plan) { f += plan - npass - nfail; d = d " only " (npass + nfail) " of " plan " planned results (rc=" rc ")" }
	else if (ended && rc != 0 && nfail == 0) { f++; d = d " exited rc=" rc " without a failing TAP line" }
	if (plan == 0 && skipall) { f++; d = d " whole binary skipped" }
	if (npass + nfail == 0 && f == 0) { f++; d = d " printed no TAP result" }
	printf "T %s %d %d %s %s%s\n", cur, npass, f, (ended ? rc : "none"), (secs != "" ? secs "s" : "?"), d
	cur = ""
}
/^IUC-VM: TEST-BEGIN / { flush_test(); cur = $3; npass = 0; nfail = 0; plan = -1; ended = 0; rc = "none"; secs = ""; skipall = 0; intest = 1; next }
/^IUC-VM: TEST-END / { if ($3 == cur) { ended = 1; sub(/^rc=/, "", $4); rc = $4 + 0; secs = $5; sub(/^secs=/, "", secs) }; flush_test(); intest = 0; next }
/^IUC-VM: / { flush_test(); intest = 0; print "M " $0; next }
intest && /^1\.\.[0-9]+/ { p = $0; sub(/^1\.\./, "", p); plan = p + 0; if (tolower($0) ~ /# *skip/) skipall = 1; next }
intest && /^not ok [0-9]+/ { nfail++; print "F " cur ": " $0; next }
intest && /^ok [0-9]+/ {
	if (tolower($0) ~ /# *skip/) { nfail++; print "F " cur ": " $0 " (skip counts as failure)" }
	else npass++
	next
}
END { flush_test() }
' "$src")

passed=0 failed=0 ntests=0
while IFS= read -r line; do
	case $line in
	"T "*)
		read -r _ t p f rc secs detail <<<"$line"
		ntests=$((ntests + 1))
		passed=$((passed + p)) failed=$((failed + f))
		echo "  [$name] $t: $p passed, $f failed (rc=$rc, $secs)${detail:+;$detail}" >&2
		[[ -n ${detail:-} ]] && fail_reason "$t:$detail"
		;;
	"F "*) echo "  [$name] ${line#F }" >&2 ;;
	esac
done <<<"$parsed"
markers=$(grep '^M ' <<<"$parsed" | sed 's/^M //' || true)

grep -q '^IUC-VM: BEGIN' "$src" || fail_reason "guest /init never started (kernel did not boot?)"
if grep -q '^IUC-VM: INSMOD fail' <<<"$markers"; then
	fail_reason "insmod iuc.ko failed: $(grep '^IUC-VM: INSMOD fail' <<<"$markers" | head -1)"
fi
if grep -q '^IUC-VM: INSMOD ok' <<<"$markers"; then
	grep -q '^IUC-VM: RMMOD ok' <<<"$markers" ||
		fail_reason "rmmod iuc failed or never ran: $(grep '^IUC-VM: RMMOD' <<<"$markers" || echo 'no RMMOD marker')"
fi
if [[ $showcmd == 0 && $ntests == 0 ]]; then
	fail_reason "no test ran"
fi
if [[ $showcmd == 1 ]]; then
	crc=$(grep '^IUC-VM: CMD-END' <<<"$markers" | sed 's/.*rc=//' || true)
	echo "----- guest: $(grep '^IUC-VM: CMD-BEGIN' <<<"$markers" | sed 's/^IUC-VM: CMD-BEGIN //') ($name) -----"
	awk '/^IUC-VM: CMD-BEGIN/{on=1; next} /^IUC-VM: CMD-END/{on=0} on' "$src"
	echo "----- end (rc=${crc:-none}) -----"
	if [[ ${crc:-none} == 0 ]]; then passed=$((passed + 1)); else
		failed=$((failed + 1)); fail_reason "command exited rc=${crc:-none}"; fi
fi
if [[ $qrc == 124 || $qrc == 137 ]]; then
	fail_reason "guest hit the time limit (${limit}s)"
elif ! grep -q '^IUC-VM: DONE' "$src"; then
	fail_reason "guest did not finish (qemu rc=$qrc; panic or crash?)"
fi

# ---- kernel log ----
pat='BUG:|WARNING:|KASAN|UBSAN|KFENCE|possible recursive locking|possible circular locking|inconsistent lock state|INFO: |lockdep|hung_task|blocked for more than|unreferenced object|Oops|Call Trace|Kernel panic|general protection fault|kernel BUG|RIP: '
# Known-benign boot messages (not reports); keep this list short and exact.
allow='Lock dependency validator|RCU lockdep checking is enabled|lockdep: fixing up alternatives|MAX_LOCKDEP_|kasan: KernelAddressSanitizer initialized|KASAN: (inline|outline)|hung_task_panic=0|Kernel command line:'
# Kernel messages carry a printk timestamp (printk.time=1); matching only
# those (anywhere in a line, in case user output got interleaved) keeps test
# output from tripping the scan.  kmemleak's report comes from `cat`.
hits=$( { grep -nE "\[ *[0-9]+\.[0-9]+\].*($pat)" "$log" || true
	awk '/^IUC-VM: KMEMLEAK-BEGIN/{on=1; next} /^IUC-VM: KMEMLEAK-END/{on=0} on && /unreferenced object/ {print NR ":" $0}' "$log"
	} | grep -vE "$allow" | sort -t: -k1,1n -u || true)
if [[ -n $hits ]]; then
	fail_reason "kernel log reports problems ($(wc -l <<<"$hits") lines), first: $(head -1 <<<"$hits" | cut -c1-200)"
	echo "  [$name] kernel log matches:" >&2
	head -n 40 <<<"$hits" | sed "s/^/  [$name]   /" >&2
fi

rc=0
if ((${#reasons[@]})); then
	rc=1
	for r in "${reasons[@]}"; do echo "kernel $name: FAIL $r"; done
	# a kernel that failed for a non-test reason counts at least one failure
	((failed > 0)) || failed=1
fi
((failed == 0)) || rc=1
echo "kernel $name: $passed passed, $failed failed"
exit $rc
