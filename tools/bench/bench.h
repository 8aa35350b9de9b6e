/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iuc-bench, the common part (bench.c): timing, statistics, the metrics and
 * their JSON, CPU pinning, the helper processes and the runner.  Each
 * benchmark is a file of its own (bench-*.c) that defines one struct bench;
 * iuc_bench.c lists them in the order they run, as perf's builtin-bench.c
 * lists its collections.
 *
 * A benchmark measures IUC and the Linux mechanisms that do the same job
 * ("methods") in one run: it records one figure per method and repetition
 * into a metric (new_metric(): the IUC series, the first Linux peer's and
 * further named peers'), and report() prints the metric's medians.
 *
 * Helpers are the other processes of a benchmark: peers of the selftests'
 * library (selftests/lib/peer.h), forked from this program, so that they
 * run its functions (helper_run(), helper_go()).  Only the coordination
 * goes through the peer's command pipe: "here is your part of a
 * repetition" before the benchmark starts its clock, the helper's figures
 * after.  The loops that are timed only make the calls they measure.
 */
#ifndef IUC_BENCH_H
#define IUC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/iuc.h>

#include "calls.h"
#include "peer.h"
#include "util.h"

#define KiB		((uint64_t)1024)
#define MiB		((uint64_t)1024 * 1024)
#define MAXREP		32
#define MAXPEERS	4

/* ---- options and run state ------------------------------------------------ */

extern int opt_reps;
extern double opt_rep_seconds;	/* target length of one stream/RTT rep */
extern bool opt_quick;
extern bool opt_no_iuc;
/* The benchmark's own context of /dev/iuc (-1 with --no-iuc). */
extern int iuc_fd;

/*
 * Where the two processes of a test run (--pin): both on vCPU 0, split
 * over vCPUs 0 and 1, or wherever the scheduler puts them.
 */
enum { PIN_SAME, PIN_SPLIT, PIN_NONE };
int bench_pin(void);
const char *pin_name(int pin);
/*
 * Change the placement for what follows (the benchmark process at once,
 * helpers as they start): false, and nothing changes, if the guest has
 * one vCPU and @pin is PIN_SPLIT.
 */
bool bench_set_pin(int pin);

/* ---- timing, progress, small helpers ----------------------------------------- */

uint64_t now_ns(void);
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
/* Is a metric of this name wanted (--metrics)? */
bool wanted(const char *name);
/* Past the time budget (--budget): heavy parts are skipped. */
bool over_budget(void);
/* "64", "4k", "1m": the name of a size in metric names. */
const char *size_name(uint64_t v, char *buf, int len);
/* Up to @len - 1 bytes of the file at @path, NUL-terminated: the count. */
size_t slurp(const char *path, char *buf, size_t len);
/* Private anonymous memory (MADV_NOHUGEPAGE if @nothp); dies on failure. */
void *map_anon(size_t len, bool nothp);
/* read(2) until @len bytes are in, no poll (a timed receiver); dies on failure. */
void read_exact(int fd, void *buf, size_t len, const char *what);
/* OPEN_PIPE on @fd to @to: our id; the other end's in *@peer_id (may be NULL). */
uint64_t open_pipe(int fd, pid_t to, uint8_t type, uint8_t mode, uint64_t cap,
		   uint8_t notify, uint64_t *peer_id);

/* ---- statistics and metrics ---------------------------------------------------- */

struct series {
	double	v[MAXREP];
	int	n;
};

void add(struct series *s, double v);
int cmp_d(const void *a, const void *b);
double median(const struct series *s);

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

struct metric *new_metric(const char *name, const char *unit,
			  bool higher_better, const char *peer_name);
/* The series of further peer @name of @m (created on first use). */
struct series *peer_series(struct metric *m, const char *name);
/* Append to the metric's JSON object (", \"key\": value"). */
void extra(struct metric *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The series of method @i of @m: method 0 is IUC, 1 the first Linux peer,
 * further ones the peers named @names[i].
 */
struct series *method_series(struct metric *m, int i, const char *const *names);
/*
 * A further metric @name that compares the series @iuc with @peer (named
 * @peer_name), of the unit, direction and extra keys of @from.
 */
struct metric *metric_from(const char *name, const struct metric *from,
			   const struct series *iuc, const char *peer_name,
			   const struct series *peer);
/* One progress line with the medians of @m. */
void report(const struct metric *m);

/* ---- helper processes ------------------------------------------------------------ */

struct helper {
	struct peer p;
	bool started;
};

/*
 * Start @h, pinned as --pin says, holding the @nfds (at most 2) fds of
 * @fds, which this process then closes: in the helper they are
 * helper_fd(0) and helper_fd(1).  Dies on failure.
 */
void helper_start(struct helper *h, const int *fds, int nfds);
/*
 * Give @h a context of its own, which the functions it runs get as their
 * fd: handling @code (records, or RT signal @rt) and READY, or neither
 * when @code is 0.
 */
void helper_open_iuc(struct helper *h, unsigned int code, uint32_t rt);
/* In a helper: the @i-th fd handed to it by helper_start(). */
int helper_fd(int i);
/* Run @fn(fd, copy of @data) in @h and wait: fn's result; @data comes back. */
int helper_run(struct helper *h, peer_fn fn, void *data, size_t len);
/* Start @fn in @h without waiting (before the benchmark starts its clock)... */
void helper_go(struct helper *h, peer_fn fn, const void *data, size_t len);
/* ...and take its result and @data afterwards.  Dies if the helper is gone. */
int helper_collect(struct helper *h, void *data, size_t len);
/* End @h (if started), saying so when it did not exit 0. */
void helper_stop(struct helper *h);

/*
 * One method of a benchmark whose other side is a helper: the helper and
 * the benchmark's own ends of the channel to it (@wfd written, @rfd read,
 * one fd for a socket, -1 when the method has none, as IUC's).
 */
struct method {
	struct helper	h;
	int		wfd, rfd;
};

/* Start @m's helper holding @give (helper_start()); @wfd and @rfd stay ours. */
void method_start(struct method *m, const int *give, int ngive, int wfd, int rfd);
/* If started: stop the helper, close our ends. */
void method_stop(struct method *m);

/* ---- Binder (bench-binder.c) ----------------------------------------------------- */

/* NULL if /dev/binder works here, else why not (said once with msg()). */
const char *binder_unavailable(void);

/* One process's binder fd, its mapping, and the commands to write next. */
struct binder_end {
	int		fd;
	void		*map;
	size_t		map_len;
	size_t		wlen, rlen;
	unsigned char	wbuf[256], rbuf[256];
};

/* Shared (MAP_SHARED) between a one-way sender and its server. */
struct binder_window {
	uint32_t	consumed;	/* buffers the server freed; futex word */
	uint32_t	waiting;	/* the sender sleeps on @consumed */
	uint32_t	sent;		/* one-way transactions sent (the sender's) */
};

/* Open /dev/binder, map @map_len read-only; dies on failure. */
void binder_open(struct binder_end *b, size_t map_len);
/* Become the context manager (handle 0) and a looper thread. */
void binder_become_manager(struct binder_end *b);
/*
 * Serve @n transactions: echo the synchronous ones (BC_REPLY), free the
 * one-way ones and credit @w; with @free_at_once (a window of one) each
 * free is written at once instead of with the next read.
 */
void binder_serve(struct binder_end *b, uint64_t n, struct binder_window *w,
		  bool free_at_once);
/* A transaction of @len bytes to handle 0 and the wait for its (echoed) reply. */
void binder_call(struct binder_end *b, const void *buf, size_t len);
/* A one-way transaction, once fewer than @window of ours are unconsumed in @w. */
void binder_send_oneway(struct binder_end *b, const void *buf, size_t len,
			struct binder_window *w, uint32_t window);
/*
 * The benchmark's own end, opened on first use and kept for the run,
 * mapping BINDER_CLIENT_MAP for replies.
 */
#define BINDER_CLIENT_MAP	(1 * MiB)
struct binder_end *binder_client(void);
/* A zeroed window in shared memory (before the server's helper starts). */
struct binder_window *binder_window_new(void);

/* ---- io_uring (bench-uring.c) ---------------------------------------------------------- */

struct io_uring;
/* Keep @ring's io-wq workers on the CPUs the calling thread may use: 0 or -errno. */
int uring_pin_workers(struct io_uring *ring);

/* ---- the benchmarks ------------------------------------------------------------- */

/* An option of one benchmark: --@name VALUE into @value. */
struct bench_option {
	const char	*name;
	char		*value;
	size_t		size;
};

struct bench {
	const char			*name;
	const char			*section;	/* its word in --only */
	void				(*run)(void);
	const struct bench_option	*options;	/* ends with a NULL name */
};

extern const struct bench bench_idle, bench_call, bench_rtt, bench_uring,
	bench_notify, bench_service, bench_stream, bench_handoff;

/* Parse the options, run the benchmarks of @benches wanted, print the results. */
int bench_main(int argc, char **argv, const struct bench *const *benches, size_t n);

#endif /* IUC_BENCH_H */
