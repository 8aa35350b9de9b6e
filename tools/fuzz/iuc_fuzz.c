// SPDX-License-Identifier: GPL-2.0
/*
 * iuc_fuzz - structure-aware fuzzer and soak for /dev/iuc.
 *
 * Described the way syzkaller describes a driver: every call of
 * <linux/iuc.h> with its argument struct, whose fields are drawn from pools
 * (live, stale and predicted pipe and segment ids, sibling and random PIDs,
 * sizes at every boundary, every mode/notify/type/access value and
 * out-of-range ones, bad/read-only/straddling pointers, struct sizes in the
 * ioctl number below, at and above VER0, reserved bits), issued by
 *
 *   - chaos workers: processes of several threads, each thread with its own
 *     io_uring, issuing random calls through ioctl(2) and IORING_OP_URING_CMD
 *     (also linked chains), read/poll/mmap/mremap/mprotect/madvise/munmap/
 *     close/dup on /dev/iuc and its segments, fork and exec; a per-thread
 *     timer interrupts blocking calls; the supervisor SIGKILLs and respawns
 *     them at random;
 *   - integrity lanes, never killed: a checksummed byte stream over a raw
 *     pipe, sequence-numbered checksummed messages over a message pipe, and
 *     exclusive SHARE_MEM hand-offs verified through the receiver's mapping.
 *     Lanes are interrupted by timers too (EINTR + @transferred must stay
 *     exact); a lane must never lose, duplicate or reorder a byte.
 *
 * At the end it prints the calls issued and calls/s, then TAP: one line per
 * end check (lanes intact, workers ended as expected, FOLL_PIN counters
 * balanced, RLIMIT_MEMLOCK charges back to zero, the module's slab back to
 * its start value).  "Module unloads" and "no kernel report" are judged by
 * the VM runner (tools/vm).
 *
 * usage: iuc_fuzz [-s SEED] [-n CALLS] [-t SECONDS] [-w WORKERS] [-j THREADS]
 *                 [-k KILL_MS] [-q]
 * -n budgets the chaos workers' calls (the lanes' come on top, counted
 * apart); with -t too, whichever comes first ends the run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iuc.h>

#define PAGE		4096UL
#define MAX_CHAOS	16
#define MAX_THREADS	8
#define NR_LANES	6	/* stream tx/rx, message tx/rx, hand-off tx/rx */
#define POOL		32
#define DATA_SIZE	(320UL << 10)	/* > 4 x 64 KiB: capacity-sized reads fit */
#define ARENA_PAGES	64
#define MAX_MAPS	16
#define BIG_SIZE	(4UL << 20)

/* ---- random numbers ---------------------------------------------------- */

static __thread uint64_t rng_state;

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void rnd_seed(uint64_t seed)
{
	rng_state = mix64(seed) | 1;
}

/* uniform in [0, n) */
static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* true with probability 1/n */
static bool one_in(unsigned int n)
{
	return rn(n) == 0;
}

/* ---- state shared by every process (MAP_SHARED, set up before fork) ---- */

enum lane_id { L_STREAM_TX, L_STREAM_RX, L_MSG_TX, L_MSG_RX, L_HAND_TX, L_HAND_RX };
static const char *const lane_names[NR_LANES] = {
	"stream-tx", "stream-rx", "msg-tx", "msg-rx", "handoff-tx", "handoff-rx",
};

/* Kinds of operation, counted separately for the coverage table. */
enum op {
	OP_HANDLE_SIGNAL, OP_UNHANDLE_SIGNAL, OP_IS_SIGNAL_HANDLED, OP_READY,
	OP_OPEN_PIPE, OP_SEND_PIPE, OP_PIPE_WRITE, OP_PIPE_READ, OP_PIPE_INFO,
	OP_CLOSE_PIPE, OP_CONNECT_SERVICE, OP_END_SERVICE_CONN,
	OP_ACCEPT_SERVICE_CONN, OP_REJECT_SERVICE_CONN, OP_MEM_UNMAP,
	OP_SHARE_MEM, OP_UNSHARE_MEM, OP_MEM_SHARING_INFO, OP_REGISTER_SERVICE,
	OP_PIPE_CALL, OP_MAP_ARENA, OP_RANDOM_IOCTL,
	OP_URING, OP_READ, OP_POLL, OP_MMAP, OP_VMA, OP_TOUCH, OP_REOPEN,
	OP_DUP, OP_FORK, OP_EXEC, OP_ARENA, OP_LANE,
	NR_OPS
};
static const char *const op_names[NR_OPS] = {
	"HANDLE_SIGNAL", "UNHANDLE_SIGNAL", "IS_SIGNAL_HANDLED", "READY",
	"OPEN_PIPE", "SEND_PIPE", "PIPE_WRITE", "PIPE_READ", "PIPE_INFO",
	"CLOSE_PIPE", "CONNECT_SERVICE", "END_SERVICE_CONN",
	"ACCEPT_SERVICE_CONN", "REJECT_SERVICE_CONN", "MEM_UNMAP",
	"SHARE_MEM", "UNSHARE_MEM", "MEM_SHARING_INFO", "REGISTER_SERVICE",
	"PIPE_CALL", "MAP_ARENA", "random ioctl",
	"io_uring sqe", "read", "poll", "mmap segment", "mremap/mprotect/madvise/munmap",
	"touch mapping", "close+reopen", "dup+close", "fork", "exec",
	"arena remap", "lane calls",
};

/* errno classes counted per operation */
static const int errs[] = { EINVAL, EBADF, EPIPE, EFAULT, EAGAIN, EINTR, ESRCH, ENOENT,
			    EMSGSIZE, EBADFD, ENOTTY, ENOMEM, E2BIG, EPERM, EACCES, ENXIO,
			    ECANCELED, EINPROGRESS, EALREADY, EBUSY, EDQUOT, EADDRINUSE,
			    ECONNREFUSED, ECONNRESET, ETIMEDOUT, EISCONN };
#define NR_ERRS (sizeof(errs) / sizeof(errs[0]) + 1)	/* + other */

struct lane_stats {
	atomic_ulong units;	/* bytes / messages / hand-offs verified */
	atomic_ulong errors;
	atomic_ulong foreign;	/* records of other senders, dropped */
	atomic_ulong restarts;
	char first_error[160];
};

struct shared {
	uint64_t seed;
	unsigned long budget;		/* chaos calls, 0 = none */
	atomic_ulong calls;		/* all calls */
	atomic_ulong lane_calls;	/* of which the lanes' */
	atomic_int stop;
	atomic_int lanes_ready;
	atomic_ulong ops[NR_OPS];
	atomic_ulong ok[NR_OPS];
	atomic_ulong err[NR_OPS][NR_ERRS];
	atomic_int pids[MAX_CHAOS + NR_LANES];	/* live workers */
	atomic_int stale_pids[16];
	atomic_uint stale_next;
	atomic_ulong segs[64];		/* segment ids seen by anyone */
	atomic_ulong seg_len[64];	/* and their lengths (0: unknown) */
	atomic_uint segs_next;
	atomic_ulong seg_max;
	/* lanes */
	atomic_ulong stream_id;		/* receiver's RC id (0: not yet) */
	atomic_ulong stream_sent;	/* bytes, final once stream_done */
	atomic_int stream_done;
	atomic_ulong msg_id;
	atomic_ulong msg_sent;
	atomic_int msg_done;
	atomic_ulong hand_sent;
	atomic_ulong hand_acked;
	atomic_int hand_done;
	struct lane_stats lane[3];
	atomic_ulong chaos_spawned, chaos_killed, chaos_unexpected, chaos_stuck;
	atomic_ulong timer_failed;
	char chaos_first[160];
};

static struct shared *S;
static int quiet;

static void lane_error(int lane, const char *fmt, ...)
{
	struct lane_stats *ls = &S->lane[lane];
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (atomic_fetch_add(&ls->errors, 1) == 0)
		memcpy(ls->first_error, buf, sizeof(buf));
	fprintf(stderr, "iuc_fuzz: lane %d: %s\n", lane, buf);
}

static bool budget_left(void)
{
	if (atomic_load(&S->stop))
		return false;
	if (S->budget && atomic_load(&S->calls) - atomic_load(&S->lane_calls) >= S->budget) {
		atomic_store(&S->stop, 1);
		return false;
	}
	return true;
}

static void count(enum op op, bool ok)
{
	unsigned int i;

	atomic_fetch_add_explicit(&S->calls, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&S->ops[op], 1, memory_order_relaxed);
	if (op == OP_LANE)
		atomic_fetch_add_explicit(&S->lane_calls, 1, memory_order_relaxed);
	if (ok) {
		atomic_fetch_add_explicit(&S->ok[op], 1, memory_order_relaxed);
		return;
	}
	for (i = 0; i < NR_ERRS - 1 && errs[i] != errno; i++)
		;
	atomic_fetch_add_explicit(&S->err[op][i], 1, memory_order_relaxed);
}

static void note_seg(uint64_t seg, uint64_t len)
{
	unsigned int i = atomic_fetch_add(&S->segs_next, 1) % 64;
	uint64_t max = atomic_load(&S->seg_max);

	atomic_store(&S->seg_len[i], len);
	atomic_store(&S->segs[i], seg);
	while (seg > max && !atomic_compare_exchange_weak(&S->seg_max, &max, seg))
		;
}

/* ---- signals: interrupts, and faults on purpose ------------------------ */

static __thread sigjmp_buf fault_jmp;
static __thread volatile int fault_armed;
static atomic_ulong fault_hits;	/* per process, informative */

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	int n;

	(void)uc;
	if (fault_armed) {
		fault_armed = 0;
		atomic_fetch_add(&fault_hits, 1);
		siglongjmp(fault_jmp, sig);
	}
	n = snprintf(msg, sizeof(msg), "iuc_fuzz: pid %d: unexpected signal %d at %p (code %d)\n",
		     getpid(), sig, si->si_addr, si->si_code);
	if (write(2, msg, (size_t)n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_nothing(int sig)
{
	(void)sig;
}

static void install_handlers(void)
{
	struct sigaction sa;
	int s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_nothing;	/* no SA_RESTART: interrupts calls */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	for (s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaction(s, &sa, NULL);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_NODEFER | SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* A timer that sends SIGUSR1 to the calling thread every ~@ms; false if none. */
static bool arm_interrupts(unsigned int ms)
{
	struct sigevent sev;
	struct itimerspec its;
	timer_t t;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);	/* sigev_notify_thread_id */
	/* fails (EAGAIN) when the user's RLIMIT_SIGPENDING is used up */
	if (timer_create(CLOCK_MONOTONIC, &sev, &t)) {
		atomic_fetch_add(&S->timer_failed, 1);
		return false;
	}
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = (long)(ms * 1000000L + rn(ms * 1000000L));
	its.it_interval.tv_nsec = (long)ms * 1000000L;
	timer_settime(t, 0, &its, NULL);
	return true;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int iuc_open_retry(int flags)
{
	int fd, i;

	for (i = 0; i < 200; i++) {
		fd = open("/dev/iuc", flags);
		if (fd >= 0 || errno != EBUSY)
			return fd;
		usleep(10000);	/* the previous context of ours still ends */
	}
	return -1;
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int r;

	do
		r = ioctl(fd, cmd, arg);
	while (r && errno == EINTR);
	return r;
}

/* ---- per-process state of a chaos worker -------------------------------- */

struct mapping {
	_Atomic uintptr_t addr;
	_Atomic size_t len;
};

struct proc {
	atomic_int fd;
	atomic_ulong ids[POOL];		/* our pipe ids (live) */
	atomic_ulong stale[POOL];	/* closed or sent ids */
	atomic_ulong peer[POOL];	/* other processes' ids */
	atomic_ulong segs[POOL];	/* our segments (shared or received) */
	atomic_ulong conns[POOL];	/* our service connections (client) */
	atomic_ulong reqs[POOL];	/* connection requests we read (service) */
	atomic_int conn_threads;	/* live threads that accepted one */
	uint32_t anid;			/* our application: inode of /proc/self/ns/ipc */
	bool service;
	atomic_ulong id_max;
	struct mapping maps[MAX_MAPS];	/* segment mappings of ours */
	unsigned char *arena;		/* ARENA_PAGES of private anon memory */
	unsigned char *big;		/* BIG_SIZE: shares that take long to pin */
	unsigned char *ropage;		/* PROT_READ */
	unsigned char *hole;		/* PROT_NONE */
	pthread_mutex_t maps_lock;	/* (addr, len) pairs of maps[] change together */
	int worker;
};

static struct proc P;

static void pool_put(atomic_ulong *pool, uint64_t v)
{
	atomic_store(&pool[rn(POOL)], v);
}

/* A random non-empty entry if there is one. */
static uint64_t pool_get(atomic_ulong *pool)
{
	unsigned int i, at = (unsigned int)rn(POOL);

	for (i = 0; i < POOL; i++) {
		uint64_t v = atomic_load(&pool[(at + i) % POOL]);

		if (v)
			return v;
	}
	return 0;
}

static void pool_drop(atomic_ulong *pool, uint64_t v)
{
	for (unsigned int i = 0; i < POOL; i++) {
		unsigned long w = v;

		if (atomic_compare_exchange_strong(&pool[i], &w, 0))
			break;
	}
}

static void note_id(uint64_t id)
{
	uint64_t max = atomic_load(&P.id_max);
	unsigned int i;

	/* prefer an empty slot: live ids are what we want to hit */
	for (i = 0; i < POOL; i++) {
		unsigned long z = 0;

		if (atomic_compare_exchange_strong(&P.ids[i], &z, id))
			goto done;
	}
	/* pool full: close one at random so pipes do not pile up */
	{
		unsigned int j = rn(POOL);
		struct iuc_close_pipe c = { .id = atomic_exchange(&P.ids[j], id) };

		if (ioctl(atomic_load(&P.fd), IUC_IOC_CLOSE_PIPE, &c) == 0)
			pool_put(P.stale, c.id);
		count(OP_CLOSE_PIPE, true);
	}
done:
	while (id > max && !atomic_compare_exchange_weak(&P.id_max, &max, id))
		;
}

static void forget_id(uint64_t id)
{
	pool_drop(P.ids, id);
	pool_put(P.stale, id);
}

static void note_map(uintptr_t addr, size_t len)
{
	struct mapping *m = &P.maps[rn(MAX_MAPS)];
	uintptr_t old;
	size_t olen;

	pthread_mutex_lock(&P.maps_lock);
	old = atomic_load(&m->addr);
	olen = atomic_load(&m->len);
	atomic_store(&m->len, len);
	atomic_store(&m->addr, addr);
	if (old)
		munmap((void *)old, olen);	/* keep the address space bounded */
	pthread_mutex_unlock(&P.maps_lock);
}

/*
 * A mapping of ours, as a consistent (addr, len) pair; 0 if the slot is
 * empty.  @take removes it from the table (the caller then owns it).
 */
static uintptr_t get_map(size_t *len, bool take)
{
	struct mapping *m = &P.maps[rn(MAX_MAPS)];
	uintptr_t a;

	pthread_mutex_lock(&P.maps_lock);
	a = atomic_load(&m->addr);
	*len = atomic_load(&m->len);
	if (take)
		atomic_store(&m->addr, 0);
	pthread_mutex_unlock(&P.maps_lock);
	return a;
}

/*
 * Keep a hole in the share arena reserved (PROT_NONE) so that no other
 * mapping of ours (an io_uring ring, a segment) lands there and is then
 * replaced by an arena refill.
 */
static void arena_hole(uintptr_t a, size_t len)
{
	uintptr_t lo = (uintptr_t)P.arena, hi = lo + ARENA_PAGES * PAGE;

	if (a < lo || a >= hi)
		return;
	if (a + len > hi || a + len < a)
		len = hi - a;
	mmap((void *)a, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static uint64_t pick_id(void)
{
	switch (rn(16)) {
	case 0: case 1: case 2: case 3: case 4: case 12: case 13: case 14: case 15: {
		uint64_t v = pool_get(P.ids);

		return v ? v : atomic_load(&P.id_max);
	}
	case 5: case 6: return pool_get(P.stale);
	case 7: return pool_get(P.peer);
	case 8: return atomic_load(&P.id_max) + rn(3);
	case 9: return rn(64);
	case 10: return rnd();
	default: return one_in(2) ? 0 : ~0ULL;
	}
}

/* Mostly a live entry of @pool (connections, requests), else any id. */
static uint64_t pick_from(atomic_ulong *pool)
{
	uint64_t v = pool_get(pool);

	return v && !one_in(4) ? v : pick_id();
}

static uint64_t pick_seg(void)
{
	switch (rn(10)) {
	case 0: case 1: case 2: case 3: return pool_get(P.segs);
	case 4: case 5: return atomic_load(&S->segs[rn(64)]);
	case 6: return atomic_load(&S->seg_max) + rn(3);
	case 7: return rn(16);
	case 8: return rnd();
	default: return one_in(2) ? 0 : ~0ULL >> rn(64);
	}
}

static uint64_t pick_pid(void)
{
	int n = MAX_CHAOS + NR_LANES;

	switch (rn(10)) {
	case 0: case 1: case 2: case 3: case 4: {
		int p = atomic_load(&S->pids[rn(n)]);

		return p ? (uint64_t)p : (uint64_t)getpid();
	}
	case 5: return (uint64_t)getpid();
	case 6: return (uint64_t)atomic_load(&S->stale_pids[rn(16)]);
	case 7: return 1;
	case 8: return rn(32768);
	default: {
		static const uint64_t odd[] = { 0, ~0ULL, 0x7fffffff, 0x80000000ULL,
						1ULL << 32, (uint64_t)-2 };

		return odd[rn(6)];
	}
	}
}

/* Sizes at every boundary around @cap (a pipe's capacity or a length). */
static uint64_t pick_size(uint64_t cap)
{
	static const uint64_t fixed[] = {
		0, 1, 2, 7, 8, 63, 64, 65, PAGE - 1, PAGE, PAGE + 1,
		65535, 65536, 65537, 2 * 65536, 4 * 65536 + 1,
	};

	switch (rn(8)) {
	case 0: case 1: case 2: return fixed[rn(sizeof(fixed) / sizeof(fixed[0]))];
	case 3: return cap ? cap - 1 + rn(3) : 0;
	case 4: return rn(8192);
	case 5: return rn(DATA_SIZE);
	case 6: return one_in(2) ? ~0ULL : (1ULL << (31 + rn(33)));
	default: return 1 + rn(300);
	}
}

/* A mode-like byte: every valid value and some invalid ones. */
static uint8_t pick_small(unsigned int nvalid)
{
	if (one_in(20))
		return (uint8_t)rnd();
	if (one_in(20))
		return (uint8_t)nvalid;
	return (uint8_t)rn(nvalid);
}

static uint8_t pick_sig_code(void)
{
	static const uint8_t codes[] = {
		IUC_SIG_RECV_PIPE, IUC_SIG_PIPE_CLOSED, IUC_SIG_SERVICE_CONN_REQUEST,
		IUC_SIG_SERVICE_CLIENT_CLOSED, IUC_SIG_SERVICE_CLIENT_QUITTED,
		IUC_SIG_SERVICE_SERVER_QUITTED, IUC_SIG_RECV_SHARED_MEM,
		IUC_SIG_UNSHARED_MEM,
	};

	return one_in(6) ? (uint8_t)rnd() : codes[rn(sizeof(codes))];
}

/* ---- per-thread state --------------------------------------------------- */

struct thr {
	unsigned char *args;	/* 2 RW pages + 1 PROT_NONE page */
	unsigned char *data;	/* DATA_SIZE RW + 1 PROT_NONE page */
	struct io_uring ring;
	bool ring_ok;
	unsigned int idx;
	uint64_t batch;
};

/* A data buffer for @len bytes, possibly bad: NULL, unmapped, read-only, straddling. */
static uint64_t pick_buf(struct thr *t, uint64_t len)
{
	uint64_t fit = len < DATA_SIZE ? len : DATA_SIZE;

	switch (rn(32)) {
	case 0: return 0;
	case 1: return (uint64_t)(uintptr_t)P.hole + rn(PAGE);
	case 2: return (uint64_t)(uintptr_t)P.ropage;
	case 3: return (uint64_t)(uintptr_t)(t->data + DATA_SIZE - fit / 2 - 1);
	case 4: return 0xffff888000000000ULL;	/* kernel address */
	case 5: return 0x0000800000000000ULL - rn(PAGE);	/* end of user space */
	case 6: return (uint64_t)(uintptr_t)(t->data + 1);	/* unaligned */
	case 7: {	/* a segment mapping, only where the count fits in it */
		size_t mlen;
		uintptr_t a = get_map(&mlen, false);

		if (a && len <= mlen)
			return a;
	}
	/* fallthrough */
	default:
		return (uint64_t)(uintptr_t)(t->data + DATA_SIZE - fit);
	}
}

static unsigned long share_addr(size_t *len)
{
	size_t pages;

	switch (rn(12)) {
	case 10:	/* all of the big region: a wide window for concurrent calls */
		*len = BIG_SIZE;
		return (unsigned long)P.big;
	case 0: *len = PAGE; return (unsigned long)P.ropage;
	case 1: *len = PAGE; return (unsigned long)P.hole;
	case 2: {
		uintptr_t a = get_map(len, false);

		if (a)
			return a;
		break;
	}
	case 3: {
		unsigned char probe;	/* the stack: see build_args */

		*len = PAGE;
		return ((unsigned long)&probe & ~(PAGE - 1)) - PAGE;
	}
	default:
		break;
	}
	pages = 1 + rn(ARENA_PAGES / 4);
	*len = pages * PAGE;
	return (unsigned long)P.arena + rn(ARENA_PAGES - pages + 1) * PAGE;
}

/* Fill @a (zeroed, room for 256 bytes) with the argument struct of @nr. */
static size_t build_args(struct thr *t, unsigned int nr, void *a)
{
	switch (nr) {
	case IUC_CALL_HANDLE_SIGNAL: {
		struct iuc_handle_signal *h = a;
		static const uint32_t rts[] = { 0, 0, 0, 34, 40, 64, 31, 65, 32 };

		h->code = pick_sig_code();
		h->rt_signal = one_in(10) ? (uint32_t)rnd() : rts[rn(9)];
		return sizeof(*h);
	}
	case IUC_CALL_UNHANDLE_SIGNAL:
		((struct iuc_unhandle_signal *)a)->code = pick_sig_code();
		return sizeof(struct iuc_unhandle_signal);
	case IUC_CALL_IS_SIGNAL_HANDLED:
		((struct iuc_is_signal_handled *)a)->code = pick_sig_code();
		return sizeof(struct iuc_is_signal_handled);
	case IUC_CALL_READY:
		return sizeof(struct iuc_ready);
	case IUC_CALL_OPEN_PIPE: {
		struct iuc_open_pipe *o = a;
		static const uint8_t mult[] = { 0, 1, 1, 2, 3, 4 };

		o->target_pid = pick_pid();
		o->size_hint = pick_size(65536);
		o->command = (uint16_t)rnd();
		o->type = pick_small(2);
		o->multiplier = one_in(64) ? (uint8_t)rnd() : mult[rn(6)];
		o->mode = pick_small(2);
		o->notify = pick_small(2);
		return sizeof(*o);
	}
	case IUC_CALL_SEND_PIPE: {
		struct iuc_send_pipe *s = a;

		s->id = pick_id();
		s->target_pid = pick_pid();
		s->notify = pick_small(2);
		return sizeof(*s);
	}
	case IUC_CALL_PIPE_WRITE: {
		struct iuc_pipe_write *w = a;

		w->id = pick_id();
		w->count = pick_size(65536 * (1 + rn(4)));
		w->buf = pick_buf(t, w->count);
		w->mode = pick_small(3);
		return sizeof(*w);
	}
	case IUC_CALL_PIPE_READ: {
		struct iuc_pipe_read *r = a;

		r->id = pick_id();
		r->count = (uint32_t)pick_size(65536 * (1 + rn(4)));
		r->buf = pick_buf(t, r->count ? r->count : 65536 * 4);
		r->mode = pick_small(3);
		return sizeof(*r);
	}
	case IUC_CALL_PIPE_INFO:
		((struct iuc_pipe_info *)a)->id = pick_id();
		return sizeof(struct iuc_pipe_info);
	case IUC_CALL_CLOSE_PIPE:
		((struct iuc_close_pipe *)a)->id = pick_id();
		return sizeof(struct iuc_close_pipe);
	case IUC_CALL_CONNECT_SERVICE: {
		struct iuc_connect_service *c = a;

		/* our application, whose service is a sibling if one registered */
		c->anid = rn(4) ? P.anid : one_in(2) ? (uint32_t)rnd() : 0xEFFFFFFCU;
		c->command = (uint16_t)rnd();
		c->flexible = pick_small(2);
		return sizeof(*c);
	}
	case IUC_CALL_END_SERVICE_CONN:
		((struct iuc_end_service_conn *)a)->conn_id = pick_from(P.conns);
		return sizeof(struct iuc_end_service_conn);
	case IUC_CALL_ACCEPT_SERVICE_CONN:
		((struct iuc_accept_service_conn *)a)->request_id = pick_from(P.reqs);
		return sizeof(struct iuc_accept_service_conn);
	case IUC_CALL_REJECT_SERVICE_CONN:
		((struct iuc_reject_service_conn *)a)->request_id = pick_from(P.reqs);
		return sizeof(struct iuc_reject_service_conn);
	case IUC_CALL_MEM_UNMAP:
		((struct iuc_mem_unmap *)a)->segment = pick_seg();
		return sizeof(struct iuc_mem_unmap);
	case IUC_CALL_SHARE_MEM: {
		struct iuc_share_mem *s = a;
		static const uint8_t acc[] = {
			IUC_ACCESS_READ, IUC_ACCESS_READ | IUC_ACCESS_WRITE,
			IUC_ACCESS_READ | IUC_ACCESS_EXEC, IUC_ACCESS_WRITE,
			IUC_ACCESS_READ | IUC_ACCESS_WRITE | IUC_ACCESS_EXEC, 0, 0x01, 0xff,
		};
		size_t len;

		s->target_pid = pick_pid();
		s->addr = share_addr(&len);
		s->length = one_in(6) ? pick_size(len) : len;
		if (one_in(16))
			s->addr += 1 + rn(PAGE - 1);
		s->mode = pick_small(2);
		/* exclusive takes the range away: only from the arena, never our stack or heap */
		if (s->mode == IUC_SHARE_EXCLUSIVE && s->addr != (uintptr_t)P.big &&
		    (s->addr < (uintptr_t)P.arena ||
		     s->addr + s->length > (uintptr_t)P.arena + ARENA_PAGES * PAGE ||
		     s->addr + s->length < s->addr))
			s->mode = IUC_SHARE_MUTUAL;
		if (s->addr == (uintptr_t)P.big && s->length > BIG_SIZE)
			s->length = BIG_SIZE;
		s->access = s->mode == IUC_SHARE_EXCLUSIVE && !one_in(8) ? 0 : acc[rn(8)];
		s->notify = pick_small(2);
		s->command = (uint16_t)rnd();
		return sizeof(*s);
	}
	case IUC_CALL_UNSHARE_MEM:
		((struct iuc_unshare_mem *)a)->segment = pick_seg();
		return sizeof(struct iuc_unshare_mem);
	case IUC_CALL_MEM_SHARING_INFO:
		((struct iuc_mem_sharing_info *)a)->segment = pick_seg();
		return sizeof(struct iuc_mem_sharing_info);
	case IUC_CALL_REGISTER_SERVICE:
		((struct iuc_register_service *)a)->scope = pick_small(2);
		return sizeof(struct iuc_register_service);
	case IUC_CALL_PIPE_CALL: {
		struct iuc_pipe_call *c = a;

		/* blocking in both halves: the worker's timer ends a long wait */
		c->sc = pick_id();
		c->wcount = one_in(4) ? 0 : pick_size(65536 * (1 + rn(4)));
		c->wbuf = pick_buf(t, c->wcount);
		c->rc = pick_id();
		c->rcount = (uint32_t)pick_size(65536 * (1 + rn(4)));
		c->rbuf = pick_buf(t, c->rcount ? c->rcount : 65536 * 4);
		return sizeof(*c);
	}
	case IUC_CALL_MAP_ARENA:
		((struct iuc_map_arena *)a)->length = one_in(4) ? rnd() :
			(uint64_t)PAGE * (1 + rn(64));
		return sizeof(struct iuc_map_arena);
	default: {
		size_t n = rn(128);

		for (size_t i = 0; i < n; i++)
			((unsigned char *)a)[i] = (unsigned char)(one_in(3) ? rnd() : 0);
		return n;
	}
	}
}

static const unsigned int call_nrs[] = {
	IUC_CALL_HANDLE_SIGNAL, IUC_CALL_UNHANDLE_SIGNAL, IUC_CALL_IS_SIGNAL_HANDLED,
	IUC_CALL_READY, IUC_CALL_OPEN_PIPE, IUC_CALL_SEND_PIPE, IUC_CALL_PIPE_WRITE,
	IUC_CALL_PIPE_READ, IUC_CALL_PIPE_INFO, IUC_CALL_CLOSE_PIPE,
	IUC_CALL_CONNECT_SERVICE, IUC_CALL_END_SERVICE_CONN,
	IUC_CALL_ACCEPT_SERVICE_CONN, IUC_CALL_REJECT_SERVICE_CONN,
	IUC_CALL_MEM_UNMAP, IUC_CALL_SHARE_MEM, IUC_CALL_UNSHARE_MEM,
	IUC_CALL_MEM_SHARING_INFO, IUC_CALL_REGISTER_SERVICE,
	IUC_CALL_PIPE_CALL, IUC_CALL_MAP_ARENA,
};
#define NR_CALLS (sizeof(call_nrs) / sizeof(call_nrs[0]))

/* Weights: the pipe and memory calls are where the state is. */
static unsigned int pick_call(void)
{
	static const unsigned char w[NR_CALLS] = {
		2, 1, 1, 1, 8, 4, 12, 12, 3, 5, 2, 1, 1, 1, 4, 8, 3, 3, 1,
		6, 1,
	};
	unsigned int total = 0, i, r;

	for (i = 0; i < NR_CALLS; i++)
		total += w[i];
	r = rn(total);
	for (i = 0; i < NR_CALLS; i++) {
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return 0;
}

/*
 * One prepared call: the ioctl number (possibly with a wrong size, type or
 * direction) and where its struct lives (normally the args page; sometimes
 * straddling into PROT_NONE, read-only, NULL, or unmapped).
 */
struct call {
	unsigned int idx;	/* into call_nrs, or NR_CALLS for a random nr */
	unsigned long cmd;
	void *arg;
	size_t size;
};

static void prepare(struct thr *t, struct call *c, unsigned char *slot, size_t room)
{
	unsigned char tmp[256];
	size_t size, usize;
	unsigned int nr;

	memset(tmp, 0, sizeof(tmp));
	c->idx = one_in(40) ? NR_CALLS : pick_call();
	nr = c->idx < NR_CALLS ? call_nrs[c->idx] : (unsigned int)rn(256);
	size = build_args(t, c->idx < NR_CALLS ? nr : 0x100, tmp);
	if (one_in(20))
		((uint32_t *)tmp)[1] = (uint32_t)rnd();	/* flags */
	if (one_in(20) && size > 8)
		tmp[8 + rn(size - 8)] ^= (unsigned char)(1 + rn(255));	/* padding or a field */

	usize = size;
	switch (rn(24)) {
	case 0: usize = rn(size + 1); break;			/* below VER0 */
	case 1: usize = size + 8 * (1 + rn(8)); break;		/* larger, zero tail */
	case 2: usize = size + 1 + rn(64);			/* larger, dirty tail */
		tmp[size + rn(usize - size)] = (unsigned char)(1 + rn(255));
		break;
	case 3: usize = PAGE + rn(4 * PAGE); break;		/* bigger than a page */
	default: break;
	}
	if (usize > 0x3fff)
		usize = 0x3fff;
	c->size = usize;
	c->cmd = _IOC(_IOC_READ | _IOC_WRITE, IUC_IOC_MAGIC, nr, usize);
	if (one_in(60))
		c->cmd = _IOC(rn(4), one_in(2) ? IUC_IOC_MAGIC : (unsigned int)rn(256), nr, usize);

	switch (rn(40)) {
	case 0: c->arg = NULL; return;
	case 1: c->arg = P.hole; return;
	case 2: c->arg = (void *)0xffff888000001000ULL; return;
	case 3:	/* read-only: the call runs, its answer cannot be written */
		c->arg = P.ropage;
		return;
	case 4: case 5: {	/* straddling into the PROT_NONE page */
		size_t cut = 1 + rn(usize > 1 ? usize - 1 : 1);

		c->arg = t->args + 2 * PAGE - cut;
		memcpy(c->arg, tmp, cut < sizeof(tmp) ? cut : sizeof(tmp));
		return;
	}
	default:
		if (usize > room) {	/* overlaps the other slots: fine, it is fuzz */
			slot = t->args;
			room = 2 * PAGE;
		}
		c->arg = slot;
		memset(slot, 0, usize < room ? usize : room);
		memcpy(slot, tmp, usize < sizeof(tmp) ? usize : sizeof(tmp));
		return;
	}
}

/* Learn ids and segments from a call that succeeded. */
static void harvest(const struct call *c)
{
	if (c->idx >= NR_CALLS || c->arg == P.ropage || c->size < 16)
		return;
	if ((uintptr_t)c->arg < 4096 || c->arg == P.hole ||
	    (uintptr_t)c->arg >= 0x800000000000ULL)
		return;
	switch (call_nrs[c->idx]) {
	case IUC_CALL_OPEN_PIPE: {
		struct iuc_open_pipe *o = c->arg;

		if (c->size >= sizeof(*o)) {
			note_id(o->id);
			/* a pipe to ourselves: our threads race on both ends */
			if (o->target_pid == (uint64_t)getpid())
				note_id(o->peer_id);
			else
				pool_put(P.peer, o->peer_id);
		}
		break;
	}
	case IUC_CALL_SEND_PIPE: {
		struct iuc_send_pipe *s = c->arg;

		if (c->size >= sizeof(*s)) {
			forget_id(s->id);
			pool_put(P.peer, s->peer_id);
		}
		break;
	}
	case IUC_CALL_CLOSE_PIPE:
		forget_id(((struct iuc_close_pipe *)c->arg)->id);
		break;
	case IUC_CALL_CONNECT_SERVICE: {
		struct iuc_connect_service *cs = c->arg;

		if (c->size >= sizeof(*cs)) {
			pool_put(P.conns, cs->conn_id);
			note_id(cs->sc);
			note_id(cs->rc);
		}
		break;
	}
	case IUC_CALL_ACCEPT_SERVICE_CONN: {	/* this thread is now the client thread */
		struct iuc_accept_service_conn *ac = c->arg;

		if (c->size >= sizeof(*ac)) {
			note_id(ac->rc);
			note_id(ac->sc);
		}
		break;
	}
	case IUC_CALL_END_SERVICE_CONN:
		pool_drop(P.conns, ((struct iuc_end_service_conn *)c->arg)->conn_id);
		break;
	case IUC_CALL_SHARE_MEM: {
		struct iuc_share_mem *s = c->arg;

		if (c->size >= sizeof(*s)) {
			pool_put(P.segs, s->segment);
			note_seg(s->segment, s->length);
			if (s->mode == IUC_SHARE_EXCLUSIVE && s->addr == (uintptr_t)P.big)
				mmap(P.big, BIG_SIZE, PROT_NONE,	/* refilled by do_arena */
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			else if (s->mode == IUC_SHARE_EXCLUSIVE)
				arena_hole(s->addr, s->length);
		}
		break;
	}
	default:
		break;
	}
}

static void do_ioctl(struct thr *t)
{
	struct call c;
	int r;

	prepare(t, &c, t->args, 2 * PAGE);
	r = ioctl(atomic_load(&P.fd), c.cmd, c.arg);
	count(c.idx < NR_CALLS ? (enum op)c.idx : OP_RANDOM_IOCTL, r == 0);
	if (r == 0)
		harvest(&c);
}

/*
 * io_uring: 1-4 URING_CMD submissions, often linked.  Each has its own
 * argument slot (the 2 args pages hold 4 x 1 KiB slots when sizes allow).
 * Blocking calls may stay pending; a later ring teardown cancels them.
 */
static void do_uring(struct thr *t)
{
	struct call calls[4];
	unsigned int n = 1 + rn(4), i, got = 0;
	bool link = one_in(2);

	if (!t->ring_ok || one_in(500)) {
		if (t->ring_ok)
			io_uring_queue_exit(&t->ring);
		t->ring_ok = io_uring_queue_init(16, &t->ring, 0) == 0;
		if (!t->ring_ok)
			return;
	}
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
		uint64_t addr;

		if (!sqe)
			break;
		prepare(t, &calls[i], t->args + i * 1024, 1024);
		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = atomic_load(&P.fd);
		sqe->cmd_op = (uint32_t)calls[i].cmd;
		addr = (uint64_t)(uintptr_t)calls[i].arg;
		if (one_in(30))
			addr = rnd();
		memcpy(sqe->cmd, &addr, sizeof(addr));
		sqe->user_data = t->batch << 8 | i;
		if (link && i + 1 < n)
			sqe->flags |= one_in(4) ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK;
		if (one_in(8))
			sqe->flags |= IOSQE_ASYNC;
	}
	n = i;
	if (io_uring_submit(&t->ring) < 0)
		return;
	/* the submitted slots may now be reused: scribble on them */
	if (one_in(4)) {
		for (i = 0; i < 4; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);

			if (!sqe)
				break;
			memset(sqe, 0xa5, sizeof(*sqe));
			sqe->opcode = IORING_OP_NOP;
			sqe->flags = 0;
			sqe->fd = -1;
		}
		io_uring_submit(&t->ring);
	}
	while (got < n) {
		struct __kernel_timespec ts = { .tv_nsec = 20 * 1000000L };
		struct io_uring_cqe *cqe;

		if (io_uring_wait_cqe_timeout(&t->ring, &cqe, &ts))
			break;
		/* completions of earlier batches (blocked calls, cancelled) only go */
		if (cqe->user_data >> 8 == t->batch && (cqe->user_data & 0xff) < n) {
			errno = -cqe->res;
			count(OP_URING, cqe->res == 0);
			if (cqe->res == 0)
				harvest(&calls[cqe->user_data & 0xff]);
			got++;
		}
		io_uring_cqe_seen(&t->ring, cqe);
	}
	t->batch++;
	/* not completed (blocked or still queued): counted as issued */
	errno = EINPROGRESS;
	for (i = got; i < n; i++)
		count(OP_URING, false);
}

/*
 * An accepted connection's client thread (service side): it accepts the
 * request, then reads and writes the connection's pipes (never blocking: it
 * has no interrupt timer) a random number of times and exits, which the
 * client sees as SERVICE_SERVER_QUITTED.  Its ids also go to the pools.
 */
static void *conn_thread(void *p)
{
	struct iuc_accept_service_conn ac = { .request_id = (uintptr_t)p };
	unsigned char buf[4096];
	unsigned int n;
	int r;

	rnd_seed(mix64(ac.request_id ^ (uint64_t)getpid() << 32));
	r = ioctl(atomic_load(&P.fd), IUC_IOC_ACCEPT_SERVICE_CONN, &ac);
	count(OP_ACCEPT_SERVICE_CONN, r == 0);
	if (!r) {
		note_id(ac.rc);
		note_id(ac.sc);
	}
	for (n = r ? 0 : (unsigned int)rn(40); n && budget_left(); n--) {
		if (one_in(2)) {
			struct iuc_pipe_read rd = { .id = one_in(8) ? ac.sc : ac.rc,
				.count = (uint32_t)pick_size(sizeof(buf)) % (sizeof(buf) + 1),
				.buf = (uintptr_t)buf, .mode = IUC_IO_TRY + (uint8_t)rn(2) };

			r = ioctl(atomic_load(&P.fd), IUC_IOC_PIPE_READ, &rd);
			count(OP_PIPE_READ, r == 0);
		} else {
			struct iuc_pipe_write wr = { .id = one_in(8) ? ac.rc : ac.sc,
				.count = pick_size(sizeof(buf)) % (sizeof(buf) + 1),
				.buf = (uintptr_t)buf, .mode = IUC_IO_TRY + (uint8_t)rn(2) };

			r = ioctl(atomic_load(&P.fd), IUC_IOC_PIPE_WRITE, &wr);
			count(OP_PIPE_WRITE, r == 0);
		}
		usleep((useconds_t)rn(5000));
	}
	atomic_fetch_sub(&P.conn_threads, 1);
	return NULL;
}

/* A connection request read by a service: accept it (in a new thread), reject it, or not. */
static void answer_request(uint64_t req)
{
	struct iuc_reject_service_conn rj = { .request_id = req };
	pthread_attr_t at;
	pthread_t th;
	int r;

	pool_put(P.reqs, req);	/* random ACCEPT/REJECT calls find it too */
	switch (rn(8)) {
	case 0: case 1: case 2: case 3: case 4:
		if (atomic_fetch_add(&P.conn_threads, 1) < 6) {
			pthread_attr_init(&at);
			pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
			r = pthread_create(&th, &at, conn_thread, (void *)(uintptr_t)req);
			pthread_attr_destroy(&at);
			if (!r)
				break;
		}
		atomic_fetch_sub(&P.conn_threads, 1);
		/* fall through: too many, reject */
	case 5: case 6:
		r = ioctl(atomic_load(&P.fd), IUC_IOC_REJECT_SERVICE_CONN, &rj);
		count(OP_REJECT_SERVICE_CONN, r == 0);
		break;
	default:	/* no answer: the client times out */
		break;
	}
}

/* Learn pipe ids, segments, mappings and service events from records. */
static void take_records(const unsigned char *buf, ssize_t r)
{
	for (ssize_t off = 0; off + IUC_SIGNAL_SIZE <= r; off += IUC_SIGNAL_SIZE) {
		const struct iuc_signal *s = (const struct iuc_signal *)(buf + off);

		switch (s->code) {
		case IUC_SIG_RECV_PIPE:
			note_id(s->data.recv_pipe.id);
			break;
		case IUC_SIG_RECV_SHARED_MEM:
			pool_put(P.segs, s->object);
			note_seg(s->object, s->data.recv_shared_mem.length);
			if (s->data.recv_shared_mem.start)
				note_map(s->data.recv_shared_mem.start,
					 s->data.recv_shared_mem.length);
			break;
		case IUC_SIG_SERVICE_CONN_REQUEST:
			answer_request(s->object);
			break;
		case IUC_SIG_SERVICE_CLIENT_CLOSED:
		case IUC_SIG_SERVICE_CLIENT_QUITTED:
			pool_drop(P.reqs, s->object);
			break;
		case IUC_SIG_SERVICE_SERVER_QUITTED:	/* END gives EPIPE now */
			if (one_in(2))
				pool_drop(P.conns, s->object);
			break;
		default:
			break;
		}
	}
}

/* Read signal records; learn pipe ids, segments and mappings from them. */
static void do_read(struct thr *t)
{
	static const size_t sizes[] = { 0, 1, 63, 64, 65, 128, 640, 4096 };
	size_t size = sizes[rn(8)];
	void *buf = t->data;
	ssize_t r;
	int fd = atomic_load(&P.fd);

	if (one_in(10))
		buf = (void *)(uintptr_t)pick_buf(t, size);
	if (one_in(4)) {
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0)
			fcntl(fd, F_SETFL, fl ^ O_NONBLOCK);
	}
	r = read(fd, buf, size);
	count(OP_READ, r > 0);
	if (r > 0 && buf == t->data)
		take_records(t->data, r);
}

static void do_poll(void)
{
	struct pollfd p = { .fd = atomic_load(&P.fd), .events = (short)rnd() };
	int r = poll(&p, 1, (int)rn(3));

	count(OP_POLL, r >= 0);
}

static void do_mmap(void)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
				     PROT_READ | PROT_EXEC, PROT_NONE };
	unsigned int i = (unsigned int)rn(64);
	uint64_t seg = atomic_load(&S->segs[i]);
	size_t len = atomic_load(&S->seg_len[i]);
	int flags = one_in(10) ? MAP_PRIVATE : MAP_SHARED;
	void *p;

	/* mostly a segment by its id and real length (notify skipped: ours to map) */
	if (one_in(3))
		seg = pick_seg();
	if (!len || one_in(4))
		len = one_in(2) ? pick_size(PAGE * 16) : PAGE * (1 + rn(16));

	if (len > (1UL << 30))
		len = PAGE;
	p = mmap(NULL, len, prots[rn(5)], flags, atomic_load(&P.fd),
		 (off_t)((one_in(20) ? rnd() : seg) << 12));
	count(OP_MMAP, p != MAP_FAILED);
	if (p != MAP_FAILED)
		note_map((uintptr_t)p, len);
}

/* mremap/mprotect/madvise/munmap on a segment mapping or the share arena. */
static void do_vma(void)
{
	size_t len;
	uintptr_t a = get_map(&len, true);
	bool own = a != 0;
	static const int advice[] = {
		MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK,
		MADV_COLD, MADV_PAGEOUT, MADV_REMOVE, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
		MADV_FREE, MADV_WILLNEED, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
		MADV_MERGEABLE,
	};
	int r = -1;

	if (!a || one_in(3)) {	/* the share arena: ranges being shared */
		if (own)
			note_map(a, len);	/* give it back */
		own = false;
		a = (uintptr_t)P.arena + rn(ARENA_PAGES) * PAGE;
		len = PAGE * (1 + rn(4));
		if (a + len > (uintptr_t)P.arena + ARENA_PAGES * PAGE)
			len = PAGE;
	}
	switch (rn(5)) {
	case 0:
		if (own) {	/* a segment mapping: grow, shrink or move */
			size_t nlen = len + PAGE * rn(4) - (one_in(2) ? PAGE : 0);
			void *n = mremap((void *)a, len, nlen ? nlen : len,
					 one_in(2) ? MREMAP_MAYMOVE : 0);

			r = n == MAP_FAILED ? -1 : 0;
			if (n != MAP_FAILED) {
				a = (uintptr_t)n;
				len = nlen ? nlen : len;
			}
		} else {	/* the arena: shrink in place, keep the tail reserved */
			void *n = len > PAGE ? mremap((void *)a, len, len - PAGE, 0) : MAP_FAILED;

			r = n == MAP_FAILED ? -1 : 0;
			if (n != MAP_FAILED)
				arena_hole(a + len - PAGE, PAGE);
		}
		break;
	case 1:
		r = mprotect((void *)a, len, (int)rn(8));
		break;
	case 2:
		r = madvise((void *)a, len, advice[rn(sizeof(advice) / sizeof(int))]);
		break;
	case 3:
		if (!own) {
			arena_hole(a, len);
			r = 0;
		} else if (one_in(2)) {
			r = munmap((void *)a, len);
			own = false;
		} else {	/* a hole in it; the rest stays in the table */
			r = munmap((void *)(a + PAGE * rn(len / PAGE)), PAGE);
		}
		break;
	default:
		r = msync((void *)a, len, MS_ASYNC);
		break;
	}
	if (own)
		note_map(a, len);
	count(OP_VMA, r == 0);
}

/* Read and write a mapping; SIGSEGV/SIGBUS (revoked, read-only) are fine. */
static void do_touch(void)
{
	size_t mlen;
	/* volatile: both live across the siglongjmp of a fault */
	volatile unsigned char *volatile p = (void *)get_map(&mlen, false);
	volatile size_t len = mlen;

	if (!p || !len) {
		p = P.arena;
		len = ARENA_PAGES * PAGE;
	}
	if (sigsetjmp(fault_jmp, 1)) {
		count(OP_TOUCH, false);
		return;
	}
	fault_armed = 1;
	for (size_t off = 0; off < len; off += PAGE * (1 + rn(4))) {
		unsigned char v = p[off];

		if (one_in(2))
			p[off] = (unsigned char)(v + 1);
	}
	fault_armed = 0;
	count(OP_TOUCH, true);
}

/* Refill the share arena (exclusive shares and munmaps punch holes in it). */
static void do_arena(void)
{
	volatile size_t pages = 1 + rn(ARENA_PAGES / 2);	/* lives across a fault */
	uintptr_t a = (uintptr_t)P.arena + rn(ARENA_PAGES - pages + 1) * PAGE;
	int flags = MAP_FIXED | MAP_ANONYMOUS;
	void *p;

	flags |= one_in(8) ? MAP_SHARED : MAP_PRIVATE;	/* shared: refused */
	if (one_in(8)) {	/* the big region, given away by an exclusive share */
		pages = BIG_SIZE / PAGE;
		a = (uintptr_t)P.big;
	}
	p = mmap((void *)a, pages * PAGE, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p != MAP_FAILED && !sigsetjmp(fault_jmp, 1)) {
		/* other threads munmap and mprotect the arena meanwhile */
		fault_armed = 1;
		memset(p, (int)rn(256), pages * PAGE);
		fault_armed = 0;
		if (one_in(4))
			madvise(p, pages * PAGE, MADV_HUGEPAGE);
	}
	count(OP_ARENA, p != MAP_FAILED);
}

static void do_reopen(void)
{
	int old, fd;

	if (one_in(2)) {	/* dup: one more reference, closed again */
		fd = dup(atomic_load(&P.fd));
		count(OP_DUP, fd >= 0);
		if (fd >= 0)
			close(fd);
		return;
	}
	/* end the context under the other threads' calls, open a new one */
	old = atomic_exchange(&P.fd, -1);
	if (old < 0)
		return;
	close(old);
	fd = iuc_open_retry(one_in(4) ? O_RDONLY : O_RDWR);
	count(OP_REOPEN, fd >= 0);
	if (fd < 0)
		fd = open("/dev/null", O_RDWR);	/* keep going: calls get ENOTTY */
	atomic_store(&P.fd, fd);
}

/* A forked child uses the parent's fd (EBADFD), its mappings, then its own context. */
static void child_play(struct thr *t, int inherited)
{
	struct iuc_pipe_info pi = { .id = pick_id() };
	unsigned int i;

	alarm(2);	/* timers are not inherited: a blocking call must not hang us */
	ioctl(inherited, IUC_IOC_PIPE_INFO, &pi);
	do_touch();
	if (one_in(2)) {
		int fd = open("/dev/iuc", O_RDWR);

		if (fd >= 0) {
			atomic_store(&P.fd, fd);
			for (i = 0; i < 8; i++)
				do_ioctl(t);
			close(fd);
		}
	}
	_exit(0);
}

static void do_fork(struct thr *t, bool exec)
{
	pid_t pid = fork();

	count(exec ? OP_EXEC : OP_FORK, pid >= 0);
	if (pid == 0) {
		if (exec) {
			char fdarg[16];

			snprintf(fdarg, sizeof(fdarg), "%d", atomic_load(&P.fd));
			execl("/proc/self/exe", "iuc_fuzz", "--exec-child", fdarg, (char *)NULL);
			_exit(0);
		}
		child_play(t, atomic_load(&P.fd));
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

static void chaos_step(struct thr *t)
{
	unsigned int r = (unsigned int)rn(100);

	if (r < 55)
		do_ioctl(t);
	else if (r < 70)
		do_uring(t);
	else if (r < 78)
		do_read(t);
	else if (r < 80)
		do_poll();
	else if (r < 84)
		do_mmap();
	else if (r < 89)
		do_vma();
	else if (r < 93)
		do_touch();
	else if (r < 97)
		do_arena();
	else if (r < 98)
		do_reopen();
	else if (one_in(4))
		do_fork(t, one_in(3));
	else
		do_read(t);
}

struct thr_arg {
	unsigned int idx;
	uint64_t seed;
	atomic_int done;
};

static void *chaos_thread(void *p)
{
	struct thr_arg *ta = p;
	struct thr t = { .idx = ta->idx };

	rnd_seed(ta->seed);
	t.args = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t.data = mmap(NULL, DATA_SIZE + PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t.args == MAP_FAILED || t.data == MAP_FAILED)
		_exit(3);
	mprotect(t.args + 2 * PAGE, PAGE, PROT_NONE);
	mprotect(t.data + DATA_SIZE, PAGE, PROT_NONE);
	memset(t.data, 0x5a, DATA_SIZE);
	arm_interrupts(20 + (unsigned int)rn(40));
	while (budget_left())
		chaos_step(&t);
	atomic_store(&ta->done, 1);
	/* the ring (and what is pending in it) goes with the process */
	return NULL;
}

static void chaos_main(int slot, uint64_t seed, unsigned int nthreads)
{
	pthread_t th[MAX_THREADS];
	struct thr_arg ta[MAX_THREADS];
	struct iuc_handle_signal h;
	struct iuc_ready rd = { 0 };
	unsigned char recs[4 * IUC_SIGNAL_SIZE];
	struct stat ns;
	bool serve;
	char name[16];
	unsigned int i;
	int fd;

	snprintf(name, sizeof(name), "iuc-chaos%d", slot);
	prctl(PR_SET_NAME, name);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rnd_seed(seed);
	install_handlers();
	P.worker = slot;
	pthread_mutex_init(&P.maps_lock, NULL);
	P.arena = mmap(NULL, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	P.big = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	P.ropage = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	P.hole = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (P.arena == MAP_FAILED || P.ropage == MAP_FAILED || P.hole == MAP_FAILED ||
	    P.big == MAP_FAILED)
		_exit(3);
	memset(P.big, 0x44, BIG_SIZE);
	memset(P.arena, 0x33, ARENA_PAGES * PAGE);
	memset(P.ropage, 0, PAGE);
	mprotect(P.ropage, PAGE, PROT_READ);
	munmap(P.hole, PAGE);	/* an unmapped address */

	fd = iuc_open_retry(one_in(8) ? O_RDONLY : O_RDWR);
	if (fd < 0)
		_exit(4);
	atomic_store(&P.fd, fd);
	if (!stat("/proc/self/ns/ipc", &ns))
		P.anid = (uint32_t)ns.st_ino;
	/*
	 * Half the workers try to become the service of our application (one
	 * instance per user: the first one wins until it is killed).  The
	 * requests come as records, read by any thread and by the main thread.
	 */
	if (one_in(2)) {
		static const uint8_t codes[] = { IUC_SIG_SERVICE_CONN_REQUEST,
			IUC_SIG_SERVICE_CLIENT_CLOSED, IUC_SIG_SERVICE_CLIENT_QUITTED,
			IUC_SIG_SERVICE_SERVER_QUITTED };
		struct iuc_register_service reg = { .scope = IUC_SCOPE_USER };

		P.service = xioctl(fd, IUC_IOC_REGISTER_SERVICE, &reg) == 0;
		count(OP_REGISTER_SERVICE, P.service);
		for (i = 0; P.service && i < 4; i++) {
			memset(&h, 0, sizeof(h));
			h.code = codes[i];
			h.rt_signal = one_in(4) ? (uint32_t)SIGRTMIN + (uint32_t)rn(4) : 0;
			xioctl(fd, IUC_IOC_HANDLE_SIGNAL, &h);
		}
		if (P.service)
			xioctl(fd, IUC_IOC_READY, &rd);
	}
	/* most workers take pipes and segments; a few stay deaf */
	if (!one_in(6)) {
		static const uint8_t codes[] = { IUC_SIG_RECV_PIPE, IUC_SIG_PIPE_CLOSED,
			IUC_SIG_RECV_SHARED_MEM, IUC_SIG_UNSHARED_MEM };

		for (i = 0; i < 4; i++) {
			memset(&h, 0, sizeof(h));
			h.code = codes[i];
			h.rt_signal = one_in(4) ? (uint32_t)SIGRTMIN + (uint32_t)rn(4) : 0;
			ioctl(fd, IUC_IOC_HANDLE_SIGNAL, &h);
		}
		if (!one_in(8))
			ioctl(fd, IUC_IOC_READY, &rd);
	}
	for (i = 0; i < nthreads; i++) {
		ta[i].idx = i;
		ta[i].seed = mix64(seed + i + 1);
		atomic_store(&ta[i].done, 0);
		if (pthread_create(&th[i], NULL, chaos_thread, &ta[i]))
			_exit(5);
	}
	/*
	 * Once the run stops, interrupt blocked threads until they see it
	 * (their timers may be missing: timer_create can fail).  tgkill's
	 * SIGUSR1 is delivered even over RLIMIT_SIGPENDING.  A service's main
	 * thread meanwhile reads records, so that requests are answered within
	 * the clients' interrupt period (its own timer ends a blocking read).
	 */
	serve = P.service && arm_interrupts(20);
	for (;;) {
		unsigned int left = 0;

		for (i = 0; i < nthreads; i++)
			left += !atomic_load(&ta[i].done);
		if (!left)
			break;
		if (!budget_left())
			for (i = 0; i < nthreads; i++)
				if (!atomic_load(&ta[i].done))
					pthread_kill(th[i], SIGUSR1);
		if (serve && budget_left()) {
			struct pollfd pf = { .fd = atomic_load(&P.fd), .events = POLLIN };
			ssize_t r;

			if (poll(&pf, 1, 10) == 1 && (pf.revents & POLLIN)) {
				r = read(pf.fd, recs, sizeof(recs));
				count(OP_READ, r > 0);
				take_records(recs, r);
			}
		} else {
			usleep(10000);
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

/* ---- integrity lanes ---------------------------------------------------- */

static uint8_t stream_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t)(mix64(seed ^ (off >> 3)) >> ((off & 7) * 8));
}

static uint32_t csum(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/*
 * Lanes check integrity alongside the chaos; paced (~1 ms an operation) so
 * that on a slow (TCG, KASAN) guest they do not take the CPUs from it.
 */
static void lane_pace(void)
{
	usleep((useconds_t)(200 + rn(1600)));
}

static int wait_pid(int lane)
{
	int p;

	while (!(p = atomic_load(&S->pids[MAX_CHAOS + lane])))
		usleep(1000);
	return p;
}

static int lane_open(int lane)
{
	int fd = iuc_open_retry(O_RDWR);

	if (fd < 0) {
		lane_error(lane, "open /dev/iuc: %s", strerror(errno));
		_exit(1);
	}
	return fd;
}

/*
 * The sender's side of a lane pipe: open it to the receiver lane @rx,
 * publish the receiver's id in @peer.  On failure, @done tells the
 * receiver there is nothing to wait for.  Returns the fd; *@id the SC.
 */
static int lane_pipe(int lane, int rx, uint8_t mode, uint8_t mult, atomic_ulong *peer,
		     atomic_int *done, uint64_t *id)
{
	int fd = lane_open(lane);
	struct iuc_open_pipe o = {
		.target_pid = (uint64_t)wait_pid(rx),
		.type = IUC_PIPE_TYPE_CALLER_SENDS, .mode = mode,
		.notify = IUC_NOTIFY_SKIP, .multiplier = mult,
	};

	if (xioctl(fd, IUC_IOC_OPEN_PIPE, &o)) {
		lane_error(lane, "OPEN_PIPE: %s (0x%x)", strerror(errno), o.error);
		atomic_store(done, 1);
		_exit(1);
	}
	atomic_store(peer, o.peer_id);
	*id = o.id;
	return fd;
}

/* The sender is done: its total is final, the pipe closes (pending data stays readable). */
static void lane_pipe_done(int fd, uint64_t id, atomic_ulong *total, uint64_t n, atomic_int *done)
{
	struct iuc_close_pipe c = { .id = id };

	atomic_store(total, n);
	atomic_store(done, 1);
	xioctl(fd, IUC_IOC_CLOSE_PIPE, &c);
	_exit(0);
}

/* The receiver's id of a lane pipe, once the sender opened it (0: it failed). */
static uint64_t lane_pipe_id(atomic_ulong *peer, atomic_int *done)
{
	uint64_t id;

	while (!(id = atomic_load(peer))) {
		if (atomic_load(done))
			_exit(0);
		usleep(1000);
	}
	return id;
}

/*
 * Stream lane: a blocking raw pipe, sender -> receiver.  Byte @off of the
 * stream is stream_byte(seed, off); chunk sizes and modes are random, and
 * the interrupt timer cuts calls short, so @transferred must be exact.
 */
static void stream_tx(uint64_t seed)
{
	unsigned char *buf = malloc(4 * 65536);
	uint64_t off = 0, id;
	int fd = lane_pipe(0, L_STREAM_RX, IUC_PIPE_MODE_RAW, (uint8_t)(1 + rn(3)),
			   &S->stream_id, &S->stream_done, &id);

	arm_interrupts(7);
	while (buf && !atomic_load(&S->stop)) {
		struct iuc_pipe_write w = { .id = id, .buf = (uintptr_t)buf };
		size_t n = one_in(4) ? 1 + rn(16) : 1 + rn(one_in(8) ? 3 * 65536 : 65536);

		for (size_t i = 0; i < n; i++)
			buf[i] = stream_byte(seed, off + i);
		w.count = n;
		w.mode = one_in(3) ? IUC_IO_PARTIAL : one_in(4) ? IUC_IO_TRY : IUC_IO_BLOCK;
		if (ioctl(fd, IUC_IOC_PIPE_WRITE, &w) &&
		    errno != EINTR && errno != EAGAIN) {
			lane_error(0, "PIPE_WRITE: %s (0x%x)", strerror(errno), w.error);
			break;
		}
		if (w.transferred > n) {
			lane_error(0, "PIPE_WRITE transferred %llu > count %zu",
				   (unsigned long long)w.transferred, n);
			break;
		}
		off += w.transferred;
		count(OP_LANE, true);
		lane_pace();
	}
	lane_pipe_done(fd, id, &S->stream_sent, off, &S->stream_done);
}

static void stream_rx(uint64_t seed)
{
	unsigned char *buf = malloc(4 * 65536);
	int fd = lane_open(0);
	uint64_t off = 0, id;
	struct io_uring ring;
	bool ring_ok;

	atomic_store(&S->pids[MAX_CHAOS + L_STREAM_RX], getpid());
	id = lane_pipe_id(&S->stream_id, &S->stream_done);
	ring_ok = io_uring_queue_init(4, &ring, 0) == 0;
	arm_interrupts(11);
	for (;;) {
		struct iuc_pipe_read r = { .id = id, .buf = (uintptr_t)buf };
		bool done = atomic_load(&S->stream_done);
		int ret;

		r.count = (uint32_t)(one_in(4) ? 1 + rn(64) : 1 + rn(2 * 65536));
		r.mode = done || one_in(2) ? IUC_IO_PARTIAL : one_in(3) ? IUC_IO_TRY : IUC_IO_BLOCK;
		if (ring_ok && one_in(4)) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			struct io_uring_cqe *cqe;
			uint64_t addr = (uintptr_t)&r;

			if (!sqe) {
				lane_error(0, "io_uring: no free submission slot");
				break;
			}
			memset(sqe, 0, sizeof(*sqe));
			sqe->opcode = IORING_OP_URING_CMD;
			sqe->fd = fd;
			sqe->cmd_op = IUC_IOC_PIPE_READ;
			memcpy(sqe->cmd, &addr, sizeof(addr));
			io_uring_submit(&ring);
			while ((ret = io_uring_wait_cqe(&ring, &cqe)) == -EINTR)
				;
			if (ret) {
				lane_error(0, "io_uring wait: %s", strerror(-ret));
				break;
			}
			ret = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
			/*
			 * io-wq cancels work it could not start (a signal hit
			 * the worker's creation): the call never ran.
			 */
			if (ret == -ECANCELED && r.error == 0 && !r.transferred) {
				atomic_fetch_add(&S->lane[0].restarts, 1);
				continue;
			}
		} else {
			ret = ioctl(fd, IUC_IOC_PIPE_READ, &r) ? -errno : 0;
		}
		if (r.transferred > r.count) {
			lane_error(0, "PIPE_READ transferred %llu > count %u",
				   (unsigned long long)r.transferred, r.count);
			break;
		}
		for (uint64_t i = 0; i < r.transferred; i++) {
			if (buf[i] != stream_byte(seed, off + i)) {
				lane_error(0, "byte %llu: got 0x%02x want 0x%02x (read of %u, mode %u)",
					   (unsigned long long)(off + i), buf[i],
					   stream_byte(seed, off + i), r.count, r.mode);
				goto out;
			}
		}
		off += r.transferred;
		count(OP_LANE, ret == 0);
		lane_pace();
		if (ret == -EPIPE)
			break;	/* closed and drained */
		if (ret && ret != -EINTR && ret != -EAGAIN) {
			lane_error(0, "PIPE_READ: %s (0x%x)", strerror(-ret), r.error);
			break;
		}
		if (done && r.transferred == 0 && off >= atomic_load(&S->stream_sent) &&
		    atomic_load(&S->stream_sent))
			break;
	}
out:
	while (!atomic_load(&S->stream_done))
		usleep(1000);
	if (off != atomic_load(&S->stream_sent))
		lane_error(0, "received %llu bytes, sent %llu", (unsigned long long)off,
			   (unsigned long long)atomic_load(&S->stream_sent));
	atomic_store(&S->lane[0].units, off);
	_exit(0);
}

/* Message lane: header { seq, len, csum(payload) } + payload from seq. */
struct msg_hdr {
	uint64_t seq;
	uint32_t len;
	uint32_t sum;
};

static size_t msg_fill(unsigned char *buf, uint64_t seed, uint64_t seq)
{
	struct msg_hdr *h = (struct msg_hdr *)buf;
	uint64_t r = mix64(seed ^ seq);
	size_t len;

	switch (r % 5) {
	case 0: len = sizeof(*h); break;
	case 1: len = IUC_MESSAGE_MAX; break;
	case 2: len = IUC_MESSAGE_MAX - 1 - (r >> 8) % 64; break;
	default: len = sizeof(*h) + (r >> 8) % (IUC_MESSAGE_MAX - sizeof(*h)); break;
	}
	for (size_t i = sizeof(*h); i < len; i++)
		buf[i] = stream_byte(seed ^ seq, i);
	h->seq = seq;
	h->len = (uint32_t)len;
	h->sum = csum(buf + sizeof(*h), len - sizeof(*h));
	return len;
}

static void msg_tx(uint64_t seed)
{
	unsigned char *buf = malloc(IUC_MESSAGE_MAX);
	uint64_t seq = 0, id;
	int fd = lane_pipe(1, L_MSG_RX, IUC_PIPE_MODE_MESSAGE, (uint8_t)(1 + rn(2)),
			   &S->msg_id, &S->msg_done, &id);

	arm_interrupts(9);
	while (buf && !atomic_load(&S->stop)) {
		struct iuc_pipe_write w = { .id = id, .buf = (uintptr_t)buf };
		size_t len = msg_fill(buf, seed, seq);

		w.count = len;
		w.mode = one_in(3) ? IUC_IO_TRY : IUC_IO_BLOCK;
		if (ioctl(fd, IUC_IOC_PIPE_WRITE, &w) == 0) {
			if (w.transferred != len)
				lane_error(1, "message %llu: wrote %llu of %zu", (unsigned long long)seq,
					   (unsigned long long)w.transferred, len);
			seq++;
		} else if (errno == EINTR || errno == EAGAIN) {
			if (w.transferred == len) {
				seq++;	/* it went out after all */
			} else if (w.transferred) {
				lane_error(1, "message %llu: %s after %llu of %zu bytes",
					   (unsigned long long)seq, strerror(errno),
					   (unsigned long long)w.transferred, len);
				break;
			}
		} else {
			lane_error(1, "PIPE_WRITE: %s (0x%x)", strerror(errno), w.error);
			break;
		}
		count(OP_LANE, true);
		lane_pace();
	}
	lane_pipe_done(fd, id, &S->msg_sent, seq, &S->msg_done);
}

static void msg_rx(uint64_t seed)
{
	unsigned char *buf = malloc(IUC_MESSAGE_MAX), *want = malloc(IUC_MESSAGE_MAX);
	int fd = lane_open(1);
	uint64_t seq = 0, id;

	atomic_store(&S->pids[MAX_CHAOS + L_MSG_RX], getpid());
	id = lane_pipe_id(&S->msg_id, &S->msg_done);
	arm_interrupts(13);
	for (;;) {
		struct iuc_pipe_read r = { .id = id, .buf = (uintptr_t)buf };
		size_t wlen;
		int ret;

		r.count = one_in(8) ? 1 + (uint32_t)rn(IUC_MESSAGE_MAX - 1) : IUC_MESSAGE_MAX;
		r.mode = atomic_load(&S->msg_done) || one_in(2) ? IUC_IO_TRY : IUC_IO_BLOCK;
		ret = ioctl(fd, IUC_IOC_PIPE_READ, &r) ? -errno : 0;
		count(OP_LANE, ret == 0);
		lane_pace();
		if (ret == -EPIPE)
			break;
		if (ret == -EMSGSIZE) {
			wlen = msg_fill(want, seed, seq);
			if (r.result != wlen || r.transferred) {
				lane_error(1, "message %llu: EMSGSIZE says %llu bytes (want %zu), moved %llu",
					   (unsigned long long)seq, (unsigned long long)r.result,
					   wlen, (unsigned long long)r.transferred);
				break;
			}
			continue;
		}
		if (ret == -EINTR || ret == -EAGAIN) {
			if (r.transferred) {
				lane_error(1, "message %llu: %s with %llu bytes moved",
					   (unsigned long long)seq, strerror(-ret),
					   (unsigned long long)r.transferred);
				break;
			}
			continue;
		}
		if (ret) {
			lane_error(1, "PIPE_READ: %s (0x%x)", strerror(-ret), r.error);
			break;
		}
		wlen = msg_fill(want, seed, seq);
		if (r.result != wlen || r.transferred != wlen || memcmp(buf, want, wlen)) {
			const struct msg_hdr *h = (const struct msg_hdr *)buf;

			lane_error(1, "message %llu: got seq %llu len %llu/%llu sum %s, want len %zu",
				   (unsigned long long)seq, (unsigned long long)h->seq,
				   (unsigned long long)r.result, (unsigned long long)r.transferred,
				   r.result >= sizeof(*h) && r.result <= IUC_MESSAGE_MAX &&
				   h->sum == csum(buf + sizeof(*h), r.result - sizeof(*h)) ?
				   "ok" : "bad", wlen);
			break;
		}
		seq++;
	}
	while (!atomic_load(&S->msg_done))
		usleep(1000);
	if (seq != atomic_load(&S->msg_sent))
		lane_error(1, "received %llu messages, sent %llu", (unsigned long long)seq,
			   (unsigned long long)atomic_load(&S->msg_sent));
	atomic_store(&S->lane[1].units, seq);
	_exit(0);
}

/*
 * Hand-off lane: the sender fills fresh pages with a pattern of @seq, shares
 * them exclusively (command = seq), checks they are gone from its address
 * space; the receiver checks them through the mapping the RECV_SHARED_MEM
 * record gives, then MEM_UNMAPs.  At most 4 hand-offs are outstanding.
 */
static void hand_tx(uint64_t seed)
{
	int fd = lane_open(2);
	uint64_t seq = 0, target = (uint64_t)wait_pid(L_HAND_RX);
	unsigned char vec[512];

	arm_interrupts(17);
	while (!atomic_load(&S->stop)) {
		size_t pages = one_in(8) ? 512 : 1 + rn(32);
		size_t len = pages * PAGE;
		struct iuc_share_mem s = {
			.target_pid = target, .length = len, .mode = IUC_SHARE_EXCLUSIVE,
			.notify = IUC_NOTIFY, .command = (uint16_t)seq,
		};
		unsigned char *p;
		int ret;

		if (atomic_load(&S->hand_sent) - atomic_load(&S->hand_acked) >= 4) {
			usleep(1000);
			continue;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			lane_error(2, "mmap: %s", strerror(errno));
			break;
		}
		if (pages == 512)
			madvise(p, len, MADV_HUGEPAGE);
		for (size_t i = 0; i < len; i += 8)
			*(uint64_t *)(p + i) = mix64(seed ^ (seq << 32) ^ i);
		s.addr = (uintptr_t)p;
		ret = ioctl(fd, IUC_IOC_SHARE_MEM, &s) ? errno : 0;
		count(OP_LANE, ret == 0);
		lane_pace();
		if (ret == EINTR || ret == EAGAIN || (ret == ENOMEM && s.error == IUC_E_SHARE_PIN_LIMIT)) {
			munmap(p, len);
			continue;
		}
		if (ret) {
			lane_error(2, "SHARE_MEM %zu pages: %s (0x%x)", pages, strerror(ret), s.error);
			munmap(p, len);
			break;
		}
		/* exclusive: not one page of the range may stay in our address space */
		if (mincore(p, PAGE, vec) == 0 || errno != ENOMEM)
			lane_error(2, "hand-off %llu: the sharer still maps %p after SHARE_MEM",
				   (unsigned long long)seq, (void *)p);
		atomic_fetch_add(&S->hand_sent, 1);
		seq++;
	}
	atomic_store(&S->hand_done, 1);
	_exit(0);
}

static void hand_rx(uint64_t seed)
{
	int fd = lane_open(2);
	struct iuc_handle_signal h = { .code = IUC_SIG_RECV_SHARED_MEM };
	struct iuc_ready rd = { 0 };
	pid_t sender = 0;
	uint64_t seq = 0;

	if (xioctl(fd, IUC_IOC_HANDLE_SIGNAL, &h) || xioctl(fd, IUC_IOC_READY, &rd)) {
		lane_error(2, "HANDLE_SIGNAL/READY: %s", strerror(errno));
		_exit(1);
	}
	atomic_store(&S->pids[MAX_CHAOS + L_HAND_RX], getpid());
	arm_interrupts(19);
	for (;;) {
		struct iuc_signal sig;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		const struct iuc_sig_recv_shared_mem *m = &sig.data.recv_shared_mem;
		struct iuc_mem_unmap u = { 0 };
		ssize_t r;

		if (!sender)
			sender = atomic_load(&S->pids[MAX_CHAOS + L_HAND_TX]);
		if (atomic_load(&S->hand_done) && seq == atomic_load(&S->hand_sent))
			break;
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		r = read(fd, &sig, sizeof(sig));
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		count(OP_LANE, r == sizeof(sig));
		if (r != sizeof(sig)) {
			lane_error(2, "read: %zd (%s)", r, strerror(errno));
			break;
		}
		if (sig.code != IUC_SIG_RECV_SHARED_MEM)
			continue;
		u.segment = sig.object;
		if ((pid_t)m->sharer_pid != sender) {
			/* a chaos worker's share: give it back */
			atomic_fetch_add(&S->lane[2].foreign, 1);
			if (xioctl(fd, IUC_IOC_MEM_UNMAP, &u) && m->start)
				munmap((void *)(uintptr_t)m->start, m->length);
			continue;
		}
		if (m->mode != IUC_SHARE_EXCLUSIVE || m->command != (uint16_t)seq || !m->start) {
			lane_error(2, "hand-off %llu: record mode %u command %u start 0x%llx",
				   (unsigned long long)seq, m->mode, m->command,
				   (unsigned long long)m->start);
			break;
		}
		for (size_t i = 0; i < m->length; i += 8) {
			uint64_t got = *(volatile uint64_t *)(uintptr_t)(m->start + i);

			if (got != mix64(seed ^ (seq << 32) ^ i)) {
				lane_error(2, "hand-off %llu: word at %zu of %llu differs",
					   (unsigned long long)seq, i, (unsigned long long)m->length);
				goto out;
			}
		}
		if (xioctl(fd, IUC_IOC_MEM_UNMAP, &u)) {
			lane_error(2, "MEM_UNMAP %llu: %s (0x%x)", (unsigned long long)u.segment,
				   strerror(errno), u.error);
			break;
		}
		seq++;
		atomic_fetch_add(&S->hand_acked, 1);
	}
out:
	atomic_store(&S->lane[2].units, seq);
	if (atomic_load(&S->hand_sent) != seq)
		lane_error(2, "verified %llu hand-offs, sent %llu", (unsigned long long)seq,
			   (unsigned long long)atomic_load(&S->hand_sent));
	_exit(0);
}

static pid_t spawn_lane(int lane, uint64_t seed)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_NAME, lane_names[lane]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	install_handlers();
	rnd_seed(mix64(seed ^ (uint64_t)(lane + 100)));
	/* a receiver is published once its context exists (see *_rx) */
	if (lane == L_STREAM_TX || lane == L_MSG_TX || lane == L_HAND_TX)
		atomic_store(&S->pids[MAX_CHAOS + lane], getpid());
	switch (lane) {
	case L_STREAM_TX: stream_tx(seed ^ 1); break;
	case L_STREAM_RX: stream_rx(seed ^ 1); break;
	case L_MSG_TX: msg_tx(seed ^ 2); break;
	case L_MSG_RX: msg_rx(seed ^ 2); break;
	case L_HAND_TX: hand_tx(seed ^ 3); break;
	default: hand_rx(seed ^ 3); break;
	}
	_exit(0);
}

/* ---- end checks ---------------------------------------------------------- */

static long vmstat(const char *key)
{
	char line[128];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ' ')
			v = atol(line + kl + 1);
	fclose(f);
	return v;
}

/* The module's slab objects: SLUB sysfs, else /proc/slabinfo; -1 if neither. */
static long slab_objects(char *how, size_t howlen)
{
	char line[512];
	long v = -1, aliases = 0;
	FILE *f = fopen("/sys/kernel/slab/iuc_event/shrink", "w");

	/* flush the per-cpu slabs first: their free objects count as in use */
	if (f) {
		fputs("1", f);
		fclose(f);
	}
	f = fopen("/sys/kernel/slab/iuc_event/aliases", "r");
	if (f) {
		if (fgets(line, sizeof(line), f))
			aliases = atol(line);
		fclose(f);
	}
	f = fopen("/sys/kernel/slab/iuc_event/objects", "r");
	if (f) {
		if (fgets(line, sizeof(line), f))
			v = atol(line);
		fclose(f);
		snprintf(how, howlen, "/sys/kernel/slab/iuc_event/objects after shrink%s",
			 aliases ? ", cache merged with others" : "");
		return v;
	}
	f = fopen("/proc/slabinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "iuc_event ", 10)) {
				long active;

				if (sscanf(line + 10, "%ld", &active) == 1)
					v = active;
			}
		}
		fclose(f);
		if (v >= 0) {
			snprintf(how, howlen, "/proc/slabinfo active_objs");
			return v;
		}
	}
	snprintf(how, howlen, "neither /sys/kernel/slab/iuc_event nor an iuc_event line in /proc/slabinfo");
	return -1;
}

/*
 * RLIMIT_MEMLOCK charges back to zero: without CAP_IPC_LOCK and with a
 * limit of L pages, a mutual share of exactly L pages succeeds only if
 * nothing else is charged to this user, and one of L + 1 pages must fail.
 * Returns 0 ok, 1 charges left, 2 the probe could not run (reason in @why).
 */
static int memlock_probe(char *why, size_t whylen)
{
	const size_t pages = 16;
	int pfd[2];
	pid_t kid, pr;
	int st;

	if (pipe(pfd))
		return snprintf(why, whylen, "pipe: %s", strerror(errno)), 2;
	atomic_store(&S->pids[0], 0);
	kid = fork();
	if (kid == 0) {	/* the partner: a context to share with */
		char c;
		int fd = iuc_open_retry(O_RDWR);

		close(pfd[1]);
		if (fd < 0)
			_exit(1);
		atomic_store(&S->pids[0], getpid());
		while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(pfd[0]);
	pr = fork();
	if (pr == 0) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		struct rlimit rl = { pages * PAGE, pages * PAGE };
		unsigned char *p = mmap(NULL, (pages + 1) * PAGE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct iuc_share_mem s = { .mode = IUC_SHARE_MUTUAL, .access = IUC_ACCESS_READ,
					   .notify = IUC_NOTIFY_SKIP };
		struct iuc_unshare_mem u = { 0 };
		int fd, target;

		while (!(target = atomic_load(&S->pids[0])))
			usleep(1000);
		if (syscall(SYS_capget, &hdr, d))
			_exit(10);
		d[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
		d[CAP_IPC_LOCK / 32].permitted &= ~(1U << (CAP_IPC_LOCK % 32));
		if (syscall(SYS_capset, &hdr, d) || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(11);
		fd = iuc_open_retry(O_RDWR);
		if (fd < 0 || p == MAP_FAILED)
			_exit(12);
		memset(p, 1, (pages + 1) * PAGE);
		s.target_pid = (uint64_t)target;
		s.addr = (uintptr_t)p;
		s.length = (pages + 1) * PAGE;
		if (ioctl(fd, IUC_IOC_SHARE_MEM, &s) == 0 || s.error != IUC_E_SHARE_PIN_LIMIT)
			_exit(13);	/* the limit is not enforced: the probe proves nothing */
		s.length = pages * PAGE;
		if (xioctl(fd, IUC_IOC_SHARE_MEM, &s))
			_exit(s.error == IUC_E_SHARE_PIN_LIMIT ? 1 : 14);
		u.segment = s.segment;
		xioctl(fd, IUC_IOC_UNSHARE_MEM, &u);
		_exit(0);
	}
	while (waitpid(pr, &st, 0) < 0 && errno == EINTR)
		;
	close(pfd[1]);
	while (waitpid(kid, NULL, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) <= 1)
		return WEXITSTATUS(st);
	snprintf(why, whylen, "probe failed (status 0x%x: 10 capget, 11 capset/setrlimit, "
		 "12 open, 13 limit not enforced, 14 share failed otherwise)", st);
	return 2;
}

/* ---- supervisor ------------------------------------------------------------ */

/* Where each thread of a worker that does not stop sits in the kernel. */
static void dump_stacks(pid_t pid)
{
	char path[320], line[256];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		static const char *const files[] = { "syscall", "wchan", "stack" };
		unsigned int i;

		if (e->d_name[0] == '.')
			continue;
		for (i = 0; i < 3; i++) {
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/task/%s/%s", pid, e->d_name, files[i]);
			f = fopen(path, "r");
			if (!f)
				continue;
			while (fgets(line, sizeof(line), f))
				fprintf(stderr, "iuc_fuzz: stuck %d/%s %s: %s%s", pid, e->d_name,
					files[i], line, strchr(line, '\n') ? "" : "\n");
			fclose(f);
		}
	}
	closedir(d);
}

static void usage(void)
{
	fprintf(stderr, "usage: iuc_fuzz [-s SEED] [-n CALLS] [-t SECONDS] [-w WORKERS] "
		"[-j THREADS] [-k KILL_MS] [-q]\n");
	exit(2);
}

static int exec_child(int fd)
{
	struct iuc_pipe_info pi = { .id = 1 };
	struct iuc_ready rd = { 0 };
	int own;

	/* the inherited fd belongs to the parent's context: EBADFD */
	ioctl(fd, IUC_IOC_PIPE_INFO, &pi);
	ioctl(fd, IUC_IOC_READY, &rd);
	own = open("/dev/iuc", O_RDWR);
	if (own >= 0) {
		ioctl(own, IUC_IOC_READY, &rd);
		close(own);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int nworkers = 4, nthreads = 3, kill_ms = 150, i;
	double limit = 0, t0, t1, t2, t_end;
	pid_t chaos[MAX_CHAOS] = { 0 }, lanes[NR_LANES];
	unsigned int gen[MAX_CHAOS] = { 0 };
	long pin0_acq, slab0, slab1 = -1;
	char slab_how[128], why[256];
	unsigned long calls, budget = 0;
	uint64_t seed = 0;
	bool seeded = false;
	int opt, st, n = 0, failed = 0, lane_dead = 0;

	if (argc == 3 && !strcmp(argv[1], "--exec-child"))
		return exec_child(atoi(argv[2]));
	while ((opt = getopt(argc, argv, "s:n:t:w:j:k:q")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'n': budget = strtoul(optarg, NULL, 0); break;
		case 't': limit = atof(optarg); break;
		case 'w': nworkers = (unsigned int)atoi(optarg); break;
		case 'j': nthreads = (unsigned int)atoi(optarg); break;
		case 'k': kill_ms = (unsigned int)atoi(optarg); break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (nworkers < 1 || nworkers > MAX_CHAOS || nthreads < 1 || nthreads > MAX_THREADS)
		usage();
	if (!budget && !limit)
		budget = 100000;	/* chaos calls; the lanes' come on top */
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32));
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# iuc_fuzz: seed %llu (reproduce with -s %llu), %u chaos workers x %u threads, "
	       "budget %lu calls, %.0f s\n", (unsigned long long)seed, (unsigned long long)seed,
	       nworkers, nthreads, budget, limit);

	{
		/* between two PROT_NONE pages: stray writes of the fuzz do not reach it */
		size_t sz = (sizeof(*S) + PAGE - 1) & ~(PAGE - 1);
		unsigned char *g = mmap(NULL, sz + 2 * PAGE, PROT_NONE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (g == MAP_FAILED)
			return perror("mmap"), 1;
		S = mmap(g + PAGE, sz, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (S == MAP_FAILED)
			return perror("mmap"), 1;
	}
	memset(S, 0, sizeof(*S));
	S->seed = seed;
	S->budget = budget;
	rnd_seed(seed);
	pin0_acq = vmstat("nr_foll_pin_acquired");
	slab0 = slab_objects(slab_how, sizeof(slab_how));
	signal(SIGPIPE, SIG_IGN);

	t0 = now();
	t_end = limit ? t0 + limit : 0;
	for (i = 0; i < NR_LANES; i++)
		lanes[i] = spawn_lane((int)i, seed);
	for (i = 0; i < nworkers; i++) {
		chaos[i] = fork();
		if (chaos[i] == 0)
			chaos_main((int)i, mix64(seed ^ ((uint64_t)i << 40)), nthreads);
		atomic_store(&S->pids[i], chaos[i]);
		atomic_fetch_add(&S->chaos_spawned, 1);
	}

	/* supervise: kill and respawn chaos workers, reap the ones that end */
	while (!atomic_load(&S->stop)) {
		unsigned int victim;
		pid_t pid;

		if (t_end && now() >= t_end)
			atomic_store(&S->stop, 1);
		budget_left();
		usleep((useconds_t)(1000 * (kill_ms / 2 + rn(kill_ms + 1))));
		if (!quiet && ++n % 64 == 0)
			printf("# %lu calls, %.0f calls/s\n", atomic_load(&S->calls),
			       atomic_load(&S->calls) / (now() - t0));
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = 0; i < NR_LANES; i++) {
				if (lanes[i] == pid) {
					lanes[i] = 0;
					if (!WIFEXITED(st) || WEXITSTATUS(st)) {
						lane_dead++;
						fprintf(stderr, "iuc_fuzz: lane %s died (status 0x%x)\n",
							lane_names[i], st);
					}
				}
			}
			for (i = 0; i < nworkers; i++) {
				if (chaos[i] != pid)
					continue;
				chaos[i] = 0;
				atomic_store(&S->pids[i], 0);
				if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
					atomic_fetch_add(&S->chaos_killed, 1);
				if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
				    !(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
					if (atomic_fetch_add(&S->chaos_unexpected, 1) == 0)
						snprintf(S->chaos_first, sizeof(S->chaos_first),
							 "worker %u gen %u seed %llu: status 0x%x", i, gen[i],
							 (unsigned long long)mix64(seed ^ ((uint64_t)i << 40) ^ gen[i]),
							 st);
				}
			}
		}
		if (atomic_load(&S->stop))
			break;
		victim = (unsigned int)rn(nworkers);
		if (chaos[victim] && one_in(2)) {
			kill(chaos[victim], SIGKILL);
			atomic_store(&S->stale_pids[atomic_fetch_add(&S->stale_next, 1) % 16],
				     chaos[victim]);
			continue;	/* reaped above next round */
		}
		for (i = 0; i < nworkers; i++) {
			if (chaos[i])
				continue;
			gen[i]++;
			chaos[i] = fork();
			if (chaos[i] == 0)
				chaos_main((int)i, mix64(seed ^ ((uint64_t)i << 40) ^ gen[i]), nthreads);
			atomic_store(&S->pids[i], chaos[i]);
			atomic_fetch_add(&S->chaos_spawned, 1);
		}
	}
	t1 = now();

	/* chaos workers end on the stop flag; give them 30 s, then kill */
	for (i = 0; i < nworkers; i++) {
		double dl = now() + 30;

		while (chaos[i] && waitpid(chaos[i], &st, WNOHANG) == 0 && now() < dl)
			usleep(10000);
		if (chaos[i] && waitpid(chaos[i], &st, WNOHANG) == 0) {
			fprintf(stderr, "iuc_fuzz: chaos worker %u did not stop in 30 s, killing it\n", i);
			atomic_fetch_add(&S->chaos_stuck, 1);
			dump_stacks(chaos[i]);
			kill(chaos[i], SIGKILL);
			waitpid(chaos[i], &st, 0);
		}
		chaos[i] = 0;
	}
	for (i = 0; i < NR_LANES; i++) {
		double dl = now() + 60;

		while (lanes[i] && waitpid(lanes[i], &st, WNOHANG) == 0 && now() < dl)
			usleep(10000);
		if (lanes[i] && waitpid(lanes[i], &st, WNOHANG) == 0) {
			lane_error(i / 2, "%s hung at the end", lane_names[i]);
			kill(lanes[i], SIGKILL);
			waitpid(lanes[i], &st, 0);
		} else if (lanes[i] && (!WIFEXITED(st) || WEXITSTATUS(st))) {
			lane_dead++;
			fprintf(stderr, "iuc_fuzz: lane %s died (status 0x%x)\n", lane_names[i], st);
		}
		lanes[i] = 0;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	t2 = now();
	calls = atomic_load(&S->calls);	/* final: every worker is gone */

	printf("# calls issued: %lu in %.1f s, %.0f calls/s (chaos workers %lu, lanes %lu)\n",
	       calls, t1 - t0, calls / (t1 - t0 > 0 ? t1 - t0 : 1),
	       calls - atomic_load(&S->lane_calls), atomic_load(&S->lane_calls));
	printf("# chaos workers: %lu spawned, %lu killed by the supervisor; %lu interrupt "
	       "timers could not be created\n", atomic_load(&S->chaos_spawned),
	       atomic_load(&S->chaos_killed), atomic_load(&S->timer_failed));
	for (i = 0; i < NR_OPS; i++) {
		char line[512];
		int len = 0;

		if (!atomic_load(&S->ops[i]))
			continue;
		for (unsigned int e = 0; e < NR_ERRS; e++) {
			unsigned long v = atomic_load(&S->err[i][e]);

			if (v)
				len += snprintf(line + len, sizeof(line) - (size_t)len, " %s %lu",
						e < NR_ERRS - 1 ? strerrorname_np(errs[e]) : "other", v);
			if (len >= (int)sizeof(line) - 32)
				break;
		}
		printf("#   %-30s %8lu issued %8lu ok%s%s\n", op_names[i], atomic_load(&S->ops[i]),
		       atomic_load(&S->ok[i]), len ? ", failed:" : "", len ? line : "");
	}

	printf("1..8\n");
#define CHECK(cond, ...) do {						\
		bool c_ = (cond);					\
		failed += !c_;						\
		printf("%sok %d - ", c_ ? "" : "not ", ++n);		\
		printf(__VA_ARGS__);					\
		putchar('\n');						\
	} while (0)
	n = 0;
	CHECK(calls > 0 && (!budget || calls - atomic_load(&S->lane_calls) >= budget || limit),
	      "calls issued: %lu (%.0f/s; budget %lu chaos calls)", calls,
	      calls / (t1 - t0 > 0 ? t1 - t0 : 1), budget);
	CHECK(!atomic_load(&S->lane[0].errors) && atomic_load(&S->lane[0].units),
	      "stream lane: %lu bytes, none lost, duplicated or reordered%s%s",
	      atomic_load(&S->lane[0].units), S->lane[0].errors ? "; first error: " : "",
	      S->lane[0].first_error);
	CHECK(!atomic_load(&S->lane[1].errors) && atomic_load(&S->lane[1].units),
	      "message lane: %lu messages, each whole and in order%s%s",
	      atomic_load(&S->lane[1].units), S->lane[1].errors ? "; first error: " : "",
	      S->lane[1].first_error);
	CHECK(!atomic_load(&S->lane[2].errors) && atomic_load(&S->lane[2].units),
	      "hand-off lane: %lu exclusive hand-offs verified (%lu foreign shares returned)%s%s",
	      atomic_load(&S->lane[2].units), atomic_load(&S->lane[2].foreign),
	      S->lane[2].errors ? "; first error: " : "", S->lane[2].first_error);
	/*
	 * Chaos workers may hurt themselves (a random munmap, a buffer the
	 * kernel fills where the fuzz pointed it): their crashes are told,
	 * not judged.  Lane workers must end cleanly.
	 */
	CHECK(!lane_dead, "lane workers ended cleanly (%d died); chaos workers: %lu crashed "
	      "on their own, %lu did not stop in 30 s (stacks above)%s%s", lane_dead,
	      atomic_load(&S->chaos_unexpected), atomic_load(&S->chaos_stuck),
	      S->chaos_first[0] ? ", first crash " : "", S->chaos_first);

	/* contexts end asynchronously (exit work): wait for the counters to settle */
	{
		double dl = now() + 30;
		long acq, rel;
		char how[128];

		do {
			acq = vmstat("nr_foll_pin_acquired");
			rel = vmstat("nr_foll_pin_released");
			slab1 = slab_objects(how, sizeof(how));
			if (acq == rel && (slab0 < 0 || slab1 <= slab0))
				break;
			usleep(100000);
		} while (now() < dl);
		printf("# end: workers stopped %.1f s after the budget, counters settled %.1f s later\n",
		       t2 - t1, now() - t2);
		CHECK(acq >= 0 && acq == rel,
		      "FOLL_PIN balanced after every worker exited: nr_foll_pin_acquired %ld "
		      "(+%ld during the run), nr_foll_pin_released %ld", acq, acq - pin0_acq, rel);
	}
	st = memlock_probe(why, sizeof(why));
	CHECK(st == 0, "RLIMIT_MEMLOCK charges back to zero (a share of exactly the limit "
	      "succeeds, one page more fails)%s%s", st == 2 ? ": " : st ? ": charges left" : "",
	      st == 2 ? why : "");
	if (slab0 < 0)
		CHECK(true, "module slab objects: not checkable on this kernel (%s)", slab_how);
	else
		CHECK(slab1 <= slab0, "module slab objects back to their start value "
		      "(%s: %ld at start, %ld at the end)", slab_how, slab0, slab1);
	printf("# end checks: %d failed; module unload and kernel reports are judged by "
	       "the VM runner\n", failed);
	return failed ? 1 : 0;
}
