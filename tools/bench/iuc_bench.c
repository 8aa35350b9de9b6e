// SPDX-License-Identifier: GPL-2.0
/*
 * iuc-bench: IUC against its Linux peers, measured in the same (guest) run.
 *
 * The table of the benchmarks, in the order they run: cheap and precise
 * first, the memory-hungry hand-off last.  The common part (options,
 * statistics, output, helpers) is bench.c; each benchmark is a file
 * bench-NAME.c.  "--only SECTIONS" picks by the section word (the call
 * costs are measured with the round trips, in section "rtt").
 */
#include "bench.h"

static const struct bench *const benches[] = {
	&bench_idle,
	&bench_call,
	&bench_rtt,
	&bench_uring,
	&bench_notify,
	&bench_service,
	&bench_stream,
	&bench_handoff,
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, benches, ARRAY_SIZE(benches));
}
