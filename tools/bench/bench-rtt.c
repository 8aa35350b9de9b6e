// SPDX-License-Identifier: GPL-2.0
/*
 * Message round trip: the benchmark sends a message, a helper sends it
 * back.  IUC message pipes (one each way) against a pair of Linux pipes,
 * an AF_UNIX SOCK_SEQPACKET socket pair, two POSIX message queues and
 * Binder (a transaction and its reply, bench-binder.c).  IUC is measured
 * with a PIPE_WRITE and a PIPE_READ on each side, with PIPE_CALL on both
 * sides (when the module has it), and with the benchmark's write and read
 * submitted to io_uring as a linked pair (the helper echoes with ioctls).
 * A pilot repetition sizes the others to about --rep-seconds.  Metrics
 * (µs per round trip): msg_rtt_64, msg_rtt_4k; msg_rtt_64_call (PIPE_CALL
 * vs the pipe pair), msg_rtt_64_vs_binder (IUC's best vs Binder),
 * uring_rtt_64 (io_uring vs ioctls); and, in the other placement of the
 * two processes (vCPUs 0/1 when the run has both on one, and the reverse),
 * msg_rtt_64_split (or _same), msg_rtt_64_call_split, msg_rtt_64_vs_binder_split.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

enum { R_IUC, R_PIPE, R_SEQPACKET, R_MQUEUE, R_BINDER, R_CALL, R_URING, R_NMETH };
static const char *const r_names[] = { "iuc", "pipe_pair", "seqpacket", "mqueue",
				       "binder", "iuc_call", "iuc_uring" };

/* The echoing server's Binder mapping: requests of up to 4 KiB. */
#define RTT_BINDER_MAP	(1 * MiB)

/* ---- what the module and the guest offer ------------------------------------- */

/* Does the module have PIPE_CALL (IUC extension 0x81)? */
static bool have_pipe_call(void)
{
	static int have = -1;
	struct iuc_pipe_call c;

	if (have < 0) {
		/* no such pipe: any error but ENOTTY means the call exists */
		have = !opt_no_iuc && iuc_pipe_call(iuc_fd, UINT64_MAX, NULL, 0, UINT64_MAX,
						    NULL, 0, &c) != -ENOTTY;
		if (!have && !opt_no_iuc)
			msg("PIPE_CALL: ENOTTY (module without the combined call): "
			    "msg_rtt_64_call skipped, msg_rtt_64_vs_binder uses PIPE_WRITE + PIPE_READ");
	}
	return have;
}

/* The benchmark's io_uring for R_URING. */
static struct io_uring rtt_ring;
static int ring_state = -1;		/* -1 not tried, 0 unusable, 1 ready */

static bool have_ring(void)
{
	int r;

	if (ring_state < 0) {
		r = opt_no_iuc ? -ENODEV : io_uring_queue_init(8, &rtt_ring, 0);
		if (!r)
			r = uring_pin_workers(&rtt_ring);
		ring_state = !r;
		if (r && !opt_no_iuc)
			msg("io_uring_queue_init: %s: uring_rtt_64 skipped", strerror(-r));
	}
	return ring_state;
}

/*
 * One round trip through io_uring: PIPE_WRITE of @size bytes to @sc linked
 * to a blocking PIPE_READ from @rc, one submission, both completions
 * reaped.  0, or the first error (-errno; -EIO for a short read).
 */
static int uring_round_trip(uint64_t sc, uint64_t rc, void *buf, size_t size)
{
	struct iuc_pipe_write wr = {
		.error = ERR_SENTINEL, .id = sc, .count = size,
		.buf = (uintptr_t)buf, .mode = IUC_IO_BLOCK,
	};
	struct iuc_pipe_read rd = {
		.error = ERR_SENTINEL, .id = rc, .count = (uint32_t)size,
		.buf = (uintptr_t)buf, .mode = IUC_IO_BLOCK,
	};
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret = 0, r;

	sqe = io_uring_get_sqe(&rtt_ring);
	if (!sqe)
		return -EBUSY;
	iuc_uring_prep(sqe, iuc_fd, IUC_IOC_PIPE_WRITE, &wr);
	sqe->flags |= IOSQE_IO_LINK;
	sqe = io_uring_get_sqe(&rtt_ring);
	if (!sqe)
		return -EBUSY;
	/*
	 * No IOSQE_ASYNC: the kernel may read the linked read's entry only
	 * when it runs, but we write no new entry before both completed.
	 */
	iuc_uring_prep(sqe, iuc_fd, IUC_IOC_PIPE_READ, &rd);
	r = io_uring_submit_and_wait(&rtt_ring, 2);
	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		r = io_uring_wait_cqe(&rtt_ring, &cqe);
		if (r < 0)
			return r;
		if (cqe->res < 0 && !ret)
			ret = cqe->res;
		io_uring_cqe_seen(&rtt_ring, cqe);
	}
	if (!ret && rd.transferred != size)
		ret = -EIO;
	return ret;
}

/* ---- the echoing helper ----------------------------------------------------- */

struct rtt_cmd {
	int32_t		method;
	uint32_t	size;
	uint64_t	rc, sc;		/* R_IUC: the helper's ends */
	uint64_t	n;		/* round trips of the repetition */
	char		mq_in[32], mq_out[32];
};

/* The helper's queues and binder end (in the helper). */
static mqd_t echo_qin = (mqd_t)-1, echo_qout = (mqd_t)-1;
static struct binder_end echo_binder;

static int rtt_echo_init(int iuc, void *p)
{
	struct rtt_cmd *c = p;

	(void)iuc;
	if (c->method == R_MQUEUE) {
		echo_qin = mq_open(c->mq_in, O_RDONLY);
		echo_qout = mq_open(c->mq_out, O_WRONLY);
		if (echo_qin == (mqd_t)-1 || echo_qout == (mqd_t)-1)
			die("mq_open child");
	} else if (c->method == R_BINDER) {
		binder_open(&echo_binder, RTT_BINDER_MAP);
		binder_become_manager(&echo_binder);
	}
	return 0;
}

/*
 * R_CALL's echo: one PIPE_CALL per round trip writes the last answer and
 * waits for the next request; the first only waits, the last answer is a
 * PIPE_WRITE.
 */
static void rtt_echo_call(int iuc, const struct rtt_cmd *c, char *buf)
{
	struct iuc_pipe_write wr;
	struct iuc_pipe_call pc;

	for (uint64_t i = 0; i < c->n; i++)
		if (iuc_pipe_call(iuc, c->sc, buf, i ? c->size : 0, c->rc, buf,
				  c->size, &pc) || pc.transferred != c->size)
			die("rtt PIPE_CALL child: stage %u error 0x%x", pc.stage, pc.error);
	if (c->n && iuc_pipe_write(iuc, c->sc, buf, c->size, IUC_IO_BLOCK, &wr))
		die("rtt iuc child");
}

static int rtt_echo(int iuc, void *p)
{
	static char buf[IUC_MESSAGE_MAX];
	struct rtt_cmd *c = p;
	struct iuc_pipe_read rd;
	struct iuc_pipe_write wr;
	int rfd = helper_fd(0), wfd = helper_fd(1);
	size_t size = c->size;

	if (c->method == R_BINDER) {
		binder_serve(&echo_binder, c->n, NULL, false);
		return 0;
	}
	if (c->method == R_CALL) {
		rtt_echo_call(iuc, c, buf);
		return 0;
	}
	for (uint64_t i = 0; i < c->n; i++) {
		switch (c->method) {
		case R_IUC:
		case R_URING:
			if (iuc_pipe_read(iuc, c->rc, buf, (uint32_t)size, IUC_IO_BLOCK, &rd) ||
			    iuc_pipe_write(iuc, c->sc, buf, size, IUC_IO_BLOCK, &wr))
				die("rtt iuc child");
			break;
		case R_PIPE:
			read_exact(rfd, buf, size, "rtt pipe read");
			if (write(wfd, buf, size) != (ssize_t)size)
				die("rtt pipe write");
			break;
		case R_SEQPACKET:
			if (recv(rfd, buf, size, 0) != (ssize_t)size ||
			    send(rfd, buf, size, 0) != (ssize_t)size)
				die("rtt seqpacket");
			break;
		case R_MQUEUE:
			if (mq_receive(echo_qin, buf, size, NULL) != (ssize_t)size ||
			    mq_send(echo_qout, buf, size, 0))
				die("rtt mqueue child");
			break;
		}
	}
	return 0;
}

/* ---- the sending benchmark ----------------------------------------------------- */

struct rtt_set {
	struct method	m[R_NMETH];
	struct rtt_cmd	cmd[R_NMETH];	/* what each helper is told */
	uint64_t	sc[R_NMETH], rc[R_NMETH];	/* our ends (IUC methods) */
	mqd_t		qout, qin;
	size_t		size;
};

/* Is method @m wanted (bit in @mask) and possible here? */
static bool rtt_method_on(int m, unsigned int mask)
{
	if (!(mask & (1u << m)))
		return false;
	switch (m) {
	case R_IUC:
		return !opt_no_iuc;
	case R_BINDER:
		return !binder_unavailable();
	case R_CALL:
		return have_pipe_call();
	case R_URING:
		return have_ring();
	}
	return true;
}

static void rtt_setup(struct rtt_set *s, size_t size, unsigned int mask)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
	for (int m = 0; m < R_NMETH; m++) {
		struct rtt_cmd *c = &s->cmd[m];
		int give[2] = { -1, -1 }, ours[2] = { -1, -1 }, p1[2], p2[2], ngive = 0;

		c->method = m;
		c->size = (uint32_t)size;
		if (!rtt_method_on(m, mask))
			continue;
		if (m == R_PIPE) {
			if (pipe2(p1, O_CLOEXEC) || pipe2(p2, O_CLOEXEC))
				die("pipe");
			give[0] = p1[0];
			give[1] = p2[1];
			ngive = 2;
			ours[0] = p1[1];
			ours[1] = p2[0];
		} else if (m == R_SEQPACKET) {
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p1))
				die("socketpair seqpacket");
			give[0] = p1[1];
			ngive = 1;
			ours[0] = ours[1] = p1[0];
		} else if (m == R_MQUEUE) {
			struct mq_attr at = { .mq_maxmsg = 8, .mq_msgsize = (long)size };

			snprintf(c->mq_in, sizeof(c->mq_in), "/iucb-rtt-a-%d", getpid());
			snprintf(c->mq_out, sizeof(c->mq_out), "/iucb-rtt-b-%d", getpid());
			mq_unlink(c->mq_in);
			mq_unlink(c->mq_out);
			s->qout = mq_open(c->mq_in, O_CREAT | O_WRONLY, 0600, &at);
			s->qin = mq_open(c->mq_out, O_CREAT | O_RDONLY, 0600, &at);
			if (s->qout == (mqd_t)-1 || s->qin == (mqd_t)-1)
				die("mq_open");
		}
		method_start(&s->m[m], give, ngive, ours[0], ours[1]);
		helper_run(&s->m[m].h, rtt_echo_init, c, sizeof(*c));
		if (m == R_IUC || m == R_CALL || m == R_URING) {
			pid_t pid = s->m[m].h.p.pid;

			helper_open_iuc(&s->m[m].h, 0, 0);
			s->sc[m] = open_pipe(iuc_fd, pid, IUC_PIPE_TYPE_CALLER_SENDS,
					  IUC_PIPE_MODE_MESSAGE, IUC_PIPE_UNIT,
					  IUC_NOTIFY_SKIP, &c->rc);
			s->rc[m] = open_pipe(iuc_fd, pid, IUC_PIPE_TYPE_CALLER_RECEIVES,
					  IUC_PIPE_MODE_MESSAGE, IUC_PIPE_UNIT,
					  IUC_NOTIFY_SKIP, &c->sc);
		}
	}
}

static void rtt_teardown(struct rtt_set *s)
{
	for (int m = R_IUC; m < R_NMETH; m++) {
		if ((m != R_IUC && m != R_CALL && m != R_URING) || !s->m[m].h.started)
			continue;
		iuc_close_pipe(iuc_fd, s->sc[m], NULL);
		iuc_close_pipe(iuc_fd, s->rc[m], NULL);
	}
	if (s->m[R_MQUEUE].h.started) {
		mq_close(s->qout);
		mq_close(s->qin);
		mq_unlink(s->cmd[R_MQUEUE].mq_in);
		mq_unlink(s->cmd[R_MQUEUE].mq_out);
	}
	for (int m = 0; m < R_NMETH; m++)
		method_stop(&s->m[m]);
}

/* @n round trips; returns microseconds per round trip. */
static double rtt_rep(struct rtt_set *s, int m, uint64_t n)
{
	static char buf[IUC_MESSAGE_MAX];
	struct iuc_pipe_read rd;
	struct iuc_pipe_write wr;
	struct iuc_pipe_call pc;
	uint64_t t0, t1;
	int r;

	s->cmd[m].n = n;
	helper_go(&s->m[m].h, rtt_echo, &s->cmd[m], sizeof(s->cmd[m]));
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		switch (m) {
		case R_IUC:
			if (iuc_pipe_write(iuc_fd, s->sc[m], buf, s->size, IUC_IO_BLOCK, &wr) ||
			    iuc_pipe_read(iuc_fd, s->rc[m], buf, (uint32_t)s->size, IUC_IO_BLOCK, &rd))
				die("rtt iuc");
			break;
		case R_CALL:
			if (iuc_pipe_call(iuc_fd, s->sc[m], buf, s->size, s->rc[m], buf,
					  (uint32_t)s->size, &pc) || pc.transferred != s->size)
				die("rtt PIPE_CALL: stage %u error 0x%x", pc.stage, pc.error);
			break;
		case R_URING:
			r = uring_round_trip(s->sc[m], s->rc[m], buf, s->size);
			if (r)
				die("rtt io_uring: %s", strerror(-r));
			break;
		case R_BINDER:
			binder_call(binder_client(), buf, s->size);
			break;
		case R_PIPE:
			if (write(s->m[m].wfd, buf, s->size) != (ssize_t)s->size)
				die("rtt pipe write");
			read_exact(s->m[m].rfd, buf, s->size, "rtt pipe read");
			break;
		case R_SEQPACKET:
			if (send(s->m[m].wfd, buf, s->size, 0) != (ssize_t)s->size ||
			    recv(s->m[m].rfd, buf, s->size, 0) != (ssize_t)s->size)
				die("rtt seqpacket");
			break;
		case R_MQUEUE:
			if (mq_send(s->qout, buf, s->size, 0) ||
			    mq_receive(s->qin, buf, s->size, NULL) != (ssize_t)s->size)
				die("rtt mqueue");
			break;
		}
	}
	t1 = now_ns();
	helper_collect(&s->m[m].h, &s->cmd[m], sizeof(s->cmd[m]));
	return (double)(t1 - t0) / 1e3 / (double)n;
}

#define BIT(m)	(1u << (m))

/* A metric @name of @iuc against @peer (named @pname), with the run's extras. */
static struct metric *rtt_metric(const char *name, const struct series *iuc,
				 const char *pname, const struct series *peer,
				 size_t size, uint64_t n)
{
	struct metric *mt = new_metric(name, "us", false, pname);

	mt->iuc = *iuc;
	mt->peer = *peer;
	extra(mt, ", \"message_size\": %zu, \"round_trips_per_rep\": %" PRIu64
	      ", \"pin\": \"%s\"", size, n, pin_name(bench_pin()));
	return mt;
}

/*
 * The round trips of @size bytes in the current placement, into the
 * metrics whose names end in @sfx; @all: the whole set (every peer, and
 * io_uring), else IUC, PIPE_CALL, the pipe pair and Binder.
 */
static void rtt_config(size_t size, const char *sfx, bool all)
{
	char sz[16], base[64], call[64], vsb[64], ur[64];
	struct series ser[R_NMETH];
	unsigned int mask = 0;
	double slowest = 0;
	struct metric *mt;
	struct rtt_set s;
	bool small = size == 64;
	int best;
	uint64_t n;

	size_name(size, sz, sizeof(sz));
	snprintf(base, sizeof(base), "msg_rtt_%s%s", sz, sfx);
	snprintf(call, sizeof(call), "msg_rtt_%s_call%s", sz, sfx);
	snprintf(vsb, sizeof(vsb), "msg_rtt_%s_vs_binder%s", sz, sfx);
	snprintf(ur, sizeof(ur), "uring_rtt_%s%s", sz, sfx);
	if (wanted(base))
		mask |= BIT(R_IUC) | BIT(R_PIPE) | BIT(R_BINDER) |
			(all ? BIT(R_SEQPACKET) | BIT(R_MQUEUE) : 0);
	if (small && wanted(call))
		mask |= BIT(R_CALL) | BIT(R_PIPE);
	if (small && wanted(vsb))
		mask |= BIT(R_BINDER) | BIT(R_CALL) | BIT(R_IUC);
	if (small && all && wanted(ur))
		mask |= BIT(R_URING) | BIT(R_IUC);
	if (!mask)
		return;

	memset(ser, 0, sizeof(ser));
	rtt_setup(&s, size, mask);
	for (int m = 0; m < R_NMETH; m++) {
		double us;

		if (!s.m[m].h.started)
			continue;
		us = rtt_rep(&s, m, 100);	/* warm-up and pilot */
		if (us > slowest)
			slowest = us;
	}
	/* at least 50: on two vCPUs of a busy host a round trip can take ms */
	n = (uint64_t)(opt_rep_seconds * 1e6 / slowest);
	if (n < 50)
		n = 50;
	for (int rep = 0; rep < opt_reps; rep++) {
		for (int m = 0; m < R_NMETH; m++) {
			if (!s.m[m].h.started)
				continue;
			add(&ser[m], rtt_rep(&s, m, n));
		}
	}

	if (wanted(base)) {
		mt = rtt_metric(base, &ser[R_IUC], r_names[R_PIPE], &ser[R_PIPE], size, n);
		for (int m = R_SEQPACKET; m <= R_BINDER; m++)
			if (s.m[m].h.started)
				*peer_series(mt, r_names[m]) = ser[m];
		if (binder_unavailable())
			extra(mt, ", \"binder_absent\": \"%s\"", binder_unavailable());
		report(mt);
	}
	if (s.m[R_CALL].h.started && wanted(call)) {
		mt = rtt_metric(call, &ser[R_CALL], r_names[R_PIPE], &ser[R_PIPE], size, n);
		extra(mt, ", \"iuc_method\": \"PIPE_CALL on both sides\"");
		report(mt);
	}
	best = s.m[R_CALL].h.started ? R_CALL : R_IUC;
	if (small && s.m[R_BINDER].h.started && wanted(vsb)) {
		mt = rtt_metric(vsb, &ser[best], r_names[R_BINDER], &ser[R_BINDER], size, n);
		extra(mt, ", \"iuc_method\": \"%s\"", best == R_CALL ?
		      "PIPE_CALL on both sides" : "PIPE_WRITE + PIPE_READ on both sides");
		report(mt);
	}
	if (s.m[R_URING].h.started && wanted(ur)) {
		mt = rtt_metric(ur, &ser[R_URING], "iuc_ioctl", &ser[R_IUC], size, n);
		extra(mt, ", \"iuc_method\": \"io_uring: URING_CMD PIPE_WRITE linked to PIPE_READ, one submit; helper echoes with ioctls\", \"linked_read\": \"inline (no IOSQE_ASYNC)\"");
		report(mt);
	}
	rtt_teardown(&s);
}

static void run_rtt(void)
{
	int pin = bench_pin(), other = pin == PIN_SPLIT ? PIN_SAME : PIN_SPLIT;

	rtt_config(64, "", true);
	rtt_config(4 * KiB, "", true);
	/* the 64 B round trip in the other placement too */
	if (bench_set_pin(other)) {
		rtt_config(64, other == PIN_SPLIT ? "_split" : "_same", false);
		bench_set_pin(pin);
	} else {
		msg("one vCPU: the round trips on two vCPUs (_split) skipped");
	}
}

const struct bench bench_rtt = {
	.name = "rtt", .section = "rtt", .run = run_rtt,
};
