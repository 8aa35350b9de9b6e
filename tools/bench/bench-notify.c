// SPDX-License-Identifier: GPL-2.0
/*
 * Notification latency: from the benchmark's OPEN_PIPE to a helper that
 * handles RECV_PIPE with a real-time signal, to the helper woken from
 * sigtimedwait(2); against mq_send(3) to a queue the helper watches with
 * mq_notify(3).  The helper is armed and blocked before the clock starts;
 * a repetition's figure is the median of its events.  Metric:
 * notify_latency (µs).
 */
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

enum { N_IUC, N_MQ, N_NMETH };

struct notify_cmd {
	int32_t		method;
	char		mq[32];
	uint64_t	t_woken;	/* answer of notify_wait() */
};

/* The helper's signal and queue (in the helper). */
static int n_sig;
static mqd_t n_queue = (mqd_t)-1;

/* The helper blocks every real-time signal already (peer.h). */
static int notify_init(int iuc, void *p)
{
	struct notify_cmd *c = p;

	(void)iuc;
	n_sig = c->method == N_IUC ? SIGRTMIN : SIGRTMIN + 1;
	if (c->method == N_MQ) {
		n_queue = mq_open(c->mq, O_RDONLY | O_NONBLOCK);
		if (n_queue == (mqd_t)-1)
			die("mq_open notify child");
	}
	return 0;
}

static int notify_arm(int iuc, void *p)
{
	struct notify_cmd *c = p;
	struct sigevent sev;

	(void)iuc;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = n_sig;
	if (c->method == N_MQ && mq_notify(n_queue, &sev))
		die("mq_notify");
	return 0;
}

static int notify_wait(int iuc, void *p)
{
	struct notify_cmd *c = p;
	siginfo_t si;

	if (wait_rt(n_sig, &si, LONG_MS) < 0)
		die("sigtimedwait");
	c->t_woken = now_ns();
	if (c->method == N_IUC) {
		struct iuc_signal rec;

		if (iuc_read_sig(iuc, &rec, TIMEOUT_MS) || rec.code != IUC_SIG_RECV_PIPE)
			die("notify record");
		iuc_close_pipe(iuc, rec.object, NULL);
	} else {
		char buf[128];

		while (mq_receive(n_queue, buf, sizeof(buf), NULL) >= 0)
			;
	}
	return 0;
}

static void run_notify(void)
{
	struct metric *mt = new_metric("notify_latency", "us", false, "mq_notify");
	struct helper h[N_NMETH] = { { .started = false } };
	struct notify_cmd c[N_NMETH];
	int events = opt_quick ? 20 : 100;
	struct mq_attr at = { .mq_maxmsg = 8, .mq_msgsize = 64 };
	char name[32];
	mqd_t q;

	snprintf(name, sizeof(name), "/iucb-notify-%d", getpid());
	mq_unlink(name);
	q = mq_open(name, O_CREAT | O_WRONLY, 0600, &at);
	if (q == (mqd_t)-1)
		die("mq_open notify");
	for (int m = 0; m < N_NMETH; m++) {
		if (m == N_IUC && opt_no_iuc)
			continue;
		memset(&c[m], 0, sizeof(c[m]));
		c[m].method = m;
		snprintf(c[m].mq, sizeof(c[m].mq), "%s", name);
		helper_start(&h[m], NULL, 0);
		if (m == N_IUC)
			helper_open_iuc(&h[m], IUC_SIG_RECV_PIPE, (uint32_t)SIGRTMIN);
		helper_run(&h[m], notify_init, &c[m], sizeof(c[m]));
	}
	/* one warm-up round, then the repetitions */
	for (int rep = -1; rep < opt_reps; rep++) {
		for (int m = 0; m < N_NMETH; m++) {
			double lat[256];
			int n = rep < 0 ? 5 : events;

			if (!h[m].started)
				continue;
			for (int i = 0; i < n; i++) {
				uint64_t t0, id = 0;
				struct timespec ts = { 0, 2000000 };	/* 2 ms */
				char payload[64] = { 0 };

				helper_run(&h[m], notify_arm, &c[m], sizeof(c[m]));
				helper_go(&h[m], notify_wait, &c[m], sizeof(c[m]));
				nanosleep(&ts, NULL);		/* let it block */
				t0 = now_ns();
				if (m == N_IUC)
					id = open_pipe(iuc_fd, h[m].p.pid,
						       IUC_PIPE_TYPE_CALLER_SENDS,
						       IUC_PIPE_MODE_RAW, IUC_PIPE_UNIT,
						       IUC_NOTIFY, NULL);
				else if (mq_send(q, payload, sizeof(payload), 0))
					die("mq_send");
				helper_collect(&h[m], &c[m], sizeof(c[m]));
				if (m == N_IUC)
					iuc_close_pipe(iuc_fd, id, NULL);
				lat[i] = (double)(c[m].t_woken - t0) / 1e3;
			}
			if (rep < 0)
				continue;
			/* the repetition's figure: the median of its events */
			qsort(lat, (size_t)n, sizeof(double), cmp_d);
			add(m == N_IUC ? &mt->iuc : &mt->peer, lat[n / 2]);
		}
	}
	extra(mt, ", \"events_per_rep\": %d, \"rep_figure\": \"median of events\"", events);
	report(mt);
	for (int m = 0; m < N_NMETH; m++)
		helper_stop(&h[m]);
	mq_close(q);
	mq_unlink(name);
}

const struct bench bench_notify = {
	.name = "notify", .section = "notify", .run = run_notify,
};
