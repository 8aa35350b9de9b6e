// SPDX-License-Identifier: GPL-2.0
/*
 * IUC selftests: pipe races and the bounds of pipe memory.
 *
 * - Message slots: writers that sleep for room must not take a message
 *   length slot before they hold the pipe again (a heap overwrite once).
 * - The pipe lock: a blocking write (read) is contiguous against other
 *   writers (readers), its waits for room (data) included; IUC_IO_TRY
 *   calls of the same side answer "locked" meanwhile, PIPE_INFO shows
 *   LOCKED at that end only, zero-byte writes still succeed at once, the
 *   other side still moves data.
 * - max_pipe_kib_per_user: the pipes one user opened hold a bounded
 *   amount of memory, refused at OPEN_PIPE, given back at the end, not
 *   for a capable process; a message pipe holds a bounded number of
 *   messages.
 *
 * The races are ordered, not timed: a thread that must be waiting is
 * seen asleep in the kernel (/proc state, PIPE_INFO's WRITE_PENDING /
 * READ_PENDING), and the thread that must lose a race runs SCHED_IDLE on
 * the one CPU every thread of the test shares.
 */
#include "kselftest_harness.h"
#include "iuc_test.h"

#define PARAM_MAX_PIPE_KIB	PARAM_DIR "max_pipe_kib_per_user"

/* A pipe from the test process to itself: it holds both ends. */
static int open_self(int fd, uint8_t mode, uint8_t mult, struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(getpid(), 0x77);
	op->mode = mode;
	op->multiplier = mult;
	op->notify = IUC_NOTIFY_SKIP;
	return iuc_open_pipe(fd, op);
}

/*
 * The context of the test process (pipe records, READY), on one CPU with
 * the threads it starts, and two 64 KiB pipes to itself, raw and message.
 */
FIXTURE(own_pipes) {
	int fd;
	struct iuc_open_pipe raw, msg;
};

FIXTURE_SETUP(own_pipes)
{
	self->fd = iuc_pipe_ctx();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, race_pin_cpu(0));
	ASSERT_EQ(0, open_self(self->fd, IUC_PIPE_MODE_RAW, 1, &self->raw));
	ASSERT_EQ(0, open_self(self->fd, IUC_PIPE_MODE_MESSAGE, 1, &self->msg));
}

FIXTURE_TEARDOWN(own_pipes)
{
	close(self->fd);
}

/* ---- one blocking call in a thread (struct async_io) ---------------------- */

/*
 * Let the call of @io run until it sleeps in the kernel or is done.  0 or
 * -ETIMEDOUT.
 */
static int io_settle(struct async_io *io)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!async_call_done(&io->as)) {
		char st = race_thread_state(io->as.tid);

		if (st == 'S' || st == 'D')
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > RACE_TIMEOUT_MS / 1000)
			return -ETIMEDOUT;
		sched_yield();
	}
	return 0;
}

/* Make the thread of @io lose every race for the CPU it shares. */
static int io_make_idle(struct async_io *io)
{
	struct sched_param p = { 0 };

	return sched_setscheduler(io->as.tid, SCHED_IDLE, &p) ? -errno : 0;
}

/* ---- message slots ----------------------------------------------------------- */

#define SLOT_FILL	15	/* messages queued: the ring has 16 slots */
#define SLOT_BIG	(IUC_PIPE_UNIT - (SLOT_FILL - 1))	/* fills the pipe */

/*
 * A 64 KiB message pipe holds 15 messages (the ring of lengths has 16
 * slots) and is full.  Three writers (65000, 2 and 3 bytes) block for
 * room, one after the other.  Reading the big first message makes room
 * for all three: 14 + 3 = 17 messages.  Each of the 17 must come out
 * whole, with its own length and bytes.  Before the fix each writer took
 * its slot before sleeping: the third one's length overwrote that of the
 * oldest pending message (a heap overwrite once lengths and bytes
 * disagree).
 */
TEST_F(own_pipes, message_slot_taken_at_write)
{
	static const uint64_t lens[3] = { 65000, 2, 3 };
	const uint64_t sc = self->msg.id, rc = self->msg.peer_id;
	struct async_io wr[3];
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	bool seen[3] = { false };
	char *msg[3], *buf = malloc(IUC_MESSAGE_MAX);
	int fd = self->fd;

	ASSERT_NE(NULL, buf);
	pat_fill(buf, SLOT_BIG, 50, 0);
	ASSERT_EQ(0, iuc_pipe_write(fd, sc, buf, SLOT_BIG, IUC_IO_TRY, &w));
	for (int i = 1; i < SLOT_FILL; i++) {
		char c = (char)i;

		ASSERT_EQ(0, iuc_pipe_write(fd, sc, &c, 1, IUC_IO_TRY, &w)) TH_LOG("msg %d", i);
	}
	ASSERT_EQ(0, iuc_pipe_room(fd, sc));

	for (int i = 0; i < 3; i++) {
		msg[i] = malloc(lens[i]);
		ASSERT_NE(NULL, msg[i]);
		pat_fill(msg[i], lens[i], 60 + i, 0);
		ASSERT_EQ(0, async_io_start(&wr[i], fd, sc, true, msg[i], lens[i],
					    IUC_IO_BLOCK));
		if (!i) {
			ASSERT_TRUE(iuc_pipe_wait_status(fd, sc, IUC_PIPE_WRITE_PENDING,
							 IUC_PIPE_WRITE_PENDING));
		}
		ASSERT_EQ(0, race_wait_asleep(wr[i].as.tid, RACE_TIMEOUT_MS));
		ASSERT_FALSE(async_call_done(&wr[i].as));
	}

	/* Room for all three writers. */
	ASSERT_EQ(0, iuc_pipe_read(fd, rc, buf, IUC_MESSAGE_MAX, IUC_IO_BLOCK, &r));
	ASSERT_EQ(SLOT_BIG, r.transferred);
	ASSERT_EQ(PAT_NO_BAD, pat_check(buf, SLOT_BIG, 50, 0));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, async_call_join(&wr[i].as));
		EXPECT_EQ(0, wr[i].as.ret);
		EXPECT_EQ(IUC_E_NONE, wr[i].u.w.error);
		EXPECT_EQ(lens[i], wr[i].u.w.transferred);
	}

	for (int i = 1; i < SLOT_FILL; i++) {
		memset(buf, 0, 16);
		ASSERT_EQ(0, iuc_pipe_read(fd, rc, buf, IUC_MESSAGE_MAX, IUC_IO_TRY, &r));
		ASSERT_EQ(1, r.result) TH_LOG("message %d has length %llu", i,
					      (unsigned long long)r.result);
		ASSERT_EQ(1, r.transferred);
		ASSERT_EQ((char)i, buf[0]);
	}
	for (int n = 0; n < 3; n++) {
		int i;

		ASSERT_EQ(0, iuc_pipe_read(fd, rc, buf, IUC_MESSAGE_MAX, IUC_IO_TRY, &r));
		for (i = 0; i < 3 && (seen[i] || lens[i] != r.transferred); i++)
			;
		ASSERT_GT(3, i) TH_LOG("writer message of length %llu",
				       (unsigned long long)r.transferred);
		seen[i] = true;
		EXPECT_EQ(r.result, r.transferred);
		EXPECT_EQ(0, memcmp(buf, msg[i], lens[i]));
	}
	EXPECT_EQ(-EAGAIN, iuc_pipe_read(fd, rc, buf, IUC_MESSAGE_MAX, IUC_IO_TRY, &r));
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, r.result);
	EXPECT_EQ(IUC_PIPE_UNIT, iuc_pipe_room(fd, sc));
	for (int i = 0; i < 3; i++)
		free(msg[i]);
	free(buf);
}

/* ---- the pipe lock ------------------------------------------------------------ */

#define LOCK_ROUNDS	3	/* each call moves 3 capacities */

/*
 * Are @a and @b, @n bytes each, the two streams @seed_a and @seed_b (from
 * offset 0) in some order?
 */
static bool halves_are(const char *a, const char *b, uint64_t n,
		       uint64_t seed_a, uint64_t seed_b)
{
	return (pat_check(a, n, seed_a, 0) == PAT_NO_BAD &&
		pat_check(b, n, seed_b, 0) == PAT_NO_BAD) ||
	       (pat_check(a, n, seed_b, 0) == PAT_NO_BAD &&
		pat_check(b, n, seed_a, 0) == PAT_NO_BAD);
}

/*
 * The first call of @t (a write to @op's SC if @write, else a read of
 * its RC) waits in the kernel, holding its end's lock.  Make it lose
 * every race for the CPU.  Check what the lock means meanwhile: a TRY
 * call of its side answers "locked" and moves nothing; PIPE_INFO says
 * LOCKED at its end, not at the other; a zero-byte write still succeeds
 * at once in every mode.  Then start the second call of that side, of
 * @len bytes at @buf, and let it block.
 */
static void start_second(struct __test_metadata *_metadata, int fd,
			 const struct iuc_open_pipe *op, struct async_io t[2],
			 bool write, char *buf, uint64_t len)
{
	uint64_t mine = write ? op->id : op->peer_id;
	uint64_t other = write ? op->peer_id : op->id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	uint64_t room;

	ASSERT_EQ(0, race_wait_asleep(t[0].as.tid, RACE_TIMEOUT_MS));
	ASSERT_EQ(0, io_make_idle(&t[0]));
	room = iuc_pipe_room(fd, op->id);
	if (write) {
		EXPECT_EQ(-EAGAIN, iuc_pipe_write(fd, mine, buf, 1, IUC_IO_TRY, &w));
		EXPECT_EQ(IUC_E_WRITE_NO_ROOM, w.error);
		EXPECT_EQ(IUC_TRY_LOCKED, w.result);
		EXPECT_EQ(0, w.transferred);
	} else {
		EXPECT_EQ(-EAGAIN, iuc_pipe_read(fd, mine, buf, 1, IUC_IO_TRY, &r));
		EXPECT_EQ(IUC_E_READ_NO_DATA, r.error);
		EXPECT_EQ(IUC_TRY_LOCKED, r.result);
		EXPECT_EQ(0, r.transferred);
	}
	EXPECT_EQ(IUC_PIPE_LOCKED, iuc_pipe_status(fd, mine) & IUC_PIPE_LOCKED);
	EXPECT_EQ(0, iuc_pipe_status(fd, other) & IUC_PIPE_LOCKED);
	for (uint8_t mode = IUC_IO_BLOCK; mode <= IUC_IO_PARTIAL; mode++) {
		EXPECT_EQ(0, iuc_pipe_write(fd, op->id, NULL, 0, mode, &w))
			TH_LOG("zero-byte write, mode %u", mode);
		EXPECT_EQ(IUC_E_NONE, w.error);
		EXPECT_EQ(0, w.transferred);
		if (mode != IUC_IO_TRY) {
			EXPECT_EQ(mode == IUC_IO_BLOCK ? room : 0, w.result);
		}
	}

	ASSERT_EQ(0, async_io_start(&t[1], fd, mine, write, buf, len, IUC_IO_BLOCK));
	ASSERT_EQ(0, race_wait_asleep(t[1].as.tid, RACE_TIMEOUT_MS));
}

/*
 * The test's side of the pipe moves bytes [@from, @to) of @buf, one
 * capacity per call (reads if the threads of @t write, else writes), and
 * after each call lets the second thread run, if it can, before the
 * first.  Both calls of @t must then end whole.
 */
static void drive(struct __test_metadata *_metadata, int fd,
		  const struct iuc_open_pipe *op, struct async_io t[2],
		  bool threads_write, char *buf, uint64_t from, uint64_t to)
{
	const uint64_t cap = iuc_pipe_cap(1);
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	uint64_t n;

	for (uint64_t o = from; o < to; o += n) {
		n = to - o < cap ? to - o : cap;
		if (threads_write) {
			ASSERT_EQ(0, iuc_pipe_read(fd, op->peer_id, buf + o, (uint32_t)n,
						   IUC_IO_BLOCK, &r))
				TH_LOG("at %llu", (unsigned long long)o);
			ASSERT_EQ(n, r.transferred);
		} else {
			ASSERT_EQ(0, iuc_pipe_write(fd, op->id, buf + o, n, IUC_IO_BLOCK, &w))
				TH_LOG("at %llu", (unsigned long long)o);
			ASSERT_EQ(n, w.transferred);
		}
		ASSERT_EQ(0, io_settle(&t[1]));
	}
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, async_call_join(&t[i].as));
		EXPECT_EQ(0, t[i].as.ret);
		if (threads_write) {
			EXPECT_EQ(t[i].u.w.count, t[i].u.w.transferred);
		} else {
			EXPECT_EQ(t[i].u.r.count, t[i].u.r.transferred);
		}
	}
}

/*
 * Two blocking writers of 3 capacities each (streams 1 and 2) through a
 * 64 KiB pipe that the test drains one capacity at a time.  The first
 * fills the pipe and waits for room; the second is started then.  While
 * the first waits, the SC is locked (start_second()).  Each writer's bytes
 * must come out contiguous.  The first writer runs SCHED_IDLE on the CPU
 * all threads share, so that wherever the second could slip in, it does:
 * before the fix it took each other round.
 */
TEST_F(own_pipes, blocking_writers_contiguous)
{
	const uint64_t cap = iuc_pipe_cap(1), len = LOCK_ROUNDS * cap;
	char *src[2], *out = malloc(2 * len);
	struct async_io wr[2];
	int fd = self->fd;

	ASSERT_NE(NULL, out);
	for (int i = 0; i < 2; i++) {
		src[i] = malloc(len);
		ASSERT_NE(NULL, src[i]);
		pat_fill(src[i], len, 1 + i, 0);
	}

	ASSERT_EQ(0, async_io_start(&wr[0], fd, self->raw.id, true, src[0], len,
				    IUC_IO_BLOCK));
	ASSERT_TRUE(iuc_pipe_wait_status(fd, self->raw.id,
					 IUC_PIPE_WRITE_PENDING | IUC_PIPE_FULL,
					 IUC_PIPE_WRITE_PENDING | IUC_PIPE_FULL));
	start_second(_metadata, fd, &self->raw, wr, true, src[1], len);

	drive(_metadata, fd, &self->raw, wr, true, out, 0, 2 * len);
	EXPECT_TRUE(halves_are(out, out + len, len, 1, 2))
		TH_LOG("the first writer's second capacity is %s",
		       pat_check(out + cap, cap, 1, cap) == PAT_NO_BAD ?
		       "next" : "not next");
	for (int i = 0; i < 2; i++)
		free(src[i]);
	free(out);
}

/* Wait until the pipe of @id has @room bytes of room.  True when seen. */
static bool wait_room(int fd, uint64_t id, uint64_t room)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (iuc_pipe_room(fd, id) != room) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > TIMEOUT_MS / 1000)
			return false;
		sched_yield();
	}
	return true;
}

/*
 * The same for two blocking readers of 3 capacities each, while the test
 * writes 6 capacities of one stream.  The first reader has half a
 * capacity and waits for more when the second is started.  While the
 * first waits, the RC is locked (start_second()) and the test's writes
 * go on.  Each reader must get one contiguous half of the stream.
 */
TEST_F(own_pipes, blocking_readers_contiguous)
{
	const uint64_t cap = iuc_pipe_cap(1), len = LOCK_ROUNDS * cap;
	const uint64_t sc = self->raw.id;
	char *dst[2], *src = malloc(2 * len);
	struct async_io rd[2];
	struct iuc_pipe_write w;
	uint64_t off[2];
	int fd = self->fd;

	ASSERT_NE(NULL, src);
	pat_fill(src, 2 * len, 3, 0);
	for (int i = 0; i < 2; i++) {
		dst[i] = calloc(1, len);
		ASSERT_NE(NULL, dst[i]);
	}

	ASSERT_EQ(0, async_io_start(&rd[0], fd, self->raw.peer_id, false, dst[0], len,
				    IUC_IO_BLOCK));
	ASSERT_TRUE(iuc_pipe_wait_status(fd, sc, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	ASSERT_EQ(0, iuc_pipe_write(fd, sc, src, cap / 2, IUC_IO_BLOCK, &w));
	ASSERT_TRUE(wait_room(fd, sc, cap));
	ASSERT_TRUE(iuc_pipe_wait_status(fd, sc, IUC_PIPE_READ_PENDING,
					 IUC_PIPE_READ_PENDING));
	start_second(_metadata, fd, &self->raw, rd, false, dst[1], len);

	drive(_metadata, fd, &self->raw, rd, false, src, cap / 2, 2 * len);
	for (int i = 0; i < 2; i++) {
		/* Which half this reader should have, by its first bytes. */
		off[i] = memcmp(dst[i], src, 64) ? len : 0;
		EXPECT_EQ(PAT_NO_BAD, pat_check(dst[i], len, 3, off[i]))
			TH_LOG("reader %d: not the contiguous bytes %llu..%llu", i,
			       (unsigned long long)off[i],
			       (unsigned long long)(off[i] + len));
	}
	EXPECT_NE(off[0], off[1]);
	for (int i = 0; i < 2; i++)
		free(dst[i]);
	free(src);
}

/* ---- memory bounds ---------------------------------------------------------------- */

/*
 * A 64 KiB message pipe holds at most 4096 messages (one per 16 bytes of
 * capacity): the next one finds no room (IUC_IO_TRY: EAGAIN, not enough;
 * PIPE_INFO: full, room 0) until one is read.  Before the fix, one-byte
 * messages grew the ring of lengths to 4 bytes per byte of capacity.
 */
TEST_F(own_pipes, message_count_bounded)
{
	const uint32_t max = IUC_PIPE_UNIT / 16;
	const uint64_t sc = self->msg.id;
	struct iuc_pipe_write w;
	struct iuc_pipe_read r;
	struct iuc_pipe_info in;
	char c = 'm';
	int fd = self->fd;

	for (uint32_t i = 0; i < max; i++) {
		ASSERT_EQ(0, iuc_pipe_write(fd, sc, &c, 1, IUC_IO_TRY, &w)) TH_LOG("msg %u", i);
	}
	EXPECT_EQ(-EAGAIN, iuc_pipe_write(fd, sc, &c, 1, IUC_IO_TRY, &w));
	EXPECT_EQ(IUC_E_WRITE_NO_ROOM, w.error);
	EXPECT_EQ(IUC_TRY_NOT_ENOUGH, w.result);
	ASSERT_EQ(0, iuc_pipe_info(fd, sc, &in));
	EXPECT_EQ(0, in.room);
	EXPECT_EQ(IUC_PIPE_FULL, in.status & IUC_PIPE_FULL);
	/* A blocking zero-byte write answers the room: none. */
	EXPECT_EQ(0, iuc_pipe_write(fd, sc, NULL, 0, IUC_IO_BLOCK, &w));
	EXPECT_EQ(0, w.result);

	ASSERT_EQ(0, iuc_pipe_read(fd, self->msg.peer_id, &c, 1, IUC_IO_TRY, &r));
	EXPECT_EQ(1, r.transferred);
	EXPECT_EQ(IUC_PIPE_UNIT - (max - 1), iuc_pipe_room(fd, sc));
	EXPECT_EQ(0, iuc_pipe_write(fd, sc, &c, 1, IUC_IO_TRY, &w));
	EXPECT_EQ(0, iuc_pipe_room(fd, sc));
}

#define QUOTA_KIB	256	/* 4 pipes of 64 KiB */
#define MSG_PIPE_KIB	80	/* 64 KiB and 4096 lengths of 4 bytes */

/* A peer running as @uid, without capabilities, with a context. */
static int start_user(struct peer *p, uid_t uid)
{
	uint64_t caps;
	int ret = peer_start(p, NULL);

	if (!ret)
		ret = peer_setresuid(p, uid, uid, uid, &caps);
	if (!ret && caps)
		ret = -EPERM;
	if (!ret)
		ret = peer_open_dev(p);
	return ret;
}

/*
 * max_pipe_kib_per_user set to QUOTA_KIB (restored after), and a peer of
 * user UID_OTHER without capabilities, with a context.
 */
FIXTURE(user_quota) {
	long long saved;
	struct peer user;
};

FIXTURE_SETUP(user_quota)
{
	ASSERT_EQ(0, start_user(&self->user, UID_OTHER));
	self->saved = param_read(PARAM_MAX_PIPE_KIB);
	ASSERT_LE(0, self->saved);
	ASSERT_EQ(0, param_write(PARAM_MAX_PIPE_KIB, QUOTA_KIB));
	ASSERT_EQ(QUOTA_KIB, param_read(PARAM_MAX_PIPE_KIB));
}

FIXTURE_TEARDOWN(user_quota)
{
	EXPECT_EQ(0, peer_stop(&self->user));
	EXPECT_EQ(0, param_write(PARAM_MAX_PIPE_KIB, self->saved));
}

/* The peer opens a pipe to itself. */
static int peer_open_self(struct peer *p, uint8_t mode, uint8_t mult,
			  struct iuc_open_pipe *op)
{
	*op = iuc_pipe_args(p->pid, 0x78);
	op->mode = mode;
	op->multiplier = mult;
	op->notify = IUC_NOTIFY_SKIP;
	return peer_open_pipe(p, op);
}

/* The peer closes both ends of its pipe to itself: the pipe is freed. */
static int peer_close_self(struct peer *p, const struct iuc_open_pipe *op)
{
	int ret = peer_close_pipe(p, op->id, NULL);

	return ret ? ret : peer_close_pipe(p, op->peer_id, NULL);
}

/*
 * With max_pipe_kib_per_user = 256, a user without capabilities opens 4
 * raw pipes of 64 KiB; the 5th, a 128 KiB one and a message pipe (80 KiB:
 * buffer and lengths) are refused with EDQUOT and IUC_E_LIMIT, nothing
 * opened.  Freeing a pipe gives its 64 KiB back (one more opens, not two),
 * and so does the end of the process: a new one of the user opens 4.
 * The bound is per user: another user opens at the same time.
 */
TEST_F(user_quota, open_past_the_bound_is_edquot_until_pipes_are_freed)
{
	struct iuc_open_pipe held[QUOTA_KIB / 64], op;
	struct peer other;

	for (int i = 0; i < QUOTA_KIB / 64; i++) {
		ASSERT_EQ(0, peer_open_self(&self->user, IUC_PIPE_MODE_RAW, 1, &held[i]))
			TH_LOG("pipe %d: error 0x%x", i, held[i].error);
	}
	for (uint8_t mode = IUC_PIPE_MODE_RAW; mode <= IUC_PIPE_MODE_MESSAGE; mode++) {
		for (uint8_t mult = 1; mult <= 2; mult++) {
			EXPECT_EQ(-EDQUOT, peer_open_self(&self->user, mode, mult, &op))
				TH_LOG("mode %u, multiplier %u", mode, mult);
			EXPECT_EQ(IUC_E_LIMIT, op.error);
			EXPECT_EQ(0, op.id);
			EXPECT_EQ(0, op.peer_id);
		}
	}

	/* Another user is not bound by this one's pipes. */
	ASSERT_EQ(0, start_user(&other, UID_OTHER + 1));
	EXPECT_EQ(0, peer_open_self(&other, IUC_PIPE_MODE_MESSAGE, 1, &op));
	EXPECT_EQ(0, peer_stop(&other));

	/* A freed pipe gives its 64 KiB back, not more. */
	ASSERT_EQ(0, peer_close_self(&self->user, &held[0]));
	EXPECT_EQ(-EDQUOT, peer_open_self(&self->user, IUC_PIPE_MODE_MESSAGE, 1, &op));
	EXPECT_EQ(0, peer_open_self(&self->user, IUC_PIPE_MODE_RAW, 1, &held[0]));
	EXPECT_EQ(-EDQUOT, peer_open_self(&self->user, IUC_PIPE_MODE_RAW, 1, &op));

	/* The process ends: its pipes are freed, the next process opens 4. */
	ASSERT_EQ(0, peer_stop(&self->user));
	ASSERT_EQ(0, start_user(&self->user, UID_OTHER));
	for (int i = 0; i < QUOTA_KIB / 64; i++) {
		EXPECT_EQ(0, peer_open_self(&self->user, IUC_PIPE_MODE_RAW, 1, &held[i]))
			TH_LOG("pipe %d after the exit: error 0x%x", i, held[i].error);
	}
	EXPECT_EQ(-EDQUOT, peer_open_self(&self->user, IUC_PIPE_MODE_RAW, 1, &op));
}

/*
 * The opener is charged, not the target: a user with 3 pipes of its own
 * gets 8 opened to it by a capable process (the test, root), which the
 * bound does not stop (CAP_SYS_RESOURCE lifts it, as for Linux's
 * pipe-user-pages), and still opens exactly one more itself.
 */
TEST_F(user_quota, opener_is_charged_and_a_capable_opener_is_not_bound)
{
	struct iuc_open_pipe op;
	int fd = iuc_pipe_ctx();

	ASSERT_LE(0, fd);
	for (int i = 0; i < QUOTA_KIB / 64 - 1; i++) {
		ASSERT_EQ(0, peer_open_self(&self->user, IUC_PIPE_MODE_RAW, 1, &op));
	}
	for (int i = 0; i < 2 * QUOTA_KIB / 64; i++) {
		op = iuc_pipe_args(self->user.pid, 0x79);
		op.mode = i % 2 ? IUC_PIPE_MODE_MESSAGE : IUC_PIPE_MODE_RAW;
		op.notify = IUC_NOTIFY_SKIP;
		EXPECT_EQ(0, iuc_open_pipe(fd, &op)) TH_LOG("pipe %d: 0x%x", i, op.error);
	}
	EXPECT_EQ(0, peer_open_self(&self->user, IUC_PIPE_MODE_RAW, 1, &op));
	EXPECT_EQ(-EDQUOT, peer_open_self(&self->user, IUC_PIPE_MODE_RAW, 1, &op));
	EXPECT_EQ(IUC_E_LIMIT, op.error);
	close(fd);
}

TEST_HARNESS_MAIN
