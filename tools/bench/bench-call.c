// SPDX-License-Identifier: GPL-2.0
/*
 * The fixed costs of IUC calls (in --only's section "rtt", run before the
 * round trips):
 *
 * - call_overhead: a zero-byte PIPE_WRITE (dispatch, argument copies,
 *   identifier lookup, nothing moved) against a zero-byte write(2) on a
 *   Linux pipe (fd lookup, VFS checks); getppid() is the syscall floor.
 * - pipe_open_close: the whole life of an idle pipe, nobody notified:
 *   OPEN_PIPE to another process (notification skipped), CLOSE_PIPE by the
 *   opener and CLOSE_PIPE of the other end by its holder (timed there,
 *   added), against pipe2() + two close().  The object-creation part of
 *   notify_latency.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

/* A helper with a context of its own and nothing else: the end of pipes. */
static void start_target(struct helper *h)
{
	helper_start(h, NULL, 0);
	helper_open_iuc(h, 0, 0);
}

static void call_overhead(void)
{
	static const char *const names[] = { "iuc", "pipe_write_0", "getppid" };
	const int n = opt_quick ? 2000 : 20000;
	struct metric *mt;
	struct helper target = { .started = false };
	struct iuc_pipe_write wr;
	uint64_t sc = 0;
	int fds[2];
	char b = 0;

	if (!wanted("call_overhead"))
		return;
	mt = new_metric("call_overhead", "ns", false, "pipe_write_0");
	if (pipe2(fds, O_CLOEXEC))
		die("pipe");
	if (!opt_no_iuc) {
		start_target(&target);
		sc = open_pipe(iuc_fd, target.p.pid, IUC_PIPE_TYPE_CALLER_SENDS,
			       IUC_PIPE_MODE_RAW, IUC_PIPE_UNIT, IUC_NOTIFY_SKIP, NULL);
	}
	for (int rep = -1; rep < opt_reps; rep++) {
		for (int m = 0; m < 3; m++) {
			uint64_t t0 = now_ns(), t1;

			if (m == 0 && opt_no_iuc)
				continue;
			for (int i = 0; i < n; i++) {
				if (m == 0 && iuc_pipe_write(iuc_fd, sc, &b, 0, IUC_IO_BLOCK, &wr))
					die("PIPE_WRITE 0");
				else if (m == 1 && write(fds[1], &b, 0))
					die("write 0");
				else if (m == 2)
					getppid();
			}
			t1 = now_ns();
			if (rep < 0)
				continue;
			add(method_series(mt, m, names), (double)(t1 - t0) / n);
		}
	}
	extra(mt, ", \"calls_per_rep\": %d", n);
	report(mt);
	if (!opt_no_iuc)
		iuc_close_pipe(iuc_fd, sc, NULL);
	helper_stop(&target);
	close(fds[0]);
	close(fds[1]);
}

#define MAX_PAIRS	2000

struct close_cmd {
	const uint64_t	*ids;		/* shared with the benchmark */
	uint64_t	n;
	uint64_t	ns;		/* answer: the time the closes took */
};

/* In the target: close the ends it holds and time it. */
static int close_ends(int iuc, void *p)
{
	struct close_cmd *c = p;
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < c->n; i++)
		if (iuc_close_pipe(iuc, c->ids[i], NULL))
			die("target CLOSE_PIPE");
	c->ns = now_ns() - t0;
	return 0;
}

static void open_close(void)
{
	const int n = opt_quick ? 500 : MAX_PAIRS;
	struct helper target = { .started = false };
	uint64_t *peers;
	struct metric *mt;

	if (!wanted("pipe_open_close"))
		return;
	mt = new_metric("pipe_open_close", "us", false, "pipe2_close");
	/* the target's ends, written here and read there */
	peers = mmap(NULL, MAX_PAIRS * sizeof(*peers), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (peers == MAP_FAILED)
		die("mmap");
	if (!opt_no_iuc)
		start_target(&target);
	for (int rep = -1; rep < opt_reps; rep++) {
		for (int m = 0; m < 2; m++) {
			struct close_cmd c = { .ids = peers, .n = (uint64_t)n };
			uint64_t t0 = now_ns(), t1;

			if (m == 0 && opt_no_iuc)
				continue;
			for (int i = 0; i < n; i++) {
				if (m == 0) {
					uint64_t id = open_pipe(iuc_fd, target.p.pid,
								IUC_PIPE_TYPE_CALLER_SENDS,
								IUC_PIPE_MODE_RAW, IUC_PIPE_UNIT,
								IUC_NOTIFY_SKIP, &peers[i]);

					if (iuc_close_pipe(iuc_fd, id, NULL))
						die("open/close");
				} else {
					int fds[2];

					if (pipe2(fds, O_CLOEXEC))
						die("pipe2");
					close(fds[0]);
					close(fds[1]);
				}
			}
			t1 = now_ns();
			if (m == 0)
				helper_run(&target, close_ends, &c, sizeof(c));
			if (rep >= 0)
				add(m == 0 ? &mt->iuc : &mt->peer,
				    (double)(t1 - t0 + c.ns) / 1e3 / n);
		}
	}
	extra(mt, ", \"pairs_per_rep\": %d", n);
	report(mt);
	helper_stop(&target);
	munmap(peers, MAX_PAIRS * sizeof(*peers));
}

static void run_call(void)
{
	call_overhead();
	open_close();
}

const struct bench bench_call = {
	.name = "call", .section = "rtt", .run = run_call,
};
