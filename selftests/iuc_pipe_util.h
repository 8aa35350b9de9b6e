/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the IUC pipe selftests (iuc_pipe_*_test.c).
 *
 * Include this after kselftest_harness.h.  Like iuc_test_util.h (which it
 * includes), nothing here uses the harness's ASSERT/EXPECT macros: helpers
 * return values that the tests check.  Every name here starts with px_ /
 * PX_ so that it cannot clash with iuc_test_util.h.
 *
 * - px_write() & co: the pipe calls, with @error preset to ERR_SENTINEL;
 *   each returns 0 or -errno and leaves the whole struct for the test.
 * - pattern: the byte at stream offset @off of stream @seed is a fixed
 *   function of both, so any byte that arrives can be checked wherever it
 *   was written, by whichever process.
 * - px_stream_write()/px_stream_read(): move a whole stream through a pipe
 *   in one mode, with chunk sizes from a PRNG, retrying IUC_IO_TRY and
 *   IUC_IO_PARTIAL calls that moved nothing; they check the documented
 *   results of every call on the way and keep a checksum.
 * - agents (struct px_agent): a child process that runs commands sent by
 *   the test over a pipe, one at a time, and answers each with the full
 *   argument struct of its call.  A command can be sent without waiting
 *   for its answer (px_send()), so that the agent can block in a call
 *   while the test acts; px_wait() collects the answer later.
 * - px_async: one blocking ioctl of the test process run in a thread.
 *
 * Waits are bounded (TIMEOUT_MS, PX_LONG_MS) only to turn a hang into a
 * failure; no result depends on timing.  "Blocked" is observed through
 * PIPE_INFO's WRITE_PENDING / READ_PENDING bits, never assumed after a
 * delay.
 */
#ifndef IUC_PIPE_UTIL_H
#define IUC_PIPE_UTIL_H

#include <pthread.h>
#include <sys/mman.h>

#include "iuc_test_util.h"

/* Bound of the long waits: streams of 64 MiB in a TCG guest. */
#define PX_LONG_MS		240000
#define PX_UID_NOBODY		65534
#define PX_UID_OTHER		1000
#define PX_NO_BAD		UINT64_MAX	/* px_pat_check(): all bytes right */

static inline uint64_t px_cap(unsigned int multiplier)
{
	return (uint64_t)(multiplier ? multiplier : 1) * IUC_PIPE_UNIT;
}

/* ---- calls ------------------------------------------------------------- */

static inline int px_write(int fd, uint64_t id, const void *buf, uint64_t count,
			   uint8_t mode, struct iuc_pipe_write *w)
{
	memset(w, 0, sizeof(*w));
	w->error = ERR_SENTINEL;
	w->id = id;
	w->count = count;
	w->buf = (uint64_t)(uintptr_t)buf;
	w->mode = mode;
	return iuc_ioctl(fd, IUC_IOC_PIPE_WRITE, w);
}

static inline int px_read(int fd, uint64_t id, void *buf, uint32_t count,
			  uint8_t mode, struct iuc_pipe_read *r)
{
	memset(r, 0, sizeof(*r));
	r->error = ERR_SENTINEL;
	r->id = id;
	r->count = count;
	r->buf = (uint64_t)(uintptr_t)buf;
	r->mode = mode;
	return iuc_ioctl(fd, IUC_IOC_PIPE_READ, r);
}

/* PIPE_INFO; @i may be NULL. */
static inline int px_info(int fd, uint64_t id, struct iuc_pipe_info *i)
{
	struct iuc_pipe_info local;

	if (!i)
		i = &local;
	memset(i, 0, sizeof(*i));
	i->error = ERR_SENTINEL;
	i->id = id;
	return iuc_ioctl(fd, IUC_IOC_PIPE_INFO, i);
}

static inline int px_send_pipe(int fd, uint64_t id, uint64_t pid, uint8_t notify,
			       struct iuc_send_pipe *s)
{
	memset(s, 0, sizeof(*s));
	s->error = ERR_SENTINEL;
	s->id = id;
	s->target_pid = pid;
	s->notify = notify;
	return iuc_ioctl(fd, IUC_IOC_SEND_PIPE, s);
}

/* Status byte of @id, or -errno. */
static inline int px_status(int fd, uint64_t id)
{
	struct iuc_pipe_info i;
	int ret = px_info(fd, id, &i);

	return ret ? ret : i.status;
}

/* Room left in the pipe of @id, or (uint64_t)-errno. */
static inline uint64_t px_room(int fd, uint64_t id)
{
	struct iuc_pipe_info i;
	int ret = px_info(fd, id, &i);

	return ret ? (uint64_t)(int64_t)ret : i.room;
}

/*
 * Poll PIPE_INFO of @id until (status & @mask) == @want.  True when seen,
 * false when PIPE_INFO fails or after about TIMEOUT_MS (only a bound).
 */
static inline bool px_wait_status(int fd, uint64_t id, uint8_t mask, uint8_t want)
{
	for (long i = 0; i < 1000 + TIMEOUT_MS; i++) {
		int st = px_status(fd, id);

		if (st < 0)
			return false;
		if ((st & mask) == want)
			return true;
		if (i < 1000)
			sched_yield();
		else
			usleep(1000);
	}
	return false;
}

/*
 * Context of the test process: handles RECV_PIPE and PIPE_CLOSED (records
 * only) and is READY.  The fd or -errno.
 */
static inline int px_ctx(void)
{
	int ret, fd = iuc_open();

	if (fd < 0)
		return -errno;
	ret = iuc_handle_signal(fd, IUC_SIG_RECV_PIPE, 0, NULL);
	if (!ret)
		ret = iuc_handle_signal(fd, IUC_SIG_PIPE_CLOSED, 0, NULL);
	if (!ret)
		ret = iuc_ready(fd, NULL);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* Is a record readable now?  1, 0, or -errno. */
static inline int px_sig_pending(int fd)
{
	int rev = iuc_poll(fd, POLLIN, 0);

	return rev < 0 ? rev : !!(rev & POLLIN);
}

/* ---- data pattern and checksum ----------------------------------------- */

static inline uint64_t px_mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static inline uint8_t px_pat_byte(uint64_t seed, uint64_t off)
{
	uint64_t w = px_mix(px_mix(seed) ^ (off >> 3));

	return (uint8_t)(w >> (8 * (off & 7)));
}

/* Bytes [@off, @off + @len) of stream @seed into @buf. */
static inline void px_pat_fill(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	unsigned char *p = buf;
	uint64_t s = px_mix(seed);

	while (len && (off & 7)) {
		*p++ = px_pat_byte(seed, off++);
		len--;
	}
	while (len >= 8) {
		uint64_t w = px_mix(s ^ (off >> 3));

		memcpy(p, &w, 8);	/* little endian, as px_pat_byte() */
		p += 8;
		off += 8;
		len -= 8;
	}
	while (len) {
		*p++ = px_pat_byte(seed, off++);
		len--;
	}
}

/* Index of the first byte of @buf that is not the pattern, or PX_NO_BAD. */
static inline uint64_t px_pat_check(const void *buf, size_t len, uint64_t seed,
				    uint64_t off)
{
	const unsigned char *p = buf;
	unsigned char exp[4096];
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(exp) ? len - done : sizeof(exp);

		px_pat_fill(exp, n, seed, off + done);
		if (memcmp(exp, p + done, n)) {
			for (size_t i = 0; i < n; i++)
				if (exp[i] != p[done + i])
					return done + i;
		}
		done += n;
	}
	return PX_NO_BAD;
}

/* Order-sensitive checksum (Fletcher style, 64-bit sums). */
struct px_sum {
	uint64_t a, b;
};

static inline void px_sum_add(struct px_sum *s, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t a = s->a, b = s->b;

	for (size_t i = 0; i < len; i++) {
		a += p[i];
		b += a;
	}
	s->a = a;
	s->b = b;
}

/* xorshift64*: chunk sizes. */
static inline uint64_t px_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x2545F4914F6CDD1Dull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* ---- streams ------------------------------------------------------------ */

/*
 * One direction of a stream of @total bytes of pattern @seed.  In: the
 * fields up to @prng.  Out: the rest.  @why names the first problem.
 */
struct px_stream {
	uint64_t total;
	uint64_t seed;
	uint64_t cap;		/* pipe capacity: buffer of count-0 reads */
	uint32_t cmin, cmax;	/* chunk sizes, inclusive */
	uint32_t zero_every;	/* reads: every n-th call with count 0 (0: never) */
	uint8_t mode;		/* IUC_IO_* */
	uint8_t nocheck;	/* reads: do not check the bytes against the pattern */
	uint8_t __pad[2];
	uint64_t prng;
	/* out */
	uint64_t done;		/* bytes moved */
	uint64_t calls;		/* successful calls */
	uint64_t retries;	/* TRY/PARTIAL calls that moved nothing */
	uint64_t locked;	/* TRY calls that found the pipe locked */
	uint64_t bad;		/* stream offset of the first wrong byte, or PX_NO_BAD */
	struct px_sum sum;
	int32_t ret;		/* 0, -errno of a failed call, or -EPROTO */
	uint32_t error;		/* @error of the failed call */
	char why[64];
};

static inline void px_stream_init(struct px_stream *s, uint64_t total, uint64_t seed,
				  uint64_t cap, uint8_t mode, uint32_t cmin,
				  uint32_t cmax)
{
	memset(s, 0, sizeof(*s));
	s->total = total;
	s->seed = seed;
	s->cap = cap;
	s->mode = mode;
	s->cmin = cmin;
	s->cmax = cmax;
	s->prng = seed * 2 + 1;
	s->bad = PX_NO_BAD;
}

static inline uint64_t px_stream_chunk(struct px_stream *s)
{
	uint64_t left = s->total - s->done;
	uint64_t n = s->cmin + px_rand(&s->prng) % (s->cmax - s->cmin + 1);

	return n < left ? n : left;
}

static inline int px_stream_fail(struct px_stream *s, int ret, uint32_t error,
				 const char *why)
{
	s->ret = ret;
	s->error = error;
	snprintf(s->why, sizeof(s->why), "%s at %llu", why,
		 (unsigned long long)s->done);
	return ret;
}

/* Write the stream to SC @id.  0 or the failure (also in @s). */
static inline int px_stream_write(int fd, uint64_t id, struct px_stream *s,
				  const int *stop)
{
	size_t wsize = (size_t)s->cmax * 2;
	unsigned char *win = malloc(wsize);
	uint64_t wbase = 0, wlen = 0;
	int ret = 0;

	if (!win)
		return px_stream_fail(s, -ENOMEM, 0, "malloc");
	while (s->done < s->total) {
		uint64_t want = px_stream_chunk(s);
		struct iuc_pipe_write w;

		if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED))
			break;
		if (s->done < wbase || s->done + want > wbase + wlen) {
			wbase = s->done;
			wlen = wsize;
			px_pat_fill(win, wlen, s->seed, wbase);
		}
		for (;;) {
			ret = px_write(fd, id, win + (s->done - wbase), want, s->mode, &w);
			if (ret == -EAGAIN && s->mode == IUC_IO_TRY &&
			    w.error == IUC_E_WRITE_NO_ROOM && w.transferred == 0 &&
			    (w.result == IUC_TRY_LOCKED || w.result == IUC_TRY_NOT_ENOUGH)) {
				s->retries++;
				s->locked += w.result == IUC_TRY_LOCKED;
				sched_yield();
				continue;
			}
			if (ret) {
				px_stream_fail(s, ret, w.error, "write failed");
				goto out;
			}
			if (w.error != IUC_E_NONE) {
				px_stream_fail(s, -EPROTO, w.error, "write: error not NONE");
				goto out;
			}
			if (s->mode == IUC_IO_PARTIAL) {
				if (w.result != w.transferred || w.transferred > want) {
					px_stream_fail(s, -EPROTO, 0, "partial write result");
					goto out;
				}
				if (!w.transferred) {
					s->retries++;
					sched_yield();
					continue;
				}
			} else if (w.transferred != want) {
				px_stream_fail(s, -EPROTO, 0, "write transferred != count");
				goto out;
			} else if (s->mode == IUC_IO_BLOCK && w.result > s->cap) {
				px_stream_fail(s, -EPROTO, 0, "block write result > capacity");
				goto out;
			}
			break;
		}
		px_sum_add(&s->sum, win + (s->done - wbase), w.transferred);
		s->done += w.transferred;
		s->calls++;
	}
out:
	free(win);
	return s->ret;
}

/* Read the stream from RC @id, checking every byte.  0 or the failure. */
static inline int px_stream_read(int fd, uint64_t id, struct px_stream *s)
{
	size_t bsize = s->cmax > s->cap ? s->cmax : s->cap;
	unsigned char *buf = malloc(bsize);
	int ret = 0;

	if (!buf)
		return px_stream_fail(s, -ENOMEM, 0, "malloc");
	while (s->done < s->total) {
		uint64_t want = px_stream_chunk(s);
		struct iuc_pipe_read r;
		uint64_t bad;

		if (s->zero_every && s->calls % s->zero_every == s->zero_every - 1 &&
		    s->total - s->done >= s->cap)
			want = 0;	/* as much as is pending */
		for (;;) {
			ret = px_read(fd, id, buf, (uint32_t)want, s->mode, &r);
			if (ret == -EAGAIN && s->mode == IUC_IO_TRY &&
			    r.error == IUC_E_READ_NO_DATA && r.transferred == 0 &&
			    (r.result == IUC_TRY_LOCKED || r.result == IUC_TRY_NOT_ENOUGH)) {
				s->retries++;
				s->locked += r.result == IUC_TRY_LOCKED;
				sched_yield();
				continue;
			}
			if (ret) {
				px_stream_fail(s, ret, r.error, "read failed");
				goto out;
			}
			if (r.error != IUC_E_NONE) {
				px_stream_fail(s, -EPROTO, r.error, "read: error not NONE");
				goto out;
			}
			if (r.transferred > (want ? want : s->cap)) {
				px_stream_fail(s, -EPROTO, 0, "read more than asked");
				goto out;
			}
			if (s->mode != IUC_IO_BLOCK && r.result != r.transferred) {
				px_stream_fail(s, -EPROTO, 0, "try/partial read result != bytes");
				goto out;
			}
			if (s->mode == IUC_IO_BLOCK && r.result > s->cap) {
				px_stream_fail(s, -EPROTO, 0, "block read result > capacity");
				goto out;
			}
			if (want && s->mode != IUC_IO_PARTIAL && r.transferred != want) {
				px_stream_fail(s, -EPROTO, 0, "block/try read short");
				goto out;
			}
			if (!r.transferred) {
				if (s->mode != IUC_IO_PARTIAL) {
					px_stream_fail(s, -EPROTO, 0, "read moved nothing");
					goto out;
				}
				s->retries++;
				sched_yield();
				continue;
			}
			break;
		}
		bad = s->nocheck ? PX_NO_BAD :
			px_pat_check(buf, r.transferred, s->seed, s->done);
		if (bad != PX_NO_BAD) {
			s->bad = s->done + bad;
			px_stream_fail(s, -EPROTO, 0, "wrong byte");
			goto out;
		}
		px_sum_add(&s->sum, buf, r.transferred);
		s->done += r.transferred;
		s->calls++;
	}
out:
	free(buf);
	return s->ret;
}

/* ---- tagged messages of several writers --------------------------------- */

struct px_tag {
	uint32_t magic;
	uint16_t writer;
	uint16_t nwriters;
	uint32_t seq;
	uint32_t len;
};

#define PX_TAG_MAGIC	0x1bc0ffeeu

/* Length of message @seq of @writer: lengths of two writers never match. */
static inline uint32_t px_msg_len(unsigned int writer, unsigned int nwriters,
				  uint32_t seq)
{
	return (uint32_t)sizeof(struct px_tag) + writer +
	       nwriters * ((seq * 7919u + writer * 104729u) % 1500u);
}

static inline uint64_t px_msg_seed(unsigned int writer, uint32_t seq)
{
	return ((uint64_t)writer << 32) | seq;
}

static inline void px_msg_fill(void *buf, unsigned int writer,
			       unsigned int nwriters, uint32_t seq)
{
	struct px_tag t = {
		.magic = PX_TAG_MAGIC, .writer = (uint16_t)writer,
		.nwriters = (uint16_t)nwriters, .seq = seq,
		.len = px_msg_len(writer, nwriters, seq),
	};

	memcpy(buf, &t, sizeof(t));
	px_pat_fill((char *)buf + sizeof(t), t.len - sizeof(t),
		    px_msg_seed(writer, seq), 0);
}

/* ---- threads of the test process ---------------------------------------- */

/* One ioctl run in a thread: for calls that block the caller. */
struct px_async {
	pthread_t thread;
	int fd;
	unsigned long cmd;
	void *arg;
	int ret;
	int done;
	pid_t tid;
};

static inline void *px_async_main(void *p)
{
	struct px_async *a = p;

	__atomic_store_n(&a->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	a->ret = iuc_ioctl(a->fd, a->cmd, a->arg);
	__atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static inline int px_async_start(struct px_async *a, int fd, unsigned long cmd,
				 void *arg)
{
	memset(a, 0, sizeof(*a));
	a->fd = fd;
	a->cmd = cmd;
	a->arg = arg;
	return -pthread_create(&a->thread, NULL, px_async_main, a);
}

static inline bool px_async_done(struct px_async *a)
{
	return __atomic_load_n(&a->done, __ATOMIC_SEQ_CST);
}

/* Join, waiting at most @ms.  0 or -ETIMEDOUT (the thread is then left). */
static inline int px_join(pthread_t t, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return -pthread_timedjoin_np(t, NULL, &ts);
}

static inline int px_async_join(struct px_async *a)
{
	return px_join(a->thread, TIMEOUT_MS);
}

/* ---- agents --------------------------------------------------------------- */

enum px_op {
	PX_OPEN_DEV = 1,	/* open /dev/iuc */
	PX_CLOSE_DEV,		/* close(2) it: the context ends */
	PX_HANDLE,		/* a0 code */
	PX_UNHANDLE,		/* a0 code */
	PX_READY,
	PX_OPEN_PIPE,		/* u.open */
	PX_SEND_PIPE,		/* u.send */
	PX_WRITE,		/* u.w; data: pattern a0 from offset a1 */
	PX_READ,		/* u.r; a2 buffer size; v0 = first wrong byte vs pattern a0 at a1 */
	PX_INFO,		/* u.info */
	PX_CLOSE_PIPE,		/* u.close */
	PX_READ_SIG,		/* a0 timeout ms -> sig */
	PX_SIG_PENDING,		/* ret = 1 if a record is readable now */
	PX_SETUID,		/* a0 ruid, a1 euid, a2 suid (gids alike); v0/v1 effective caps */
	PX_UNSHARE_IPC,
	PX_NS_INO,		/* v0 */
	PX_OPEN_PATH,		/* path, kept as the agent's extra fd */
	PX_SETNS,		/* setns(extra fd, CLONE_NEWIPC) */
	PX_FORK_AGENT,		/* start the sub agent given to px_start() -> v0 pid */
	PX_FORK_HOLDER,		/* fork a child that keeps every fd until the hold pipe ends -> v0 */
	PX_STREAM_WRITE,	/* a0 id, st */
	PX_STREAM_READ,		/* a0 id, st */
	PX_MSG_VERIFY,		/* a0 id, a1 writers, a2 per writer -> v0 ok, v1 bad index */
	PX_EXIT,		/* _exit(a0), no answer */
};

union px_args {
	struct iuc_open_pipe open;
	struct iuc_send_pipe send;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct iuc_pipe_info info;
	struct iuc_close_pipe close;
};

struct px_msg {
	uint32_t op;
	uint32_t __pad;
	uint64_t a[4];
	union px_args u;
	struct px_stream st;
	char path[64];
};

struct px_reply {
	int32_t ret;		/* 0 / -errno (PX_SIG_PENDING: 0/1) */
	uint32_t error;		/* the call's @error */
	uint64_t v[4];
	union px_args u;	/* the struct after the call */
	struct px_stream st;
	struct iuc_signal sig;
	char why[64];
};

struct px_agent {
	pid_t pid;
	int cmd, rsp;		/* test side */
	int cmd_rd, rsp_wr;	/* agent side, until it runs */
	int pending;		/* commands sent and not answered */
	uint32_t prepared;	/* PX_PREPARED once px_prepare() ran */
};

#define PX_PREPARED	0x50584147u

/* Result of a command whose transport failed: matches no expected value. */
#define PX_BROKEN	(-100000)

static inline int px_prepare(struct px_agent *ag)
{
	int c[2], r[2];

	memset(ag, 0, sizeof(*ag));
	ag->pid = -1;
	ag->cmd = ag->rsp = ag->cmd_rd = ag->rsp_wr = -1;
	if (pipe2(c, O_CLOEXEC))
		return -errno;
	if (pipe2(r, O_CLOEXEC)) {
		close(c[0]);
		close(c[1]);
		return -errno;
	}
	ag->cmd_rd = c[0];
	ag->cmd = c[1];
	ag->rsp = r[0];
	ag->rsp_wr = r[1];
	ag->prepared = PX_PREPARED;
	return 0;
}

static inline int px_cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every fd above 2 but the @n of @keep (-1 entries ignored). */
static inline void px_close_others(int *keep, int n)
{
	unsigned int lo = 3;

	qsort(keep, n, sizeof(int), px_cmp_int);
	for (int i = 0; i < n; i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned int)keep[i] > lo)
			syscall(SYS_close_range, lo, (unsigned int)keep[i] - 1, 0);
		lo = keep[i] + 1;
	}
	syscall(SYS_close_range, lo, ~0u, 0);
}

struct px_agent_state {
	int cmd, rsp;
	int fd;			/* own /dev/iuc */
	int extra;		/* PX_OPEN_PATH */
	int hold;		/* read end of the hold pipe, or -1 */
	struct px_agent *sub;	/* for PX_FORK_AGENT */
};

static __attribute__((noreturn)) void px_agent_main(struct px_agent_state *s);

static inline void px_verify_messages(int fd, const struct px_msg *m,
				      struct px_reply *r)
{
	unsigned int nw = (unsigned int)m->a[1];
	uint32_t per = (uint32_t)m->a[2], next[64] = { 0 };
	unsigned char *buf = malloc(IUC_MESSAGE_MAX);
	uint64_t total = (uint64_t)nw * per;

	r->v[1] = UINT64_MAX;
	if (!buf || nw > 64) {
		r->ret = -EINVAL;
		free(buf);
		return;
	}
	for (uint64_t i = 0; i < total; i++) {
		struct iuc_pipe_read rd;
		struct px_tag t;
		const char *why = NULL;

		r->ret = px_read(fd, m->a[0], buf, IUC_MESSAGE_MAX, IUC_IO_BLOCK, &rd);
		if (r->ret) {
			r->error = rd.error;
			why = "read failed";
		} else if (rd.result != rd.transferred || rd.transferred < sizeof(t)) {
			why = "result/transferred";
		} else {
			memcpy(&t, buf, sizeof(t));
			if (t.magic != PX_TAG_MAGIC || t.nwriters != nw || t.writer >= nw)
				why = "bad tag";
			else if (t.seq != next[t.writer])
				why = "writer's messages out of order";
			else if (t.len != rd.transferred ||
				 t.len != px_msg_len(t.writer, nw, t.seq))
				why = "length";
			else if (px_pat_check(buf + sizeof(t), t.len - sizeof(t),
					      px_msg_seed(t.writer, t.seq), 0) != PX_NO_BAD)
				why = "payload";
			else
				next[t.writer]++;
		}
		if (why) {
			if (!r->ret)
				r->ret = -EPROTO;
			r->v[1] = i;
			snprintf(r->why, sizeof(r->why), "message %llu: %s",
				 (unsigned long long)i, why);
			break;
		}
		r->v[0]++;
	}
	free(buf);
}

static inline void px_agent_do(struct px_agent_state *s, struct px_msg *m,
			       struct px_reply *r)
{
	int fd = s->fd;

	switch (m->op) {
	case PX_OPEN_DEV:
		s->fd = iuc_open();
		r->ret = s->fd < 0 ? -errno : 0;
		break;
	case PX_CLOSE_DEV:
		r->ret = close(fd) ? -errno : 0;
		s->fd = -1;
		break;
	case PX_HANDLE:
		r->ret = iuc_handle_signal(fd, (unsigned int)m->a[0], 0, &r->error);
		break;
	case PX_UNHANDLE:
		r->ret = iuc_unhandle_signal(fd, (unsigned int)m->a[0], &r->error);
		break;
	case PX_READY:
		r->ret = iuc_ready(fd, &r->error);
		break;
	case PX_OPEN_PIPE:
		r->u.open = m->u.open;
		r->ret = iuc_open_pipe(fd, &r->u.open);
		r->error = r->u.open.error;
		break;
	case PX_SEND_PIPE:
		r->ret = px_send_pipe(fd, m->u.send.id, m->u.send.target_pid,
				      m->u.send.notify, &r->u.send);
		r->error = r->u.send.error;
		break;
	case PX_WRITE: {
		uint64_t n = m->u.w.count;
		char *b = n ? malloc(n) : NULL;

		if (n && !b) {
			r->ret = -ENOMEM;
			break;
		}
		if (b)
			px_pat_fill(b, n, m->a[0], m->a[1]);
		r->ret = px_write(fd, m->u.w.id, b, n, m->u.w.mode, &r->u.w);
		r->error = r->u.w.error;
		free(b);
		break;
	}
	case PX_READ: {
		size_t n = m->u.r.count > m->a[2] ? m->u.r.count : m->a[2];
		char *b = malloc(n ? n : 1);

		if (!b) {
			r->ret = -ENOMEM;
			break;
		}
		r->ret = px_read(fd, m->u.r.id, b, m->u.r.count, m->u.r.mode, &r->u.r);
		r->error = r->u.r.error;
		r->v[0] = r->u.r.transferred <= n ?
			px_pat_check(b, r->u.r.transferred, m->a[0], m->a[1]) : 0;
		free(b);
		break;
	}
	case PX_INFO:
		r->ret = px_info(fd, m->u.info.id, &r->u.info);
		r->error = r->u.info.error;
		break;
	case PX_CLOSE_PIPE:
		r->ret = iuc_close_pipe(fd, m->u.close.id, &r->error);
		break;
	case PX_READ_SIG:
		r->ret = iuc_read_sig(fd, &r->sig, (int)m->a[0]);
		break;
	case PX_SIG_PENDING:
		r->ret = px_sig_pending(fd);
		break;
	case PX_SETUID: {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
		};
		struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

		r->ret = setgroups(0, NULL) ||
			 setresgid((gid_t)m->a[0], (gid_t)m->a[1], (gid_t)m->a[2]) ||
			 setresuid((uid_t)m->a[0], (uid_t)m->a[1], (uid_t)m->a[2]) ?
			 -errno : 0;
		memset(d, 0xff, sizeof(d));
		if (!r->ret && syscall(SYS_capget, &h, d))
			r->ret = -errno;
		r->v[0] = d[0].effective | d[0].permitted;
		r->v[1] = d[1].effective | d[1].permitted;
		break;
	}
	case PX_UNSHARE_IPC:
		r->ret = unshare(CLONE_NEWIPC) ? -errno : 0;
		break;
	case PX_NS_INO:
		r->v[0] = ipc_ns_ino();
		r->ret = r->v[0] ? 0 : -ENOENT;
		break;
	case PX_OPEN_PATH:
		m->path[sizeof(m->path) - 1] = 0;
		s->extra = open(m->path, O_RDONLY | O_CLOEXEC);
		r->ret = s->extra < 0 ? -errno : 0;
		break;
	case PX_SETNS:
		r->ret = setns(s->extra, CLONE_NEWIPC) ? -errno : 0;
		break;
	case PX_FORK_AGENT: {
		struct px_agent *sub = s->sub;
		pid_t p;

		if (!sub) {
			r->ret = -EINVAL;
			break;
		}
		p = fork();
		if (p < 0) {
			r->ret = -errno;
			break;
		}
		if (p == 0) {
			struct px_agent_state ss = {
				.cmd = sub->cmd_rd, .rsp = sub->rsp_wr,
				.fd = -1, .extra = -1, .hold = -1,
			};
			int keep[] = { ss.cmd, ss.rsp };

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			px_close_others(keep, 2);
			px_agent_main(&ss);
		}
		close(sub->cmd_rd);
		close(sub->rsp_wr);
		s->sub = NULL;	/* one sub agent per agent */
		r->v[0] = p;
		break;
	}
	case PX_FORK_HOLDER: {
		pid_t p;

		if (s->hold < 0) {
			r->ret = -EINVAL;
			break;
		}
		p = fork();
		if (p < 0) {
			r->ret = -errno;
			break;
		}
		if (p == 0) {
			char c;

			/* Keeps the /dev/iuc fd; outlives the agent. */
			prctl(PR_SET_PDEATHSIG, 0);
			close(s->cmd);
			close(s->rsp);
			while (read(s->hold, &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		r->v[0] = p;
		break;
	}
	case PX_STREAM_WRITE:
		r->st = m->st;
		r->ret = px_stream_write(fd, m->a[0], &r->st, NULL);
		break;
	case PX_STREAM_READ:
		r->st = m->st;
		r->ret = px_stream_read(fd, m->a[0], &r->st);
		break;
	case PX_MSG_VERIFY:
		px_verify_messages(fd, m, r);
		break;
	default:
		r->ret = -ENOSYS;
		break;
	}
}

static __attribute__((unused)) void px_agent_main(struct px_agent_state *s)
{
	for (;;) {
		struct px_msg m;
		struct px_reply r;
		ssize_t n;

		do {
			n = read(s->cmd, &m, sizeof(m));
		} while (n < 0 && errno == EINTR);
		if (n == 0)
			_exit(0);
		if (n != (ssize_t)sizeof(m))
			_exit(91);
		if (m.op == PX_EXIT)
			_exit((int)m.a[0]);
		memset(&r, 0, sizeof(r));
		r.error = ERR_SENTINEL;
		px_agent_do(s, &m, &r);
		if (write_full(s->rsp, &r, sizeof(r)))
			_exit(92);
	}
}

/*
 * Start @ag (prepared or not) as a child of the calling thread (it dies
 * with it: fork agents from the main thread).  @sub: a prepared agent that
 * PX_FORK_AGENT will start, or NULL; @hold: read end of a hold pipe for
 * PX_FORK_HOLDER, or -1.  0 or -errno.
 */
static inline int px_start(struct px_agent *ag, struct px_agent *sub, int hold)
{
	pid_t parent = getpid();
	pid_t p;

	if (ag->prepared != PX_PREPARED) {
		int ret = px_prepare(ag);

		if (ret)
			return ret;
	}
	fflush(stdout);
	fflush(stderr);
	p = fork();
	if (p < 0)
		return -errno;
	if (p == 0) {
		struct px_agent_state s = {
			.cmd = ag->cmd_rd, .rsp = ag->rsp_wr, .fd = -1,
			.extra = -1, .hold = hold, .sub = sub,
		};
		int keep[] = {
			ag->cmd_rd, ag->rsp_wr, hold,
			sub ? sub->cmd_rd : -1, sub ? sub->rsp_wr : -1,
		};

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(93);
		px_close_others(keep, 5);
		px_agent_main(&s);
	}
	ag->pid = p;
	ag->prepared = 0;
	close(ag->cmd_rd);
	close(ag->rsp_wr);
	ag->cmd_rd = ag->rsp_wr = -1;
	if (sub) {
		/* The parent agent has its own copies. */
		close(sub->cmd_rd);
		close(sub->rsp_wr);
		sub->cmd_rd = sub->rsp_wr = -1;
		sub->prepared = 0;
	}
	return 0;
}

/* Send @m without waiting for the answer.  0 or -errno. */
static inline int px_send(struct px_agent *ag, struct px_msg *m)
{
	int ret = write_full(ag->cmd, m, sizeof(*m));

	if (!ret)
		ag->pending++;
	return ret;
}

/* Wait up to @ms for the answer to the oldest command sent. */
static inline int px_wait(struct px_agent *ag, struct px_reply *r, int ms)
{
	int ret = read_full(ag->rsp, r, sizeof(*r), ms);

	if (ret) {
		fprintf(stderr, "# agent %d: no answer: %s\n", ag->pid, strerror(-ret));
		return PX_BROKEN;
	}
	ag->pending--;
	return r->ret;
}

/* Run @m; its result (r->ret), or PX_BROKEN. */
static inline int px_call(struct px_agent *ag, struct px_msg *m, struct px_reply *r)
{
	if (px_send(ag, m))
		return PX_BROKEN;
	return px_wait(ag, r, TIMEOUT_MS);
}

static inline struct px_msg px_m(uint32_t op, uint64_t a0)
{
	struct px_msg m;

	memset(&m, 0, sizeof(m));
	m.op = op;
	m.a[0] = a0;
	return m;
}

/* Run a command with argument @a0 only; its result or PX_BROKEN. */
static inline int px_do(struct px_agent *ag, uint32_t op, uint64_t a0, uint32_t *err)
{
	struct px_msg m = px_m(op, a0);
	struct px_reply r;
	int ret = px_call(ag, &m, &r);

	if (err)
		*err = r.error;
	return ret;
}

/* Agent with a context that handles RECV_PIPE and PIPE_CLOSED, READY. */
static inline int px_target_setup(struct px_agent *ag)
{
	int ret = px_do(ag, PX_OPEN_DEV, 0, NULL);

	if (!ret)
		ret = px_do(ag, PX_HANDLE, IUC_SIG_RECV_PIPE, NULL);
	if (!ret)
		ret = px_do(ag, PX_HANDLE, IUC_SIG_PIPE_CLOSED, NULL);
	if (!ret)
		ret = px_do(ag, PX_READY, 0, NULL);
	return ret;
}

static inline int px_start_target(struct px_agent *ag)
{
	int ret = px_start(ag, NULL, -1);

	return ret ? ret : px_target_setup(ag);
}

static inline int px_ag_open_pipe(struct px_agent *ag, struct iuc_open_pipe *a)
{
	struct px_msg m = px_m(PX_OPEN_PIPE, 0);
	struct px_reply r;
	int ret;

	m.u.open = *a;
	ret = px_call(ag, &m, &r);
	if (ret != PX_BROKEN)
		*a = r.u.open;
	return ret;
}

static inline int px_ag_send_pipe(struct px_agent *ag, uint64_t id, uint64_t pid,
				  uint8_t notify, struct iuc_send_pipe *out)
{
	struct px_msg m = px_m(PX_SEND_PIPE, 0);
	struct px_reply r;
	int ret;

	m.u.send.id = id;
	m.u.send.target_pid = pid;
	m.u.send.notify = notify;
	ret = px_call(ag, &m, &r);
	if (out)
		*out = r.u.send;
	return ret;
}

static inline struct px_msg px_m_write(uint64_t id, uint64_t count, uint8_t mode,
				       uint64_t seed, uint64_t off)
{
	struct px_msg m = px_m(PX_WRITE, seed);

	m.a[1] = off;
	m.u.w.id = id;
	m.u.w.count = count;
	m.u.w.mode = mode;
	return m;
}

/* The agent writes bytes [@off, @off + @count) of pattern @seed to @id. */
static inline int px_ag_write(struct px_agent *ag, uint64_t id, uint64_t count,
			      uint8_t mode, uint64_t seed, uint64_t off,
			      struct iuc_pipe_write *out)
{
	struct px_msg m = px_m_write(id, count, mode, seed, off);
	struct px_reply r;
	int ret = px_call(ag, &m, &r);

	if (out)
		*out = r.u.w;
	return ret;
}

static inline struct px_msg px_m_read(uint64_t id, uint32_t count, uint8_t mode,
				      uint64_t seed, uint64_t off, uint64_t bufsize)
{
	struct px_msg m = px_m(PX_READ, seed);

	m.a[1] = off;
	m.a[2] = bufsize;
	m.u.r.id = id;
	m.u.r.count = count;
	m.u.r.mode = mode;
	return m;
}

/*
 * The agent reads from @id into a buffer of max(@count, @bufsize) bytes;
 * *@bad: first byte that is not pattern @seed from @off, or PX_NO_BAD.
 */
static inline int px_ag_read(struct px_agent *ag, uint64_t id, uint32_t count,
			     uint8_t mode, uint64_t seed, uint64_t off,
			     uint64_t bufsize, struct iuc_pipe_read *out,
			     uint64_t *bad)
{
	struct px_msg m = px_m_read(id, count, mode, seed, off, bufsize);
	struct px_reply r;
	int ret = px_call(ag, &m, &r);

	if (out)
		*out = r.u.r;
	if (bad)
		*bad = ret == PX_BROKEN ? 0 : r.v[0];
	return ret;
}

static inline int px_ag_info(struct px_agent *ag, uint64_t id, struct iuc_pipe_info *out)
{
	struct px_msg m = px_m(PX_INFO, 0);
	struct px_reply r;
	int ret;

	m.u.info.id = id;
	ret = px_call(ag, &m, &r);
	if (out)
		*out = r.u.info;
	return ret;
}

static inline int px_ag_close(struct px_agent *ag, uint64_t id, uint32_t *err)
{
	struct px_msg m = px_m(PX_CLOSE_PIPE, 0);
	struct px_reply r;
	int ret;

	m.u.close.id = id;
	ret = px_call(ag, &m, &r);
	if (err)
		*err = r.error;
	return ret;
}

/* Wait up to @ms in the agent for one record. */
static inline int px_ag_sig(struct px_agent *ag, struct iuc_signal *s, int ms)
{
	struct px_msg m = px_m(PX_READ_SIG, (uint64_t)ms);
	struct px_reply r;
	int ret;

	if (px_send(ag, &m))
		return PX_BROKEN;
	ret = px_wait(ag, &r, TIMEOUT_MS + ms);
	if (ret == 0)
		*s = r.sig;
	return ret;
}

/* Is a record readable in the agent now?  1, 0 or an error. */
static inline int px_ag_sig_pending(struct px_agent *ag)
{
	return px_do(ag, PX_SIG_PENDING, 0, NULL);
}

/*
 * setresuid(@ruid, @euid, @suid) (gids alike, no groups) in the agent;
 * *@caps: its effective | permitted capabilities afterwards.
 */
static inline int px_ag_setuid(struct px_agent *ag, uid_t ruid, uid_t euid,
			       uid_t suid, uint64_t *caps)
{
	struct px_msg m = px_m(PX_SETUID, ruid);
	struct px_reply r;
	int ret;

	m.a[1] = euid;
	m.a[2] = suid;
	ret = px_call(ag, &m, &r);
	if (caps)
		*caps = ret == PX_BROKEN ? ~0ull : r.v[0] | r.v[1] << 32;
	return ret;
}

static inline uint64_t px_ag_ns_ino(struct px_agent *ag)
{
	struct px_msg m = px_m(PX_NS_INO, 0);
	struct px_reply r;

	return px_call(ag, &m, &r) ? 0 : r.v[0];
}

static inline int px_ag_open_path(struct px_agent *ag, const char *path)
{
	struct px_msg m = px_m(PX_OPEN_PATH, 0);
	struct px_reply r;

	snprintf(m.path, sizeof(m.path), "%s", path);
	return px_call(ag, &m, &r);
}

/* Let @ag start @sub (given to px_start(@ag)).  0 or an error. */
static inline int px_ag_fork_agent(struct px_agent *ag, struct px_agent *sub)
{
	struct px_msg m = px_m(PX_FORK_AGENT, 0);
	struct px_reply r;
	int ret = px_call(ag, &m, &r);

	if (!ret)
		sub->pid = (pid_t)r.v[0];
	return ret;
}

/* The pid of a holder child forked by @ag, or an error. */
static inline int px_ag_fork_holder(struct px_agent *ag)
{
	struct px_msg m = px_m(PX_FORK_HOLDER, 0);
	struct px_reply r;
	int ret = px_call(ag, &m, &r);

	return ret ? ret : (int)r.v[0];
}

/* Tell @ag to _exit(0) (no answer) and reap it.  The wait status or -errno. */
static inline int px_ag_exit(struct px_agent *ag)
{
	struct px_msg m = px_m(PX_EXIT, 0);
	int ret = write_full(ag->cmd, &m, sizeof(m));
	int st;

	if (ret)
		return ret;
	st = wait_child(ag->pid, true);
	if (st >= 0)
		ag->pid = -1;
	return st;
}

/*
 * End @ag and reap it (it must be the caller's child): the end of its
 * command pipe makes an idle agent exit, SIGKILL one that is busy (the
 * test may lack the right to kill it: then only the former works).
 */
static inline void px_stop(struct px_agent *ag)
{
	if (ag->cmd >= 0)
		close(ag->cmd);
	if (ag->rsp >= 0)
		close(ag->rsp);
	ag->cmd = ag->rsp = -1;
	if (ag->pid > 0) {
		kill(ag->pid, SIGKILL);
		wait_child(ag->pid, true);
		ag->pid = -1;
	}
}

/* Kill an agent that is not the caller's child (a sub agent). */
static inline void px_stop_nochild(struct px_agent *ag)
{
	if (ag->pid > 0)
		kill(ag->pid, SIGKILL);
	ag->pid = -1;
	if (ag->cmd >= 0)
		close(ag->cmd);
	if (ag->rsp >= 0)
		close(ag->rsp);
	ag->cmd = ag->rsp = -1;
}

#endif /* IUC_PIPE_UTIL_H */
