// SPDX-License-Identifier: GPL-2.0
/*
 * Memory hand-off: the benchmark fills a buffer and hands it to a helper,
 * which touches every page; timed from the start of the hand-off to the
 * helper's last touch, with the phases "sent" (the sender's call
 * returned) and "received" (the helper holds the data).  IUC SHARE_MEM,
 * exclusive and mutual (sender buffer with and without THP), against a
 * copy through a Linux pipe (1 MiB) and a memfd passed with SCM_RIGHTS and
 * mapped.  Sizes 4 KiB .. 256 MiB; metrics handoff_{exclusive,mutual}_64k
 * and _64m (the headline sizes: a small and a large hand-off) and
 * handoff_{exclusive,mutual}_sweep_SIZE for the others.  Options: --handoff-sizes
 * (e.g. "4k,64m"), --handoff-methods (names of h_names).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

enum { H_PIPE, H_MEMFD, H_EXCL, H_MUTUAL, H_EXCL_NOTHP, H_MUTUAL_NOTHP, H_NMETH };
static const char *const h_names[] = { "pipe_copy", "memfd", "iuc_exclusive",
				       "iuc_mutual", "iuc_exclusive_nothp",
				       "iuc_mutual_nothp" };
static char opt_handoff_sizes[256];	/* e.g. "4k,64m"; empty: the whole sweep */
static char opt_handoff_methods[256];	/* names of h_names; empty: all */

/* ---- the receiving helper ------------------------------------------------------- */

struct handoff_cmd {
	int32_t		method;
	uint64_t	size;
	uint64_t	expect;		/* the byte the sender filled in */
	uint64_t	t_got;		/* answer: the helper holds the data */
	uint64_t	t_done;		/* answer: every page touched */
};

/* The helper's receive buffer of the pipe copy (in the helper). */
static unsigned char *h_rbuf;

static int handoff_rx_init(int iuc, void *p)
{
	struct handoff_cmd *c = p;

	if (c->method == H_PIPE) {
		h_rbuf = map_anon(c->size, false);
		memset(h_rbuf, 0, c->size);	/* a receive buffer in use */
	}
	/* exclusive: segments placed in an arena mapped once (MAP_ARENA) */
	if (c->method == H_EXCL && iuc_map_arena(iuc, c->size, NULL, NULL))
		die("MAP_ARENA");
	return 0;
}

/* Read one byte per page: the "receiver can read all of it" proof. */
static uint64_t touch_pages(const volatile unsigned char *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t off = 0; off < len; off += PAGE)
		sum += p[off];
	return sum;
}

static int handoff_receive(int iuc, void *p)
{
	struct handoff_cmd *c = p;
	const unsigned char *data = NULL;
	struct iuc_signal rec;
	uint64_t seg = 0;
	int mfd = -1;

	if (c->method == H_PIPE) {
		read_exact(helper_fd(0), h_rbuf, c->size, "handoff pipe read");
		data = h_rbuf;
	} else if (c->method == H_MEMFD) {
		mfd = recv_fd_blocking(helper_fd(0));
		if (mfd < 0)
			die("memfd not received: %d", mfd);
		data = mmap(NULL, c->size, PROT_READ, MAP_SHARED, mfd, 0);
		if (data == MAP_FAILED)
			die("mmap memfd");
	} else {
		ssize_t r;

		/* blocking read(2), no poll: the receive being timed */
		do
			r = read(iuc, &rec, sizeof(rec));
		while (r < 0 && errno == EINTR);
		if (r != sizeof(rec) || rec.code != IUC_SIG_RECV_SHARED_MEM ||
		    !rec.data.recv_shared_mem.start)
			die("RECV_SHARED_MEM record (r=%zd start=%llx)", r,
			    (unsigned long long)rec.data.recv_shared_mem.start);
		data = (const unsigned char *)(uintptr_t)rec.data.recv_shared_mem.start;
		seg = rec.object;
	}
	c->t_got = now_ns();
	touch_pages(data, c->size);
	c->t_done = now_ns();
	if (data[0] != (unsigned char)c->expect ||
	    data[c->size - 1] != (unsigned char)c->expect)
		die("handoff data mismatch (%u, want %u)", data[0],
		    (unsigned)(unsigned char)c->expect);
	if (c->method == H_MEMFD) {
		munmap((void *)data, c->size);
		close(mfd);
	} else if (c->method != H_PIPE && iuc_mem_unmap(iuc, seg, NULL)) {
		die("MEM_UNMAP");
	}
	return 0;
}

/* ---- the sending benchmark ------------------------------------------------------- */

struct handoff_set {
	struct method	m[H_NMETH];	/* we write wfd (pipe, memfd), the helper receives */
	size_t		size;
};

static void handoff_setup(struct handoff_set *s, size_t size, const bool *want)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
	for (int m = 0; m < H_NMETH; m++) {
		struct handoff_cmd c = { .method = m, .size = size };
		int fds[2] = { -1, -1 };

		if (!want[m] || (m >= H_EXCL && opt_no_iuc))
			continue;
		if (m == H_PIPE) {
			if (pipe2(fds, O_CLOEXEC))
				die("pipe");
			if (fcntl(fds[1], F_SETPIPE_SZ, (int)MiB) < 0)
				die("F_SETPIPE_SZ");
		} else if (m == H_MEMFD) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
				die("socketpair");
		}
		/* the helper receives on fds[0] */
		method_start(&s->m[m], fds, m < H_EXCL, fds[1], -1);
		if (m >= H_EXCL)
			helper_open_iuc(&s->m[m].h, IUC_SIG_RECV_SHARED_MEM, 0);
		helper_run(&s->m[m].h, handoff_rx_init, &c, sizeof(c));
	}
}

struct handoff_res {
	double	us;		/* sender's start .. receiver touched all pages */
	double	send_us;	/* the sender's call(s) */
	double	got_us;		/* start .. receiver has the data (before touching) */
};

static struct handoff_res handoff_rep(struct handoff_set *s, int m, int rep)
{
	struct timespec ts = { 0, 1000000 };	/* 1 ms: let the receiver block */
	unsigned char fill = (unsigned char)(0x11 + rep * 7);
	struct handoff_cmd c = { .method = m, .size = s->size, .expect = fill };
	struct iuc_share_mem sh;
	struct handoff_res res;
	uint64_t t0, t_sent;
	unsigned char *buf;
	int mfd = -1, r = 0;

	if (m == H_MEMFD) {
		mfd = memfd_create("iucbench", MFD_CLOEXEC);
		if (mfd < 0 || ftruncate(mfd, (off_t)s->size))
			die("memfd");
		buf = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (buf == MAP_FAILED)
			die("mmap memfd");
	} else {
		buf = map_anon(s->size, m == H_EXCL_NOTHP || m == H_MUTUAL_NOTHP);
	}
	memset(buf, fill, s->size);		/* the sender fills its buffer */

	helper_go(&s->m[m].h, handoff_receive, &c, sizeof(c));
	nanosleep(&ts, NULL);

	t0 = now_ns();
	switch (m) {
	case H_PIPE:
		r = write_full(s->m[m].wfd, buf, s->size);
		break;
	case H_MEMFD:
		r = send_fd(s->m[m].wfd, mfd);
		break;
	case H_EXCL:
	case H_EXCL_NOTHP:
		sh = iuc_share_args(s->m[m].h.p.pid, buf, s->size,
				    IUC_SHARE_EXCLUSIVE, 0, IUC_NOTIFY);
		r = iuc_share_mem(iuc_fd, &sh);
		break;
	case H_MUTUAL:
	case H_MUTUAL_NOTHP:
		sh = iuc_share_args(s->m[m].h.p.pid, buf, s->size,
				    IUC_SHARE_MUTUAL, IUC_ACCESS_READ, IUC_NOTIFY);
		r = iuc_share_mem(iuc_fd, &sh);
		break;
	}
	t_sent = now_ns();
	if (r)
		die("hand-off by %s: %d", h_names[m], r);
	helper_collect(&s->m[m].h, &c, sizeof(c));

	/* Clean-up, outside the timing. */
	munmap(buf, s->size);			/* exclusive: gone already, harmless */
	if (mfd >= 0)
		close(mfd);
	res.us = (double)(c.t_done - t0) / 1e3;
	res.send_us = (double)(t_sent - t0) / 1e3;
	res.got_us = (double)(c.t_got - t0) / 1e3;
	return res;
}

static bool listed(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; (p = strstr(p, item)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/*
 * Hand-offs per repetition: a small one takes less time than the noise of
 * one wake-up, so a repetition's figure is the mean of a batch.
 */
static int handoff_batch(size_t size)
{
	if (size <= 64 * KiB)
		return 16;
	if (size <= 1 * MiB)
		return 8;
	if (size <= 16 * MiB)
		return 2;
	return 1;
}

static void run_handoff(void)
{
	static const size_t sweep[] = { 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB,
					1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB,
					256 * MiB };
	bool want[H_NMETH];

	for (int m = 0; m < H_NMETH; m++)
		want[m] = !opt_handoff_methods[0] || listed(opt_handoff_methods, h_names[m]);

	for (size_t i = 0; i < ARRAY_SIZE(sweep); i++) {
		size_t size = sweep[i];
		bool headline = size == 64 * KiB || size == 64 * MiB;
		struct series us[H_NMETH], send_us[H_NMETH], got_us[H_NMETH];
		struct handoff_set s;
		int batch = handoff_batch(size);
		double pages = (double)size / PAGE;
		char sz[16], name[64];

		size_name(size, sz, sizeof(sz));
		if (opt_handoff_sizes[0] && !listed(opt_handoff_sizes, sz))
			continue;
		if (opt_quick && size != 4 * KiB && size != 1 * MiB && size != 64 * MiB)
			continue;
		if (size >= 256 * MiB && over_budget()) {
			msg("handoff %zu skipped: over the time budget", size);
			continue;
		}
		memset(us, 0, sizeof(us));
		memset(send_us, 0, sizeof(send_us));
		memset(got_us, 0, sizeof(got_us));
		handoff_setup(&s, size, want);
		for (int rep = -1; rep < opt_reps; rep++)
			for (int m = 0; m < H_NMETH; m++) {
				struct handoff_res r, sum = { 0, 0, 0 };
				int n = rep < 0 ? 1 : batch;

				if (!s.m[m].h.started)
					continue;
				for (int b = 0; b < n; b++) {
					r = handoff_rep(&s, m, rep + 1 + b);
					sum.us += r.us;
					sum.send_us += r.send_us;
					sum.got_us += r.got_us;
				}
				if (rep < 0)
					continue;	/* warm-up */
				add(&us[m], sum.us / n);
				add(&send_us[m], sum.send_us / n);
				add(&got_us[m], sum.got_us / n);
			}

		/* exclusive and mutual, each against the pipe copy; memfd as a further peer */
		for (int k = 0; k < 2; k++) {
			int im = k ? H_MUTUAL : H_EXCL;
			int in = k ? H_MUTUAL_NOTHP : H_EXCL_NOTHP;
			struct metric *m;

			if (!s.m[im].h.started && !s.m[in].h.started &&
			    (k || (!s.m[H_PIPE].h.started && !s.m[H_MEMFD].h.started)))
				continue;	/* peers only: reported once */
			snprintf(name, sizeof(name), "handoff_%s_%s%s",
				 k ? "mutual" : "exclusive", headline ? "" : "sweep_", sz);
			m = new_metric(name, "us", false, "pipe_copy");
			m->iuc = us[im];
			m->peer = us[H_PIPE];
			*peer_series(m, "memfd") = us[H_MEMFD];
			*peer_series(m, "iuc_nothp") = us[in];
			extra(m, ", \"size\": %zu, \"pages\": %.0f, \"handoffs_per_rep\": %d",
			      size, pages, batch);
			extra(m, ", \"ns_per_page\": {\"iuc\": %.1f, \"pipe_copy\": %.1f, \"memfd\": %.1f, \"iuc_nothp\": %.1f}",
			      median(&us[im]) * 1e3 / pages, median(&us[H_PIPE]) * 1e3 / pages,
			      median(&us[H_MEMFD]) * 1e3 / pages, median(&us[in]) * 1e3 / pages);
			extra(m, ", \"phases_us\": {\"iuc_send\": %.1f, \"iuc_received\": %.1f, \"iuc_nothp_send\": %.1f, \"iuc_nothp_received\": %.1f, \"pipe_send\": %.1f, \"pipe_received\": %.1f, \"memfd_send\": %.1f, \"memfd_received\": %.1f}",
			      median(&send_us[im]), median(&got_us[im]),
			      median(&send_us[in]), median(&got_us[in]),
			      median(&send_us[H_PIPE]), median(&got_us[H_PIPE]),
			      median(&send_us[H_MEMFD]), median(&got_us[H_MEMFD]));
			report(m);
		}
		for (int m = 0; m < H_NMETH; m++)
			method_stop(&s.m[m]);
	}
}

static const struct bench_option handoff_options[] = {
	{ "handoff-sizes", opt_handoff_sizes, sizeof(opt_handoff_sizes) },
	{ "handoff-methods", opt_handoff_methods, sizeof(opt_handoff_methods) },
	{ NULL, NULL, 0 },
};

const struct bench bench_handoff = {
	.name = "handoff", .section = "handoff", .run = run_handoff,
	.options = handoff_options,
};
