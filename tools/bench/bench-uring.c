// SPDX-License-Identifier: GPL-2.0
/*
 * Many pipes, one serving thread: the benchmark writes a 64 B message to
 * each of 16 pipes, then reads the 16 answers; a helper serves all 16 with
 * one thread.  IUC: 16 message pipes each way, the helper keeps a blocking
 * PIPE_READ of every request pipe submitted to io_uring
 * (IORING_OP_URING_CMD) and answers each completed read with a PIPE_WRITE
 * submitted there too, re-arming the read.  Linux: 16 pairs of pipes, the
 * helper waits in epoll_wait() and answers with read()/write().  The
 * benchmark's side is plain calls in both (PIPE_WRITE/PIPE_READ,
 * write/read).  Metric uring_batch_16: µs per message (a batch's time / 16).
 *
 * The helper gets its 32 Linux pipe ends over a socket handed to it by
 * helper_start() (which passes at most two fds), and learns its IUC pipe
 * ids from a page shared with the benchmark.
 */
#include <errno.h>
#include <inttypes.h>
#include <liburing.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define NPIPES		16
#define MSG		64
#define RING_DEPTH	64

enum { B_URING, B_EPOLL, B_NMETH };
static const char *const b_names[] = { "iuc_uring", "epoll_pipes" };

/* Linux pipes: [i][0] requests (we write, the helper reads), [i][1] answers. */
static int lpipe[NPIPES][2][2];

/* The helper's IUC ends, written by the benchmark after OPEN_PIPE. */
struct batch_ids {
	uint64_t	rc[NPIPES], sc[NPIPES];
};

struct batch_cmd {
	int32_t		method;
	uint64_t	n;		/* batches of the repetition */
	struct batch_ids *ids;		/* MAP_SHARED, the same address in both */
};

/* ---- the serving helper ----------------------------------------------------------- */

static struct io_uring srv_ring;
static int srv_epoll = -1;

static int batch_init(int iuc, void *p)
{
	struct batch_cmd *c = p;
	struct epoll_event ev = { .events = EPOLLIN };

	(void)iuc;
	if (c->method == B_URING) {
		/*
		 * Where the module completes a blocking call in an io-wq
		 * worker, every pending read holds one; io_uring allows
		 * 4 per CPU for these "bounded" works by default, and the
		 * answers queued behind 8 waiting reads would never run.
		 */
		unsigned int workers[2] = { 2 * NPIPES + 2, 0 };
		int r = io_uring_queue_init(RING_DEPTH, &srv_ring, 0);

		if (!r)
			r = io_uring_register_iowq_max_workers(&srv_ring, workers);
		if (!r)
			r = uring_pin_workers(&srv_ring);
		return r;
	}
	srv_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (srv_epoll < 0)
		return -errno;
	for (int i = 0; i < NPIPES; i++) {
		lpipe[i][0][0] = recv_fd(helper_fd(0), TIMEOUT_MS);
		lpipe[i][1][1] = recv_fd(helper_fd(0), TIMEOUT_MS);
		if (lpipe[i][0][0] < 0 || lpipe[i][1][1] < 0)
			return -EIO;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(srv_epoll, EPOLL_CTL_ADD, lpipe[i][0][0], &ev))
			return -errno;
	}
	return 0;
}

/*
 * io_uring's workers run where the ring's owner may (--pin): by default
 * they may run on any CPU.
 */
int uring_pin_workers(struct io_uring *ring)
{
	cpu_set_t mine;

	if (sched_getaffinity(0, sizeof(mine), &mine))
		return -errno;
	return io_uring_register_iowq_aff(ring, sizeof(mine), &mine);
}

/* Queue IUC call @cmd on @args, tagged @tag. */
static void queue_cmd(int iuc, unsigned int cmd, void *args, uint64_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&srv_ring);

	if (!sqe)
		die("uring batch: submission queue full");
	iuc_uring_prep(sqe, iuc, cmd, args);
	sqe->user_data = tag;
}

/* tag i < NPIPES: the read of pipe i; NPIPES + i: its answer */
static void serve_uring(int iuc, const struct batch_cmd *c)
{
	static struct iuc_pipe_read rd[NPIPES];
	/* two per pipe: a finished write's worker may still be copying its results out */
	static struct iuc_pipe_write wr[2][NPIPES];
	static char buf[NPIPES][MSG];
	uint64_t left[NPIPES], answers = 0, total = c->n * NPIPES, writing = 0;

	for (int i = 0; i < NPIPES; i++) {
		left[i] = c->n;
		rd[i] = (struct iuc_pipe_read){
			.error = ERR_SENTINEL, .id = c->ids->rc[i], .count = MSG,
			.buf = (uintptr_t)buf[i], .mode = IUC_IO_BLOCK,
		};
		if (c->n)
			queue_cmd(iuc, IUC_IOC_PIPE_READ, &rd[i], (uint64_t)i);
	}
	while (answers < total || writing) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		int r = io_uring_submit_and_wait(&srv_ring, 1);

		if (r < 0)
			die("uring batch: submit: %s", strerror(-r));
		io_uring_for_each_cqe(&srv_ring, head, cqe) {
			uint64_t tag = cqe->user_data;
			int i = (int)(tag % NPIPES);
			struct iuc_pipe_write *w;

			seen++;
			if (cqe->res < 0)
				die("uring batch: %s of pipe %d: %s", tag < NPIPES ?
				    "PIPE_READ" : "PIPE_WRITE", i, strerror(-cqe->res));
			if (tag >= NPIPES) {
				writing--;
				continue;
			}
			/* the request of pipe i is in: answer it, wait for the next */
			w = &wr[left[i] & 1][i];
			*w = (struct iuc_pipe_write){
				.error = ERR_SENTINEL, .id = c->ids->sc[i], .count = MSG,
				.buf = (uintptr_t)buf[i], .mode = IUC_IO_BLOCK,
			};
			queue_cmd(iuc, IUC_IOC_PIPE_WRITE, w, NPIPES + (uint64_t)i);
			writing++;
			answers++;
			if (--left[i]) {
				rd[i].error = ERR_SENTINEL;
				queue_cmd(iuc, IUC_IOC_PIPE_READ, &rd[i], (uint64_t)i);
			}
		}
		io_uring_cq_advance(&srv_ring, seen);
	}
}

static void serve_epoll(const struct batch_cmd *c)
{
	struct epoll_event ev[NPIPES];
	uint64_t answers = 0, total = c->n * NPIPES;
	char buf[MSG];

	while (answers < total) {
		int n = epoll_wait(srv_epoll, ev, NPIPES, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int k = 0; k < n; k++) {
			int i = (int)ev[k].data.u32;

			read_exact(lpipe[i][0][0], buf, MSG, "batch pipe read");
			if (write(lpipe[i][1][1], buf, MSG) != MSG)
				die("batch pipe write");
			answers++;
		}
	}
}

static int batch_serve(int iuc, void *p)
{
	struct batch_cmd *c = p;

	if (c->method == B_URING)
		serve_uring(iuc, c);
	else
		serve_epoll(c);
	return 0;
}

/* ---- the benchmark's side ----------------------------------------------------------- */

struct batch_set {
	struct method	m[B_NMETH];
	struct batch_ids *ids;
	uint64_t	sc[NPIPES], rc[NPIPES];	/* our IUC ends */
};

/* The epoll helper: 16 pipe pairs, its ends sent during its set-up. */
static void batch_start_epoll(struct method *m, struct batch_cmd *c)
{
	int sv[2];

	for (int i = 0; i < NPIPES; i++)
		if (pipe2(lpipe[i][0], O_CLOEXEC) || pipe2(lpipe[i][1], O_CLOEXEC))
			die("pipe");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	method_start(m, &sv[1], 1, -1, -1);
	helper_go(&m->h, batch_init, c, sizeof(*c));
	for (int i = 0; i < NPIPES; i++) {
		if (send_fd(sv[0], lpipe[i][0][0]) || send_fd(sv[0], lpipe[i][1][1]))
			die("send_fd");
		close(lpipe[i][0][0]);
		close(lpipe[i][1][1]);
	}
	close(sv[0]);
	if (helper_collect(&m->h, c, sizeof(*c)))
		die("uring batch: epoll helper set-up");
}

/* The io_uring helper: its context, 16 message pipes each way. */
static void batch_start_uring(struct batch_set *s, struct method *m, struct batch_cmd *c)
{
	pid_t pid;

	method_start(m, NULL, 0, -1, -1);
	pid = m->h.p.pid;
	helper_open_iuc(&m->h, 0, 0);
	for (int i = 0; i < NPIPES; i++) {
		s->sc[i] = open_pipe(iuc_fd, pid, IUC_PIPE_TYPE_CALLER_SENDS,
				     IUC_PIPE_MODE_MESSAGE, IUC_PIPE_UNIT,
				     IUC_NOTIFY_SKIP, &s->ids->rc[i]);
		s->rc[i] = open_pipe(iuc_fd, pid, IUC_PIPE_TYPE_CALLER_RECEIVES,
				     IUC_PIPE_MODE_MESSAGE, IUC_PIPE_UNIT,
				     IUC_NOTIFY_SKIP, &s->ids->sc[i]);
	}
	if (helper_run(&m->h, batch_init, c, sizeof(*c)))
		die("uring batch: io_uring helper set-up");
}

static void batch_setup(struct batch_set *s)
{
	struct batch_cmd c = { .method = B_URING };

	memset(s, 0, sizeof(*s));
	s->ids = mmap(NULL, sizeof(*s->ids), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->ids == MAP_FAILED)
		die("mmap");
	c.ids = s->ids;
	batch_start_uring(s, &s->m[B_URING], &c);
	c.method = B_EPOLL;
	batch_start_epoll(&s->m[B_EPOLL], &c);
}

static void batch_teardown(struct batch_set *s)
{
	for (int m = 0; m < B_NMETH; m++) {
		if (!s->m[m].h.started)
			continue;
		for (int i = 0; i < NPIPES; i++) {
			if (m == B_URING) {
				iuc_close_pipe(iuc_fd, s->sc[i], NULL);
				iuc_close_pipe(iuc_fd, s->rc[i], NULL);
			} else {
				close(lpipe[i][0][1]);
				close(lpipe[i][1][0]);
			}
		}
		method_stop(&s->m[m]);
	}
	munmap(s->ids, sizeof(*s->ids));
}

/* @n batches; µs per message. */
static double batch_rep(struct batch_set *s, int m, uint64_t n)
{
	struct batch_cmd c = { .method = m, .n = n, .ids = s->ids };
	static char buf[MSG];
	struct iuc_pipe_write wr;
	struct iuc_pipe_read rd;
	uint64_t t0, t1;

	helper_go(&s->m[m].h, batch_serve, &c, sizeof(c));
	t0 = now_ns();
	for (uint64_t b = 0; b < n; b++) {
		for (int i = 0; i < NPIPES; i++) {
			if (m == B_URING ?
			    iuc_pipe_write(iuc_fd, s->sc[i], buf, MSG, IUC_IO_BLOCK, &wr) :
			    write(lpipe[i][0][1], buf, MSG) != MSG)
				die("batch write");
		}
		for (int i = 0; i < NPIPES; i++) {
			if (m == B_URING) {
				if (iuc_pipe_read(iuc_fd, s->rc[i], buf, MSG, IUC_IO_BLOCK, &rd))
					die("batch read");
			} else {
				read_exact(lpipe[i][1][0], buf, MSG, "batch read");
			}
		}
	}
	t1 = now_ns();
	helper_collect(&s->m[m].h, &c, sizeof(c));
	return (double)(t1 - t0) / 1e3 / (double)(n * NPIPES);
}

static void run_uring(void)
{
	struct io_uring probe;
	struct series ser[B_NMETH];
	double slowest = 0;
	struct batch_set s;
	struct metric *mt;
	uint64_t n;
	int r;

	if (!wanted("uring_batch_16") || opt_no_iuc)
		return;
	r = io_uring_queue_init(4, &probe, 0);
	if (r) {
		msg("io_uring_queue_init: %s: uring_batch_16 skipped", strerror(-r));
		return;
	}
	io_uring_queue_exit(&probe);

	memset(ser, 0, sizeof(ser));
	batch_setup(&s);
	for (int m = 0; m < B_NMETH; m++) {
		double us = batch_rep(&s, m, 2);	/* warm-up and pilot */

		if (us > slowest)
			slowest = us;
	}
	n = (uint64_t)(opt_rep_seconds * 1e6 / slowest / NPIPES);
	if (n < 2)
		n = 2;
	for (int rep = 0; rep < opt_reps; rep++)
		for (int m = 0; m < B_NMETH; m++)
			add(&ser[m], batch_rep(&s, m, n));
	mt = new_metric("uring_batch_16", "us", false, b_names[B_EPOLL]);
	mt->iuc = ser[B_URING];
	mt->peer = ser[B_EPOLL];
	extra(mt, ", \"pipes\": %d, \"message_size\": %d, \"batches_per_rep\": %" PRIu64
	      ", \"pin\": \"%s\"", NPIPES, MSG, n, pin_name(bench_pin()));
	report(mt);
	batch_teardown(&s);
}

const struct bench bench_uring = {
	.name = "uring", .section = "uring", .run = run_uring,
};
