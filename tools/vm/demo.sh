#!/usr/bin/env bash
# `make demo`: boot one kernel (KERNEL, default 6.12) in qemu with iuc.ko and
# run the userlib demo (/bin/iuc-demo, from build/userlib/iuc-demo) instead of
# the selftests; print its output.  VERBOSE=1 streams the serial console.
# Env: KERNEL, DEMO_CMD (default /bin/iuc-demo), IUC_SKIP_DEPS=1.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/lib.sh"

KERNEL=${KERNEL:-6.12}
export IUC_OUT=${IUC_OUT:-$IUC_TOP/build}
[[ ${IUC_SKIP_DEPS:-0} == 1 ]] || "$IUC_VM_DIR/install-deps.sh"
[[ $KERNEL != debug ]] || "$IUC_VM_DIR/build-debug-kernel.sh" >/dev/null
make -C "$IUC_TOP" --no-print-directory userlib >&2
demo=$IUC_OUT/userlib/iuc-demo
[[ -x $demo ]] || die "$demo was not built by 'make userlib'"
ko=$("$IUC_VM_DIR/build-module.sh" "$KERNEL")
q=(-q)
[[ ${VERBOSE:-0} == 1 ]] && q=()
exec "$IUC_VM_DIR/run-vm.sh" "${q[@]}" -k "$KERNEL" -m "$ko" -a "$demo:/bin/iuc-demo" \
	-c "${DEMO_CMD:-/bin/iuc-demo}" -l "$IUC_OUT/vm/demo-$KERNEL.log"
