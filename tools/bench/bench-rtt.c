// SPDX-License-Identifier: GPL-2.0
/*
 * Message round trip: the benchmark sends a message, a helper sends it
 * back.  IUC message pipes (one each way) against a pair of Linux pipes,
 * an AF_UNIX SOCK_SEQPACKET socket pair and two POSIX message queues.
 * A pilot repetition sizes the others to about --rep-seconds.  Metrics:
 * msg_rtt_64, msg_rtt_4k (µs per round trip).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

enum { R_IUC, R_PIPE, R_SEQPACKET, R_MQUEUE, R_NMETH };
static const char *const r_names[] = { "iuc", "pipe_pair", "seqpacket", "mqueue" };

/* ---- the echoing helper ----------------------------------------------------- */

struct rtt_cmd {
	int32_t		method;
	uint32_t	size;
	uint64_t	rc, sc;		/* R_IUC: the helper's ends */
	uint64_t	n;		/* round trips of the repetition */
	char		mq_in[32], mq_out[32];
};

/* The helper's queues (in the helper). */
static mqd_t echo_qin = (mqd_t)-1, echo_qout = (mqd_t)-1;

static int rtt_echo_init(int iuc, void *p)
{
	struct rtt_cmd *c = p;

	(void)iuc;
	if (c->method == R_MQUEUE) {
		echo_qin = mq_open(c->mq_in, O_RDONLY);
		echo_qout = mq_open(c->mq_out, O_WRONLY);
		if (echo_qin == (mqd_t)-1 || echo_qout == (mqd_t)-1)
			die("mq_open child");
	}
	return 0;
}

static int rtt_echo(int iuc, void *p)
{
	static char buf[IUC_MESSAGE_MAX];
	struct rtt_cmd *c = p;
	struct iuc_pipe_read rd;
	struct iuc_pipe_write wr;
	int rfd = helper_fd(0), wfd = helper_fd(1);
	size_t size = c->size;

	for (uint64_t i = 0; i < c->n; i++) {
		switch (c->method) {
		case R_IUC:
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
	uint64_t	sc, rc;		/* our ends */
	mqd_t		qout, qin;
	size_t		size;
};

static void rtt_setup(struct rtt_set *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
	for (int m = 0; m < R_NMETH; m++) {
		struct rtt_cmd *c = &s->cmd[m];
		int give[2] = { -1, -1 }, ours[2] = { -1, -1 }, p1[2], p2[2], ngive = 0;

		c->method = m;
		c->size = (uint32_t)size;
		if (m == R_IUC && opt_no_iuc)
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
		if (m == R_IUC) {
			pid_t pid = s->m[m].h.p.pid;

			helper_open_iuc(&s->m[m].h, 0, 0);
			s->sc = open_pipe(iuc_fd, pid, IUC_PIPE_TYPE_CALLER_SENDS,
					  IUC_PIPE_MODE_MESSAGE, IUC_PIPE_UNIT,
					  IUC_NOTIFY_SKIP, &c->rc);
			s->rc = open_pipe(iuc_fd, pid, IUC_PIPE_TYPE_CALLER_RECEIVES,
					  IUC_PIPE_MODE_MESSAGE, IUC_PIPE_UNIT,
					  IUC_NOTIFY_SKIP, &c->sc);
		}
	}
}

static void rtt_teardown(struct rtt_set *s)
{
	if (s->m[R_IUC].h.started) {
		iuc_close_pipe(iuc_fd, s->sc, NULL);
		iuc_close_pipe(iuc_fd, s->rc, NULL);
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
	uint64_t t0, t1;

	s->cmd[m].n = n;
	helper_go(&s->m[m].h, rtt_echo, &s->cmd[m], sizeof(s->cmd[m]));
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		switch (m) {
		case R_IUC:
			if (iuc_pipe_write(iuc_fd, s->sc, buf, s->size, IUC_IO_BLOCK, &wr) ||
			    iuc_pipe_read(iuc_fd, s->rc, buf, (uint32_t)s->size, IUC_IO_BLOCK, &rd))
				die("rtt iuc");
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

static void rtt_config(size_t size, const char *name)
{
	struct metric *mt;
	struct rtt_set s;
	double slowest = 0;
	uint64_t n;

	if (!wanted(name))
		return;
	mt = new_metric(name, "us", false, "pipe_pair");

	rtt_setup(&s, size);
	for (int m = 0; m < R_NMETH; m++) {
		double us;

		if (!s.m[m].h.started)
			continue;
		us = rtt_rep(&s, m, 200);	/* warm-up and pilot */
		if (us > slowest)
			slowest = us;
	}
	n = (uint64_t)(opt_rep_seconds * 1e6 / slowest);
	if (n < 200)
		n = 200;
	for (int rep = 0; rep < opt_reps; rep++) {
		for (int m = 0; m < R_NMETH; m++) {
			if (!s.m[m].h.started)
				continue;
			add(method_series(mt, m, r_names), rtt_rep(&s, m, n));
		}
	}
	extra(mt, ", \"message_size\": %zu, \"round_trips_per_rep\": %" PRIu64, size, n);
	report(mt);
	rtt_teardown(&s);
}

static void run_rtt(void)
{
	rtt_config(64, "msg_rtt_64");
	rtt_config(4 * KiB, "msg_rtt_4k");
}

const struct bench bench_rtt = {
	.name = "rtt", .section = "rtt", .run = run_rtt,
};
