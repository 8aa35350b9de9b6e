#!/usr/bin/env bash
# Where does the kernel time of one benchmark scenario go?  Boots the guest
# once and runs iuc-bench under function_graph, filtered to a list of
# functions (tools/bench/guest-ftrace.sh); prints calls / total / mean per
# function.  Timings are inflated by the tracer and by TCG: compare
# functions with each other, not with the benchmark's figures.
#
# usage: tools/bench/profile.sh SCENARIO [more iuc-bench args]
#        PROFILE_FUNCS="f1 f2" tools/bench/profile.sh custom -- iuc-bench args
# SCENARIO: handoff-excl | handoff-excl-nothp | handoff-mutual-nothp |
#           handoff-memfd | rtt | stream | notify | custom
# Env: KERNEL (default 6.12), IUC_OUT, PROFILE_FUNCS (extra functions).
# Builds build/bench/iuc-bench (tools/bench/Makefile) if it is not up to date.
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/../vm/lib.sh"

scenario=${1:?usage: profile.sh SCENARIO [iuc-bench args]}
shift
[[ ${1:-} == -- ]] && shift
KERNEL=${KERNEL:-6.12}
IUC_OUT=${IUC_OUT:-$IUC_TOP/build}
OUT=$IUC_OUT/bench
WORK=$OUT/work
BIN=$OUT/iuc-bench
mkdir -p "$OUT/profile"

share="iuc_ioctl_share_mem iuc_event_post iuc_event_alloc pin_user_pages vm_munmap
	iuc_read iuc_segment_map_record vm_mmap iuc_mmap remap_pfn_range track_pfn_remap
	iuc_ioctl_mem_unmap __kvmalloc_node_noprof lru_add_drain_all iuc_segment_get
	zap_page_range_single unmap_vmas free_pgtables tlb_finish_mmu
	mmap_region do_mmap iuc_context_read"
memfd="__sys_sendmsg __sys_recvmsg vm_mmap do_mmap shmem_fault filemap_map_pages
	handle_mm_fault do_user_addr_fault shmem_get_folio_gfp"
pipe="iuc_ioctl iuc_dispatch iuc_ioctl_pipe_write iuc_ioctl_pipe_read iuc_end_lookup iuc_pipe_put iuc_pipe_wait
	iuc_context_is_current __wake_up mutex_lock_interruptible mutex_unlock
	pipe_write pipe_read ksys_write ksys_read __x64_sys_ioctl
	unix_stream_sendmsg unix_stream_recvmsg unix_seqpacket_sendmsg unix_seqpacket_recvmsg
	__x64_sys_mq_timedsend __x64_sys_mq_timedreceive schedule"
notify="iuc_ioctl_open_pipe iuc_event_post iuc_event_alloc iuc_event_raise iuc_end_attach
	iuc_context_reach iuc_ioctl_close_pipe send_sig_info
	__x64_sys_mq_timedsend __x64_sys_mq_notify __x64_sys_rt_sigtimedwait
	__kmalloc_cache_noprof kmem_cache_alloc_noprof xa_insert"
args=()
case $scenario in
handoff-excl)         funcs=$share; args=(--only handoff --handoff-sizes 64m --handoff-methods iuc_exclusive --reps 3) ;;
handoff-excl-nothp)   funcs=$share; args=(--only handoff --handoff-sizes 64m --handoff-methods iuc_exclusive_nothp --reps 3) ;;
handoff-mutual-nothp) funcs=$share; args=(--only handoff --handoff-sizes 64m --handoff-methods iuc_mutual_nothp --reps 3) ;;
handoff-memfd)        funcs=$memfd; args=(--only handoff --handoff-sizes 64m --handoff-methods memfd --reps 3) ;;
rtt)                  funcs=$pipe; args=(--only rtt --reps 3) ;;
stream)               funcs=$pipe; args=(--only stream --quick --reps 3) ;;
notify)               funcs=$notify; args=(--only notify --reps 3) ;;
custom)               funcs="" ;;
*) die "unknown scenario $scenario" ;;
esac
funcs=$(tr -s ' \t\n' ' ' <<<"$funcs ${PROFILE_FUNCS:-}")
args+=("$@")

make -s -C "$IUC_TOP/tools/bench" O="$OUT" >&2
ko=$(IUC_OUT=$WORK "$IUC_VM_DIR/build-module.sh" "$KERNEL")
log=$OUT/profile/$scenario-$KERNEL.log
# shellcheck disable=SC2086
VM_MEM=${BENCH_VM_MEM:-2048} IUC_OUT=$WORK "$IUC_VM_DIR/run-vm.sh" -q -k "$KERNEL" -m "$ko" \
	-a "$BIN:/bin/iuc-bench" -a "$IUC_TOP/tools/bench/guest-ftrace.sh:/bin/guest-ftrace" \
	-L 900 -l "$log" \
	-c "/bin/guest-ftrace '$funcs' /bin/iuc-bench ${args[*]}" >/dev/null 2>&1 || true
res=${log%.log}.results
awk '/^\[bench/ {print} /^PROFILE-BEGIN/{on=1} on {print} /^PROFILE-END/{on=0}' "$res" | column -t
