// SPDX-License-Identifier: GPL-2.0
/*
 * iuc-bench: IUC against its Linux peers, measured in the same (guest) run.
 *
 * Runs inside the QEMU guest of tools/vm (as root, static, busybox only)
 * and prints one JSON object between the lines
 *     IUC-BENCH-JSON-BEGIN / IUC-BENCH-JSON-END
 * plus a small metadata object between IUC-BENCH-META-BEGIN/END.
 * Progress goes to stderr.  tools/bench/bench.sh drives it; see
 * docs/bench/README.md for what each metric measures and how.
 *
 * Every figure is the median of --reps repetitions (default 5), with min
 * and max; the methods of one metric are run interleaved (rep 1 of every
 * method, then rep 2, ...), so that slow phases of the emulator hit all
 * of them alike.  Only ratios between methods of one run mean anything:
 * the guest runs under TCG, about 10x slower than hardware.
 *
 * Every process that uses IUC opens /dev/iuc itself (a context belongs to
 * one process); helpers are forked children driven over a control
 * socketpair with 8-byte messages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iuc.h>

#define KiB		((uint64_t)1024)
#define MiB		((uint64_t)1024 * 1024)
#define PAGE		((uint64_t)4096)
#define MAXREP		32
#define MAXMETRICS	96
#define MAXPEERS	4

/* ---- options ------------------------------------------------------------ */

static int opt_reps = 7;
static double opt_rep_seconds = 0.3;	/* target length of one stream/RTT rep */
static bool opt_quick;
static bool opt_no_iuc;
/* where the two processes of a test run: both on vCPU 0, split 0/1, or free */
enum { PIN_SAME, PIN_SPLIT, PIN_NONE };
static int opt_pin = PIN_SAME;
static const char *const pin_names[] = { "same", "split", "none" };
static double opt_budget = 540;		/* seconds; heavy parts are skipped past it */
static char opt_only[256] = "stream,rtt,notify,handoff,idle";
static int ncpus = 1;

static uint64_t t_start;

/* ---- small helpers ------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double elapsed_s(void)
{
	return (now_ns() - t_start) / 1e9;
}

static void msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[bench %6.1fs] ", elapsed_s());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void __attribute__((noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iuc-bench: FATAL (pid %d): ", getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d %s)\n", errno, strerror(errno));
	_exit(3);
}

static void send_u64(int fd, uint64_t v)
{
	const char *p = (const char *)&v;
	size_t done = 0;

	while (done < sizeof(v)) {
		ssize_t n = write(fd, p + done, sizeof(v) - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("control write");
		done += (size_t)n;
	}
}

static uint64_t recv_u64(int fd)
{
	uint64_t v;
	char *p = (char *)&v;
	size_t done = 0;

	while (done < sizeof(v)) {
		ssize_t n = read(fd, p + done, sizeof(v) - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("control read (peer gone?)");
		done += (size_t)n;
	}
	return v;
}

/* @child: pin the helper side of a test, else the parent side. */
static void pin_cpu(bool child)
{
	cpu_set_t set;

	if (opt_pin == PIN_NONE || ncpus < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(child && opt_pin == PIN_SPLIT ? 1 : 0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *map_anon(size_t len, bool nothp)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu", len);
	if (nothp)
		madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* Read one byte per page: the "receiver can read all of it" proof. */
static uint64_t touch_pages(const volatile unsigned char *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t off = 0; off < len; off += PAGE)
		sum += p[off];
	return sum;
}

static bool section(const char *name)
{
	return strstr(opt_only, name) != NULL;
}

static bool over_budget(void)
{
	return elapsed_s() > opt_budget;
}

static char opt_metrics[256];	/* comma-separated substrings; empty: all */

/* Is a metric of this name wanted (--metrics)? */
static bool wanted(const char *name)
{
	char list[256], *tok, *save;

	if (!opt_metrics[0])
		return true;
	snprintf(list, sizeof(list), "%s", opt_metrics);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strstr(name, tok))
			return true;
	return false;
}

/* Context switches (voluntary + involuntary) of the calling process so far. */
static uint64_t ctx_switches(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_nvcsw + ru.ru_nivcsw);
}

/* ---- children ----------------------------------------------------------- */

struct child {
	pid_t	pid;
	int	ctl;		/* parent's end of the control socketpair */
};

/*
 * Fork a helper running @fn(ctl, arg).  It dies with the parent.  Extra
 * fds the parent opened for it stay open in it; the parent closes what
 * it does not need.
 */
static struct child spawn(void (*fn)(int ctl, void *arg), void *arg)
{
	int sv[2];
	struct child c;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	fflush(NULL);
	c.pid = fork();
	if (c.pid < 0)
		die("fork");
	if (c.pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sv[0]);
		pin_cpu(true);
		fn(sv[1], arg);
		_exit(0);
	}
	close(sv[1]);
	c.ctl = sv[0];
	return c;
}

static void reap(struct child *c)
{
	int st;

	if (c->pid <= 0)
		return;
	send_u64(c->ctl, 0);		/* "exit" */
	close(c->ctl);
	if (waitpid(c->pid, &st, 0) == c->pid &&
	    (!WIFEXITED(st) || WEXITSTATUS(st)))
		msg("warning: helper %d ended with status 0x%x", c->pid, st);
	c->pid = -1;
}

/* ---- IUC calls ---------------------------------------------------------- */

static int iuc_fd = -1;			/* the parent's context */

static int iuc_dev_open(void)
{
	return open("/dev/iuc", O_RDWR | O_CLOEXEC);
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int r;

	do
		r = ioctl(fd, cmd, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static int iuc_open_pipe(int fd, pid_t target, int type, int mode,
			 uint64_t cap, int notify, uint64_t *id, uint64_t *peer)
{
	struct iuc_open_pipe a;
	int r;

	memset(&a, 0, sizeof(a));
	a.target_pid = (uint64_t)target;
	a.type = (uint8_t)type;
	a.mode = (uint8_t)mode;
	a.multiplier = (uint8_t)(cap / IUC_PIPE_UNIT);
	a.notify = (uint8_t)notify;
	r = xioctl(fd, IUC_IOC_OPEN_PIPE, &a);
	if (!r) {
		if (id)
			*id = a.id;
		if (peer)
			*peer = a.peer_id;
	}
	return r;
}

static int iuc_write(int fd, uint64_t id, const void *buf, uint64_t n)
{
	struct iuc_pipe_write a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	a.count = n;
	a.buf = (uint64_t)(uintptr_t)buf;
	a.mode = IUC_IO_BLOCK;
	return ioctl(fd, IUC_IOC_PIPE_WRITE, &a) < 0 ? -errno : 0;
}

static int iuc_read(int fd, uint64_t id, void *buf, uint32_t n)
{
	struct iuc_pipe_read a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	a.count = n;
	a.buf = (uint64_t)(uintptr_t)buf;
	a.mode = IUC_IO_BLOCK;
	return ioctl(fd, IUC_IOC_PIPE_READ, &a) < 0 ? -errno : 0;
}

static int iuc_close_pipe(int fd, uint64_t id)
{
	struct iuc_close_pipe a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	return xioctl(fd, IUC_IOC_CLOSE_PIPE, &a);
}

static int iuc_handle(int fd, uint8_t code, uint32_t rt)
{
	struct iuc_handle_signal a;

	memset(&a, 0, sizeof(a));
	a.code = code;
	a.rt_signal = rt;
	return xioctl(fd, IUC_IOC_HANDLE_SIGNAL, &a);
}

static int iuc_ready(int fd)
{
	struct iuc_ready a;

	memset(&a, 0, sizeof(a));
	return xioctl(fd, IUC_IOC_READY, &a);
}

static int iuc_share(int fd, pid_t target, void *addr, uint64_t len, int mode,
		     int access, uint64_t *seg)
{
	struct iuc_share_mem a;
	int r;

	memset(&a, 0, sizeof(a));
	a.target_pid = (uint64_t)target;
	a.addr = (uint64_t)(uintptr_t)addr;
	a.length = len;
	a.notify = IUC_NOTIFY;
	a.mode = (uint8_t)mode;
	a.access = (uint8_t)access;
	r = xioctl(fd, IUC_IOC_SHARE_MEM, &a);
	if (!r && seg)
		*seg = a.segment;
	return r;
}

static int iuc_mem_unmap(int fd, uint64_t seg)
{
	struct iuc_mem_unmap a;

	memset(&a, 0, sizeof(a));
	a.segment = seg;
	return xioctl(fd, IUC_IOC_MEM_UNMAP, &a);
}

/* ---- statistics and results --------------------------------------------- */

struct series {
	double	v[MAXREP];
	int	n;
};

static void add(struct series *s, double v)
{
	if (s->n < MAXREP)
		s->v[s->n++] = v;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const struct series *s)
{
	double t[MAXREP];

	if (!s->n)
		return 0;
	memcpy(t, s->v, sizeof(double) * (size_t)s->n);
	qsort(t, (size_t)s->n, sizeof(double), cmp_d);
	return s->n % 2 ? t[s->n / 2] : (t[s->n / 2 - 1] + t[s->n / 2]) / 2;
}

static double smin(const struct series *s)
{
	double m = s->n ? s->v[0] : 0;

	for (int i = 1; i < s->n; i++)
		if (s->v[i] < m)
			m = s->v[i];
	return m;
}

static double smax(const struct series *s)
{
	double m = s->n ? s->v[0] : 0;

	for (int i = 1; i < s->n; i++)
		if (s->v[i] > m)
			m = s->v[i];
	return m;
}

struct metric {
	char		name[64];
	char		unit[16];
	bool		higher_better;
	char		peer_name[40];
	struct series	iuc, peer;
	int		npeers;
	char		pname[MAXPEERS][40];
	struct series	ps[MAXPEERS];
	char		extra[2048];	/* ,"key":value... appended verbatim */
	char		note[160];
};

static struct metric metrics[MAXMETRICS];
static int nmetrics;

static struct metric *new_metric(const char *name, const char *unit,
				 bool higher_better, const char *peer_name)
{
	struct metric *m;

	if (nmetrics >= MAXMETRICS)
		die("too many metrics");
	m = &metrics[nmetrics++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->unit, sizeof(m->unit), "%s", unit);
	snprintf(m->peer_name, sizeof(m->peer_name), "%s", peer_name);
	m->higher_better = higher_better;
	return m;
}

static struct series *peer_series(struct metric *m, const char *name)
{
	for (int i = 0; i < m->npeers; i++)
		if (!strcmp(m->pname[i], name))
			return &m->ps[i];
	if (m->npeers >= MAXPEERS)
		die("too many peers");
	snprintf(m->pname[m->npeers], sizeof(m->pname[0]), "%s", name);
	return &m->ps[m->npeers++];
}

static void extra(struct metric *m, const char *fmt, ...)
{
	size_t len = strlen(m->extra);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->extra + len, sizeof(m->extra) - len, fmt, ap);
	va_end(ap);
}

static void jnum(FILE *f, double v)
{
	if (v != v || v == 0.0 / 0.0)
		fputs("null", f);
	else if (v >= 1e6 || (v < 1e-3 && v > -1e-3 && v != 0))
		fprintf(f, "%.6g", v);
	else
		fprintf(f, "%.4f", v);
}

static double ratio(const struct metric *m, const struct series *iuc,
		    const struct series *peer)
{
	double a = median(iuc), b = median(peer);

	if (!iuc->n || !peer->n || a <= 0 || b <= 0)
		return 0.0 / 0.0;
	return m->higher_better ? a / b : b / a;
}

static void print_series_stats(FILE *f, const struct series *s)
{
	fputs("\"value\": ", f);
	s->n ? jnum(f, median(s)) : (void)fputs("null", f);
	fputs(", \"min\": ", f);
	s->n ? jnum(f, smin(s)) : (void)fputs("null", f);
	fputs(", \"max\": ", f);
	s->n ? jnum(f, smax(s)) : (void)fputs("null", f);
}

static void print_json(FILE *f)
{
	fputs("{\n", f);
	for (int i = 0; i < nmetrics; i++) {
		struct metric *m = &metrics[i];
		double nan = 0.0 / 0.0;

		fprintf(f, "  \"%s\": {\"iuc\": ", m->name);
		jnum(f, m->iuc.n ? median(&m->iuc) : nan);
		fputs(", \"peer\": ", f);
		jnum(f, m->peer.n ? median(&m->peer) : nan);
		fputs(", \"ratio\": ", f);
		jnum(f, ratio(m, &m->iuc, &m->peer));
		fprintf(f, ", \"unit\": \"%s\", \"min\": ", m->unit);
		jnum(f, m->iuc.n ? smin(&m->iuc) : nan);
		fputs(", \"max\": ", f);
		jnum(f, m->iuc.n ? smax(&m->iuc) : nan);
		fprintf(f, ", \"peer_name\": \"%s\", \"peer_min\": ", m->peer_name);
		jnum(f, m->peer.n ? smin(&m->peer) : nan);
		fputs(", \"peer_max\": ", f);
		jnum(f, m->peer.n ? smax(&m->peer) : nan);
		fprintf(f, ", \"reps\": %d, \"better\": \"%s\"", m->iuc.n,
			m->higher_better ? "higher" : "lower");
		if (m->npeers) {
			fputs(", \"peers\": {", f);
			for (int p = 0; p < m->npeers; p++) {
				fprintf(f, "%s\"%s\": {", p ? ", " : "", m->pname[p]);
				print_series_stats(f, &m->ps[p]);
				fputs(", \"ratio\": ", f);
				jnum(f, ratio(m, &m->iuc, &m->ps[p]));
				fputs("}", f);
			}
			fputs("}", f);
		}
		if (m->note[0])
			fprintf(f, ", \"note\": \"%s\"", m->note);
		fprintf(f, "%s}%s\n", m->extra, i + 1 < nmetrics ? "," : "");
	}
	fputs("}\n", f);
}

static void report(const struct metric *m)
{
	char peers[256] = "";

	for (int p = 0; p < m->npeers; p++) {
		size_t l = strlen(peers);

		snprintf(peers + l, sizeof(peers) - l, " %s=%.4g", m->pname[p],
			 median(&m->ps[p]));
	}
	msg("%-26s iuc=%.4g [%.4g..%.4g] %s=%.4g%s  %s  ratio=%.3f",
	    m->name, median(&m->iuc), smin(&m->iuc), smax(&m->iuc),
	    m->peer_name, median(&m->peer), peers, m->unit,
	    ratio(m, &m->iuc, &m->peer));
}

/* ==== 1. stream throughput ============================================== */

enum { S_IUC, S_PIPE, S_UNIX, S_NMETH };
static const char *const s_names[] = { "iuc", "pipe", "unix" };

struct stream_arg {
	int	method;
	int	fd;		/* pipe read end / socket */
	size_t	wsize;
};

static void stream_child(int ctl, void *p)
{
	struct stream_arg *a = p;
	char *buf = map_anon(a->wsize, false);
	uint64_t rc = 0;
	int fd = -1;

	memset(buf, 0, a->wsize);
	if (a->method == S_IUC) {
		fd = iuc_dev_open();
		send_u64(ctl, fd >= 0);
		rc = recv_u64(ctl);
	}
	for (;;) {
		uint64_t total = recv_u64(ctl), got = 0, cs0;

		if (!total)
			break;
		cs0 = ctx_switches();
		while (got < total) {
			size_t n = total - got < a->wsize ? total - got : a->wsize;

			if (a->method == S_IUC) {
				int r = iuc_read(fd, rc, buf, (uint32_t)n);

				if (r)
					die("PIPE_READ %d", r);
				got += n;
			} else {
				ssize_t r = read(a->fd, buf, n);

				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					die("stream read");
				got += (uint64_t)r;
			}
		}
		send_u64(ctl, now_ns());
		send_u64(ctl, ctx_switches() - cs0);
	}
}

struct stream_set {
	struct child	c[S_NMETH];
	int		wfd[S_NMETH];
	uint64_t	sc;
	char		*buf;
	size_t		wsize, cap;
	bool		have[S_NMETH];
	double		last_cs;	/* context switches per MiB of the last rep */
};

static bool stream_setup(struct stream_set *s, size_t wsize, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->wsize = wsize;
	s->cap = cap;
	s->buf = map_anon(wsize, false);
	memset(s->buf, 0x5a, wsize);

	for (int m = 0; m < S_NMETH; m++) {
		struct stream_arg a = { .method = m, .fd = -1, .wsize = wsize };
		int fds[2];

		s->wfd[m] = -1;
		if (m == S_IUC && opt_no_iuc)
			continue;
		if (m == S_PIPE) {
			if (pipe2(fds, O_CLOEXEC))
				die("pipe");
			if (fcntl(fds[1], F_SETPIPE_SZ, (int)cap) < 0 ||
			    (size_t)fcntl(fds[1], F_GETPIPE_SZ) != cap)
				die("F_SETPIPE_SZ %zu", cap);
			a.fd = fds[0];
			s->wfd[m] = fds[1];
		} else if (m == S_UNIX) {
			int v = (int)cap;

			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
				die("socketpair");
			/* the kernel doubles these for its bookkeeping */
			if (setsockopt(fds[1], SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
				setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
			if (setsockopt(fds[0], SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
				setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
			a.fd = fds[0];
			s->wfd[m] = fds[1];
		}
		s->c[m] = spawn(stream_child, &a);
		if (a.fd >= 0)
			close(a.fd);
		if (m == S_IUC) {
			uint64_t peer = 0;
			int r;

			if (!recv_u64(s->c[m].ctl))
				die("helper cannot open /dev/iuc");
			r = iuc_open_pipe(iuc_fd, s->c[m].pid,
					  IUC_PIPE_TYPE_CALLER_SENDS,
					  IUC_PIPE_MODE_RAW, cap, IUC_NOTIFY_SKIP,
					  &s->sc, &peer);
			if (r)
				die("OPEN_PIPE %d", r);
			send_u64(s->c[m].ctl, peer);
		}
		s->have[m] = true;
	}
	return true;
}

static void stream_teardown(struct stream_set *s)
{
	for (int m = 0; m < S_NMETH; m++) {
		if (!s->have[m])
			continue;
		reap(&s->c[m]);
		if (s->wfd[m] >= 0)
			close(s->wfd[m]);
	}
	if (s->have[S_IUC])
		iuc_close_pipe(iuc_fd, s->sc);
	munmap(s->buf, s->wsize);
}

/* One repetition: @total bytes in writes of wsize; returns MiB/s. */
static double stream_rep(struct stream_set *s, int m, uint64_t total)
{
	uint64_t t0, t1, sent = 0, cs0 = ctx_switches(), cs;

	send_u64(s->c[m].ctl, total);
	t0 = now_ns();
	while (sent < total) {
		size_t n = total - sent < s->wsize ? total - sent : s->wsize;

		if (m == S_IUC) {
			int r = iuc_write(iuc_fd, s->sc, s->buf, n);

			if (r)
				die("PIPE_WRITE %d", r);
			sent += n;
		} else {
			ssize_t r = write(s->wfd[m], s->buf, n);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				die("stream write");
			sent += (uint64_t)r;
		}
	}
	t1 = recv_u64(s->c[m].ctl);
	cs = recv_u64(s->c[m].ctl) + ctx_switches() - cs0;
	s->last_cs = (double)cs / ((double)total / MiB);
	return (double)total / MiB / ((double)(t1 - t0) / 1e9);
}

static const char *size_name(uint64_t v, char *buf, int len)
{
	if (v >= MiB && v % MiB == 0)
		snprintf(buf, (size_t)len, "%um", (unsigned)(v / MiB));
	else if (v >= KiB && v % KiB == 0)
		snprintf(buf, (size_t)len, "%uk", (unsigned)(v / KiB));
	else
		snprintf(buf, (size_t)len, "%u", (unsigned)v);
	return buf;
}

/* Measure one (write size, capacity) configuration into metric(s) @out. */
static void stream_config(size_t wsize, size_t cap, struct metric **out, int nout)
{
	struct stream_set s;
	struct series cs[S_NMETH];
	double slowest = 1e18;
	uint64_t pilot, total;

	stream_setup(&s, wsize, cap);

	/* Warm-up and pilot (discarded): size the repetitions. */
	pilot = wsize * 256;
	if (pilot < 256 * KiB)
		pilot = 256 * KiB;
	if (pilot > 8 * MiB)
		pilot = 8 * MiB;
	pilot = pilot / wsize * wsize;
	for (int m = 0; m < S_NMETH; m++) {
		double r;

		if (!s.have[m])
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

			if (!s.have[m])
				continue;
			v = stream_rep(&s, m, total);
			add(&cs[m], s.last_cs);
			for (int o = 0; o < nout; o++) {
				if (m == S_IUC)
					add(&out[o]->iuc, v);
				else if (m == S_PIPE)
					add(&out[o]->peer, v);
				else
					add(peer_series(out[o], s_names[m]), v);
			}
		}
	}
	for (int o = 0; o < nout; o++) {
		extra(out[o], ", \"write_size\": %zu, \"capacity\": %zu, \"bytes_per_rep\": %" PRIu64,
		      wsize, cap, total);
		extra(out[o], ", \"ctx_switches_per_mib\": {\"iuc\": %.1f, \"pipe\": %.1f, \"unix\": %.1f}",
		      median(&cs[S_IUC]), median(&cs[S_PIPE]), median(&cs[S_UNIX]));
		report(out[o]);
	}
	stream_teardown(&s);
}

static void bench_stream(void)
{
	static const size_t sweep[] = { 64, 256, 1 * KiB, 4 * KiB, 16 * KiB,
					64 * KiB, 256 * KiB, 1 * MiB };
	struct metric *m[2];
	char a[16], b[16], name[64];

	if (wanted("stream_64k_cap64k")) {
		m[0] = new_metric("stream_64k_cap64k", "MiB/s", true, "pipe");
		stream_config(64 * KiB, 64 * KiB, m, 1);
	}
	if (wanted("stream_4k_cap64k")) {
		m[0] = new_metric("stream_4k_cap64k", "MiB/s", true, "pipe");
		stream_config(4 * KiB, 64 * KiB, m, 1);
	}

	for (size_t i = 0; i < sizeof(sweep) / sizeof(sweep[0]); i++) {
		int n = 0;

		if (opt_quick && sweep[i] != 64 * KiB && sweep[i] != 1 * MiB &&
		    sweep[i] != 64)
			continue;
		snprintf(name, sizeof(name), "stream_sweep_%s_cap%s",
			 size_name(sweep[i], a, sizeof(a)), size_name(1 * MiB, b, sizeof(b)));
		if (!wanted(name) && !(sweep[i] == 64 * KiB && wanted("stream_64k_cap1m")) &&
		    !(sweep[i] == 1 * MiB && wanted("stream_1m_cap1m")))
			continue;
		if (sweep[i] == 64 * KiB)
			m[n++] = new_metric("stream_64k_cap1m", "MiB/s", true, "pipe");
		if (sweep[i] == 1 * MiB)
			m[n++] = new_metric("stream_1m_cap1m", "MiB/s", true, "pipe");
		snprintf(name, sizeof(name), "stream_sweep_%s_cap%s",
			 size_name(sweep[i], a, sizeof(a)), size_name(1 * MiB, b, sizeof(b)));
		m[n++] = new_metric(name, "MiB/s", true, "pipe");
		stream_config(sweep[i], 1 * MiB, m, n);
	}
}

/* ==== 2. message round trip ============================================ */

enum { R_IUC, R_PIPE, R_SEQPACKET, R_MQUEUE, R_NMETH };
static const char *const r_names[] = { "iuc", "pipe_pair", "seqpacket", "mqueue" };

struct rtt_arg {
	int	method;
	int	rfd, wfd;	/* pipes; seqpacket: rfd only */
	char	mq_in[32], mq_out[32];
	size_t	size;
};

static void rtt_child(int ctl, void *p)
{
	struct rtt_arg *a = p;
	char buf[IUC_MESSAGE_MAX];
	uint64_t rc = 0, sc = 0;
	mqd_t qin = (mqd_t)-1, qout = (mqd_t)-1;
	int fd = -1;

	if (a->method == R_IUC) {
		fd = iuc_dev_open();
		send_u64(ctl, fd >= 0);
		rc = recv_u64(ctl);
		sc = recv_u64(ctl);
	} else if (a->method == R_MQUEUE) {
		qin = mq_open(a->mq_in, O_RDONLY);
		qout = mq_open(a->mq_out, O_WRONLY);
		if (qin == (mqd_t)-1 || qout == (mqd_t)-1)
			die("mq_open child");
	}
	memset(buf, 0, sizeof(buf));
	for (;;) {
		uint64_t n = recv_u64(ctl);

		if (!n)
			break;
		for (uint64_t i = 0; i < n; i++) {
			switch (a->method) {
			case R_IUC:
				if (iuc_read(fd, rc, buf, (uint32_t)a->size) ||
				    iuc_write(fd, sc, buf, a->size))
					die("rtt iuc child");
				break;
			case R_PIPE:
				for (size_t got = 0; got < a->size;) {
					ssize_t r = read(a->rfd, buf + got, a->size - got);

					if (r <= 0)
						die("rtt pipe read");
					got += (size_t)r;
				}
				if (write(a->wfd, buf, a->size) != (ssize_t)a->size)
					die("rtt pipe write");
				break;
			case R_SEQPACKET:
				if (recv(a->rfd, buf, a->size, 0) != (ssize_t)a->size ||
				    send(a->rfd, buf, a->size, 0) != (ssize_t)a->size)
					die("rtt seqpacket");
				break;
			case R_MQUEUE:
				if (mq_receive(qin, buf, a->size, NULL) != (ssize_t)a->size ||
				    mq_send(qout, buf, a->size, 0))
					die("rtt mqueue child");
				break;
			}
		}
		send_u64(ctl, 1);
	}
}

struct rtt_set {
	struct child	c[R_NMETH];
	bool		have[R_NMETH];
	uint64_t	sc, rc;		/* parent's ids */
	int		rfd[R_NMETH], wfd[R_NMETH];
	mqd_t		qout, qin;
	char		mq_a[32], mq_b[32];
	size_t		size;
};

static void rtt_setup(struct rtt_set *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
	for (int m = 0; m < R_NMETH; m++) {
		struct rtt_arg a = { .method = m, .rfd = -1, .wfd = -1, .size = size };
		int p1[2], p2[2];

		s->rfd[m] = s->wfd[m] = -1;
		if (m == R_IUC && opt_no_iuc)
			continue;
		if (m == R_PIPE) {
			if (pipe2(p1, O_CLOEXEC) || pipe2(p2, O_CLOEXEC))
				die("pipe");
			a.rfd = p1[0];
			a.wfd = p2[1];
			s->wfd[m] = p1[1];
			s->rfd[m] = p2[0];
		} else if (m == R_SEQPACKET) {
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p1))
				die("socketpair seqpacket");
			a.rfd = p1[1];
			s->rfd[m] = s->wfd[m] = p1[0];
		} else if (m == R_MQUEUE) {
			struct mq_attr at = { .mq_maxmsg = 8, .mq_msgsize = (long)size };

			snprintf(s->mq_a, sizeof(s->mq_a), "/iucb-rtt-a-%d", getpid());
			snprintf(s->mq_b, sizeof(s->mq_b), "/iucb-rtt-b-%d", getpid());
			mq_unlink(s->mq_a);
			mq_unlink(s->mq_b);
			s->qout = mq_open(s->mq_a, O_CREAT | O_WRONLY, 0600, &at);
			s->qin = mq_open(s->mq_b, O_CREAT | O_RDONLY, 0600, &at);
			if (s->qout == (mqd_t)-1 || s->qin == (mqd_t)-1)
				die("mq_open");
			snprintf(a.mq_in, sizeof(a.mq_in), "%s", s->mq_a);
			snprintf(a.mq_out, sizeof(a.mq_out), "%s", s->mq_b);
		}
		s->c[m] = spawn(rtt_child, &a);
		if (a.rfd >= 0)
			close(a.rfd);
		if (a.wfd >= 0)
			close(a.wfd);
		if (m == R_IUC) {
			uint64_t p_rc = 0, p_sc = 0;

			if (!recv_u64(s->c[m].ctl))
				die("helper cannot open /dev/iuc");
			if (iuc_open_pipe(iuc_fd, s->c[m].pid, IUC_PIPE_TYPE_CALLER_SENDS,
					  IUC_PIPE_MODE_MESSAGE, IUC_PIPE_UNIT,
					  IUC_NOTIFY_SKIP, &s->sc, &p_rc) ||
			    iuc_open_pipe(iuc_fd, s->c[m].pid, IUC_PIPE_TYPE_CALLER_RECEIVES,
					  IUC_PIPE_MODE_MESSAGE, IUC_PIPE_UNIT,
					  IUC_NOTIFY_SKIP, &s->rc, &p_sc))
				die("OPEN_PIPE (message)");
			send_u64(s->c[m].ctl, p_rc);
			send_u64(s->c[m].ctl, p_sc);
		}
		s->have[m] = true;
	}
}

static void rtt_teardown(struct rtt_set *s)
{
	for (int m = 0; m < R_NMETH; m++) {
		if (!s->have[m])
			continue;
		reap(&s->c[m]);
		if (s->rfd[m] >= 0)
			close(s->rfd[m]);
		if (s->wfd[m] >= 0 && s->wfd[m] != s->rfd[m])
			close(s->wfd[m]);
	}
	if (s->have[R_IUC]) {
		iuc_close_pipe(iuc_fd, s->sc);
		iuc_close_pipe(iuc_fd, s->rc);
	}
	if (s->have[R_MQUEUE]) {
		mq_close(s->qout);
		mq_close(s->qin);
		mq_unlink(s->mq_a);
		mq_unlink(s->mq_b);
	}
}

/* @n round trips; returns microseconds per round trip. */
static double rtt_rep(struct rtt_set *s, int m, uint64_t n)
{
	static char buf[IUC_MESSAGE_MAX];
	uint64_t t0, t1;

	send_u64(s->c[m].ctl, n);
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		switch (m) {
		case R_IUC:
			if (iuc_write(iuc_fd, s->sc, buf, s->size) ||
			    iuc_read(iuc_fd, s->rc, buf, (uint32_t)s->size))
				die("rtt iuc");
			break;
		case R_PIPE:
			if (write(s->wfd[m], buf, s->size) != (ssize_t)s->size)
				die("rtt pipe write");
			for (size_t got = 0; got < s->size;) {
				ssize_t r = read(s->rfd[m], buf + got, s->size - got);

				if (r <= 0)
					die("rtt pipe read");
				got += (size_t)r;
			}
			break;
		case R_SEQPACKET:
			if (send(s->wfd[m], buf, s->size, 0) != (ssize_t)s->size ||
			    recv(s->rfd[m], buf, s->size, 0) != (ssize_t)s->size)
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
	recv_u64(s->c[m].ctl);
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

		if (!s.have[m])
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
			double v;

			if (!s.have[m])
				continue;
			v = rtt_rep(&s, m, n);
			if (m == R_IUC)
				add(&mt->iuc, v);
			else if (m == R_PIPE)
				add(&mt->peer, v);
			else
				add(peer_series(mt, r_names[m]), v);
		}
	}
	extra(mt, ", \"message_size\": %zu, \"round_trips_per_rep\": %" PRIu64, size, n);
	report(mt);
	rtt_teardown(&s);
}

static void idle_target(int ctl, void *p);

/*
 * The fixed cost of one call: a zero-byte PIPE_WRITE (dispatch, argument
 * copies, identifier lookup, nothing moved) against a zero-byte write(2)
 * on a Linux pipe (fd lookup, VFS checks); getppid() is the syscall floor.
 */
static void bench_call_overhead(void)
{
	const int n = opt_quick ? 2000 : 20000;
	struct metric *mt;
	struct child target = { -1, -1 };
	uint64_t sc = 0;
	int fds[2];
	char b = 0;

	if (!wanted("call_overhead"))
		return;
	mt = new_metric("call_overhead", "ns", false, "pipe_write_0");
	if (pipe2(fds, O_CLOEXEC))
		die("pipe");
	if (!opt_no_iuc) {
		target = spawn(idle_target, NULL);
		if (!recv_u64(target.ctl) ||
		    iuc_open_pipe(iuc_fd, target.pid, IUC_PIPE_TYPE_CALLER_SENDS,
				  IUC_PIPE_MODE_RAW, IUC_PIPE_UNIT, IUC_NOTIFY_SKIP,
				  &sc, NULL))
			die("call overhead setup");
	}
	for (int rep = -1; rep < opt_reps; rep++) {
		for (int m = 0; m < 3; m++) {
			uint64_t t0 = now_ns(), t1;

			if (m == 0 && opt_no_iuc)
				continue;
			for (int i = 0; i < n; i++) {
				if (m == 0 && iuc_write(iuc_fd, sc, &b, 0))
					die("PIPE_WRITE 0");
				else if (m == 1 && write(fds[1], &b, 0))
					die("write 0");
				else if (m == 2)
					getppid();
			}
			t1 = now_ns();
			if (rep < 0)
				continue;
			add(m == 0 ? &mt->iuc : m == 1 ? &mt->peer :
			    peer_series(mt, "getppid"), (double)(t1 - t0) / n);
		}
	}
	extra(mt, ", \"calls_per_rep\": %d", n);
	report(mt);
	if (!opt_no_iuc) {
		iuc_close_pipe(iuc_fd, sc);
		reap(&target);
	}
	close(fds[0]);
	close(fds[1]);
}

/*
 * The target of bench_open_close(): closes the ends it is told of (ids over
 * the control channel, then their count) and reports the time it took.
 */
static void closing_target(int ctl, void *p)
{
	static uint64_t ids[4096];
	int fd = iuc_dev_open();

	(void)p;
	send_u64(ctl, fd >= 0);
	for (;;) {
		uint64_t n = recv_u64(ctl), t0;

		if (!n || n > 4096)
			break;
		for (uint64_t i = 0; i < n; i++)
			ids[i] = recv_u64(ctl);
		t0 = now_ns();
		for (uint64_t i = 0; i < n; i++)
			if (iuc_close_pipe(fd, ids[i]))
				die("target CLOSE_PIPE");
		send_u64(ctl, now_ns() - t0);
	}
}

/*
 * The whole life of an idle pipe, nobody notified: OPEN_PIPE to another
 * process (notification skipped), CLOSE_PIPE by the opener and CLOSE_PIPE of
 * the other end by its holder (timed there, added), against pipe2() + two
 * close().  The object-creation part of notify_latency.
 */
static void bench_open_close(void)
{
	const int n = opt_quick ? 500 : 2000;
	static uint64_t peers[2000];
	struct child target = { -1, -1 };
	struct metric *mt;

	if (!wanted("pipe_open_close"))
		return;
	mt = new_metric("pipe_open_close", "us", false, "pipe2_close");
	if (!opt_no_iuc) {
		target = spawn(closing_target, NULL);
		if (!recv_u64(target.ctl))
			die("open/close setup");
	}
	for (int rep = -1; rep < opt_reps; rep++) {
		for (int m = 0; m < 2; m++) {
			uint64_t t0 = now_ns(), t1, t_target = 0;

			if (m == 0 && opt_no_iuc)
				continue;
			for (int i = 0; i < n; i++) {
				if (m == 0) {
					uint64_t id;

					if (iuc_open_pipe(iuc_fd, target.pid,
							  IUC_PIPE_TYPE_CALLER_SENDS,
							  IUC_PIPE_MODE_RAW, IUC_PIPE_UNIT,
							  IUC_NOTIFY_SKIP, &id, &peers[i]) ||
					    iuc_close_pipe(iuc_fd, id))
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
			if (m == 0) {
				send_u64(target.ctl, (uint64_t)n);
				for (int i = 0; i < n; i++)
					send_u64(target.ctl, peers[i]);
				t_target = recv_u64(target.ctl);
			}
			if (rep >= 0)
				add(m == 0 ? &mt->iuc : &mt->peer,
				    (double)(t1 - t0 + t_target) / 1e3 / n);
		}
	}
	extra(mt, ", \"pairs_per_rep\": %d", n);
	report(mt);
	if (target.pid > 0)
		reap(&target);
}

static void bench_rtt(void)
{
	bench_call_overhead();
	bench_open_close();
	rtt_config(64, "msg_rtt_64");
	rtt_config(4 * KiB, "msg_rtt_4k");
}

/* ==== 3. notification latency =========================================== */

enum { N_IUC, N_MQ, N_NMETH };

struct notify_arg {
	int	method;
	char	mq[32];
};

static void notify_child(int ctl, void *p)
{
	struct notify_arg *a = p;
	int sig = a->method == N_IUC ? SIGRTMIN : SIGRTMIN + 1;
	struct sigevent sev;
	sigset_t set;
	mqd_t q = (mqd_t)-1;
	int fd = -1;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (a->method == N_IUC) {
		fd = iuc_dev_open();
		if (fd < 0 || iuc_handle(fd, IUC_SIG_RECV_PIPE, (uint32_t)sig) ||
		    iuc_ready(fd))
			die("notify child setup");
	} else {
		q = mq_open(a->mq, O_RDONLY | O_NONBLOCK);
		if (q == (mqd_t)-1)
			die("mq_open notify child");
	}
	send_u64(ctl, 1);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sig;

	for (;;) {
		siginfo_t si;
		uint64_t t1;

		if (!recv_u64(ctl))
			break;
		if (a->method == N_MQ && mq_notify(q, &sev))
			die("mq_notify");
		send_u64(ctl, 1);		/* armed */
		while (sigwaitinfo(&set, &si) < 0)
			if (errno != EINTR)
				die("sigwaitinfo");
		t1 = now_ns();
		if (a->method == N_IUC) {
			struct iuc_signal rec;

			if (read(fd, &rec, sizeof(rec)) != sizeof(rec) ||
			    rec.code != IUC_SIG_RECV_PIPE)
				die("notify record");
			iuc_close_pipe(fd, rec.object);
		} else {
			char buf[128];

			while (mq_receive(q, buf, sizeof(buf), NULL) >= 0)
				;
		}
		send_u64(ctl, t1);
	}
}

static void bench_notify(void)
{
	struct metric *mt = new_metric("notify_latency", "us", false, "mq_notify");
	struct child c[N_NMETH];
	bool have[N_NMETH] = { false };
	int events = opt_quick ? 20 : 100;
	struct notify_arg a;
	char name[32];
	mqd_t q;

	snprintf(name, sizeof(name), "/iucb-notify-%d", getpid());
	mq_unlink(name);
	{
		struct mq_attr at = { .mq_maxmsg = 8, .mq_msgsize = 64 };

		q = mq_open(name, O_CREAT | O_WRONLY, 0600, &at);
		if (q == (mqd_t)-1)
			die("mq_open notify");
	}
	for (int m = 0; m < N_NMETH; m++) {
		if (m == N_IUC && opt_no_iuc)
			continue;
		memset(&a, 0, sizeof(a));
		a.method = m;
		snprintf(a.mq, sizeof(a.mq), "%s", name);
		c[m] = spawn(notify_child, &a);
		recv_u64(c[m].ctl);
		have[m] = true;
	}
	/* one warm-up round, then the repetitions */
	for (int rep = -1; rep < opt_reps; rep++) {
		for (int m = 0; m < N_NMETH; m++) {
			double lat[256];
			int n = rep < 0 ? 5 : events;

			if (!have[m])
				continue;
			for (int i = 0; i < n; i++) {
				uint64_t t0, t1, id = 0;
				struct timespec ts = { 0, 2000000 };	/* 2 ms */
				char payload[64] = { 0 };

				send_u64(c[m].ctl, 1);
				recv_u64(c[m].ctl);		/* armed */
				nanosleep(&ts, NULL);		/* let it block */
				t0 = now_ns();
				if (m == N_IUC) {
					int r = iuc_open_pipe(iuc_fd, c[m].pid,
							      IUC_PIPE_TYPE_CALLER_SENDS,
							      IUC_PIPE_MODE_RAW, IUC_PIPE_UNIT,
							      IUC_NOTIFY, &id, NULL);
					if (r)
						die("OPEN_PIPE notify %d", r);
				} else if (mq_send(q, payload, sizeof(payload), 0)) {
					die("mq_send");
				}
				t1 = recv_u64(c[m].ctl);
				if (m == N_IUC)
					iuc_close_pipe(iuc_fd, id);
				lat[i] = (double)(t1 - t0) / 1e3;
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
		if (have[m])
			reap(&c[m]);
	mq_close(q);
	mq_unlink(name);
}

/* ==== 4. memory hand-off ================================================= */

enum { H_PIPE, H_MEMFD, H_EXCL, H_MUTUAL, H_EXCL_NOTHP, H_MUTUAL_NOTHP, H_NMETH };

struct handoff_arg {
	int	method;
	int	fd;		/* pipe read end / unix socket */
	size_t	size;
};

/* Child: answers each "go" with "ready", receives, touches, reports. */
static void handoff_child(int ctl, void *p)
{
	struct handoff_arg *a = p;
	unsigned char *rbuf = NULL;
	bool iuc = a->method >= H_EXCL;
	int fd = -1;

	if (a->method == H_PIPE) {
		rbuf = map_anon(a->size, false);
		memset(rbuf, 0, a->size);	/* a receive buffer in use */
	}
	if (iuc) {
		fd = iuc_dev_open();
		if (fd < 0 || iuc_handle(fd, IUC_SIG_RECV_SHARED_MEM, 0) ||
		    iuc_ready(fd))
			die("handoff child setup");
	}
	send_u64(ctl, 1);
	for (;;) {
		uint64_t expect = recv_u64(ctl), t_got, t1, sum;
		const unsigned char *data = NULL;
		struct iuc_signal rec;
		uint64_t seg = 0;
		int mfd = -1;

		if (!expect)
			break;
		send_u64(ctl, 1);		/* ready */
		if (a->method == H_PIPE) {
			size_t got = 0;

			while (got < a->size) {
				ssize_t r = read(a->fd, rbuf + got, a->size - got);

				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					die("handoff pipe read");
				got += (size_t)r;
			}
			data = rbuf;
		} else if (a->method == H_MEMFD) {
			char cbuf[CMSG_SPACE(sizeof(int))];
			char b;
			struct iovec iov = { &b, 1 };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
					     .msg_control = cbuf,
					     .msg_controllen = sizeof(cbuf) };
			struct cmsghdr *cm;

			if (recvmsg(a->fd, &mh, MSG_CMSG_CLOEXEC) != 1)
				die("recvmsg");
			cm = CMSG_FIRSTHDR(&mh);
			if (!cm || cm->cmsg_type != SCM_RIGHTS)
				die("no SCM_RIGHTS");
			memcpy(&mfd, CMSG_DATA(cm), sizeof(int));
			data = mmap(NULL, a->size, PROT_READ, MAP_SHARED, mfd, 0);
			if (data == MAP_FAILED)
				die("mmap memfd");
		} else {
			ssize_t r;

			do
				r = read(fd, &rec, sizeof(rec));
			while (r < 0 && errno == EINTR);
			if (r != sizeof(rec) || rec.code != IUC_SIG_RECV_SHARED_MEM ||
			    !rec.data.recv_shared_mem.start)
				die("RECV_SHARED_MEM record (r=%zd start=%llx)", r,
				    (unsigned long long)rec.data.recv_shared_mem.start);
			data = (const unsigned char *)(uintptr_t)rec.data.recv_shared_mem.start;
			seg = rec.object;
		}
		t_got = now_ns();
		sum = touch_pages(data, a->size);
		t1 = now_ns();
		if (data[0] != (unsigned char)expect ||
		    data[a->size - 1] != (unsigned char)expect)
			die("handoff data mismatch (%u, want %u)", data[0],
			    (unsigned)(unsigned char)expect);
		(void)sum;
		if (a->method == H_MEMFD) {
			munmap((void *)data, a->size);
			close(mfd);
		} else if (iuc && iuc_mem_unmap(fd, seg)) {
			die("MEM_UNMAP");
		}
		send_u64(ctl, t_got);
		send_u64(ctl, t1);
	}
}

struct handoff_set {
	struct child	c[H_NMETH];
	bool		have[H_NMETH];
	int		wfd[H_NMETH];
	size_t		size;
};

static void handoff_setup(struct handoff_set *s, size_t size, const bool *want)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
	for (int m = 0; m < H_NMETH; m++) {
		struct handoff_arg a = { .method = m, .fd = -1, .size = size };
		int fds[2];

		s->wfd[m] = -1;
		if (!want[m] || (m >= H_EXCL && opt_no_iuc))
			continue;
		if (m == H_PIPE) {
			if (pipe2(fds, O_CLOEXEC))
				die("pipe");
			if (fcntl(fds[1], F_SETPIPE_SZ, (int)MiB) < 0)
				die("F_SETPIPE_SZ");
			a.fd = fds[0];
			s->wfd[m] = fds[1];
		} else if (m == H_MEMFD) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
				die("socketpair");
			a.fd = fds[0];
			s->wfd[m] = fds[1];
		}
		s->c[m] = spawn(handoff_child, &a);
		if (a.fd >= 0)
			close(a.fd);
		recv_u64(s->c[m].ctl);
		s->have[m] = true;
	}
}

static void handoff_teardown(struct handoff_set *s)
{
	for (int m = 0; m < H_NMETH; m++) {
		if (!s->have[m])
			continue;
		reap(&s->c[m]);
		if (s->wfd[m] >= 0)
			close(s->wfd[m]);
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
	struct handoff_res res;
	uint64_t t0, t_sent, t_got, t1, seg;
	unsigned char *buf;
	int mfd = -1, r;

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

	send_u64(s->c[m].ctl, fill);
	recv_u64(s->c[m].ctl);			/* ready */
	nanosleep(&ts, NULL);

	t0 = now_ns();
	switch (m) {
	case H_PIPE:
		for (size_t done = 0; done < s->size;) {
			ssize_t w = write(s->wfd[m], buf + done, s->size - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				die("handoff pipe write");
			done += (size_t)w;
		}
		break;
	case H_MEMFD: {
		char cbuf[CMSG_SPACE(sizeof(int))];
		char b = 0;
		struct iovec iov = { &b, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		memset(cbuf, 0, sizeof(cbuf));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &mfd, sizeof(int));
		if (sendmsg(s->wfd[m], &mh, 0) != 1)
			die("sendmsg");
		break;
	}
	case H_EXCL:
	case H_EXCL_NOTHP:
		r = iuc_share(iuc_fd, s->c[m].pid, buf, s->size,
			      IUC_SHARE_EXCLUSIVE, 0, &seg);
		if (r)
			die("SHARE_MEM exclusive %d", r);
		break;
	case H_MUTUAL:
	case H_MUTUAL_NOTHP:
		r = iuc_share(iuc_fd, s->c[m].pid, buf, s->size,
			      IUC_SHARE_MUTUAL, IUC_ACCESS_READ, &seg);
		if (r)
			die("SHARE_MEM mutual %d", r);
		break;
	}
	t_sent = now_ns();
	t_got = recv_u64(s->c[m].ctl);
	t1 = recv_u64(s->c[m].ctl);

	/* Clean-up, outside the timing. */
	munmap(buf, s->size);			/* exclusive: gone already, harmless */
	if (mfd >= 0)
		close(mfd);
	res.us = (double)(t1 - t0) / 1e3;
	res.send_us = (double)(t_sent - t0) / 1e3;
	res.got_us = (double)(t_got - t0) / 1e3;
	return res;
}

static const char *const h_names[] = { "pipe_copy", "memfd", "iuc_exclusive",
				       "iuc_mutual", "iuc_exclusive_nothp",
				       "iuc_mutual_nothp" };
static char opt_handoff_sizes[256];	/* e.g. "4k,64m"; empty: the whole sweep */
static char opt_handoff_methods[256];	/* names of h_names; empty: all */

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

static void bench_handoff(void)
{
	static const size_t sweep[] = { 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB,
					1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB,
					256 * MiB };
	bool want[H_NMETH];

	for (int m = 0; m < H_NMETH; m++)
		want[m] = !opt_handoff_methods[0] || listed(opt_handoff_methods, h_names[m]);

	for (size_t i = 0; i < sizeof(sweep) / sizeof(sweep[0]); i++) {
		size_t size = sweep[i];
		bool is64 = size == 64 * MiB;
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

				if (!s.have[m])
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
		handoff_teardown(&s);

		/* exclusive and mutual, each against the pipe copy; memfd as a further peer */
		for (int k = 0; k < 2; k++) {
			int im = k ? H_MUTUAL : H_EXCL;
			int in = k ? H_MUTUAL_NOTHP : H_EXCL_NOTHP;
			struct metric *m;

			if (!s.have[im] && !s.have[in] &&
			    (k || (!s.have[H_PIPE] && !s.have[H_MEMFD])))
				continue;	/* peers only: reported once */
			snprintf(name, sizeof(name), "handoff_%s_%s%s",
				 k ? "mutual" : "exclusive", is64 ? "" : "sweep_", sz);
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
	}
}

/* ==== 5. idle pipe memory ================================================ */

#define MAXCACHES	512

struct kmem {
	double	slab_obj;	/* sum of active_objs * objsize, /proc/slabinfo */
	int	ncache;		/* per cache, for the breakdown */
	char	cname[MAXCACHES][64];
	double	cbytes[MAXCACHES];
	double	slab;		/* /proc/meminfo Slab */
	double	vmalloc, kstack, ptables, percpu;
	double	memcg_kernel;	/* memory.stat "kernel" of our cgroup, or -1 */
};

static double meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtod(p + strlen(key), NULL) * 1024.0 : 0;
}

static size_t slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t r;

	if (fd < 0)
		return 0;
	while (got + 1 < len && (r = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = 0;
	close(fd);
	return got;
}

static char cg_dir[128];

static void kmem_snapshot(struct kmem *kp)
{
	static char buf[1 << 18];
	char *line, *save;

	memset(kp, 0, sizeof(*kp));
	kp->memcg_kernel = -1;
	if (slurp("/proc/slabinfo", buf, sizeof(buf))) {
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char name[64];
			unsigned long active, num, objsize;

			if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
				continue;
			if (sscanf(line, "%63s %lu %lu %lu", name, &active, &num,
				   &objsize) == 4) {
				kp->slab_obj += (double)active * (double)objsize;
				if (kp->ncache < MAXCACHES) {
					snprintf(kp->cname[kp->ncache], sizeof(kp->cname[0]), "%s", name);
					kp->cbytes[kp->ncache++] = (double)active * (double)objsize;
				}
			}
		}
	}
	if (slurp("/proc/meminfo", buf, sizeof(buf))) {
		kp->slab = meminfo_kb(buf, "\nSlab:");
		kp->vmalloc = meminfo_kb(buf, "\nVmallocUsed:");
		kp->kstack = meminfo_kb(buf, "\nKernelStack:");
		kp->ptables = meminfo_kb(buf, "\nPageTables:");
		kp->percpu = meminfo_kb(buf, "\nPercpu:");
	}
	if (cg_dir[0]) {
		char path[192];

		snprintf(path, sizeof(path), "%s/memory.stat", cg_dir);
		if (slurp(path, buf, sizeof(buf))) {
			char *p = strstr(buf, "\nkernel ");

			if (p)
				kp->memcg_kernel = strtod(p + 8, NULL);
			else if (!strncmp(buf, "kernel ", 7))
				kp->memcg_kernel = strtod(buf + 7, NULL);
		}
	}
}

/* Append to @m the slab caches that grew by >= 8 bytes per pipe. */
static void slab_breakdown(struct metric *m, const char *key,
			   const struct kmem *a, const struct kmem *b, double per)
{
	bool first = true;

	extra(m, ", \"%s\": {", key);
	for (int i = 0; i < b->ncache; i++) {
		double before = 0, d;

		for (int j = 0; j < a->ncache; j++)
			if (!strcmp(a->cname[j], b->cname[i])) {
				before = a->cbytes[j];
				break;
			}
		d = (b->cbytes[i] - before) / per;
		if (d >= 8 || d <= -8) {
			extra(m, "%s\"%s\": %.0f", first ? "" : ", ", b->cname[i], d);
			first = false;
		}
	}
	extra(m, "}");
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = write(fd, val, strlen(val));
	close(fd);
	return r == (ssize_t)strlen(val) ? 0 : -1;
}

/* A cgroup v2 of our own (memory controller on), so memory.stat is ours. */
static void cgroup_setup(void)
{
	char pid[32];

	mkdir("/sys/fs/cgroup", 0755);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) &&
	    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL))
		return;
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	snprintf(cg_dir, sizeof(cg_dir), "/sys/fs/cgroup/iucbench");
	mkdir(cg_dir, 0755);
	{
		char path[192];

		snprintf(path, sizeof(path), "%s/cgroup.procs", cg_dir);
		snprintf(pid, sizeof(pid), "%d", getpid());
		if (write_file(path, pid)) {
			cg_dir[0] = 0;
			return;
		}
		snprintf(path, sizeof(path), "%s/memory.stat", cg_dir);
		if (access(path, R_OK))
			cg_dir[0] = 0;
	}
}

enum { I_IUC, I_PIPE, I_NMETH };

struct idle_arg {
	int	method;
	pid_t	target;		/* IUC: the process the pipes go to */
};

static void idle_target(int ctl, void *p)
{
	int fd = iuc_dev_open();

	(void)p;
	send_u64(ctl, fd >= 0);
	while (recv_u64(ctl))
		;
}

static void idle_opener(int ctl, void *p)
{
	struct idle_arg *a = p;
	int fd = -1;

	if (a->method == I_IUC)
		fd = iuc_dev_open();
	send_u64(ctl, a->method != I_IUC || fd >= 0);
	for (;;) {
		uint64_t n = recv_u64(ctl);

		if (!n)
			break;
		for (uint64_t i = 0; i < n; i++) {
			if (a->method == I_IUC) {
				int r = iuc_open_pipe(fd, a->target,
						      IUC_PIPE_TYPE_CALLER_SENDS,
						      IUC_PIPE_MODE_RAW, IUC_PIPE_UNIT,
						      IUC_NOTIFY_SKIP, NULL, NULL);
				if (r)
					die("idle OPEN_PIPE #%" PRIu64 ": %d", i, r);
			} else {
				int fds[2];

				if (pipe(fds))
					die("idle pipe #%" PRIu64, i);
			}
		}
		send_u64(ctl, 1);
	}
}

static void settle(void)
{
	struct timespec ts = { 0, 300000000 };	/* 300 ms */

	sync();
	nanosleep(&ts, NULL);
}

static void bench_idle(void)
{
	const uint64_t per = 10000;
	struct metric *mt = new_metric("idle_pipe_bytes", "bytes", false, "linux_pipe");
	struct series slab_pages[I_NMETH], memcg[I_NMETH];
	struct child target = { -1, -1 }, op[I_NMETH];
	char oldmax[32] = "", val[32];
	struct rlimit rl;
	bool have[I_NMETH] = { false };

	memset(slab_pages, 0, sizeof(slab_pages));
	memset(memcg, 0, sizeof(memcg));
	cgroup_setup();
	/* room for every repetition's pipes, which stay open */
	rl.rlim_cur = rl.rlim_max = (rlim_t)(2 * per * (uint64_t)(opt_reps + 1) + 256);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		msg("setrlimit NOFILE: %s", strerror(errno));
	if (!opt_no_iuc) {
		slurp("/sys/module/iuc/parameters/max_pipes_per_process", oldmax, sizeof(oldmax));
		snprintf(val, sizeof(val), "%" PRIu64, per * (uint64_t)(opt_reps + 1) + 256);
		if (write_file("/sys/module/iuc/parameters/max_pipes_per_process", val))
			msg("cannot raise max_pipes_per_process");
		target = spawn(idle_target, NULL);
		if (!recv_u64(target.ctl))
			die("idle target cannot open /dev/iuc");
	}
	for (int m = 0; m < I_NMETH; m++) {
		struct idle_arg a = { .method = m, .target = target.pid };

		if (m == I_IUC && opt_no_iuc)
			continue;
		op[m] = spawn(idle_opener, &a);
		if (!recv_u64(op[m].ctl))
			die("idle opener setup");
		have[m] = true;
	}
	for (int rep = 0; rep < opt_reps; rep++)
		for (int m = 0; m < I_NMETH; m++) {
			static struct kmem a, b;
			double bytes;

			if (!have[m])
				continue;
			settle();
			kmem_snapshot(&a);
			send_u64(op[m].ctl, per);
			recv_u64(op[m].ctl);
			kmem_snapshot(&b);
			if (rep == 0)
				slab_breakdown(mt, m == I_IUC ? "slab_bytes_per_pipe_iuc" :
					       "slab_bytes_per_pipe_linux", &a, &b, (double)per);
			bytes = (b.slab_obj - a.slab_obj) + (b.vmalloc - a.vmalloc) +
				(b.kstack - a.kstack) + (b.ptables - a.ptables) +
				(b.percpu - a.percpu);
			add(m == I_IUC ? &mt->iuc : &mt->peer, bytes / (double)per);
			add(&slab_pages[m], (b.slab - a.slab + b.vmalloc - a.vmalloc) / (double)per);
			if (a.memcg_kernel >= 0)
				add(&memcg[m], (b.memcg_kernel - a.memcg_kernel) / (double)per);
		}
	if (have[I_IUC]) {
		*peer_series(mt, "iuc_by_meminfo_slab_pages") = slab_pages[I_IUC];
		if (memcg[I_IUC].n)
			*peer_series(mt, "iuc_by_memcg_kernel") = memcg[I_IUC];
	}
	*peer_series(mt, "linux_pipe_by_meminfo_slab_pages") = slab_pages[I_PIPE];
	if (memcg[I_PIPE].n)
		*peer_series(mt, "linux_pipe_by_memcg_kernel") = memcg[I_PIPE];
	snprintf(mt->note, sizeof(mt->note),
		 "primary: delta of sum(active_objs*objsize) of /proc/slabinfo + VmallocUsed + KernelStack + PageTables + Percpu, per pipe; pipes stay open, %d batches of %" PRIu64,
		 opt_reps, per);
	extra(mt, ", \"pipes_per_rep\": %" PRIu64, per);
	report(mt);
	for (int m = 0; m < I_NMETH; m++)
		if (have[m])
			reap(&op[m]);
	if (target.pid > 0)
		reap(&target);
	if (oldmax[0])
		write_file("/sys/module/iuc/parameters/max_pipes_per_process", oldmax);
}

/* ==== main ================================================================ */

static void print_meta(void)
{
	char buf[512], cs[64] = "?", thp[128] = "?";
	struct utsname u;

	uname(&u);
	if (slurp("/sys/devices/system/clocksource/clocksource0/current_clocksource", cs, sizeof(cs)))
		cs[strcspn(cs, "\n")] = 0;
	if (slurp("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof(thp)))
		thp[strcspn(thp, "\n")] = 0;
	snprintf(buf, sizeof(buf),
		 "{\"kernel\": \"%s\", \"cpus\": %d, \"reps\": %d, \"rep_seconds\": %.2f, \"pin\": \"%s\", \"clocksource\": \"%s\", \"thp\": \"%s\", \"quick\": %s, \"seconds\": %.1f}",
		 u.release, ncpus, opt_reps, opt_rep_seconds, pin_names[opt_pin],
		 cs, thp, opt_quick ? "true" : "false", elapsed_s());
	printf("IUC-BENCH-META-BEGIN\n%s\nIUC-BENCH-META-END\n", buf);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: iuc-bench [--quick] [--reps N] [--rep-seconds S] [--budget S]\n"
		"                 [--only stream,rtt,notify,handoff,idle] [--no-iuc] [--no-pin]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	t_start = now_ns();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			opt_quick = true;
		} else if (!strcmp(argv[i], "--no-iuc")) {
			opt_no_iuc = true;
		} else if (!strcmp(argv[i], "--pin") && i + 1 < argc) {
			i++;
			for (opt_pin = 0; opt_pin <= PIN_NONE; opt_pin++)
				if (!strcmp(argv[i], pin_names[opt_pin]))
					break;
			if (opt_pin > PIN_NONE)
				usage();
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			opt_reps = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--rep-seconds") && i + 1 < argc) {
			opt_rep_seconds = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--budget") && i + 1 < argc) {
			opt_budget = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--handoff-sizes") && i + 1 < argc) {
			snprintf(opt_handoff_sizes, sizeof(opt_handoff_sizes), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--handoff-methods") && i + 1 < argc) {
			snprintf(opt_handoff_methods, sizeof(opt_handoff_methods), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--metrics") && i + 1 < argc) {
			snprintf(opt_metrics, sizeof(opt_metrics), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			snprintf(opt_only, sizeof(opt_only), "%s", argv[++i]);
		} else {
			usage();
		}
	}
	if (opt_reps < 1 || opt_reps > MAXREP)
		usage();
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	if (!opt_no_iuc) {
		iuc_fd = iuc_dev_open();
		if (iuc_fd < 0)
			die("open /dev/iuc (module not loaded? use --no-iuc)");
	}
	pin_cpu(false);
	msg("start: %d cpus, %d reps, %.2fs per rep%s", ncpus, opt_reps,
	    opt_rep_seconds, opt_quick ? ", quick" : "");

	/* Order: cheap and precise first, the memory-hungry hand-off last. */
	if (section("idle"))
		bench_idle();
	if (section("rtt"))
		bench_rtt();
	if (section("notify"))
		bench_notify();
	if (section("stream"))
		bench_stream();
	if (section("handoff"))
		bench_handoff();

	print_meta();
	printf("IUC-BENCH-JSON-BEGIN\n");
	print_json(stdout);
	printf("IUC-BENCH-JSON-END\n");
	fflush(stdout);
	msg("done");
	return 0;
}
