#!/bin/sh
# Guest side of tools/bench/profile.sh (busybox sh): run a command under the
# function_graph tracer limited to the functions listed in $1, then print per
# function: calls, total us, mean us (sorted by total).  Only the listed
# functions are instrumented, so the overhead stays small; nested listed
# functions are timed inclusive of their listed children.
#
# usage: guest-ftrace.sh "func1 func2 ..." command [args...]
T=/sys/kernel/tracing
[ -d $T/options ] || T=/sys/kernel/debug/tracing
funcs=$1
shift
echo 0 >$T/tracing_on
echo nop >$T/current_tracer
echo 65536 >$T/buffer_size_kb
: >$T/set_ftrace_filter
for f in $funcs; do
	echo "$f" >>$T/set_ftrace_filter 2>/dev/null || echo "guest-ftrace: cannot trace $f" >&2
done
echo function_graph >$T/current_tracer
echo 1 >$T/options/funcgraph-tail 2>/dev/null
echo 0 >$T/options/funcgraph-irqs 2>/dev/null
echo >$T/trace
echo 1 >$T/tracing_on
"$@" >/tmp/ftrace-cmd.out 2>&1
rc=$?
echo 0 >$T/tracing_on
grep '^\[bench' /tmp/ftrace-cmd.out
echo "PROFILE-BEGIN rc=$rc overruns=$(grep -h overrun $T/per_cpu/cpu*/stats 2>/dev/null | awk '{s+=$2} END {print s+0}')"
echo "function calls total_us mean_us"
awk '
/ us / {
	d = ""; name = ""
	for (i = 1; i <= NF; i++) if ($i == "us") { d = $(i - 1); break }
	for (i = 1; i <= NF; i++) if ($i == "/*") { name = $(i + 1); break }
	if (name == "") {
		name = $NF
		if (name ~ /^\[/) name = $(NF - 1)	# "func [module]();"
		sub(/\(\);$/, "", name)
	}
	if (d == "" || name == "" || name ~ /[{}]/) next
	n[name]++; s[name] += d
}
END { for (k in n) printf "%s %d %.1f %.2f\n", k, n[k], s[k], s[k] / n[k] }' $T/trace | sort -k3 -n -r
echo "PROFILE-END"
echo nop >$T/current_tracer
exit $rc
