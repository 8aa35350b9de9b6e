// SPDX-License-Identifier: GPL-2.0
/*
 * iuc-bench, the common part: see bench.h.
 *
 * Runs inside the QEMU guest of tools/vm (as root, static, busybox only)
 * and prints one JSON object between the lines
 *     IUC-BENCH-JSON-BEGIN / IUC-BENCH-JSON-END
 * plus a small metadata object between IUC-BENCH-META-BEGIN/END.
 * Progress goes to stderr.  tools/bench/bench.sh drives it; see
 * docs/bench/README.md for what each metric measures and how.
 *
 * Every figure is the median of --reps repetitions (default 7), with min
 * and max; the methods of one metric are run interleaved (rep 1 of every
 * method, then rep 2, ...), so that slow phases of the emulator hit all
 * of them alike.  Only ratios between methods of one run mean anything:
 * the guest runs under TCG, about 10x slower than hardware.
 *
 * Every process that uses IUC opens /dev/iuc itself (a context belongs to
 * one process): the helpers are peers (selftests/lib/peer.h) that open
 * their own.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "memory.h"
#include "race.h"

#include "bench.h"

#define MAXMETRICS	96

/* ---- options ------------------------------------------------------------ */

int opt_reps = 7;
double opt_rep_seconds = 0.3;
bool opt_quick;
bool opt_no_iuc;
int iuc_fd = -1;

static int opt_pin = PIN_SAME;
static const char *const pin_names[] = { "same", "split", "none" };
static double opt_budget = 540;		/* seconds; heavy parts are skipped past it */
static char opt_only[256] = "stream,rtt,uring,notify,service,handoff,idle";
static char opt_metrics[256];		/* comma-separated substrings; empty: all */
static int ncpus = 1;

static uint64_t t_start;

/* ---- timing, progress, small helpers ------------------------------------ */

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double elapsed_s(void)
{
	return (now_ns() - t_start) / 1e9;
}

/* One line to stderr: @head, the message, @tail. */
static void say(const char *head, const char *fmt, va_list ap, const char *tail)
{
	fputs(head, stderr);
	vfprintf(stderr, fmt, ap);
	fputs(tail, stderr);
}

void msg(const char *fmt, ...)
{
	char head[32];
	va_list ap;

	snprintf(head, sizeof(head), "[bench %6.1fs] ", elapsed_s());
	va_start(ap, fmt);
	say(head, fmt, ap, "\n");
	va_end(ap);
}

void die(const char *fmt, ...)
{
	char head[48], tail[96];
	va_list ap;

	snprintf(tail, sizeof(tail), " (errno %d %s)\n", errno, strerror(errno));
	snprintf(head, sizeof(head), "iuc-bench: FATAL (pid %d): ", getpid());
	va_start(ap, fmt);
	say(head, fmt, ap, tail);
	va_end(ap);
	_exit(3);
}

/* The vCPU of the benchmark (@helper false) or of a helper, -1: any. */
static int pin_target(bool helper)
{
	if (opt_pin == PIN_NONE || ncpus < 2)
		return -1;
	return helper && opt_pin == PIN_SPLIT ? 1 : 0;
}

int bench_pin(void)
{
	return opt_pin;
}

const char *pin_name(int pin)
{
	return pin_names[pin];
}

bool bench_set_pin(int pin)
{
	cpu_set_t all;

	if (pin == PIN_SPLIT && ncpus < 2)
		return false;
	opt_pin = pin;
	if (pin_target(false) >= 0) {
		race_pin_cpu(pin_target(false));
	} else {
		CPU_ZERO(&all);
		for (int c = 0; c < ncpus && c < CPU_SETSIZE; c++)
			CPU_SET(c, &all);
		sched_setaffinity(0, sizeof(all), &all);
	}
	return true;
}

bool over_budget(void)
{
	return elapsed_s() > opt_budget;
}

bool wanted(const char *name)
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

const char *size_name(uint64_t v, char *buf, int len)
{
	if (v >= MiB && v % MiB == 0)
		snprintf(buf, (size_t)len, "%um", (unsigned)(v / MiB));
	else if (v >= KiB && v % KiB == 0)
		snprintf(buf, (size_t)len, "%uk", (unsigned)(v / KiB));
	else
		snprintf(buf, (size_t)len, "%u", (unsigned)v);
	return buf;
}

size_t slurp(const char *path, char *buf, size_t len)
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

void *map_anon(size_t len, bool nothp)
{
	void *p = shm_anon(len);

	if (!p)
		die("mmap %zu", len);
	if (nothp)
		madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

void read_exact(int fd, void *buf, size_t len, const char *what)
{
	for (size_t got = 0; got < len;) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("%s", what);
		got += (size_t)r;
	}
}

uint64_t open_pipe(int fd, pid_t to, uint8_t type, uint8_t mode, uint64_t cap,
		   uint8_t notify, uint64_t *peer_id)
{
	struct iuc_open_pipe a = iuc_pipe_args(to, 0);
	int r;

	a.type = type;
	a.mode = mode;
	a.multiplier = (uint8_t)(cap / IUC_PIPE_UNIT);
	a.notify = notify;
	r = iuc_open_pipe(fd, &a);
	if (r)
		die("OPEN_PIPE to %d: %d", to, r);
	if (peer_id)
		*peer_id = a.peer_id;
	return a.id;
}

/* ---- statistics ------------------------------------------------------------ */

void add(struct series *s, double v)
{
	if (s->n < MAXREP)
		s->v[s->n++] = v;
}

int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(const struct series *s)
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

/* ---- metrics and their JSON ---------------------------------------------------- */

static struct metric metrics[MAXMETRICS];
static int nmetrics;

struct metric *new_metric(const char *name, const char *unit,
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

struct series *peer_series(struct metric *m, const char *name)
{
	for (int i = 0; i < m->npeers; i++)
		if (!strcmp(m->pname[i], name))
			return &m->ps[i];
	if (m->npeers >= MAXPEERS)
		die("too many peers");
	snprintf(m->pname[m->npeers], sizeof(m->pname[0]), "%s", name);
	return &m->ps[m->npeers++];
}

struct series *method_series(struct metric *m, int i, const char *const *names)
{
	return i == 0 ? &m->iuc : i == 1 ? &m->peer : peer_series(m, names[i]);
}

struct metric *metric_from(const char *name, const struct metric *from,
			   const struct series *iuc, const char *peer_name,
			   const struct series *peer)
{
	struct metric *m = new_metric(name, from->unit, from->higher_better, peer_name);

	m->iuc = *iuc;
	m->peer = *peer;
	snprintf(m->extra, sizeof(m->extra), "%s", from->extra);
	return m;
}

void extra(struct metric *m, const char *fmt, ...)
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

void report(const struct metric *m)
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

/* ---- helper processes -------------------------------------------------------- */

/* In a helper: the fds helper_start() handed to it (each helper is a process). */
static int helper_fds[2] = { -1, -1 };

struct helper_init {
	int	sock;		/* the helper's end of the socket the fds come over */
	int	nfds;
	int	cpu;		/* pin_target(true) */
};

/* The first function a helper runs: pin it, take its fds. */
static int helper_init(int iuc, void *data)
{
	struct helper_init *in = data;

	(void)iuc;
	if (in->cpu >= 0)
		race_pin_cpu(in->cpu);
	for (int i = 0; i < in->nfds; i++) {
		helper_fds[i] = recv_fd(in->sock, TIMEOUT_MS);
		if (helper_fds[i] < 0)
			return helper_fds[i];
	}
	if (in->sock >= 0)
		close(in->sock);
	return 0;
}

int helper_fd(int i)
{
	return helper_fds[i];
}

void helper_start(struct helper *h, const int *fds, int nfds)
{
	struct helper_init in = { .sock = -1, .nfds = nfds, .cpu = pin_target(true) };
	struct peer_opts o = { 0 };
	int sv[2] = { -1, -1 };

	if (nfds > (int)ARRAY_SIZE(helper_fds))
		die("%d fds for a helper", nfds);
	if (nfds && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	in.sock = o.sock = sv[1];
	memset(h, 0, sizeof(*h));
	if (peer_start(&h->p, nfds ? &o : NULL))
		die("cannot start a helper");
	h->started = true;
	for (int i = 0; i < nfds; i++) {
		if (send_fd(sv[0], fds[i]))
			die("send_fd");
		close(fds[i]);
	}
	if (helper_run(h, helper_init, &in, sizeof(in)))
		die("helper %d: set-up", h->p.pid);
	if (nfds) {
		close(sv[0]);
		close(sv[1]);
	}
}

void helper_open_iuc(struct helper *h, unsigned int code, uint32_t rt)
{
	if (peer_open_dev(&h->p))
		die("helper %d cannot open /dev/iuc", h->p.pid);
	if (code && (peer_handle(&h->p, code, rt, NULL) || peer_ready(&h->p, NULL)))
		die("helper %d: HANDLE_SIGNAL %u / READY", h->p.pid, code);
}

void helper_go(struct helper *h, peer_fn fn, const void *data, size_t len)
{
	if (peer_run_send(&h->p, fn, data, len))
		die("helper %d: command not sent", h->p.pid);
}

int helper_collect(struct helper *h, void *data, size_t len)
{
	int ret = peer_run_wait(&h->p, data, len, LONG_MS);

	if (ret == PEER_BROKEN)
		die("helper %d gone", h->p.pid);
	return ret;
}

int helper_run(struct helper *h, peer_fn fn, void *data, size_t len)
{
	helper_go(h, fn, data, len);
	return helper_collect(h, data, len);
}

void helper_stop(struct helper *h)
{
	pid_t pid = h->p.pid;
	int st;

	if (!h->started)
		return;
	h->started = false;
	st = peer_stop(&h->p);
	if (st)
		msg("warning: helper %d ended with status 0x%x", pid, st);
}

void method_start(struct method *m, const int *give, int ngive, int wfd, int rfd)
{
	helper_start(&m->h, give, ngive);
	m->wfd = wfd;
	m->rfd = rfd;
}

void method_stop(struct method *m)
{
	if (!m->h.started)
		return;
	helper_stop(&m->h);
	if (m->rfd >= 0)
		close(m->rfd);
	if (m->wfd >= 0 && m->wfd != m->rfd)
		close(m->wfd);
}

/* ---- the runner ---------------------------------------------------------------- */

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

static void __attribute__((noreturn))
usage(const struct bench *const *benches, size_t n)
{
	fprintf(stderr,
		"usage: iuc-bench [--quick] [--reps N] [--rep-seconds S] [--budget S]\n"
		"                 [--only SECTIONS] [--metrics SUBSTRINGS] [--no-iuc]\n"
		"                 [--pin same|split|none]");
	for (size_t b = 0; b < n; b++)
		for (const struct bench_option *o = benches[b]->options; o && o->name; o++)
			fprintf(stderr, " [--%s LIST]", o->name);
	fprintf(stderr, "\nsections (default all, in this order):");
	for (size_t b = 0; b < n; b++)
		if (!b || strcmp(benches[b]->section, benches[b - 1]->section))
			fprintf(stderr, " %s", benches[b]->section);
	fputc('\n', stderr);
	exit(2);
}

/* A benchmark's own option @arg (with its value at @val): true if taken. */
static bool bench_option(const struct bench *const *benches, size_t n,
			 const char *arg, const char *val)
{
	for (size_t b = 0; b < n; b++)
		for (const struct bench_option *o = benches[b]->options; o && o->name; o++)
			if (!strncmp(arg, "--", 2) && !strcmp(arg + 2, o->name) && val) {
				snprintf(o->value, o->size, "%s", val);
				return true;
			}
	return false;
}

int bench_main(int argc, char **argv, const struct bench *const *benches, size_t n)
{
	t_start = now_ns();
	for (int i = 1; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--quick")) {
			opt_quick = true;
		} else if (!strcmp(argv[i], "--no-iuc")) {
			opt_no_iuc = true;
		} else if (!strcmp(argv[i], "--pin") && val) {
			i++;
			for (opt_pin = 0; opt_pin <= PIN_NONE; opt_pin++)
				if (!strcmp(val, pin_names[opt_pin]))
					break;
			if (opt_pin > PIN_NONE)
				usage(benches, n);
		} else if (!strcmp(argv[i], "--reps") && val) {
			opt_reps = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--rep-seconds") && val) {
			opt_rep_seconds = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--budget") && val) {
			opt_budget = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--metrics") && val) {
			snprintf(opt_metrics, sizeof(opt_metrics), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--only") && val) {
			snprintf(opt_only, sizeof(opt_only), "%s", argv[++i]);
		} else if (bench_option(benches, n, argv[i], val)) {
			i++;
		} else {
			usage(benches, n);
		}
	}
	if (opt_reps < 1 || opt_reps > MAXREP)
		usage(benches, n);
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	if (!opt_no_iuc) {
		iuc_fd = iuc_open();
		if (iuc_fd < 0)
			die("open /dev/iuc (module not loaded? use --no-iuc)");
	}
	if (pin_target(false) >= 0)
		race_pin_cpu(pin_target(false));
	msg("start: %d cpus, %d reps, %.2fs per rep%s", ncpus, opt_reps,
	    opt_rep_seconds, opt_quick ? ", quick" : "");

	for (size_t b = 0; b < n; b++)
		if (strstr(opt_only, benches[b]->section))
			benches[b]->run();

	print_meta();
	printf("IUC-BENCH-JSON-BEGIN\n");
	print_json(stdout);
	printf("IUC-BENCH-JSON-END\n");
	fflush(stdout);
	msg("done");
	return 0;
}
