// SPDX-License-Identifier: GPL-2.0
/*
 * Stream throughput: an IUC raw pipe (PIPE_WRITE / PIPE_READ, blocking)
 * against a Linux pipe (F_SETPIPE_SZ to the same capacity), an AF_UNIX
 * stream socket (buffers of the same size) and, at 1 MiB, Binder one-way
 * transactions (at most the capacity unconsumed, bench-binder.c).  The
 * benchmark writes in chunks of the write size, a helper reads them; one
 * repetition runs from the first write to the helper's last read.  The
 * physical limit, "memcpy", is this process copying the same bytes in the
 * same chunks from its write buffer into a read buffer of the same size
 * (both pre-faulted).  A pilot repetition sizes the others to about
 * --rep-seconds.  Metrics: stream_64k_cap64k, stream_4k_cap64k, the sweep
 * of write sizes at 1 MiB (stream_sweep_*_cap1m, with stream_64k_cap1m and
 * stream_1m_cap1m), stream_64k_cap1m_vs_memcpy and stream_64k_vs_binder.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

enum { S_IUC, S_PIPE, S_UNIX, S_BINDER, S_MEMCPY, S_NMETH };
static const char *const s_names[] = { "iuc", "pipe", "unix", "binder", "memcpy" };

/*
 * The server's Binder mapping: the most the driver maps.  Half of it is
 * the async space that one-way transactions take; the window keeps the
 * data in flight to the stream's capacity, well below that, so that the
 * driver never runs out (it would fail the transaction) nor reaches its
 * "oneway spam" check (below a tenth of the mapping free).
 */
#define STREAM_BINDER_MAP	(4 * MiB)

/* Context switches (voluntary + involuntary) of the calling process so far. */
static uint64_t ctx_switches(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_nvcsw + ru.ru_nivcsw);
}

/* ---- the reading helper ---------------------------------------------------- */

struct stream_cmd {
	int32_t		method;
	uint32_t	window;		/* S_BINDER: transactions in flight */
	uint64_t	wsize;
	uint64_t	id;		/* S_IUC: the helper's end */
	uint64_t	total;		/* bytes of the repetition */
	uint64_t	t_end;		/* answer: when the last byte was read */
	uint64_t	cs;		/* answer: the helper's context switches */
};

/* The helper's read buffer, binder end and window (in the helper). */
static char *rx_buf;
static struct binder_end rx_binder;
static struct binder_window *rx_window;

static int stream_rx_init(int iuc, void *p)
{
	struct stream_cmd *c = p;

	(void)iuc;
	rx_buf = map_anon(c->wsize, false);
	memset(rx_buf, 0, c->wsize);
	if (c->method == S_BINDER) {
		binder_open(&rx_binder, STREAM_BINDER_MAP);
		binder_become_manager(&rx_binder);
	}
	return 0;
}

static int stream_receive(int iuc, void *p)
{
	struct stream_cmd *c = p;
	uint64_t got = 0, cs0 = ctx_switches();
	struct iuc_pipe_read rd;
	int fd = helper_fd(0);

	if (c->method == S_BINDER) {
		/* the data is in our mapping: free each buffer, credit the sender */
		binder_serve(&rx_binder, c->total / c->wsize, rx_window, c->window == 1);
		got = c->total;
	}
	while (got < c->total) {
		size_t n = c->total - got < c->wsize ? c->total - got : c->wsize;

		if (c->method == S_IUC) {
			int r = iuc_pipe_read(iuc, c->id, rx_buf, (uint32_t)n,
					      IUC_IO_BLOCK, &rd);

			if (r)
				die("PIPE_READ %d", r);
			got += n;
		} else {
			ssize_t r = read(fd, rx_buf, n);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				die("stream read");
			got += (uint64_t)r;
		}
	}
	c->t_end = now_ns();
	c->cs = ctx_switches() - cs0;
	return 0;
}

/* ---- the writing benchmark ------------------------------------------------------ */

struct stream_set {
	struct method	m[S_NMETH];	/* we write wfd (not IUC), the helper reads */
	bool		on[S_NMETH];	/* measured (memcpy has no helper) */
	uint64_t	sc, rc;		/* our end, the helper's */
	struct binder_window *win;	/* S_BINDER, shared with its helper */
	uint32_t	window;
	char		*buf, *dst;	/* dst: memcpy's read buffer */
	size_t		wsize, cap;
	double		last_cs;	/* context switches per MiB of the last rep */
};

static void stream_setup(struct stream_set *s, size_t wsize, size_t cap,
			 unsigned int mask)
{
	memset(s, 0, sizeof(*s));
	s->wsize = wsize;
	s->cap = cap;
	s->buf = map_anon(wsize, false);
	memset(s->buf, 0x5a, wsize);
	s->dst = map_anon(wsize, false);
	memset(s->dst, 0, wsize);
	/*
	 * Binder's window: capacity / write size transactions, and at most
	 * 1.5 MiB of the 2 MiB async space counting 128 bytes a buffer (6.1
	 * charges the driver's buffer header to it): fewer for 64 B writes.
	 */
	s->window = (uint32_t)(cap / wsize);
	if (s->window > 3 * MiB / 2 / (wsize + 128))
		s->window = (uint32_t)(3 * MiB / 2 / (wsize + 128));
	if (!s->window)
		s->window = 1;

	for (int m = 0; m < S_NMETH; m++) {
		struct stream_cmd c = { .method = m, .wsize = wsize, .window = s->window };
		int fds[2] = { -1, -1 }, v = (int)cap;

		if ((m == S_IUC && opt_no_iuc) || !(mask & (1u << m)) ||
		    (m == S_BINDER && binder_unavailable()))
			continue;
		s->on[m] = true;
		if (m == S_MEMCPY)
			continue;
		if (m == S_BINDER) {
			binder_client();
			s->win = binder_window_new();
			rx_window = s->win;	/* the helper, forked next, shares it */
		}
		if (m == S_PIPE) {
			if (pipe2(fds, O_CLOEXEC))
				die("pipe");
			if (fcntl(fds[1], F_SETPIPE_SZ, (int)cap) < 0 ||
			    (size_t)fcntl(fds[1], F_GETPIPE_SZ) != cap)
				die("F_SETPIPE_SZ %zu", cap);
		} else if (m == S_UNIX) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
				die("socketpair");
			/* the kernel doubles these for its bookkeeping */
			if (setsockopt(fds[1], SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
				setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
			if (setsockopt(fds[0], SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
				setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		}
		/* the helper reads fds[0] */
		method_start(&s->m[m], fds, m == S_PIPE || m == S_UNIX, fds[1], -1);
		helper_run(&s->m[m].h, stream_rx_init, &c, sizeof(c));
		if (m == S_IUC) {
			helper_open_iuc(&s->m[m].h, 0, 0);
			s->sc = open_pipe(iuc_fd, s->m[m].h.p.pid,
					  IUC_PIPE_TYPE_CALLER_SENDS, IUC_PIPE_MODE_RAW,
					  cap, IUC_NOTIFY_SKIP, &s->rc);
		}
	}
}

static void stream_teardown(struct stream_set *s)
{
	if (s->m[S_IUC].h.started)
		iuc_close_pipe(iuc_fd, s->sc, NULL);
	for (int m = 0; m < S_NMETH; m++)
		method_stop(&s->m[m]);
	if (s->win)
		munmap(s->win, sizeof(*s->win));
	munmap(s->buf, s->wsize);
	munmap(s->dst, s->wsize);
}

/* memcpy's repetition: @total bytes from buf to dst in chunks of wsize. */
static double memcpy_rep(struct stream_set *s, uint64_t total)
{
	uint64_t t0 = now_ns(), t1;

	for (uint64_t done = 0; done < total; done += s->wsize) {
		memcpy(s->dst, s->buf, s->wsize);
		/* the copy is the point: keep it */
		__asm__ __volatile__("" : : "r"(s->dst) : "memory");
	}
	t1 = now_ns();
	s->last_cs = 0;
	return (double)total / MiB / ((double)(t1 - t0) / 1e9);
}

/* One repetition: @total bytes in writes of wsize; returns MiB/s. */
static double stream_rep(struct stream_set *s, int m, uint64_t total)
{
	struct stream_cmd c = {
		.method = m, .wsize = s->wsize, .id = s->rc, .total = total,
	};
	uint64_t t0, sent = 0, cs0 = ctx_switches(), cs;
	struct iuc_pipe_write wr;

	if (m == S_MEMCPY)
		return memcpy_rep(s, total);
	c.window = s->window;
	helper_go(&s->m[m].h, stream_receive, &c, sizeof(c));
	t0 = now_ns();
	while (sent < total) {
		size_t n = total - sent < s->wsize ? total - sent : s->wsize;

		if (m == S_BINDER) {
			binder_send_oneway(binder_client(), s->buf, n, s->win, s->window);
			sent += n;
		} else if (m == S_IUC) {
			int r = iuc_pipe_write(iuc_fd, s->sc, s->buf, n, IUC_IO_BLOCK, &wr);

			if (r)
				die("PIPE_WRITE %d", r);
			sent += n;
		} else {
			ssize_t r = write(s->m[m].wfd, s->buf, n);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				die("stream write");
			sent += (uint64_t)r;
		}
	}
	helper_collect(&s->m[m].h, &c, sizeof(c));
	cs = c.cs + ctx_switches() - cs0;
	s->last_cs = (double)cs / ((double)total / MiB);
	return (double)total / MiB / ((double)(c.t_end - t0) / 1e9);
}

/* Measure one (write size, capacity) configuration into metric(s) @out. */
static void stream_config(size_t wsize, size_t cap, unsigned int mask,
			  struct metric **out, int nout)
{
	struct stream_set s;
	struct series cs[S_NMETH];
	double slowest = 1e18;
	uint64_t pilot, total;

	stream_setup(&s, wsize, cap, mask);

	/* Warm-up and pilot (discarded): size the repetitions. */
	pilot = wsize * 256;
	if (pilot < 256 * KiB)
		pilot = 256 * KiB;
	if (pilot > 8 * MiB)
		pilot = 8 * MiB;
	pilot = pilot / wsize * wsize;
	for (int m = 0; m < S_NMETH; m++) {
		double r;

		if (!s.on[m])
			continue;
		r = stream_rep(&s, m, pilot);
		if (r < slowest)
			slowest = r;
	}
	total = (uint64_t)(slowest * MiB * opt_rep_seconds);
	if (total < 4 * wsize)
		total = 4 * wsize;
	if (total < pilot)
		total = pilot;
	if (total > 256 * MiB)
		total = 256 * MiB;
	total = total / wsize * wsize;

	memset(cs, 0, sizeof(cs));
	for (int rep = 0; rep < opt_reps; rep++) {
		for (int m = 0; m < S_NMETH; m++) {
			double v;

			if (!s.on[m])
				continue;
			v = stream_rep(&s, m, total);
			add(&cs[m], s.last_cs);
			for (int o = 0; o < nout; o++)
				add(method_series(out[o], m, s_names), v);
		}
	}
	for (int o = 0; o < nout; o++) {
		extra(out[o], ", \"write_size\": %zu, \"capacity\": %zu, \"bytes_per_rep\": %" PRIu64,
		      wsize, cap, total);
		extra(out[o], ", \"ctx_switches_per_mib\": {\"iuc\": %.1f, \"pipe\": %.1f, \"unix\": %.1f",
		      median(&cs[S_IUC]), median(&cs[S_PIPE]), median(&cs[S_UNIX]));
		if (s.on[S_BINDER])
			extra(out[o], ", \"binder\": %.1f", median(&cs[S_BINDER]));
		extra(out[o], "}");
		if (s.on[S_BINDER])
			extra(out[o], ", \"binder_window\": %u", s.window);
		else if (binder_unavailable() && (mask & (1u << S_BINDER)))
			extra(out[o], ", \"binder_absent\": \"%s\"", binder_unavailable());
		report(out[o]);
	}
	stream_teardown(&s);
}

#define S_LINUX	((1u << S_IUC) | (1u << S_PIPE) | (1u << S_UNIX))
#define S_ALL	((1u << S_NMETH) - 1)

/* The comparisons of stream_64k_cap1m (@m) with memcpy and Binder. */
static void stream_64k_derived(const struct metric *m)
{
	struct metric *d;

	for (int p = 0; p < m->npeers; p++) {
		if (!strcmp(m->pname[p], "memcpy") && wanted("stream_64k_cap1m_vs_memcpy")) {
			d = metric_from("stream_64k_cap1m_vs_memcpy", m, &m->iuc, "memcpy", &m->ps[p]);
			report(d);
		}
		if (!strcmp(m->pname[p], "binder") && wanted("stream_64k_vs_binder")) {
			d = metric_from("stream_64k_vs_binder", m, &m->iuc, "binder", &m->ps[p]);
			report(d);
		}
	}
}

static void run_stream(void)
{
	static const size_t sweep[] = { 64, 256, 1 * KiB, 4 * KiB, 16 * KiB,
					64 * KiB, 256 * KiB, 1 * MiB };
	struct metric *m[2], *m64;
	char a[16], b[16], name[64];

	if (wanted("stream_64k_cap64k")) {
		m[0] = new_metric("stream_64k_cap64k", "MiB/s", true, "pipe");
		stream_config(64 * KiB, 64 * KiB, S_LINUX, m, 1);
	}
	if (wanted("stream_4k_cap64k")) {
		m[0] = new_metric("stream_4k_cap64k", "MiB/s", true, "pipe");
		stream_config(4 * KiB, 64 * KiB, S_LINUX, m, 1);
	}

	for (size_t i = 0; i < ARRAY_SIZE(sweep); i++) {
		bool is64k = sweep[i] == 64 * KiB;
		int n = 0;

		if (opt_quick && !is64k && sweep[i] != 1 * MiB && sweep[i] != 64)
			continue;
		snprintf(name, sizeof(name), "stream_sweep_%s_cap%s",
			 size_name(sweep[i], a, sizeof(a)), size_name(1 * MiB, b, sizeof(b)));
		if (!wanted(name) &&
		    !(is64k && (wanted("stream_64k_cap1m") || wanted("stream_64k_cap1m_vs_memcpy") ||
				wanted("stream_64k_vs_binder"))) &&
		    !(sweep[i] == 1 * MiB && wanted("stream_1m_cap1m")))
			continue;
		m64 = NULL;
		if (is64k)
			m[n++] = m64 = new_metric("stream_64k_cap1m", "MiB/s", true, "pipe");
		if (sweep[i] == 1 * MiB)
			m[n++] = new_metric("stream_1m_cap1m", "MiB/s", true, "pipe");
		m[n++] = new_metric(name, "MiB/s", true, "pipe");
		stream_config(sweep[i], 1 * MiB, S_ALL, m, n);
		if (m64)
			stream_64k_derived(m64);
	}
}

const struct bench bench_stream = {
	.name = "stream", .section = "stream", .run = run_stream,
};
