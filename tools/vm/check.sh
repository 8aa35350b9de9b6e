#!/usr/bin/env bash
# `make check`: the IUC test matrix.
#
#   1. install missing packages (tools/vm/install-deps.sh)
#   2. extract linux-source-6.12 (cached), build the debug kernel (cached)
#   3. build userlib + selftests once (static userspace, build/userlib, build/selftests)
#   4. per kernel in $KERNELS (default "6.1 6.12 debug"): build iuc.ko against
#      that kernel (per-kernel copy under build/kernels/NAME), boot it in qemu,
#      run every build/selftests/iuc_*_test, judge the serial log
#   5. dkms build against each stock kernel of the matrix (6.1, 6.12)
#   Every VM also runs the echo example of userlib (an echo service and two
#   clients, build/userlib/iuc-echo-*), counted as the test iuc_echo_example.
#   The debug kernel's VM also runs a fixed slice of the fuzzers
#   (tools/fuzz: iuc_fuzz and trinity, fixed seed and call counts), counted
#   as the tests iuc_fuzz (one per end check) and trinity.
#
# stdout: one "kernel NAME: N passed, N failed" line per kernel (preceded by
# "kernel NAME: FAIL <reason>" lines when it failed for another reason), one
# "dkms NAME: ok|FAIL" line per stock kernel, and finally the plain line
# "N passed, N failed" (kernel lines summed, each dkms build counting as one).
# Exit status non-zero if anything failed.  Details and logs go to stderr and
# build/ (build/vm/NAME.log is the serial console of each VM).
#
# Env: KERNELS, IUC_OUT (default <repo>/build), IUC_SKIP_DEPS=1 (don't call
# apt), IUC_SKIP_DKMS=1, VM limits: see run-vm.sh.  Fuzz slice:
# IUC_SKIP_FUZZ=1, IUC_FUZZ_SEED (1), IUC_FUZZ_CALLS (iuc_fuzz chaos calls, 6000),
# IUC_TRINITY_CALLS (trinity syscalls, 300).
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tools/fuzz/lib.sh
. "$(dirname "$0")/../fuzz/lib.sh"

KERNELS=${KERNELS:-6.1 6.12 debug}
export IUC_OUT=${IUC_OUT:-$IUC_TOP/build}
mkdir -p "$IUC_OUT/check"
total_p=0 total_f=0
anyfail=0

summary() {
	echo "$total_p passed, $total_f failed"
	if ((anyfail || total_f)); then exit 1; fi
	exit 0
}
# $1 = line prefix, $2 = reason: count one failure and print why
fail_line() { echo "$1: FAIL $2"; anyfail=1; }

for k in $KERNELS; do
	case $k in 6.1|6.12|debug) ;; *)
		fail_line "kernel $k" "unknown kernel name (want 6.1, 6.12, debug)"
		total_f=$((total_f + 1)); summary ;;
	esac
done

t0=$(date +%s)
if [[ ${IUC_SKIP_DEPS:-0} != 1 ]]; then
	if ! "$IUC_VM_DIR/install-deps.sh"; then
		fail_line "deps" "apt-get install failed"
		total_f=$((total_f + 1)); summary
	fi
fi
if ! ksrc=$(iuc_linux_source); then
	fail_line "linux-source" "could not extract linux-source-6.12"
	total_f=$((total_f + 1)); summary
fi

debug_ok=1
if [[ " $KERNELS " == *" debug "* ]]; then
	t=$(date +%s)
	if ! "$IUC_VM_DIR/build-debug-kernel.sh" >/dev/null; then
		debug_ok=0
	fi
	log "debug kernel ready after $(($(date +%s) - t))s"
fi

# userspace, once (static binaries are kernel independent)
userspace_ok=1
log "building userlib and selftests"
if ! make -C "$IUC_TOP" --no-print-directory userlib >"$IUC_OUT/check/userlib.log" 2>&1; then
	cat "$IUC_OUT/check/userlib.log" >&2
	fail_line "userlib" "build failed (log: $IUC_OUT/check/userlib.log)"
	total_f=$((total_f + 1))
fi
if ! make -C "$IUC_TOP" --no-print-directory selftests KSFT_DIR="$ksrc/tools/testing/selftests" \
	>"$IUC_OUT/check/selftests.log" 2>&1; then
	cat "$IUC_OUT/check/selftests.log" >&2
	fail_line "selftests" "build failed (log: $IUC_OUT/check/selftests.log)"
	userspace_ok=0
fi
tests_dir=$IUC_OUT/selftests

# The echo example, an extra test of every VM (TAP: one result per client).
echo_args=()
if [[ -x $IUC_OUT/userlib/iuc-echo-service && -x $IUC_OUT/userlib/iuc-echo-client ]]; then
	echo_cmd='echo 1..2; iuc-echo-service -n 2 -t 60 & s=$!; r=0;'
	echo_cmd+=' for i in 1 2; do if iuc-echo-client -w 20 -c $i hello "message $i";'
	echo_cmd+=' then echo "ok $i iuc-echo-client $i"; else echo "not ok $i iuc-echo-client $i"; r=1; fi; done;'
	echo_cmd+=' wait $s || r=1; exit $r'
	echo_args=(-a "$IUC_OUT/userlib/iuc-echo-service:/bin/iuc-echo-service"
		   -a "$IUC_OUT/userlib/iuc-echo-client:/bin/iuc-echo-client"
		   -x "iuc_echo_example=$echo_cmd")
fi

# the fuzz slice of the debug kernel: a static fuzzer, trinity from Debian
fuzz_bin=''
if [[ " $KERNELS " == *" debug "* && ${IUC_SKIP_FUZZ:-0} != 1 ]]; then
	if ! fuzz_bin=$(iuc_fuzz_build 2>"$IUC_OUT/check/fuzz.log"); then
		cat "$IUC_OUT/check/fuzz.log" >&2
		fail_line "fuzz" "fuzzer build failed (log: $IUC_OUT/check/fuzz.log)"
		total_f=$((total_f + 1)) fuzz_bin=''
	fi
fi

for k in $KERNELS; do
	t=$(date +%s)
	if [[ $k == debug && $debug_ok == 0 ]]; then
		fail_line "kernel $k" "debug kernel build failed (see /var/cache/iuc/debug-kernel/*/build.log)"
		echo "kernel $k: 0 passed, 1 failed"; total_f=$((total_f + 1)); continue
	fi
	if ! iuc_kernel_paths "$k" >/dev/null 2>&1; then
		fail_line "kernel $k" "kernel image/headers not installed"
		echo "kernel $k: 0 passed, 1 failed"; total_f=$((total_f + 1)); continue
	fi
	if ! ko=$("$IUC_VM_DIR/build-module.sh" "$k"); then
		fail_line "kernel $k" "module build failed (log: $IUC_OUT/kernels/$k/build.log)"
		echo "kernel $k: 0 passed, 1 failed"; total_f=$((total_f + 1)); continue
	fi
	if [[ $userspace_ok == 0 ]]; then
		fail_line "kernel $k" "selftests did not build, nothing to run"
		echo "kernel $k: 0 passed, 1 failed"; total_f=$((total_f + 1)); continue
	fi
	extra=("${echo_args[@]}")
	if [[ $k == debug && -n $fuzz_bin ]]; then
		if iuc_fuzz_vm_args "$fuzz_bin" "${IUC_FUZZ_SEED:-1}" "${IUC_FUZZ_CALLS:-6000}" 0 \
			"${IUC_TRINITY_CALLS:-300}" 0; then
			extra+=("${FUZZ_VM_ARGS[@]}")
		else
			fail_line "kernel $k" "trinity is not installed: fuzz slice not run"
			total_f=$((total_f + 1))
		fi
	fi
	set +e
	out=$("$IUC_VM_DIR/run-vm.sh" -q -k "$k" -m "$ko" -t "$tests_dir" "${extra[@]}")
	rc=$?
	set -e
	[[ -n $out ]] && echo "$out"
	last=$(tail -n 1 <<<"$out")
	if [[ $last =~ ^kernel\ [^:]+:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
		((rc == 0 || f > 0)) || f=1
	else
		fail_line "kernel $k" "VM runner error (rc=$rc)"
		echo "kernel $k: 0 passed, 1 failed"
		p=0 f=1
	fi
	((rc == 0)) || anyfail=1
	total_p=$((total_p + p)) total_f=$((total_f + f))
	log "kernel $k done in $(($(date +%s) - t))s (boot+tests $(cat "$IUC_OUT/vm/$k.seconds" 2>/dev/null || echo ?)s, log $IUC_OUT/vm/$k.log)"
done

if [[ ${IUC_SKIP_DKMS:-0} != 1 ]]; then
	for k in $KERNELS; do
		[[ $k == debug ]] && continue
		if ! kver=$(iuc_stock_kver "$k"); then
			fail_line "dkms $k" "no installed $k kernel with headers"
			total_f=$((total_f + 1)); continue
		fi
		if "$IUC_VM_DIR/dkms-build.sh" "$kver" >/dev/null; then
			echo "dkms $k: ok ($kver)"
			total_p=$((total_p + 1))
		else
			fail_line "dkms $k" "dkms build against $kver failed (log: $IUC_OUT/dkms/$kver/dkms.log)"
			total_f=$((total_f + 1))
		fi
	done
fi

log "check finished in $(($(date +%s) - t0))s"
summary
