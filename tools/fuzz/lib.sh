# shellcheck shell=bash
# Shared by tools/vm/check.sh (the fixed fuzz slice of `make check`) and
# tools/fuzz/fuzz.sh (`make fuzz`): how the fuzzers go into a VM run.
# Sourced after tools/vm/lib.sh (uses IUC_TOP, log, die).

IUC_FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Build the static fuzzer into $IUC_OUT/fuzz; prints its path.
iuc_fuzz_build() {
	make -C "$IUC_FUZZ_DIR" --no-print-directory O="$IUC_OUT/fuzz" >&2 || return 1
	echo "$IUC_OUT/fuzz/iuc_fuzz"
}

# iuc_fuzz_vm_args BIN SEED CALLS SECONDS TRINITY_CALLS TRINITY_SECONDS [FUZZ_OPTS]
# Sets the array FUZZ_VM_ARGS: run-vm.sh options that put iuc_fuzz, trinity
# (with its libraries) and the TAP wrapper into the initramfs and run both
# as tests named iuc_fuzz and trinity.  CALLS/SECONDS 0 = no such bound;
# FUZZ_OPTS are more iuc_fuzz options (-w, -j, -k).
iuc_fuzz_vm_args() {
	local bin=$1 seed=$2 calls=$3 secs=$4 tcalls=$5 tsecs=$6 more=${7:-} trin fz
	if ! trin=$(command -v trinity); then
		log "trinity is not installed (make deps)"
		return 1
	fi
	fz="iuc_fuzz -s $seed"
	((calls > 0)) && fz+=" -n $calls"
	((secs > 0)) && fz+=" -t $secs"
	[[ -n $more ]] && fz+=" $more"
	# shellcheck disable=SC2034  # for the sourcing script
	FUZZ_VM_ARGS=(-a "$bin:/bin/iuc_fuzz" -a "$IUC_FUZZ_DIR/trinity-tap.sh:/bin/iuc-trinity"
		-D "$trin:/bin/trinity"
		-x "iuc_fuzz=$fz"
		-x "trinity=iuc-trinity -s $seed -N $tcalls -t $tsecs")
}
