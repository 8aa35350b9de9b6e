#!/usr/bin/env bash
# `make bench`: IUC against its Linux peers, in the QEMU guest of tools/vm.
#
#   1. installs what is missing (tools/vm/install-deps.sh; gnuplot-nox, jq)
#   2. builds iuc.ko per kernel (tools/vm/build-module.sh) and the static
#      benchmark program build/bench/iuc-bench (tools/bench/Makefile: bench.c,
#      one bench-*.c per benchmark, and the selftests' library)
#   3. per kernel in $KERNELS (default 6.12): boots it (tools/vm/run-vm.sh,
#      2 vCPUs, TCG) with /bin/iuc-bench as the command, and takes the JSON
#      the program prints between IUC-BENCH-JSON-BEGIN/END from the serial log.
#      The command first loads Debian's Binder module of that kernel
#      (binder_linux, copied from /lib/modules/VERSION/kernel/drivers/android,
#      decompressed on the host) for the Binder rows; only this command loads
#      it, so `make check` runs without it.  Without it (the debug kernel has
#      no Binder) the Binder rows are absent and the run says why.
#   4. writes build/bench/results.json (first kernel; results-NAME.json per
#      kernel), build/bench/results.md (tables), docs/bench/*.png (charts of
#      the first kernel) and prints the table.
#
# Under TCG the guest runs ~10x slower than hardware: only the ratios between
# IUC and the Linux peer of one run mean anything.  See docs/bench/README.md.
#
# Env: KERNELS ("6.12"; names of tools/vm: 6.1 6.12 debug), BENCH_ARGS (more
# options for iuc-bench, e.g. "--quick" or "--reps 7"), BENCH_VM_MEM (MiB,
# default 2048), BENCH_LIMIT (seconds for one VM run, default 900),
# IUC_SKIP_DEPS=1 (no apt), IUC_OUT (default <repo>/build), BENCH_NO_CHARTS=1,
# BENCH_KO (an iuc.ko to load instead of building one from this tree: e.g. a
# branch's module; with several KERNELS it must suit each),
# BENCH_REPORT_ONLY=1 (no VM: tables and charts from the last results-NAME.json).
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
. "$(dirname "$0")/../vm/lib.sh"

KERNELS=${KERNELS:-6.12}
IUC_OUT=${IUC_OUT:-$IUC_TOP/build}
OUT=$IUC_OUT/bench
# A private IUC_OUT for build-module.sh/run-vm.sh, so that a concurrent
# `make check` (same build/kernels/NAME, build/vm/NAME.log) is not clobbered.
WORK=$OUT/work
DOCS=$IUC_TOP/docs/bench
BIN=$OUT/iuc-bench
limit=${BENCH_LIMIT:-900}
t_begin=$(date +%s)
mkdir -p "$OUT" "$WORK" "$DOCS"

blog() { printf '[bench] %s\n' "$*" >&2; }

# ---- 1. dependencies -------------------------------------------------------
apt_install() {
	export DEBIAN_FRONTEND=noninteractive
	local sudo=
	[[ $(id -u) == 0 ]] || sudo=sudo
	if ! $sudo apt-get install -y -q --no-install-recommends "$@" >&2; then
		$sudo apt-get update -q >&2 || true
		$sudo apt-get install -y -q --no-install-recommends "$@" >&2
	fi
}
if [[ ${IUC_SKIP_DEPS:-0} != 1 && ${BENCH_REPORT_ONLY:-0} != 1 ]]; then
	"$IUC_VM_DIR/install-deps.sh"
fi
need=()
command -v jq >/dev/null || need+=(jq)
if [[ ${BENCH_NO_CHARTS:-0} != 1 ]] && ! command -v gnuplot >/dev/null; then
	need+=(gnuplot-nox)
fi
if ((${#need[@]})); then
	blog "installing ${need[*]}"
	apt_install "${need[@]}"
fi

report_only=${BENCH_REPORT_ONLY:-0}
first=
ran=()
if [[ $report_only == 1 ]]; then
	# tables and charts again from the results-NAME.json of an earlier run
	for k in $KERNELS; do
		[[ -f $OUT/results-$k.json ]] || die "no $OUT/results-$k.json (BENCH_REPORT_ONLY=1 needs an earlier run)"
		[[ -n $first ]] || first=$k
		ran+=("$k")
	done
fi

# ---- 2. build --------------------------------------------------------------
if [[ $report_only != 1 ]]; then
blog "building $BIN"
make -s -C "$IUC_TOP/tools/bench" O="$OUT" >&2

# ---- 3. run ----------------------------------------------------------------
# Debian's binder_linux.ko of kernel $1, uncompressed into $WORK: its path,
# or nothing (and a note) if that kernel has none.
binder_ko() {
	local k=$1 kver f out=$WORK/binder_linux-$1.ko
	case $k in
	6.1|6.12) kver=$(iuc_stock_kver "$k") || return 0 ;;
	*) blog "kernel $k: no binder_linux module (the Binder rows will be absent)"; return 0 ;;
	esac
	for f in /lib/modules/"$kver"/kernel/drivers/android/binder_linux.ko{,.xz,.zst}; do
		[[ -f $f ]] || continue
		case $f in
		*.xz) xz -dc "$f" >"$out.tmp" ;;
		*.zst) zstd -qdc "$f" >"$out.tmp" ;;
		*) cp "$f" "$out.tmp" ;;
		esac
		mv "$out.tmp" "$out"
		echo "$out"
		return 0
	done
	blog "kernel $k: /lib/modules/$kver has no binder_linux (the Binder rows will be absent)"
}

for k in $KERNELS; do
	case $k in 6.1|6.12|debug) ;; *) die "unknown kernel '$k' (want 6.1, 6.12 or debug)" ;; esac
	[[ $k != debug ]] || blog "warning: the debug kernel's figures measure KASAN/lockdep, not IUC"
	[[ $k != debug ]] || "$IUC_VM_DIR/build-debug-kernel.sh" >/dev/null
	if [[ -n ${BENCH_KO:-} ]]; then
		[[ -f $BENCH_KO ]] || die "BENCH_KO=$BENCH_KO: no such file"
		ko=$BENCH_KO
		blog "kernel $k: module $ko (BENCH_KO)"
	else
		ko=$(IUC_OUT=$WORK "$IUC_VM_DIR/build-module.sh" "$k")
	fi
	bko=$(binder_ko "$k")
	vmextra=(-a "$BIN:/bin/iuc-bench")
	cmd="/bin/iuc-bench ${BENCH_ARGS:-}"
	if [[ -n $bko ]]; then
		vmextra+=(-a "$bko:/lib/modules/binder_linux.ko")
		cmd="insmod /lib/modules/binder_linux.ko || echo 'bench: insmod binder_linux failed' >&2; $cmd"
	fi
	log=$OUT/vm-$k.log
	res=${log%.log}.results
	blog "kernel $k: booting the guest (limit ${limit}s); console: $log"
	set +e
	VM_MEM=${BENCH_VM_MEM:-2048} IUC_OUT=$WORK "$IUC_VM_DIR/run-vm.sh" -q -k "$k" \
		-m "$ko" "${vmextra[@]}" -L "$limit" -l "$log" \
		-c "$cmd" >"$OUT/vm-$k.verdict" 2>"$OUT/vm-$k.stderr"
	vrc=$?
	set -e
	src=$res
	[[ -s $src ]] && grep -q '^IUC-BENCH-JSON-END' "$src" || src=$log
	json=$OUT/results-$k.json
	if ! awk '/^IUC-BENCH-JSON-BEGIN/{on=1; next} /^IUC-BENCH-JSON-END/{on=0} on' "$src" |
		jq -S . >"$json.tmp" 2>/dev/null || [[ ! -s $json.tmp ]]; then
		grep -E '^kernel ' "$OUT/vm-$k.verdict" >&2 || true
		tail -n 30 "$log" >&2 || true
		rm -f "$json.tmp"
		die "kernel $k: the guest printed no benchmark JSON (see $log)"
	fi
	mv "$json.tmp" "$json"
	awk '/^IUC-BENCH-META-BEGIN/{on=1; next} /^IUC-BENCH-META-END/{on=0} on' "$src" |
		jq -S --arg vmsec "$(cat "$WORK/vm/$k.seconds" 2>/dev/null || cat "${log%.log}.seconds" 2>/dev/null || echo 0)" \
		'. + {vm_seconds: ($vmsec | tonumber? // null)}' >"$OUT/meta-$k.json" 2>/dev/null ||
		echo '{}' >"$OUT/meta-$k.json"
	if ((vrc != 0)); then
		# e.g. a kernel warning during the run: the figures are kept, but say so
		blog "kernel $k: the VM run was judged failed (rc=$vrc):"
		grep -E '^kernel ' "$OUT/vm-$k.verdict" | sed 's/^/[bench]   /' >&2 || true
	fi
	[[ -n $first ]] || first=$k
	ran+=("$k")
done
fi
cp "$OUT/results-$first.json" "$OUT/results.json"

# ---- 4. tables ---------------------------------------------------------------
# One line per metric: name, iuc, min, max, peer name, peer, ratio, unit, others.
md=$OUT/results.md
{
	echo "# IUC benchmark results"
	echo
	rev=$(git -C "$IUC_TOP" rev-parse --short HEAD 2>/dev/null || echo '?')
	if [[ -n $(git -C "$IUC_TOP" status --porcelain -- module uapi Kbuild 2>/dev/null) ]]; then
		rev+=" with uncommitted changes in module/ or uapi/"
	fi
	echo "Generated by \`tools/bench/bench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')," \
		"module tree at $rev."
	echo "QEMU TCG (software emulation), 2 vCPUs: absolute figures are ~10x below"
	echo "hardware; **ratio** compares IUC with the Linux peer of the same run"
	echo "(> 1: IUC better; times peer/iuc, throughput iuc/peer, bytes peer/iuc)."
	echo "Every figure: median of the repetitions, [min..max] of IUC's."
	for k in "${ran[@]}"; do
		j=$OUT/results-$k.json
		echo
		echo "## Kernel $k"
		echo
		jq -r '"guest \(.kernel // "?"), \(.cpus // "?") vCPUs, both processes of a test on \(if .pin == "same" then "one vCPU" elif .pin == "split" then "vCPUs 0 and 1" else "any vCPU" end), \(.reps // "?") repetitions, clocksource \(.clocksource // "?"), THP \(.thp // "?"), bench \(.seconds // "?") s, VM \(.vm_seconds // "?") s"' \
			"$OUT/meta-$k.json"
		echo
		echo "### Headline metrics"
		echo
		echo "| metric | IUC [min..max] | Linux peer | ratio | further peers (ratio) | target | met |"
		echo "|---|---|---|---|---|---|---|"
		jq -r '
		def f: if . == null then "–" elif . >= 1000 then (. * 10 | round / 10 | tostring) else (. * 1000 | round / 1000 | tostring) end;
		def r: if . == null then "–" else (. * 100 | round / 100 | tostring) + "x" end;
		def peers: [(.peers // {}) | to_entries[] | select(.key | test("_by_") | not) | "\(.key) \(.value.value | f) (\(.value.ratio | r))"] | join("; ");
		def target($n):
		  if $n == "stream_64k_cap64k" or $n == "stream_64k_cap1m" then ["ratio >= 1.25", ((.ratio // 0) >= 1.25)]
		  elif $n == "stream_64k_cap1m_vs_memcpy" then ["IUC >= 0.75x memcpy", ((.ratio // 0) >= 0.75)]
		  elif $n == "stream_64k_vs_binder" then ["IUC >= 1.3x Binder", ((.ratio // 0) >= 1.3)]
		  elif $n == "msg_rtt_64" then ["IUC <= 0.9x pipe pair", ((.ratio // 0) >= (1/0.9))]
		  elif ($n | test("^msg_rtt_64_call(_split|_same)?$")) then ["IUC <= 0.8x pipe pair", ((.ratio // 0) >= 1.25)]
		  elif ($n | test("^msg_rtt_64_vs_binder(_split|_same)?$")) then ["IUC <= 0.5x Binder", ((.ratio // 0) >= 2)]
		  elif $n == "uring_rtt_64" then ["io_uring <= 1.0x ioctls", ((.ratio // 0) >= 1)]
		  elif $n == "handoff_exclusive_64k" then [">= 2x pipe copy", ((.ratio // 0) >= 2)]
		  elif $n == "handoff_exclusive_64m" then [">= 10x pipe copy, >= memfd", (((.ratio // 0) >= 10) and ((.peers.memfd.ratio // 0) >= 1))]
		  elif $n == "notify_latency" then ["ratio >= 1 (in every run)", ((.ratio // 0) >= 1)]
		  elif $n == "idle_pipe_bytes" then ["IUC <= 1024 B", ((.iuc // 1e9) <= 1024)]
		  else ["", null] end;
		to_entries[] | select(.key | test("sweep") | not) | .key as $n | .value as $v |
		($v | target($n)) as $t |
		"| \($n) | \($v.iuc | f) [\($v.min | f)..\($v.max | f)] \($v.unit) | \($v.peer_name) \($v.peer | f) | **\($v.ratio | r)** | \($v | peers) | \($t[0]) | \(if $t[1] == null then "" elif $t[1] then "yes" else "**no**" end) |"
		' "$j"
		echo
		echo "### Stream throughput sweep (capacity 1 MiB, MiB/s)"
		echo
		echo "Binder: one-way transactions, at most the capacity unconsumed (\"window\" transactions);"
		echo "memcpy: one process copying the same bytes in the same chunks (the physical limit)."
		echo
		echo "| write size | IUC [min..max] | Linux pipe | AF_UNIX stream | Binder one-way | memcpy | IUC/pipe | IUC/unix | IUC/Binder | IUC/memcpy | context switches per MiB (IUC / pipe / unix / Binder) |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|"
		jq -r '
		def f: if . == null then "–" else (. * 10 | round / 10 | tostring) end;
		def r: if . == null then "–" else (. * 100 | round / 100 | tostring) + "x" end;
		to_entries | map(select(.key | startswith("stream_sweep_"))) | sort_by(.value.write_size)[] | .value |
		"| \(.write_size) | \(.iuc | f) [\(.min | f)..\(.max | f)] | \(.peer | f) | \(.peers.unix.value | f) | \(.peers.binder.value | f)\(if .binder_window then " (window \(.binder_window))" else "" end) | \(.peers.memcpy.value | f) | \(.ratio | r) | \(.peers.unix.ratio | r) | \(.peers.binder.ratio | r) | \(.peers.memcpy.ratio | r) | \(.ctx_switches_per_mib.iuc | f) / \(.ctx_switches_per_mib.pipe | f) / \(.ctx_switches_per_mib.unix | f) / \(.ctx_switches_per_mib.binder | f) |"' "$j"
		jq -r 'to_entries[] | select(.value.binder_absent != null) | .value.binder_absent' "$j" | sort -u |
			sed 's/^/\nBinder rows absent: /'
		echo
		echo "### Round trips (64 B), both placements (µs)"
		echo
		echo "| placement | IUC write+read | IUC PIPE_CALL | Linux pipe pair | Binder | IUC io_uring | PIPE_CALL vs pipes | IUC best vs Binder | io_uring vs ioctls |"
		echo "|---|---|---|---|---|---|---|---|---|"
		jq -r '
		def f: if . == null then "–" else (. * 10 | round / 10 | tostring) end;
		def r: if . == null then "–" else (. * 100 | round / 100 | tostring) + "x" end;
		. as $all | ["", "_split", "_same"][] as $s | select($all["msg_rtt_64" + $s] != null) |
		$all["msg_rtt_64" + $s] as $b | $all["msg_rtt_64_call" + $s] as $c | $all["msg_rtt_64_vs_binder" + $s] as $v |
		$all["uring_rtt_" + "64" + $s] as $u |
		"| \($b.pin) | \($b.iuc | f) | \($c.iuc | f) | \($b.peer | f) | \($b.peers.binder.value | f) | \($u.iuc | f) | \($c.ratio | r) | \($v.ratio | r)\(if $v.iuc_method then " (" + ($v.iuc_method | split(" ")[0]) + ")" else "" end) | \($u.ratio | r) |"' "$j"
		echo
		echo "### Memory hand-off sweep (ns per page, sender filled .. receiver touched every page)"
		echo
		echo "| size | IUC exclusive | IUC mutual | excl. no THP | mutual no THP | pipe copy | memfd+SCM_RIGHTS | excl. vs pipe | excl. vs memfd |"
		echo "|---|---|---|---|---|---|---|---|---|"
		jq -r '
		def f: if . == null then "–" else (. | round | tostring) end;
		def r: if . == null then "–" else (. * 100 | round / 100 | tostring) + "x" end;
		[to_entries[] | select(.key | test("^handoff_(exclusive|mutual)_(sweep_)?[0-9]+[km]$"))] as $all |
		[$all[] | .value.size] | unique[] as $s |
		([$all[] | select(.value.size == $s and (.key | startswith("handoff_exclusive")))][0].value) as $e |
		([$all[] | select(.value.size == $s and (.key | startswith("handoff_mutual")))][0].value) as $m |
		"| \(if $s >= 1048576 then "\($s / 1048576) MiB" else "\($s / 1024) KiB" end) | \($e.ns_per_page.iuc | f) | \($m.ns_per_page.iuc | f) | \($e.ns_per_page.iuc_nothp | f) | \($m.ns_per_page.iuc_nothp | f) | \($e.ns_per_page.pipe_copy | f) | \($e.ns_per_page.memfd | f) | \($e.ratio | r) | \($e.peers.memfd.ratio | r) |"' "$j"
		echo
		jq -r '
		[to_entries[] | select(.key | test("^handoff_(exclusive|mutual)_(sweep_)?[0-9]+[km]$")) | .value] as $all |
		def spread($m; $from): [$all[] | select(.size >= $from and .ns_per_page[$m] != null) | .ns_per_page[$m]] as $v |
			if ($v | length) < 2 then "–" else (($v | max) / ($v | min) * 100 | round / 100 | tostring) + "x" end;
		def line($from; $name): "- \($name): IUC \(spread("iuc"; $from)) (sender buffer without THP \(spread("iuc_nothp"; $from))), pipe copy \(spread("pipe_copy"; $from)), memfd \(spread("memfd"; $from))";
		"Flatness of the cost per page (max/min of ns per page over the sizes; 1x is flat; exclusive and mutual together):\n" +
		line(4096; "4 KiB..256 MiB") + "\n" + line(1048576; "1 MiB..256 MiB") + "\n" + line(16777216; "16 MiB..256 MiB")' "$j"
		echo
		jq -r '
		def at($mode; $size): [to_entries[] | select(.key | test("^handoff_" + $mode + "_(sweep_)?[0-9]+[km]$")) | .value | select(.size == $size)][0];
		def marg($mode; $m): (at($mode; 268435456)) as $b | (at($mode; 67108864)) as $a |
			if $a == null or $b == null then "–" else
			((($b.ns_per_page[$m] * $b.pages) - ($a.ns_per_page[$m] * $a.pages)) / ($b.pages - $a.pages) | round | tostring) end;
		def fixed($mode; $m): (at($mode; 4096)) as $a | if $a == null then "–" else ($a.ns_per_page[$m] / 1000 | round | tostring) end;
		"Marginal cost per page between 64 and 256 MiB (ns; the fixed cost per hand-off cancels out): " +
		"IUC exclusive \(marg("exclusive"; "iuc")) (no THP \(marg("exclusive"; "iuc_nothp"))), " +
		"mutual \(marg("mutual"; "iuc")) (no THP \(marg("mutual"; "iuc_nothp"))), " +
		"pipe copy \(marg("exclusive"; "pipe_copy")), memfd \(marg("exclusive"; "memfd")). " +
		"A 4 KiB hand-off (µs, ~ the fixed cost): IUC exclusive \(fixed("exclusive"; "iuc")), mutual \(fixed("mutual"; "iuc")), " +
		"pipe copy \(fixed("exclusive"; "pipe_copy")), memfd \(fixed("exclusive"; "memfd"))."' "$j"
		echo
		echo "Hand-off phases (median µs from the sender's start): *send* = the sender's"
		echo "call returned, *received* = the receiver holds the data, before touching it."
		echo "With both processes on one vCPU the receiver often runs before the sender's"
		echo "call returns, so *send* can exceed *received*."
		echo
		echo "| size | mode | IUC send | IUC received | no-THP send | no-THP received | pipe send | pipe received | memfd send | memfd received |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		jq -r '
		def f: if . == null then "–" else (. * 10 | round / 10 | tostring) end;
		to_entries[] | select(.key | test("^handoff_")) | .value as $v | .key as $k |
		"| \($v.size) | \(if ($k | contains("exclusive")) then "exclusive" else "mutual" end) | \($v.phases_us.iuc_send | f) | \($v.phases_us.iuc_received | f) | \($v.phases_us.iuc_nothp_send | f) | \($v.phases_us.iuc_nothp_received | f) | \($v.phases_us.pipe_send | f) | \($v.phases_us.pipe_received | f) | \($v.phases_us.memfd_send | f) | \($v.phases_us.memfd_received | f) |"' "$j" |
			sort -t'|' -k2,2n -k3,3
		echo
		echo "### Idle pipe memory (bytes per open pipe, by method of accounting)"
		echo
		jq -r '.idle_pipe_bytes // empty | "- primary (slab objects + vmalloc + stacks + page tables + percpu): IUC \(.iuc | round) B, Linux pipe \(.peer | round) B\n" +
			([(.peers // {}) | to_entries[] | "- \(.key): \(.value.value | round) B [\(.value.min | round)..\(.value.max | round)]"] | join("\n")) +
			"\n- slab caches that grew, bytes per pipe (first batch): IUC " +
			([(.slab_bytes_per_pipe_iuc // {}) | to_entries[] | "\(.key) \(.value)"] | join(", ")) +
			"; Linux pipe " + ([(.slab_bytes_per_pipe_linux // {}) | to_entries[] | "\(.key) \(.value)"] | join(", "))' "$j"
	done
} >"$md"

# ---- 5. charts ---------------------------------------------------------------
charts() {
	local j=$OUT/results-$first.json d=$OUT/plot
	mkdir -p "$d"
	# human size labels for the x axes
	local lbl='def lbl: if . >= 1048576 then "\(. / 1048576)M" elif . >= 1024 then "\(. / 1024)K" else "\(.)" end;'
	jq -r "$lbl"' to_entries | map(select(.key | startswith("stream_sweep_"))) | sort_by(.value.write_size)[] | .value |
		"\(.write_size) \(.iuc // "NaN") \(.peer // "NaN") \(.peers.unix.value // "NaN") \(.min // "NaN") \(.max // "NaN") \(.write_size | lbl) \(.peers.binder.value // "NaN") \(.peers.memcpy.value // "NaN")"' "$j" >"$d/stream.dat"
	jq -r "$lbl"' [to_entries[] | select(.key | test("^handoff_exclusive_(sweep_)?[0-9]+[km]$"))] | sort_by(.value.size)[] | .value |
		"\(.size) \(.ns_per_page.iuc // "NaN") \(.ns_per_page.iuc_nothp // "NaN") \(.ns_per_page.pipe_copy // "NaN") \(.ns_per_page.memfd // "NaN") \(.size | lbl)"' "$j" >"$d/handoff_excl.dat"
	jq -r '[to_entries[] | select(.key | test("^handoff_mutual_(sweep_)?[0-9]+[km]$"))] | sort_by(.value.size)[] | .value |
		"\(.size) \(.ns_per_page.iuc // "NaN") \(.ns_per_page.iuc_nothp // "NaN")"' "$j" >"$d/handoff_mutual.dat"
	jq -r '. as $all | [to_entries[] | select(.key | test("^msg_rtt_[0-9]+[km]?$"))] | sort_by(.value.message_size)[] | .key as $k | .value |
		"\(.message_size) \(.iuc // "NaN") \(.peer // "NaN") \(.peers.seqpacket.value // "NaN") \(.peers.mqueue.value // "NaN") \(.peers.binder.value // "NaN") \($all[$k + "_call"].iuc // "NaN")"' "$j" >"$d/rtt.dat"
	jq -r 'to_entries[] | select(.key | test("sweep") | not) | select(.value.ratio != null) |
		"\"\(.key)\" \(.value.ratio) \(if .value.ratio >= 1 then 2 else 7 end)"' "$j" >"$d/ratios.dat"
	local term="set terminal pngcairo size 900,560 noenhanced font 'DejaVu Sans,10'"
	gnuplot -e "set terminal pngcairo" >/dev/null 2>&1 || term="set terminal png size 900,560 noenhanced"
	gnuplot <<-EOF
	$term
	set grid
	set key top left
	set offsets graph 0.04, graph 0.04, 0, 0
	set output "$DOCS/stream_sweep.png"
	set title "Stream throughput, capacity 1 MiB (kernel $first, QEMU TCG, median of $(jq .reps "$OUT/meta-$first.json") reps)"
	set logscale x 2
	set logscale y 10
	set xlabel "write size (bytes)"
	set ylabel "MiB/s (IUC: bars min..max)"
	plot "$d/stream.dat" using 1:2:5:6:xtic(7) with yerrorlines lw 2 title "IUC raw pipe (PIPE_WRITE/PIPE_READ)", \
	     "" using 1:3 with linespoints lw 2 title "Linux pipe (F_SETPIPE_SZ 1 MiB)", \
	     "" using 1:4 with linespoints lw 2 title "AF_UNIX SOCK_STREAM", \
	     "" using 1:8 with linespoints lw 2 title "Binder one-way (binder_linux, window = capacity)", \
	     "" using 1:9 with linespoints lw 1 dt 2 title "memcpy of the same chunks (one process, the limit)"
	set output "$DOCS/handoff_ns_per_page.png"
	set title "Memory hand-off: ns per 4 KiB page, sender filled .. receiver touched every page (kernel $first)"
	set xlabel "size (bytes)"
	set ylabel "ns per page (median)"
	set key top right
	plot "$d/handoff_excl.dat" using 1:2:xtic(6) with linespoints lw 2 title "IUC SHARE_MEM exclusive", \
	     "$d/handoff_mutual.dat" using 1:2 with linespoints lw 2 title "IUC SHARE_MEM mutual", \
	     "$d/handoff_excl.dat" using 1:3 with linespoints lw 1 dt 2 title "IUC exclusive, sender buffer MADV_NOHUGEPAGE", \
	     "$d/handoff_mutual.dat" using 1:3 with linespoints lw 1 dt 2 title "IUC mutual, sender buffer MADV_NOHUGEPAGE", \
	     "$d/handoff_excl.dat" using 1:4 with linespoints lw 2 title "copy through a Linux pipe (1 MiB)", \
	     "$d/handoff_excl.dat" using 1:5 with linespoints lw 2 title "memfd + SCM_RIGHTS + mmap"
	unset logscale
	set offsets 0, 0, 0, 0
	set output "$DOCS/msg_rtt.png"
	set title "Message round trip (kernel $first, QEMU TCG; lower is better)"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set boxwidth 0.9
	set xlabel "message size (bytes)"
	set ylabel "µs per round trip (median)"
	set yrange [0:*]
	set grid noxtics
	set key top left
	plot "$d/rtt.dat" using 2:xtic(1) title "IUC message pipes, PIPE_WRITE + PIPE_READ", \
	     "" using 3 title "Linux pipe pair", \
	     "" using 4 title "AF_UNIX SOCK_SEQPACKET", \
	     "" using 5 title "POSIX mqueue (two queues)", \
	     "" using 6 title "Binder transaction + reply", \
	     "" using 7 title "IUC PIPE_CALL (both sides)"
	${term//900,560/1200,600}
	set output "$DOCS/ratios.png"
	set title "IUC against its Linux peer: ratio > 1 means IUC is better (kernel $first)"
	set style data boxxyerror
	set xtics rotate by -35 nomirror
	set xlabel ""
	set ylabel "ratio (log scale)"
	set logscale y 10
	set yrange [0.1:100]
	set key off
	set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2
	plot "$d/ratios.dat" using 0:2:(\$0-0.35):(\$0+0.35):(\$2 < 1 ? \$2 : 1):(\$2 < 1 ? 1 : \$2):3:xtic(1) \
	     with boxxyerror lc variable, \
	     "" using 0:2:(sprintf("%.2f", \$2)) with labels offset 0,0.8 font ",9"
	EOF
	blog "charts in $DOCS: stream_sweep.png handoff_ns_per_page.png msg_rtt.png ratios.png"
}
if [[ ${BENCH_NO_CHARTS:-0} != 1 ]]; then
	charts || blog "warning: gnuplot failed; no charts"
fi

cat "$md"
echo
echo "results: $OUT/results.json, $md; charts: $DOCS/*.png ($(($(date +%s) - t_begin)) s in all)"
